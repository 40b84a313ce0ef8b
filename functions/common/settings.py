"""Each function's environment as one pydantic model; the only place that reads `os.environ`."""

from __future__ import annotations

import os
from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from functions.system import LIMIT_DEFAULTS

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class BaseSettings(BaseModel):
    """What every function needs: where the data lives."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    asset_table_name: str = Field(alias="ASSET_TABLE_NAME", min_length=1)
    media_bucket_name: str = Field(alias="MEDIA_BUCKET_NAME", min_length=1)
    trash_retention_days: int = Field(alias="TRASH_RETENTION_DAYS", ge=1, le=3650)


class ApiSettings(BaseSettings):
    """The API functions: cursors, presigning and upload limits."""

    cursor_secret: SecretStr = Field(alias="CURSOR_SECRET", min_length=16)
    asset_max_image_mb: int = Field(alias="ASSET_MAX_IMAGE_MB", ge=1, le=5000)
    read_url_ttl_seconds: int = Field(alias="READ_URL_TTL_SECONDS", ge=60, le=3600)
    upload_url_ttl_seconds: int = Field(alias="UPLOAD_URL_TTL_SECONDS", ge=30, le=300)
    download_url_ttl_seconds: int = Field(alias="DOWNLOAD_URL_TTL_SECONDS", ge=10, le=300)

    @property
    def max_image_bytes(self) -> int:
        return self.asset_max_image_mb * 1024 * 1024


class ThumbnailSettings(BaseSettings):
    """The thumbnail function: box size and the decode limit."""

    thumbnail_size: int = Field(alias="THUMBNAIL_SIZE", ge=16, le=2048)
    max_image_pixels: int = Field(alias="MAX_IMAGE_PIXELS", ge=1)
    asset_max_image_mb: int = Field(alias="ASSET_MAX_IMAGE_MB", ge=1, le=5000)


class PurgeSettings(BaseSettings):
    """The purge function."""


class DocsSettings(BaseModel):
    """The docs function needs no configuration."""


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
    "PurgeSettings",
    "ThumbnailSettings",
    "load_settings",
    "settings_for",
]
