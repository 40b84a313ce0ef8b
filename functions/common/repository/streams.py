"""The asset table's stream images (DynamoDB JSON) as domain assets, through the same mapping as every read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.common.ids import is_ulid
from functions.common.models import Asset
from functions.common.repository.mapping import to_asset
from functions.common.repository.model import asset_model
from functions.common.repository.schema import ASSET_TABLE

# Deserializing an image needs the model's attributes, not its table: any name builds the same model.
_IMAGE_MODEL = "stream-image"


def asset_id_of(keys: Mapping[str, Any] | None) -> str | None:
    """The asset id of a stream record's keys (or image); None for an item that is no asset (an owner's counters)."""
    sort = ASSET_TABLE.key.sort
    value = (keys or {}).get(sort.name if sort else "", {})
    asset_id = value.get("S") if isinstance(value, Mapping) else None
    return asset_id if isinstance(asset_id, str) and is_ulid(asset_id) else None


def asset_from_image(image: Mapping[str, Any] | None) -> Asset | None:
    """The asset a stream image (`NewImage`/`OldImage`, DynamoDB JSON) holds; None without one or for a non-asset."""
    if not image or asset_id_of(image) is None:
        return None
    return to_asset(asset_model(_IMAGE_MODEL).from_raw_data(dict(image))).asset
