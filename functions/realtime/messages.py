"""What the WebSocket API sends: one JSON message per change (the OpenAPI document lists them as components).

`version` is the DynamoDB stream's sequence number of the change, as a decimal string: the changes of one asset
reach the stream in order, so a client keeps per asset the largest it has seen (compared as integers, they exceed
2^53) and drops any event that is not larger, a repeat or a stale one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from functions.common.models import AssetOut, CamelModel

VERSION = Field(description="The change's stream sequence number (decimal); compare as integers, per asset")


class AssetChanged(CamelModel):
    """An asset was created, or something `GET /assets/{id}` shows of it changed: the asset as that route returns it."""

    type: Literal["asset.created", "asset.updated"]
    asset: AssetOut
    version: str = VERSION


class AssetDeleted(CamelModel):
    """An asset is gone for good (deleted by its owner, bulk, empty trash or the purge)."""

    type: Literal["asset.deleted"] = "asset.deleted"
    id: str
    version: str = VERSION


class AssetsChanged(CamelModel):
    """A burst of changes (or one too large for a message): the client refetches these, or its first page."""

    type: Literal["assets.changed"] = "assets.changed"
    ids: list[str]


RealtimeMessage = AssetChanged | AssetDeleted | AssetsChanged
MESSAGE_MODELS: tuple[type[CamelModel], ...] = (AssetChanged, AssetDeleted, AssetsChanged)
