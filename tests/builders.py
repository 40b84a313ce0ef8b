"""Builders every test tier shares: assets as the API makes them, a gallery and an ingest worker over fakes or moto."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.common.clock import Clock
from functions.common.cursor import CursorCodec
from functions.common.ids import new_ulid
from functions.common.models import Asset, AssetSource, AssetStatus, AssetType
from functions.gallery.logic import Gallery, patch_asset
from functions.gallery.models import PatchRequest
from functions.ingest.worker_logic import IngestWorker

if TYPE_CHECKING:
    from tests.fakes import FakeTime, ScriptedFetcher


def new_asset(
    *,
    created_at: datetime,
    owner: str = "alice",
    asset_id: str | None = None,
    status: AssetStatus = AssetStatus.READY,
    source: AssetSource = AssetSource.UPLOAD,
    asset_type: AssetType = AssetType.UPLOADED,
    updated_at: datetime | None = None,
    **fields: Any,
) -> Asset:
    """An uploaded, ready asset created (and, unless told, updated) at `created_at`; its id a ULID of that moment."""
    return Asset(
        owner=owner,
        id=asset_id or new_ulid(created_at),
        status=status,
        source=source,
        asset_type=asset_type,
        created_at=created_at,
        updated_at=updated_at or created_at,
        **fields,
    )


def new_gallery(
    repository: Any,
    store: Any,
    clock: Clock,
    *,
    cursor_key: bytes = b"c" * 32,
    read_ttl_seconds: int = 3600,
    download_ttl_seconds: int = 300,
    retention_days: int = 30,
) -> Gallery:
    """The gallery's collaborators: the records and objects given (moto-backed or in memory) and a clock."""
    return Gallery(
        repository=repository,
        store=store,
        clock=clock,
        cursors=CursorCodec(cursor_key),
        read_ttl_seconds=read_ttl_seconds,
        download_ttl_seconds=download_ttl_seconds,
        retention_days=retention_days,
    )


def make_assets(gallery: Gallery, owner: str, count: int, **fields: Any) -> list[Asset]:
    """`count` ready assets of `owner` in the gallery's records, each created at the next tick of its clock."""
    made = []
    for _ in range(count):
        asset = new_asset(owner=owner, created_at=gallery.clock(), **fields)
        gallery.repository.create(asset)
        made.append(asset)
    return made


def trash(gallery: Gallery, owner: str, assets: list[Asset]) -> None:
    """Move the assets to the trash through the API's own patch."""
    for asset in assets:
        patch_asset(owner=owner, asset_id=asset.id, request=PatchRequest(trashed=True), gallery=gallery)


def ingest_worker(repository: Any, store: Any, time_: FakeTime, fetcher: ScriptedFetcher) -> IngestWorker:
    """The ingest worker on the records and objects given, whose time and fetches are scripted."""
    return IngestWorker(
        repository=repository,
        store=store,
        clock=time_.clock,
        fetcher=fetcher,
        max_image_pixels=50_000_000,
        deadline_seconds=120,
        sleep=time_.sleep,
        monotonic=time_.monotonic,
    )
