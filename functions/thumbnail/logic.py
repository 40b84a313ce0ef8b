"""Thumbnail logic: one original in, its WebP thumbnail and recorded facts out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from functions.common.clock import Clock
from functions.common.errors import Conflict, NotFound
from functions.common.images import ImageRejected
from functions.common.models import AssetError, AssetStatus
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.system import ORIGINALS_PREFIX
from functions.thumbnail.imaging import make_thumbnail


@dataclass(frozen=True)
class Thumbnailer:
    repository: AssetRepository
    store: ObjectStore
    clock: Clock
    box: int
    max_pixels: int
    max_bytes: int


def parse_original_key(key: str) -> tuple[str, str] | None:
    """`originals/{owner}/{assetId}` → (owner, assetId); anything else → None."""
    if not key.startswith(ORIGINALS_PREFIX):
        return None
    parts = key[len(ORIGINALS_PREFIX) :].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def process_original(key: str, *, thumbnailer: Thumbnailer) -> str:
    """Make the thumbnail of one original and mark its asset ready (or failed); returns what happened."""
    parsed = parse_original_key(key)
    if parsed is None:
        return "ignored"
    owner, asset_id = parsed
    try:
        stored = thumbnailer.repository.get(owner, asset_id)
    except NotFound:
        thumbnailer.store.delete_many([key])
        return "orphan_removed"
    if stored.asset.status not in (AssetStatus.PENDING, AssetStatus.PROCESSING):
        return "skipped"
    head = thumbnailer.store.head(key)
    if head is None:
        return "missing"
    now = thumbnailer.clock()
    if int(head.get("ContentLength", 0)) > thumbnailer.max_bytes:
        failed = stored.asset.model_copy(
            update={
                "status": AssetStatus.FAILED,
                "updated_at": now,
                "error": AssetError(code="image_too_large", message="The file is larger than allowed."),
            }
        )
        thumbnailer.repository.replace(stored, failed)
        return "failed"
    data = thumbnailer.store.read(key)
    try:
        thumb = make_thumbnail(data, box=thumbnailer.box, max_pixels=thumbnailer.max_pixels)
    except ImageRejected as rejected:
        failed = stored.asset.model_copy(
            update={
                "status": AssetStatus.FAILED,
                "updated_at": now,
                "error": AssetError(code=rejected.code, message=rejected.message),
            }
        )
        try:
            thumbnailer.repository.replace(stored, failed)
        except Conflict:
            return "skipped"
        return "failed"
    thumbnailer.store.write(stored.asset.thumb_key, thumb.webp, "image/webp")
    ready = stored.asset.model_copy(
        update={
            "status": AssetStatus.READY,
            "updated_at": now,
            "width": thumb.width,
            "height": thumb.height,
            "mime": thumb.mime,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "error": None,
        }
    )
    try:
        thumbnailer.repository.replace(stored, ready)
    except Conflict:
        return "skipped"
    return "ready"
