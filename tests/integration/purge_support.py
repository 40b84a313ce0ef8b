"""Builders shared by the purge and deletion tests: assets with their objects, a gallery, purge settings."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from functions.common.clock import fixed_clock
from functions.common.deletion import object_keys
from functions.common.ids import new_ulid
from functions.common.models import Asset, AssetStatus
from functions.common.repository import AssetRepository, StoredAsset
from functions.common.repository.tooling import every_asset
from functions.common.settings import PurgeSettings, load_settings
from functions.common.storage import ObjectStore
from functions.gallery.logic import Gallery
from tests import builders
from tests.conftest import BUCKET, TABLE

RETENTION_DAYS = 30
_counter = itertools.count()


def purge_settings(**environ: str) -> PurgeSettings:
    return load_settings(
        PurgeSettings,
        {
            "ASSET_TABLE_NAME": TABLE,
            "MEDIA_BUCKET_NAME": BUCKET,
            "TRASH_RETENTION_DAYS": str(RETENTION_DAYS),
            **environ,
        },
    )


def unlimited_time() -> int:
    return 900_000


def new_asset(
    *,
    created_at: datetime,
    trashed_at: datetime | None = None,
    status: AssetStatus = AssetStatus.READY,
    owner: str = "alice",
) -> Asset:
    """An asset with a unique, sortable id; `purgeAt` is set when it is trashed, as the gallery does."""
    return builders.new_asset(
        owner=owner,
        asset_id=f"0{next(_counter):025d}",  # ULID-shaped (the API refuses any other id) and in creation order
        status=status,
        mime="image/png",
        created_at=created_at,
        updated_at=trashed_at,
        trashed_at=trashed_at,
        purge_at=trashed_at + timedelta(days=RETENTION_DAYS) if trashed_at else None,
    )


def api_asset(*, created_at: datetime, **fields: Any) -> Asset:
    """`new_asset`, with a real ULID as the API makes them (for paths that check ids)."""
    return new_asset(created_at=created_at, **fields).model_copy(update={"id": new_ulid(created_at)})


def store_asset(repository: AssetRepository, store: ObjectStore, asset: Asset, *, objects: bool = True) -> StoredAsset:
    """Create the record and (unless told otherwise) the original and thumbnail objects."""
    stored = repository.create(asset)
    if objects:
        for key in object_keys(asset):
            store.write(key, b"bytes", "image/png")
    return stored


def bucket_keys(s3_client: Any) -> set[str]:
    keys: set[str] = set()
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


def record_ids(repository: AssetRepository) -> set[str]:
    return {asset.id for asset in every_asset(repository)}


def gallery_at(repository: AssetRepository, store: ObjectStore, now: datetime) -> Gallery:
    return builders.new_gallery(
        repository,
        store,
        fixed_clock(now),
        cursor_key=b"0123456789abcdef0123",
        read_ttl_seconds=600,
        download_ttl_seconds=60,
        retention_days=RETENTION_DAYS,
    )
