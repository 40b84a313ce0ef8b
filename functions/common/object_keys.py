"""Where an asset's objects live in the media bucket: the one format of each key, and its parse."""

from __future__ import annotations

import secrets

from functions.common.formats import AssetKind
from functions.common.identity import decode_owner, encode_owner
from functions.system import ORIGINALS_PREFIX, THUMBS_PREFIX, VIDEO_ORIGINALS_PREFIX

# 128 bits: a thumbnail's key can be neither guessed nor traced back to its owner or asset.
_THUMB_KEY_BYTES = 16


def originals_prefix(kind: AssetKind) -> str:
    return VIDEO_ORIGINALS_PREFIX if kind is AssetKind.VIDEO else ORIGINALS_PREFIX


def original_key(owner: str, asset_id: str, kind: AssetKind = AssetKind.IMAGE) -> str:
    """`originals/{encoded owner}/{assetId}` for an image, `videos/…` for a video."""
    return f"{originals_prefix(kind)}{encode_owner(owner)}/{asset_id}"


def new_thumb_key() -> str:
    """A fresh random thumbnail key, `thumbs/{random}.webp`: nothing in it comes from the owner or the asset."""
    return f"{THUMBS_PREFIX}{secrets.token_urlsafe(_THUMB_KEY_BYTES)}.webp"


def legacy_thumb_key(owner: str, asset_id: str) -> str:
    """Where thumbnails made before keys were random live (`Asset.thumb_key` unset): it holds the owner and the id."""
    return f"{THUMBS_PREFIX}{encode_owner(owner)}/{asset_id}.webp"


def parse_original_key(key: str, kind: AssetKind = AssetKind.IMAGE) -> tuple[str, str] | None:
    """`originals/{encoded owner}/{assetId}` (or `videos/…` for `kind` video) → (owner, assetId), only for keys
    `original_key` writes; else None."""
    # `key` as stored: the URL-encoded key of an S3 event is `unquote_plus`ed first, then the owner decoded here.
    prefix = originals_prefix(kind)
    if not key.startswith(prefix):
        return None
    parts = key[len(prefix) :].split("/")
    if len(parts) != 2 or not parts[1]:
        return None
    owner = decode_owner(parts[0])
    return None if owner is None else (owner, parts[1])
