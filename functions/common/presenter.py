"""Turns a stored asset into the API's view of it, with signed read URLs where the objects exist."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from functions.common.bucket_ports import ReadSigner
from functions.common.clock import Clock
from functions.common.models import STORED_STATUSES, Asset, AssetOut, AssetStatus
from functions.common.objects import PresignedGet


class Presents(Protocol):
    """What showing an asset needs: every API function's collaborators have it."""

    @property
    def store(self) -> ReadSigner: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def read_ttl_seconds(self) -> int: ...


def original_url(
    asset: Asset, *, store: ReadSigner, ttl_seconds: int, now: datetime, download_name: str | None = None
) -> PresignedGet:
    """The original's URL, pinned to the version the record describes (none recorded: a short-lived cache entry)."""
    return store.presign_get(
        key=asset.original_key,
        ttl_seconds=ttl_seconds,
        now=now,
        download_name=download_name,
        version_id=asset.original_version_id,
    )


def thumb_url(asset: Asset, *, store: ReadSigner, ttl_seconds: int, now: datetime) -> PresignedGet:
    """The thumbnail's (or poster's) URL: immutable at its random key; an older owner/id key is not."""
    return store.presign_get(
        key=asset.thumb_object_key, ttl_seconds=ttl_seconds, now=now, immutable=asset.thumb_key is not None
    )


def present(asset: Asset, *, by: Presents, duplicate: bool = False) -> AssetOut:
    """The asset as JSON shows it, as of `by`'s clock: `url` once the original is stored, `thumbUrl` once the thumbnail.

    `duplicate` marks an asset returned for bytes its owner already had.
    """
    store, ttl, now = by.store, by.read_ttl_seconds, by.clock()
    internal = {"owner", "deleting", "original_etag", "original_version_id", "retriggers", "stored_bytes", "thumb_key"}
    internal |= {"upload_id", "part_size", "part_count"}  # a multipart upload's bookkeeping (#16)
    internal |= {"preview_key"}  # #17: shown as `previewUrl`
    data = asset.model_dump(exclude=internal)
    if asset.status in STORED_STATUSES:
        data["url"] = original_url(asset, store=store, ttl_seconds=ttl, now=now).url
    if asset.status == AssetStatus.READY:
        data["thumb_url"] = thumb_url(asset, store=store, ttl_seconds=ttl, now=now).url
        if asset.preview_key is not None:
            data["preview_url"] = store.presign_get(key=asset.preview_key, ttl_seconds=ttl, now=now, immutable=True).url
    if duplicate:
        data["duplicate"] = True
    return AssetOut.model_validate(data)
