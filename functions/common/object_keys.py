"""Where an asset's objects live in the media bucket: the one format of each key, and its parse."""

from __future__ import annotations

from functions.system import ORIGINALS_PREFIX, THUMBS_PREFIX


def original_key(owner: str, asset_id: str) -> str:
    return f"{ORIGINALS_PREFIX}{owner}/{asset_id}"


def thumb_key(owner: str, asset_id: str) -> str:
    return f"{THUMBS_PREFIX}{owner}/{asset_id}.webp"


def parse_original_key(key: str) -> tuple[str, str] | None:
    """`originals/{owner}/{assetId}` → (owner, assetId); anything else → None."""
    if not key.startswith(ORIGINALS_PREFIX):
        return None
    parts = key[len(ORIGINALS_PREFIX) :].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]
