"""The owner's share links: create (the token shown once), list, change, revoke, rotate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Protocol

from pydantic import Field, StrictBool, StrictInt, model_validator

from functions.common.bucket_ports import ObjectDeleter
from functions.common.clock import Clock
from functions.common.errors import FolderNotFound, InvalidRequest, NotFound
from functions.common.ids import is_ulid, new_ulid
from functions.common.models import CamelModel, Folder, UtcDatetime
from functions.common.ports import StoredAsset
from functions.common.sharing import (
    ShareLink,
    ShareRecord,
    ShareStore,
    hash_password,
    new_secret,
    new_token,
    token_digest,
)
from functions.system import MAX_SHARE_ASSETS

Title = Annotated[str, Field(min_length=1, max_length=200)]
Password = Annotated[str, Field(min_length=1, max_length=200)]
MaxViews = Annotated[StrictInt, Field(ge=1, le=1_000_000)]
AssetId = Annotated[str, Field(min_length=26, max_length=26)]


class ShareOptions(CamelModel):
    """What a share lets its visitors see (and for how long)."""

    title: Title | None = None
    expires_at: UtcDatetime | None = None
    password: Password | None = None
    # Strict: `0`, `"false"` or `"yes"` are no booleans (pydantic would take them as one).
    allow_download: StrictBool = False
    show_metadata: StrictBool = False
    max_views: MaxViews | None = None


class ShareIn(ShareOptions):
    """A folder (`folderId`) or a selection (`assetIds`, 1 to 500 of the caller's assets): exactly one of the two."""

    folder_id: AssetId | None = None
    asset_ids: Annotated[list[AssetId], Field(min_length=1, max_length=MAX_SHARE_ASSETS)] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ShareIn:
        if (self.folder_id is None) == (self.asset_ids is None):
            raise ValueError("Give exactly one of folderId and assetIds.")
        return self


class SharePatch(ShareOptions):
    """Any option; a field sent as null clears it (`password: null` removes the password), one left out is kept."""

    allow_download: StrictBool | None = None  # type: ignore[assignment]
    show_metadata: StrictBool | None = None  # type: ignore[assignment]


class ShareOut(CamelModel):
    """A share as its owner sees it: never its token (shown once) nor anything of its password."""

    id: str
    title: str | None
    folder_id: str | None
    asset_count: int | None
    expires_at: UtcDatetime | None
    has_password: bool
    allow_download: bool
    show_metadata: bool
    max_views: int | None
    views: int
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ShareCreated(CamelModel):
    """The share with its link: `token` and `url` are shown this once."""

    share: ShareOut
    token: str
    url: str


class ShareList(CamelModel):
    items: list[ShareOut]


class OwnedAssets(Protocol):
    """What checking a share's target needs: the caller's assets and folders."""

    def batch_get(self, owner: str, asset_ids: Iterable[str]) -> dict[str, StoredAsset]: ...
    def get_folder(self, owner: str, folder_id: str) -> Folder: ...


@dataclass(frozen=True)
class Shares:
    """The share routes' collaborators."""

    shares: ShareStore
    assets: OwnedAssets
    store: ObjectDeleter
    clock: Clock
    base_url: str = ""


def share_out(share: ShareRecord) -> ShareOut:
    return ShareOut(
        id=share.id,
        title=share.title,
        folder_id=share.folder_id,
        asset_count=None if share.folder_id else len(share.asset_ids),
        expires_at=share.expires_at,
        has_password=share.password_hash is not None,
        allow_download=share.allow_download,
        show_metadata=share.show_metadata,
        max_views=share.max_views,
        views=share.views,
        created_at=share.created_at,
        updated_at=share.updated_at,
    )


def _created(share: ShareRecord, token: str, shares: Shares) -> ShareCreated:
    return ShareCreated(share=share_out(share), token=token, url=f"{shares.base_url.rstrip('/')}/g/{token}")


def _future(moment: datetime | None, now: datetime) -> datetime | None:
    if moment is not None and moment <= now:
        raise InvalidRequest("expiresAt must be in the future.", errors=[{"field": "expiresAt", "message": "past"}])
    return moment


def create_share(*, owner: str, request: ShareIn, shares: Shares) -> ShareCreated:
    """A new share of the caller's folder or assets; 404 for a folder or an asset that is not the caller's."""
    now = shares.clock()
    expires_at = _future(request.expires_at, now)
    asset_ids: list[str] = []
    if request.folder_id is not None:
        if not is_ulid(request.folder_id):
            raise FolderNotFound("No such folder.")
        shares.assets.get_folder(owner, request.folder_id)
    else:
        asset_ids = list(dict.fromkeys(request.asset_ids or ()))
        found = shares.assets.batch_get(owner, [item for item in asset_ids if is_ulid(item)])
        if len(found) != len(asset_ids):
            raise NotFound("Some of these assets are not yours, or do not exist.")
    token = new_token()
    share = ShareRecord(
        id=new_ulid(now),
        owner=owner,
        token_hash=token_digest(token),
        secret=new_secret(),
        title=request.title,
        folder_id=request.folder_id,
        asset_ids=asset_ids,
        expires_at=expires_at,
        password_hash=hash_password(request.password) if request.password is not None else None,
        allow_download=request.allow_download,
        show_metadata=request.show_metadata,
        max_views=request.max_views,
        created_at=now,
        updated_at=now,
    )
    shares.shares.create_share(share)
    return _created(share, token, shares)


def list_shares(*, owner: str, shares: Shares) -> ShareList:
    return ShareList(items=[share_out(share) for share in shares.shares.shares_of(owner)])


def owned_share(owner: str, share_id: str, shares: Shares) -> ShareRecord:
    """The caller's share; another user's is as unknown as one that never was."""
    share = shares.shares.get_share(share_id) if is_ulid(share_id) else None
    if share is None or share.owner != owner:
        raise NotFound("No such share.")
    return share


def patch_share(*, owner: str, share_id: str, request: SharePatch, shares: Shares) -> ShareOut:
    share = owned_share(owner, share_id, shares)
    now = shares.clock()
    changes: dict[str, object] = {"updated_at": now}
    for field in request.model_fields_set:
        value = getattr(request, field)
        if field == "password":
            changes["password_hash"] = None if value is None else hash_password(value)
        elif field in ("allow_download", "show_metadata"):
            if value is not None:
                changes[field] = value
        else:
            changes[field] = _future(value, now) if field == "expires_at" else value
    updated = share.model_copy(update=changes)
    shares.shares.update_share(share, updated)
    return share_out(updated)


def revoke_share(*, owner: str, share_id: str, shares: Shares) -> None:
    """The link dies at once; its download copies are deleted (every version)."""
    share = owned_share(owner, share_id, shares)
    for remembered in shares.shares.delete_share(share):
        key = remembered.partition("#")[0]  # a copy is remembered as `{key}#{extension}`
        shares.store.delete_batch(shares.store.versions(key))


def rotate_share(*, owner: str, share_id: str, shares: Shares) -> ShareCreated:
    """A new link for the same share; the old one, and every access token unlocked through it, die at once."""
    share = owned_share(owner, share_id, shares)
    token = new_token()
    rotated = share.model_copy(update={"token_hash": token_digest(token), "updated_at": shares.clock()})
    shares.shares.rotate_share(share, rotated)
    return _created(rotated, token, shares)


__all__ = ["ShareCreated", "ShareIn", "ShareLink", "ShareList", "ShareOut", "SharePatch", "Shares"]
