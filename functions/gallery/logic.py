"""Gallery logic: listing, one asset, star/trash/restore, delete forever, bulk actions, download, empty trash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from functions.common.bucket_ports import GalleryStore
from functions.common.clock import Clock
from functions.common.cursor import CursorCodec
from functions.common.deletion import DeletionFailed, delete_forever
from functions.common.errors import (
    Conflict,
    DomainError,
    FolderNotFound,
    InvalidRequest,
    NotFailed,
    NotFound,
    NotReady,
)
from functions.common.formats import AssetKind
from functions.common.ids import is_ulid
from functions.common.models import STORED_STATUSES, Asset, AssetOut, AssetStatus, AssetType, View
from functions.common.ports import GalleryRecords, Quota, StoredAsset
from functions.common.presenter import original_url, present
from functions.common.quota import DEFAULT_QUOTA
from functions.common.retries import FinalConflict, retry_on_conflict
from functions.common.sweep import retrigger
from functions.gallery.models import (
    BulkAction,
    BulkRequest,
    BulkResponse,
    BulkResult,
    EmptyTrashResponse,
    GalleryPage,
    PatchRequest,
)


@dataclass(frozen=True)
class Gallery:
    """The collaborators every gallery operation needs."""

    repository: GalleryRecords
    store: GalleryStore
    clock: Clock
    cursors: CursorCodec
    read_ttl_seconds: int
    download_ttl_seconds: int
    retention_days: int
    quota: Quota = DEFAULT_QUOTA  # what GET /usage shows; the gallery creates nothing, so it enforces none

    def show(self, asset: Asset) -> AssetOut:
        return present(asset, by=self)


def list_gallery(
    *,
    owner: str,
    view: View,
    asset_type: AssetType | None,
    limit: int,
    cursor: str | None,
    gallery: Gallery,
    folder_id: str | None = None,
    kind: AssetKind | None = None,
) -> GalleryPage:
    """One page of the caller's view (or of the view inside one folder, or of one kind), newest first (trash: most
    recently trashed first). An unknown folder, another user's included, lists nothing: it costs no read to tell."""
    if kind is not None and (asset_type is not None or folder_id is not None):
        # Each combination would be more indexes (every one costs a write per item): the kind filter stands alone.
        raise InvalidRequest("kind: not combined with assetType or folderId")
    query = f"{view.value}|{asset_type.value if asset_type else ''}" + (f"|{folder_id}" if folder_id else "")
    query += f"|k:{kind.value}" if kind else ""
    start = gallery.cursors.decode(cursor, owner=owner, query=query) if cursor else None
    if folder_id is not None and not is_ulid(folder_id):
        return GalleryPage(items=[], next_cursor=None)
    if folder_id is not None:
        page = gallery.repository.folder_page(owner, folder_id, view, asset_type, limit, start)
    elif kind is not None:
        page = gallery.repository.page(owner, view, None, limit, start, kind=kind)
    else:
        page = gallery.repository.page(owner, view, asset_type, limit, start)
    next_cursor = (
        gallery.cursors.encode(owner=owner, query=query, position=page.next_position) if page.next_position else None
    )
    return GalleryPage(items=[gallery.show(asset) for asset in page.items], next_cursor=next_cursor)


def get_asset(*, owner: str, asset_id: str, gallery: Gallery) -> AssetOut:
    return gallery.show(gallery.repository.get(owner, asset_id).asset)


def _changed(stored: StoredAsset, request: PatchRequest, gallery: Gallery) -> Asset:
    asset = stored.asset
    now = gallery.clock()
    update: dict[str, Any] = {}
    if request.starred is not None:
        update["starred"] = request.starred
    if request.prompt is not None:
        update["prompt"] = request.prompt
    if request.asset_type is not None:
        update["asset_type"] = request.asset_type
    if "folder_id" in request.model_fields_set and request.folder_id != asset.folder_id:
        if request.folder_id is not None and not is_ulid(request.folder_id):
            raise FolderNotFound("No such folder.")
        if asset.deleting:
            raise Conflict("The asset is being deleted.")
        update["folder_id"] = request.folder_id
    if request.trashed is True and not asset.in_trash:
        update["trashed_at"] = now
        update["purge_at"] = now + timedelta(days=gallery.retention_days)
    elif request.trashed is False and asset.in_trash:
        if asset.deleting:
            raise Conflict("The asset is being deleted and can no longer be restored.")
        update["trashed_at"] = None
        update["purge_at"] = None
    if not update:
        return asset
    update["updated_at"] = now
    return asset.model_copy(update=update)


def _apply(stored: StoredAsset, request: PatchRequest, gallery: Gallery) -> StoredAsset:
    changed = _changed(stored, request, gallery)
    if changed == stored.asset:
        return stored
    return gallery.repository.replace(stored, changed)


def patch_asset(*, owner: str, asset_id: str, request: PatchRequest, gallery: Gallery) -> AssetOut:
    """Star, unstar, trash, restore or edit; retried once when a concurrent write got there first."""
    if request.model_fields_set == set():
        raise InvalidRequest("Give at least one of starred, trashed, prompt, assetType, folderId.")

    def attempt() -> AssetOut:
        stored = gallery.repository.get(owner, asset_id)
        try:
            return gallery.show(_apply(stored, request, gallery).asset)
        except Conflict as conflict:
            if stored.asset.deleting:  # it stays so: reading it again changes nothing
                raise FinalConflict(conflict) from conflict
            raise

    return retry_on_conflict(attempt, attempts=2)


def delete_asset(*, owner: str, asset_id: str, gallery: Gallery) -> None:
    """Delete forever: only from the trash (else `not_in_trash`)."""
    stored = gallery.repository.get(owner, asset_id)
    delete_forever(stored, repository=gallery.repository, store=gallery.store, now=gallery.clock())


_BULK_PATCH = {
    BulkAction.STAR: PatchRequest(starred=True),
    BulkAction.UNSTAR: PatchRequest(starred=False),
    BulkAction.TRASH: PatchRequest(trashed=True),
    BulkAction.RESTORE: PatchRequest(trashed=False),
}


def bulk_action(*, owner: str, request: BulkRequest, gallery: Gallery) -> BulkResponse:
    """Apply one action to many ids; each id gets its own outcome and one failure never stops the others."""
    patches = _BULK_PATCH | {BulkAction.MOVE: _move_patch(owner, request, gallery)}
    # An id that is not a ULID can never exist: it is `not_found` without becoming a DynamoDB key.
    found = gallery.repository.batch_get(owner, [asset_id for asset_id in request.ids if is_ulid(asset_id)])
    results: list[BulkResult] = []
    for asset_id in request.ids:
        stored = found.get(asset_id)
        if stored is None:
            results.append(BulkResult(id=asset_id, result="not_found"))
            continue
        try:
            if request.action == BulkAction.DELETE:
                delete_forever(stored, repository=gallery.repository, store=gallery.store, now=gallery.clock())
                found.pop(asset_id)
                results.append(BulkResult(id=asset_id, result="ok"))
            else:
                updated = _apply(stored, patches[request.action], gallery)
                found[asset_id] = updated
                results.append(BulkResult(id=asset_id, result="ok", asset=gallery.show(updated.asset)))
        except NotFound:
            results.append(BulkResult(id=asset_id, result="not_found"))
        except (DomainError, DeletionFailed):
            # A deletion S3 or DynamoDB refused stays claimed and unrestorable; retrying the action finishes it.
            results.append(BulkResult(id=asset_id, result="conflict"))
    return BulkResponse(results=results)


def _move_patch(owner: str, request: BulkRequest, gallery: Gallery) -> PatchRequest:
    """What `move` changes; `folderId` is required with it and refused with any other action."""
    given = "folder_id" in request.model_fields_set
    if given != (request.action == BulkAction.MOVE):
        raise InvalidRequest("folderId goes with the action move, and only with it.")
    if request.action == BulkAction.MOVE and request.folder_id is not None:
        if not is_ulid(request.folder_id):
            raise FolderNotFound("No such folder.")
        gallery.repository.get_folder(owner, request.folder_id)
    return PatchRequest(folder_id=request.folder_id)


def download_url(*, owner: str, asset_id: str, gallery: Gallery) -> str:
    """A short-lived URL that downloads the original as an attachment named after the asset."""
    asset = gallery.repository.get(owner, asset_id).asset
    if asset.status not in STORED_STATUSES:
        raise NotReady("The original is not stored yet.")
    name = asset.filename or asset.id
    ttl, now = gallery.download_ttl_seconds, gallery.clock()
    return original_url(asset, store=gallery.store, ttl_seconds=ttl, now=now, download_name=name).url


def empty_trash(*, owner: str, gallery: Gallery) -> EmptyTrashResponse:
    """Delete forever everything in the caller's trash now."""
    deleted = 0
    for asset in list(gallery.repository.all_trash(owner)):
        try:
            stored = gallery.repository.get(owner, asset.id)
            delete_forever(stored, repository=gallery.repository, store=gallery.store, now=gallery.clock())
            deleted += 1
        except (NotFound, Conflict, DeletionFailed):
            continue  # one item failing never stops the others; it stays in the trash for the next try
    return EmptyTrashResponse(deleted=deleted)


def reprocess_asset(*, owner: str, asset_id: str, gallery: Gallery) -> AssetOut:
    """Re-run the thumbnail of a `failed` asset: it goes back to `processing` and S3 announces its original again.

    `processing` (not `pending`): the original is stored, and `pending` assets are what the abandoned-upload purge
    removes. The status is written before the re-trigger so the pipeline never sees the asset still `failed`.
    """
    stored = gallery.repository.get(owner, asset_id)
    if stored.asset.status != AssetStatus.FAILED or stored.asset.deleting:
        raise NotFailed(f"The asset is {stored.asset.status.value}; only failed assets can be reprocessed.")
    if not gallery.store.exists(stored.asset.original_key):  # a listing: HeadObject of a missing key is a 403
        raise NotReady("The asset has no stored original to reprocess.")
    update = {"status": AssetStatus.PROCESSING, "error": None, "updated_at": gallery.clock()}
    processing = gallery.repository.replace(stored, stored.asset.model_copy(update=update))
    try:
        announced = retrigger(processing.asset, store=gallery.store)
    except Exception:
        gallery.repository.replace(processing, stored.asset)  # put it back as it was, so a retry is allowed
        raise
    if not announced:
        gallery.repository.replace(processing, stored.asset)
        raise NotReady("The asset has no stored original to reprocess.")
    return gallery.show(processing.asset)
