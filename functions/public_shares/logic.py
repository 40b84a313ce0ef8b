"""Public share pages: open a link, unlock a password share, page through its items, download a stripped copy.

Nothing handed out names the asset, its file or its owner: items go by an alias (`sharing.alias_of`), cursors are
sealed, thumbnails are presigned at their random keys only, downloads are copies at random keys.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import SerializerFunctionWrapHandler, model_serializer

from functions.common.bucket_ports import ReadSigner
from functions.common.clock import Clock
from functions.common.errors import InvalidCursor, NotFound, PasswordRequired, TooManyAttempts, WrongPassword
from functions.common.formats import AssetKind
from functions.common.images import ImageRejected
from functions.common.metadata_strip import Stripped
from functions.common.models import Asset, AssetStatus, CamelModel, Placeholder, UtcDatetime, View
from functions.common.sharing import (
    ACCESS_TTL_SECONDS,
    ATTEMPT_WINDOW_SECONDS,
    MAX_TOKEN_CHARS,
    PublicShareStore,
    SharedAssets,
    ShareRecord,
    access_token,
    access_valid,
    alias_of,
    asset_of,
    password_matches,
    seal,
    token_digest,
    unseal,
)
from functions.system import PUBLIC_COPIES_PREFIX, PUBLIC_SHARE_PAGE_SIZE

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/avif": "avif",
    "image/heic": "heic",
    "image/heif": "heif",
}


class PublicItem(CamelModel):
    """One shared image: its alias (never its id), size, placeholder and URLs; metadata only with `showMetadata`."""

    alias: str
    width: int | None = None
    height: int | None = None
    placeholder: Placeholder | None = None
    thumb_url: str | None = None
    preview_url: str | None = None  # #17: the viewer's larger WebP, absent when the asset has none
    download_url: str | None = None
    prompt: str | None = None
    model: str | None = None
    params: dict[str, Any] | None = None

    @model_serializer(mode="wrap")
    def _only_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Fields the share does not allow are absent, not null."""
        data: dict[str, Any] = handler(self)
        given = {self.model_fields[name].alias or name for name in self.model_fields_set} | self.model_fields_set
        return {key: value for key, value in data.items() if key in given}


class PublicPage(CamelModel):
    title: str | None
    allow_download: bool
    show_metadata: bool
    expires_at: UtcDatetime | None
    items: list[PublicItem]
    next_cursor: str | None = None


class Unlocked(CamelModel):
    """Send `accessToken` as `X-Share-Access` (or `?access=` on a download link) until `expiresAt`."""

    access_token: str
    expires_at: UtcDatetime


class CopyStore(ReadSigner, Protocol):
    """Reads an original and writes its public copy."""

    def read(self, key: str, *, etag: str | None = None) -> bytes: ...
    def write(self, key: str, body: bytes, content_type: str) -> None: ...


@dataclass(frozen=True)
class PublicShares:
    shares: PublicShareStore
    assets: SharedAssets
    store: CopyStore
    clock: Clock
    strip: Callable[[bytes], Stripped]  # EXIF/GPS/XMP removed: functions.common.metadata_strip, with the pixel cap
    read_ttl_seconds: int = 3600
    download_ttl_seconds: int = 300


def open_share(
    token: str, access: str | None, public: PublicShares, *, counting: bool = False, unlocking: bool = False
) -> ShareRecord:
    """The live share a link opens; the same 404 for unknown, expired, revoked and used-up; 401 while locked."""
    now = public.clock()
    share = public.shares.share_by_token(token_digest(token)) if 0 < len(token) <= MAX_TOKEN_CHARS else None
    if share is None or (share.expires_at is not None and now >= share.expires_at):
        raise NotFound("No such share.")
    if share.max_views is not None and (share.views >= share.max_views if counting else share.views > share.max_views):
        raise NotFound("No such share.")
    if not unlocking and not access_valid(share, access, int(now.timestamp())):
        raise PasswordRequired("This share needs its password: unlock it first.")
    return share


def unlock(*, token: str, password: str, public: PublicShares) -> Unlocked:
    """An access token for a password share; every attempt counts, at most `MAX_ATTEMPTS` per share and window."""
    share = open_share(token, None, public, unlocking=True)
    now = int(public.clock().timestamp())
    if share.password_hash is not None:
        if not public.shares.count_attempt(share, now // ATTEMPT_WINDOW_SECONDS):
            raise TooManyAttempts("Too many attempts for this share: try again later.")
        if not password_matches(password, share.password_hash):
            raise WrongPassword("That is not this share's password.")
    expires = now + ACCESS_TTL_SECONDS
    return Unlocked(access_token=access_token(share, expires), expires_at=datetime.fromtimestamp(expires, UTC))


def share_page(*, token: str, cursor: str | None, access: str | None, public: PublicShares) -> PublicPage:
    """One page of the share's items; a first page (no cursor) counts a view, refused past `maxViews`."""
    share = open_share(token, access, public, counting=cursor is None)
    if cursor is None and not public.shares.count_view(share):
        raise NotFound("No such share.")
    assets, following = _assets(share, _position(share, cursor), public)
    items = [_item(share, token, asset, public) for asset in assets if _shown(share, asset)]
    next_cursor = None if following is None else seal(share, json.dumps(following).encode())
    return PublicPage(
        title=share.title,
        allow_download=share.allow_download,
        show_metadata=share.show_metadata,
        expires_at=share.expires_at,
        items=items,
        next_cursor=next_cursor,
    )


def _assets(share: ShareRecord, position: Any, public: PublicShares) -> tuple[list[Asset], Any]:
    """A page of the share's assets (a folder's: one Query; a selection's: one BatchGetItem), and where next."""
    if share.folder_id is not None:
        start = position if isinstance(position, dict) else None
        page = public.assets.folder_page(share.owner, share.folder_id, View.ALL, None, PUBLIC_SHARE_PAGE_SIZE, start)
        return page.items, page.next_position
    offset = position if isinstance(position, int) else 0
    chosen = share.asset_ids[offset : offset + PUBLIC_SHARE_PAGE_SIZE]
    found = public.assets.batch_get(share.owner, chosen)
    more = offset + PUBLIC_SHARE_PAGE_SIZE < len(share.asset_ids)
    return [found[asset_id].asset for asset_id in chosen if asset_id in found], offset + len(chosen) if more else None


def _position(share: ShareRecord, cursor: str | None) -> Any:
    if cursor is None:
        return None
    raw = unseal(share, cursor)
    if raw is None and share.max_views is not None and share.views >= share.max_views:
        # Used up: only the last counted view's own cursors go on; anything else is the same 404 as an unknown link.
        raise NotFound("No such share.")
    if raw is None:
        raise InvalidCursor("The cursor is not one of this share's.")
    return json.loads(raw)


def _shown(share: ShareRecord, asset: Asset) -> bool:
    """Ready, not in the trash, not being deleted, and still in the shared folder."""
    if asset.status != AssetStatus.READY or asset.in_trash or asset.deleting:
        return False
    return share.folder_id is None or asset.folder_id == share.folder_id


def _downloadable(share: ShareRecord, asset: Asset) -> bool:
    """Downloads are stripped copies and a video cannot be stripped here (#16): a share shows its poster only."""
    return share.allow_download and asset.kind is not AssetKind.VIDEO


def _item(share: ShareRecord, token: str, asset: Asset, public: PublicShares) -> PublicItem:
    alias = alias_of(share, asset.id)
    item: dict[str, Any] = {"alias": alias, "width": asset.width, "height": asset.height, "thumb_url": None}
    item["placeholder"] = asset.placeholder
    if asset.thumb_key is not None:  # an older thumbnail's key holds the owner and the id: never handed out
        ttl, now = public.read_ttl_seconds, public.clock()
        signed = public.store.presign_get(key=asset.thumb_key, ttl_seconds=ttl, now=now, immutable=True)
        item["thumb_url"] = signed.url
    if asset.preview_key is not None:  # random like the thumbnail's, re-encoded without metadata
        ttl, now = public.read_ttl_seconds, public.clock()
        signed = public.store.presign_get(key=asset.preview_key, ttl_seconds=ttl, now=now, immutable=True)
        item["preview_url"] = signed.url
    if _downloadable(share, asset):
        item["download_url"] = f"/public/shares/{token}/items/{alias}/download"
    if share.show_metadata:
        item |= {"prompt": asset.prompt, "model": asset.model, "params": asset.params}
    return PublicItem.model_validate(item)


def _copy(asset: Asset, show_metadata: bool, public: PublicShares) -> str:
    """Store the asset's copy at a random key; `{key}#{extension}`. Stripped unless the share shows metadata."""
    body, mime = public.store.read(asset.original_key), asset.mime or "application/octet-stream"
    extension = EXTENSIONS.get(mime, "bin")
    if not show_metadata:
        try:
            stripped = public.strip(body)
        except ImageRejected as error:
            raise NotFound("This item cannot be downloaded.") from error
        body, mime, extension = stripped.data, stripped.mime, stripped.extension
    key = f"{PUBLIC_COPIES_PREFIX}{secrets.token_urlsafe(16)}"
    public.store.write(key, body, mime)
    return f"{key}#{extension}"


def download_url(*, token: str, alias: str, access: str | None, public: PublicShares) -> str:
    """A short-lived URL of the item's copy (stripped of EXIF/GPS/XMP unless `showMetadata`), named `{alias}.{ext}`."""
    share = open_share(token, access, public)
    asset_id = asset_of(share, alias) if share.allow_download else None
    if asset_id is None or (share.folder_id is None and asset_id not in share.asset_ids):
        raise NotFound("No such item.")
    asset = public.assets.batch_get(share.owner, [asset_id]).get(asset_id)
    if asset is None or not _shown(share, asset.asset) or asset.asset.mime is None:
        raise NotFound("No such item.")
    if not _downloadable(share, asset.asset):
        raise NotFound("No such item.")
    copy_name = f"{alias}.{'full' if share.show_metadata else 'stripped'}"
    copy = public.shares.copy_key(share, copy_name)
    if copy is None:
        copy = _copy(asset.asset, share.show_metadata, public)
        public.shares.remember_copy(share, copy_name, copy)
    key, _, extension = copy.partition("#")  # the copy's key and its file extension, as remembered
    name = f"{alias}.{extension}"
    now = public.clock()
    # A copy is written once at a random key: its bytes never change.
    ttl = public.download_ttl_seconds
    return public.store.presign_get(key=key, ttl_seconds=ttl, now=now, download_name=name, immutable=True).url
