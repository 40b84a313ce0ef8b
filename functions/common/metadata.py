"""The optional metadata a client attaches to a new asset, shared by signed, direct and ingested uploads."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from functions.common.models import AssetType, CamelModel
from functions.system import MAX_BULK_IDS


class AssetMetadata(CamelModel):
    """The optional metadata a client may attach to a new asset."""

    filename: str | None = Field(default=None, max_length=255)
    prompt: str | None = Field(default=None, max_length=10_000)
    model: str | None = Field(default=None, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)
    asset_type: AssetType = AssetType.UPLOADED
    source_asset_ids: list[str] = Field(default_factory=list, max_length=MAX_BULK_IDS)
