"""Turns a stored asset into the API's view of it, with signed read URLs where the objects exist."""

from __future__ import annotations

from typing import Protocol

from functions.common.clock import Clock
from functions.common.models import STORED_STATUSES, Asset, AssetOut, AssetStatus
from functions.common.ports import ReadSigner


class Presents(Protocol):
    """What showing an asset needs: every API function's collaborators have it."""

    @property
    def store(self) -> ReadSigner: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def read_ttl_seconds(self) -> int: ...


def present(asset: Asset, *, by: Presents, duplicate: bool = False) -> AssetOut:
    """The asset as JSON shows it, as of `by`'s clock: `url` once the original is stored, `thumbUrl` once the thumbnail.

    `duplicate` marks an asset returned for bytes its owner already had.
    """
    store, ttl, now = by.store, by.read_ttl_seconds, by.clock()
    internal = {"owner", "deleting", "original_etag", "retriggers", "stored_bytes", "thumb_key"}
    internal |= {"upload_id", "part_size", "part_count"}  # a multipart upload's bookkeeping (#16)
    data = asset.model_dump(exclude=internal)
    if asset.status in STORED_STATUSES:
        data["url"] = store.presign_get(key=asset.original_key, ttl_seconds=ttl, now=now).url
    if asset.status == AssetStatus.READY:
        data["thumb_url"] = store.presign_get(key=asset.thumb_object_key, ttl_seconds=ttl, now=now).url
    if duplicate:
        data["duplicate"] = True
    return AssetOut.model_validate(data)
