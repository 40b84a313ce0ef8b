"""Where an asset's objects live in the media bucket: the one format of each key, and its parse."""

from __future__ import annotations

from functions.common.identity import decode_owner, encode_owner
from functions.system import ORIGINALS_PREFIX, THUMBS_PREFIX


def original_key(owner: str, asset_id: str) -> str:
    return f"{ORIGINALS_PREFIX}{encode_owner(owner)}/{asset_id}"


def thumb_key(owner: str, asset_id: str) -> str:
    return f"{THUMBS_PREFIX}{encode_owner(owner)}/{asset_id}.webp"


def parse_original_key(key: str) -> tuple[str, str] | None:
    """`originals/{encoded owner}/{assetId}` → (owner, assetId), only for keys `original_key` writes; else None."""
    # `key` as stored: the URL-encoded key of an S3 event is `unquote_plus`ed first, then the owner decoded here.
    if not key.startswith(ORIGINALS_PREFIX):
        return None
    parts = key[len(ORIGINALS_PREFIX) :].split("/")
    if len(parts) != 2 or not parts[1]:
        return None
    owner = decode_owner(parts[0])
    return None if owner is None else (owner, parts[1])
