"""The ingest worker function's collaborators, built from its settings."""

from __future__ import annotations

import ssl

from functions.common.clock import utc_now
from functions.common.repository import AssetRepository
from functions.common.settings import IngestWorkerSettings, settings_for
from functions.common.stream_upload import StreamUploader
from functions.common.wiring import Collaborators
from functions.ingest.fetcher import SafeFetcher, default_ssl_context
from functions.ingest.urls import PUBLIC_NETWORK, HostAllowlist, NetworkPolicy
from functions.ingest.worker_logic import IngestWorker


def build(
    settings: IngestWorkerSettings | None = None,
    network: NetworkPolicy = PUBLIC_NETWORK,
    ssl_context: ssl.SSLContext | None = None,
) -> IngestWorker:
    """`network` and `ssl_context` are public-only and the public CAs unless the local server passes its own."""
    settings = settings or settings_for(IngestWorkerSettings)
    fetcher = SafeFetcher(
        network=network,
        allowlist=HostAllowlist.parse(settings.asset_host_allowlist),
        max_bytes=settings.max_image_bytes,
        max_video_bytes=settings.max_video_bytes,
        ssl_context=ssl_context or default_ssl_context(),
    )
    return IngestWorker(
        repository=AssetRepository(settings.asset_table_name),
        # Not `data_access`'s store: it cannot stream, and a second client would only cost cold-start time.
        store=StreamUploader(settings.media_bucket_name),
        clock=utc_now,
        fetcher=fetcher,
        max_image_pixels=settings.max_image_pixels,
        deadline_seconds=settings.ingest_deadline_seconds,
    )


collaborators = Collaborators(build)
