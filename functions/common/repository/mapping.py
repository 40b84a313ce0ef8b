"""Assets to items and back, with every key format the indexes use (see `schema`)."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from typing import Any

from pynamodb.models import Model

from functions.common.clock import epoch_ms
from functions.common.formats import AssetKind
from functions.common.identity import owner_key
from functions.common.models import Asset, AssetError, AssetSource, AssetStatus, AssetType, Placeholder, View
from functions.common.ports import StoredAsset
from functions.system import PURGE_SHARDS

_DOC_FIELDS = (
    "mime",
    "size",
    "width",
    "height",
    "filename",
    "prompt",
    "model",
    "params",
    "source_url",
    "purge_at",
    "placeholder",
    "error",
    "deleting",
    "original_etag",
    "original_version_id",
    "retriggers",
    "stored_bytes",
    "thumb_key",
    "preview_key",
    # Videos (#16): what the video function read from the container.
    "duration_ms",
    "video_codec",
    "has_audio",
    "playable",
    # Multipart uploads (#16): S3's upload id and the declared part layout (never shown).
    "upload_id",
    "part_size",
    "part_count",
)


def shard(asset_id: str) -> int:
    return zlib.crc32(asset_id.encode()) % PURGE_SHARDS


def view_partition(owner: str, view: View, asset_type: AssetType | None = None) -> str:
    """The partition of a view's index: `{owner}#{view}`, or `{owner}#{view}#{type}` on the per-type index."""
    return owner_key(owner, view.value, *([asset_type.value] if asset_type else []))


def kind_partition(owner: str, view: View, kind: AssetKind) -> str:
    """The partition of a view's per-kind index: `{owner}#{view}#k#{kind}`."""
    return owner_key(owner, view.value, "k", kind.value)


def trash_partition(shard_number: int) -> str:
    return f"trash#{shard_number}"


def unfinished_partition(status: AssetStatus, shard_number: int) -> str:
    """`pending#{shard}` or `processing#{shard}` on `by_pending`."""
    return f"{status.value}#{shard_number}"


def sha256_partition(owner: str, sha256: str) -> str:
    return owner_key(owner, sha256)


def folder_partition(owner: str, folder_id: str, view: View | str, asset_type: AssetType | None = None) -> str:
    """The partition of a view inside a folder: `{owner}#f#{folder}#{view}` (+ `#{type}`); `cover` for the cover."""
    name = view.value if isinstance(view, View) else view
    return owner_key(owner, "f", folder_id, name, *([asset_type.value] if asset_type else []))


def _folder_keys(asset: Asset, view: View, starred_visible: bool) -> dict[str, str | None]:
    """The sparse folder indexes' partitions: none for an asset in no folder."""
    folder, owner = asset.folder_id, asset.owner
    if folder is None:
        return dict.fromkeys(("folder_pk", "folder_type_pk", "folder_starred_pk", "folder_starred_type_pk"))
    return {
        "folder_pk": folder_partition(owner, folder, view),
        "folder_type_pk": folder_partition(owner, folder, view, asset.asset_type),
        "folder_starred_pk": folder_partition(owner, folder, View.STARRED) if starred_visible else None,
        "folder_starred_type_pk": (
            folder_partition(owner, folder, View.STARRED, asset.asset_type) if starred_visible else None
        ),
    }


def to_attributes(asset: Asset) -> dict[str, Any]:
    """The item's attributes: the queried fields, each index's keys (absent from the sparse ones), the rest as JSON."""
    dumped = asset.model_dump(mode="json")
    # 0 re-triggers is left out like an empty value: most items never have any.
    doc = {
        name: dumped[name]
        for name in _DOC_FIELDS
        if dumped.get(name) not in (None, {}, []) and (name != "retriggers" or dumped[name])
    }
    view = View.TRASH if asset.in_trash else View.ALL
    view_sk = f"{epoch_ms(asset.trashed_at):015d}#{asset.id}" if asset.trashed_at else asset.id
    starred_visible = asset.starred and not asset.in_trash
    unfinished = asset.status in (AssetStatus.PENDING, AssetStatus.PROCESSING)
    unfinished_since = asset.created_at if asset.status == AssetStatus.PENDING else asset.updated_at
    return {
        "owner": asset.owner,
        "asset_id": asset.id,
        "status": asset.status.value,
        "source": asset.source.value,
        "asset_type": asset.asset_type.value,
        "kind": asset.kind.value,
        "doc": json.dumps(doc, separators=(",", ":")),
        "starred": asset.starred,
        "created_at": dumped["created_at"],
        "updated_at": dumped["updated_at"],
        "trashed_at": dumped["trashed_at"],
        "sha256": asset.sha256,
        "source_asset_ids": list(asset.source_asset_ids) or None,
        "view_pk": view_partition(asset.owner, view),
        "view_sk": view_sk,
        "view_type_pk": view_partition(asset.owner, view, asset.asset_type),
        "starred_pk": view_partition(asset.owner, View.STARRED) if starred_visible else None,
        "starred_type_pk": view_partition(asset.owner, View.STARRED, asset.asset_type) if starred_visible else None,
        "view_kind_pk": kind_partition(asset.owner, view, asset.kind),
        "starred_kind_pk": kind_partition(asset.owner, View.STARRED, asset.kind) if starred_visible else None,
        "trash_pk": trash_partition(shard(asset.id)) if asset.trashed_at else None,
        "trash_ms": epoch_ms(asset.trashed_at) if asset.trashed_at else None,
        "pending_pk": unfinished_partition(asset.status, shard(asset.id)) if unfinished else None,
        "pending_ms": epoch_ms(unfinished_since) if unfinished else None,
        "sha256_pk": sha256_partition(asset.owner, asset.sha256) if asset.sha256 else None,
        "deleting_ms": 0 if asset.deleting else None,
        "folder_id": asset.folder_id,
        **_folder_keys(asset, view, starred_visible),
        "folder_cover_pk": (
            folder_partition(asset.owner, asset.folder_id, "cover")
            if asset.folder_id and asset.status == AssetStatus.READY and not asset.in_trash
            else None
        ),
    }


def _from_iso(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _from_optional_iso(value: str | None) -> datetime | None:
    return None if value is None else _from_iso(value)


def to_asset(record: Model) -> StoredAsset:
    """The asset an item holds, with the version it was read at."""
    doc = json.loads(record.doc)
    asset = Asset(
        owner=record.owner,
        id=record.asset_id,
        status=AssetStatus(record.status),
        source=AssetSource(record.source),
        asset_type=AssetType(record.asset_type),
        kind=AssetKind(record.kind or AssetKind.IMAGE),
        mime=doc.get("mime"),
        size=doc.get("size"),
        width=doc.get("width"),
        height=doc.get("height"),
        sha256=record.sha256,
        filename=doc.get("filename"),
        prompt=doc.get("prompt"),
        model=doc.get("model"),
        params=doc.get("params") or {},
        source_asset_ids=list(record.source_asset_ids or []),
        source_url=doc.get("source_url"),
        starred=bool(record.starred),
        folder_id=record.folder_id,
        created_at=_from_iso(record.created_at),
        updated_at=_from_iso(record.updated_at),
        trashed_at=_from_optional_iso(record.trashed_at),
        purge_at=_from_optional_iso(doc.get("purge_at")),
        placeholder=Placeholder.model_validate(doc["placeholder"]) if doc.get("placeholder") else None,
        error=AssetError.model_validate(doc["error"]) if doc.get("error") else None,
        deleting=bool(doc.get("deleting", False)) or record.deleting_ms is not None,
        original_etag=doc.get("original_etag"),
        original_version_id=doc.get("original_version_id"),
        retriggers=doc.get("retriggers", 0),
        stored_bytes=doc.get("stored_bytes", 0),
        thumb_key=doc.get("thumb_key"),
        preview_key=doc.get("preview_key"),
        duration_ms=doc.get("duration_ms"),
        video_codec=doc.get("video_codec"),
        has_audio=doc.get("has_audio"),
        playable=doc.get("playable"),
        upload_id=doc.get("upload_id"),
        part_size=doc.get("part_size"),
        part_count=doc.get("part_count"),
    )
    return StoredAsset(asset=asset, version=int(record.version or 0))
