"""Turns a stored asset into the API's view of it, with signed read URLs where the objects exist."""

from __future__ import annotations

from datetime import datetime

from functions.common.models import Asset, AssetOut, AssetStatus
from functions.common.storage import ObjectStore

STORED_STATUSES = frozenset({AssetStatus.PROCESSING, AssetStatus.READY})


def present(asset: Asset, *, store: ObjectStore, read_ttl_seconds: int, now: datetime) -> AssetOut:
    """The asset as JSON shows it: `url` once the original is stored, `thumbUrl` once the thumbnail is."""
    data = asset.model_dump(exclude={"owner", "deleting", "original_etag"})
    if asset.status in STORED_STATUSES:
        data["url"] = store.presign_get(key=asset.original_key, ttl_seconds=read_ttl_seconds, now=now).url
    if asset.status == AssetStatus.READY:
        data["thumb_url"] = store.presign_get(key=asset.thumb_key, ttl_seconds=read_ttl_seconds, now=now).url
    return AssetOut.model_validate(data)
