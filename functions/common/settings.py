"""Each function's environment as one pydantic model; the only place that reads `os.environ`."""

from __future__ import annotations

import os
from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from functions.system import ABANDONED_UPLOAD_HOURS, LIMIT_DEFAULTS, REALTIME_TICKET_TTL_SECONDS

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class BaseSettings(BaseModel):
    """What every function needs: where the data lives."""

    # Built on first use: a function validates only its own model, so it never pays for the other functions'.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, defer_build=True)

    asset_table_name: str = Field(alias="ASSET_TABLE_NAME", min_length=1)
    media_bucket_name: str = Field(alias="MEDIA_BUCKET_NAME", min_length=1)
    trash_retention_days: int = Field(alias="TRASH_RETENTION_DAYS", ge=1, le=3650)


class ImageSizeSettings(BaseSettings):
    """What every function that takes image bytes in shares: their size limit."""

    asset_max_image_mb: int = Field(alias="ASSET_MAX_IMAGE_MB", ge=1, le=5000)
    # Videos (#16): the largest video original, whichever way it comes in.
    asset_max_video_mb: int = Field(alias="ASSET_MAX_VIDEO_MB", ge=1, le=5_000_000)

    @property
    def max_image_bytes(self) -> int:
        return self.asset_max_image_mb * 1024 * 1024

    @property
    def max_video_bytes(self) -> int:
        return self.asset_max_video_mb * 1024 * 1024


class ApiSettings(ImageSizeSettings):
    """The API functions: presigning and upload limits (the cursors' key is no setting: common/cursor_secret)."""

    read_url_ttl_seconds: int = Field(alias="READ_URL_TTL_SECONDS", ge=60, le=3600)
    read_url_window_seconds: int = Field(alias="READ_URL_WINDOW_SECONDS", ge=0, le=86400)
    upload_url_ttl_seconds: int = Field(alias="UPLOAD_URL_TTL_SECONDS", ge=30, le=300)
    download_url_ttl_seconds: int = Field(alias="DOWNLOAD_URL_TTL_SECONDS", ge=10, le=300)
    # Each user's quota (0 = no limit): what sign, upload and ingest refuse past, and what GET /usage shows.
    user_quota_mb: int = Field(alias="USER_QUOTA_MB", ge=0)
    user_quota_assets: int = Field(alias="USER_QUOTA_ASSETS", ge=0)
    # The largest size POST /uploads/sign takes (#16); above it, POST /uploads/multipart.
    multipart_threshold_mb: int = Field(alias="MULTIPART_THRESHOLD_MB", ge=1, le=5000)

    @property
    def multipart_threshold_bytes(self) -> int:
        return self.multipart_threshold_mb * 1024 * 1024


class MultipartSettings(ApiSettings):
    """The multipart function (#16): the per-kind size limits, part URLs living UPLOAD_URL_TTL_SECONDS, the quota."""


class ThumbnailSettings(ImageSizeSettings):
    """The thumbnail function: box sizes (thumbnail and preview) and the decode limit."""

    thumbnail_size: int = Field(alias="THUMBNAIL_SIZE", ge=16, le=2048)
    preview_size: int = Field(default=int(LIMIT_DEFAULTS["PREVIEW_SIZE"]), alias="PREVIEW_SIZE", ge=16, le=8192)
    max_image_pixels: int = Field(alias="MAX_IMAGE_PIXELS", ge=1)
    idempotency_table_name: str = Field(alias="IDEMPOTENCY_TABLE_NAME", min_length=1)


class VideoSettings(ImageSizeSettings):
    """The video function (#16): poster sizes, and the limits it checks from the container header before decoding."""

    thumbnail_size: int = Field(alias="THUMBNAIL_SIZE", ge=16, le=2048)
    preview_size: int = Field(default=int(LIMIT_DEFAULTS["PREVIEW_SIZE"]), alias="PREVIEW_SIZE", ge=16, le=8192)
    max_video_pixels: int = Field(alias="MAX_VIDEO_PIXELS", ge=1)
    max_video_seconds: int = Field(alias="MAX_VIDEO_SECONDS", ge=1)
    idempotency_table_name: str = Field(alias="IDEMPOTENCY_TABLE_NAME", min_length=1)


class PurgeSettings(BaseSettings):
    """The purge function: how long abandoned uploads wait, its time budget, claim lease and metrics namespace."""

    abandoned_upload_hours: int = Field(default=ABANDONED_UPLOAD_HOURS, alias="ABANDONED_UPLOAD_HOURS", ge=1)
    # Stop claiming new items when less than this remains of the invocation; the next run takes the rest.
    safety_margin_seconds: int = Field(default=10, alias="PURGE_SAFETY_MARGIN_SECONDS", ge=1, le=600)
    # A claim younger than this belongs to a run still going (two purges at once); older ones are taken over.
    claim_lease_seconds: int = Field(default=900, alias="PURGE_CLAIM_LEASE_SECONDS", ge=0)
    metrics_namespace: str = Field(default="Gallery", alias="POWERTOOLS_METRICS_NAMESPACE", min_length=1)


class UploadSettings(ApiSettings):
    """The direct-upload function: the decode limit on top of the API settings."""

    max_image_pixels: int = Field(alias="MAX_IMAGE_PIXELS", ge=1)


class IngestSettings(ApiSettings):
    """The ingest API function: URL rules, idempotency table and the worker it hands fetches to."""

    asset_host_allowlist: str = Field(alias="ASSET_HOST_ALLOWLIST", default="")
    idempotency_table_name: str = Field(alias="IDEMPOTENCY_TABLE_NAME", min_length=1)
    ingest_worker_function_name: str = Field(alias="INGEST_WORKER_FUNCTION_NAME", min_length=1)
    # How many ingests one user may have in flight at once (0 = no cap), so one user cannot hold every worker.
    ingest_max_in_flight: int = Field(alias="INGEST_MAX_IN_FLIGHT", ge=0)


class IngestWorkerSettings(ImageSizeSettings):
    """The ingest worker: URL rules, byte and pixel caps, and how long a source may stay "not ready"."""

    asset_host_allowlist: str = Field(alias="ASSET_HOST_ALLOWLIST", default="")
    max_image_pixels: int = Field(alias="MAX_IMAGE_PIXELS", ge=1)
    ingest_deadline_seconds: int = Field(alias="INGEST_DEADLINE_SECONDS", ge=1, le=840)


class RealtimeSettings(BaseSettings):
    """The real-time functions: the connections table, the WebSocket URL a ticket opens, the `@connections` endpoint."""

    connections_table_name: str = Field(alias="CONNECTIONS_TABLE_NAME", min_length=1)
    # `wss://{api}.execute-api.{region}.amazonaws.com/live` deployed; `ws://127.0.0.1:{port}/live` locally.
    # Only the ticket route reads it.
    realtime_url: str = Field(default="", alias="REALTIME_URL")
    # The notifier's `@connections` endpoint (the stage's https URL) is not a setting: botocore reads the standard
    # `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI` itself, deployed and locally alike.
    read_url_ttl_seconds: int = Field(alias="READ_URL_TTL_SECONDS", ge=60, le=3600)
    read_url_window_seconds: int = Field(alias="READ_URL_WINDOW_SECONDS", ge=0, le=86400)


class RealtimeTicketSettings(RealtimeSettings):
    """The ticket route: the WebSocket URL it hands out is required."""

    realtime_url: str = Field(alias="REALTIME_URL", min_length=1)
    # How long a ticket stays valid: the contract's minute; only tests lower it (the local server passes it through).
    ticket_ttl_seconds: int = Field(
        default=REALTIME_TICKET_TTL_SECONDS, alias="REALTIME_TICKET_TTL_SECONDS", ge=1, le=REALTIME_TICKET_TTL_SECONDS
    )


class SharesSettings(ApiSettings):
    """The share functions (#15): where a link points; the public one presigns with the API's TTLs."""

    share_base_url: str = Field(default="", alias="SHARE_BASE_URL", max_length=512)
    # The public function's downloads strip metadata from originals: the decode limit uploads have.
    max_image_pixels: int = Field(alias="MAX_IMAGE_PIXELS", ge=1)


class DocsSettings(BaseModel):
    """The docs function needs no configuration."""

    model_config = ConfigDict(defer_build=True)


class ProblemSettings(BaseModel):
    """Any API function: `STRICT_PROBLEMS` (tests, the local server) turns an undeclared error into a 500."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    strict_problems: bool = Field(default=False, alias="STRICT_PROBLEMS")


def _with_defaults(environ: dict[str, str]) -> dict[str, str]:
    merged = dict(LIMIT_DEFAULTS)
    merged.update({key: value for key, value in environ.items() if value != "" or key not in LIMIT_DEFAULTS})
    return merged


def load_settings(model: type[SettingsT], environ: dict[str, str] | None = None) -> SettingsT:
    """Validate the environment (or `environ`) into `model`, with the contract's limit defaults."""
    source = dict(os.environ) if environ is None else environ
    return model.model_validate(_with_defaults(source))


@cache
def settings_for(model: type[SettingsT]) -> SettingsT:
    """The process-wide settings of one kind, read once on first use."""
    return load_settings(model)


__all__ = [
    "ApiSettings",
    "BaseSettings",
    "DocsSettings",
    "ImageSizeSettings",
    "IngestSettings",
    "IngestWorkerSettings",
    "MultipartSettings",
    "ProblemSettings",
    "PurgeSettings",
    "RealtimeSettings",
    "RealtimeTicketSettings",
    "SharesSettings",
    "ThumbnailSettings",
    "UploadSettings",
    "VideoSettings",
    "load_settings",
    "settings_for",
]
