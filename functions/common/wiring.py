"""Builds each function's collaborators from its settings: the one place handlers get real AWS clients from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from functions.common.clock import utc_now
from functions.common.cursor import CursorCodec
from functions.common.repository import AssetRepository
from functions.common.settings import (
    ApiSettings,
    BaseSettings,
    IngestSettings,
    IngestWorkerSettings,
    UploadSettings,
    settings_for,
)
from functions.common.storage import ObjectStore

if TYPE_CHECKING:
    import ssl

    from functions.gallery.logic import Gallery
    from functions.ingest.logic import Ingester
    from functions.ingest.urls import NetworkPolicy
    from functions.ingest.worker_logic import IngestWorker
    from functions.sign.logic import Signer
    from functions.upload.logic import Uploader


def data_access(settings: BaseSettings) -> dict[str, Any]:
    """The collaborators every function works with: the asset table, the media bucket and the clock."""
    return {
        "repository": AssetRepository(settings.asset_table_name),
        "store": ObjectStore(settings.media_bucket_name),
        "clock": utc_now,
    }


def gallery_service(settings: ApiSettings | None = None) -> Gallery:
    from functions.gallery.logic import Gallery

    settings = settings or settings_for(ApiSettings)
    return Gallery(
        **data_access(settings),
        cursors=CursorCodec(settings.cursor_secret.get_secret_value().encode()),
        read_ttl_seconds=settings.read_url_ttl_seconds,
        download_ttl_seconds=settings.download_url_ttl_seconds,
        retention_days=settings.trash_retention_days,
    )


def sign_service(settings: ApiSettings | None = None) -> Signer:
    from functions.sign.logic import Signer

    settings = settings or settings_for(ApiSettings)
    return Signer(
        **data_access(settings),
        max_image_bytes=settings.max_image_bytes,
        upload_ttl_seconds=settings.upload_url_ttl_seconds,
        read_ttl_seconds=settings.read_url_ttl_seconds,
    )


def upload_service(settings: UploadSettings | None = None) -> Uploader:
    from functions.upload.logic import Uploader

    settings = settings or settings_for(UploadSettings)
    return Uploader(
        **data_access(settings),
        max_image_pixels=settings.max_image_pixels,
        read_ttl_seconds=settings.read_url_ttl_seconds,
    )


def ingest_service(settings: IngestSettings | None = None, network: NetworkPolicy | None = None) -> Ingester:
    """The ingest API's collaborators; `network` is the public-only policy unless the local server passes one."""
    from functions.ingest.idempotency import PowertoolsIdempotency
    from functions.ingest.invoker import LambdaInvoker
    from functions.ingest.logic import Ingester
    from functions.ingest.urls import PUBLIC_NETWORK, HostAllowlist

    settings = settings or settings_for(IngestSettings)
    return Ingester(
        **data_access(settings),
        invoker=LambdaInvoker(settings.ingest_worker_function_name),
        idempotency=PowertoolsIdempotency.on_table(settings.idempotency_table_name),
        allowlist=HostAllowlist.parse(settings.asset_host_allowlist),
        network=network or PUBLIC_NETWORK,
        read_ttl_seconds=settings.read_url_ttl_seconds,
    )


def ingest_worker_service(
    settings: IngestWorkerSettings | None = None,
    network: NetworkPolicy | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> IngestWorker:
    """The worker's collaborators; `network` and `ssl_context` default to public-only and the public CAs."""
    from functions.ingest.fetcher import SafeFetcher, default_ssl_context
    from functions.ingest.urls import PUBLIC_NETWORK, HostAllowlist
    from functions.ingest.worker_logic import IngestWorker

    settings = settings or settings_for(IngestWorkerSettings)
    fetcher = SafeFetcher(
        network=network or PUBLIC_NETWORK,
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
