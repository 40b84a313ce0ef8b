"""The ingest worker function's collaborators, built from its settings."""

from __future__ import annotations

import ssl

from functions.common.settings import IngestWorkerSettings, settings_for
from functions.common.wiring import Collaborators, data_access
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
        ssl_context=ssl_context or default_ssl_context(),
    )
    return IngestWorker(
        **data_access(settings),
        fetcher=fetcher,
        max_image_pixels=settings.max_image_pixels,
        deadline_seconds=settings.ingest_deadline_seconds,
    )


collaborators = Collaborators(build)
