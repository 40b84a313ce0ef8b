"""Domain models: the asset as stored, and the JSON shapes of the public contract (camelCase)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from functions.common.formats import AssetKind


class AssetStatus(StrEnum):
    PENDING = "pending"
    INGESTING = "ingesting"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


# The original is stored: it can be shown, downloaded and compared with new bytes.
STORED_STATUSES = frozenset({AssetStatus.PROCESSING, AssetStatus.READY})
# The pipeline has still to run on the original (what a lost S3 event leaves behind).
UNFINISHED_STATUSES = frozenset({AssetStatus.PENDING, AssetStatus.PROCESSING})


class AssetSource(StrEnum):
    UPLOAD = "upload"
    INGEST = "ingest"


class AssetType(StrEnum):
    GENERATED = "generated"
    UPLOADED = "uploaded"
    EDITED = "edited"
    REFERENCE = "reference"


class View(StrEnum):
    ALL = "all"
    STARRED = "starred"
    TRASH = "trash"


def utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the millisecond."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


UtcDatetime = Annotated[datetime, PlainSerializer(utc_iso, return_type=str, when_used="json")]


class CamelModel(BaseModel):
    """JSON in camelCase; unknown fields are refused so typos never pass silently."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Placeholder(CamelModel):
    blurhash: str
    color: str


class AssetError(CamelModel):
    code: str
    message: str


class AssetContent(BaseModel):
    """What an asset is, shared by the stored form and the API's view of it."""

    # Never validated itself, only through `Asset` and `AssetOut`: building its own schema would be wasted work.
    model_config = ConfigDict(defer_build=True)

    id: str
    status: AssetStatus
    source: AssetSource
    asset_type: AssetType
    # Image or video (#16): what it was declared as until its processing function decides from the bytes.
    kind: AssetKind = AssetKind.IMAGE
    mime: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    sha256: str | None = None
    filename: str | None = None
    prompt: str | None = None
    model: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    source_asset_ids: list[str] = Field(default_factory=list)
    source_url: str | None = None
    starred: bool = False
    # The owner's folder the asset is in (at most one); kept while in the trash, so a restore brings it back.
    folder_id: str | None = None
    created_at: datetime
    updated_at: datetime
    trashed_at: datetime | None = None
    purge_at: datetime | None = None
    placeholder: Placeholder | None = None
    error: AssetError | None = None
    # Videos only (#16), recorded by the video function from the container: None for images and until processed.
    duration_ms: int | None = None
    video_codec: str | None = None
    has_audio: bool | None = None
    # Whether common browsers can play it in a <video> element (HEVC or ProRes in a MOV often cannot).
    playable: bool | None = None


class Asset(AssetContent):
    """An asset as the repository stores it; `owner` is the verified `sub` and never leaves the server."""

    model_config = ConfigDict(frozen=True, defer_build=False)

    owner: str
    # Set by the claim that starts a deletion forever; a restore never brings such an asset back.
    deleting: bool = False
    # The S3 eTag of the original that the recorded facts (sha256, size, mime, dimensions, thumbnail) describe.
    original_etag: str | None = None
    # The S3 version of that original (#17): read URLs of the original pin it, so a URL never shows other bytes.
    original_version_id: str | None = None
    # How often the sweep re-announced the original while it stayed unfinished; reset when it finishes.
    retriggers: int = 0
    # The size of the stored original this record counts towards its owner's usage (0 until it is stored).
    stored_bytes: int = 0
    # The thumbnail's random object key, recorded with the facts it shows (a URL of it reveals neither owner nor id);
    # None before the first thumbnail, or for one made before keys were random (see `thumb_object_key`).
    thumb_key: str | None = None
    # The viewer's preview (#17): a WebP at most PREVIEW_SIZE on its longest side, at a random key like the thumbnail,
    # recorded in the same write; None before it, for a video, or for an asset processed before previews existed.
    preview_key: str | None = None
    # A multipart upload's (#16), while and after it is open: S3's upload id, the size of every part but the last,
    # and how many parts there are (functions/multipart). None for every other asset.
    upload_id: str | None = None
    part_size: int | None = None
    part_count: int | None = None

    @property
    def original_key(self) -> str:
        from functions.common.object_keys import original_key

        return original_key(self.owner, self.id, self.kind)

    @property
    def thumb_object_key(self) -> str:
        """Where the thumbnail is for its owner: the recorded key, else the owner/id key of an older thumbnail."""
        from functions.common.object_keys import legacy_thumb_key

        return self.thumb_key or legacy_thumb_key(self.owner, self.id)

    @property
    def in_trash(self) -> bool:
        return self.trashed_at is not None


class AssetOut(CamelModel, AssetContent):
    """The asset as the API shows it (DESIGN.md, "The asset")."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, defer_build=False)

    created_at: UtcDatetime
    updated_at: UtcDatetime
    trashed_at: UtcDatetime | None = None
    purge_at: UtcDatetime | None = None
    url: str | None = None
    thumb_url: str | None = None
    # The preview for the viewer (#17), once the thumbnail function recorded one; null otherwise (use `url`).
    preview_url: str | None = None
    # True when a request brought bytes this user already has: the existing asset is returned instead.
    duplicate: bool | None = None


class Folder(BaseModel):
    """One of an owner's folders as stored: `asset_count` counts its assets not in the trash, `members` all of them."""

    model_config = ConfigDict(frozen=True)

    owner: str
    id: str
    name: str
    asset_count: int = 0
    members: int = 0
    created_at: datetime
    updated_at: datetime


class FolderOut(CamelModel):
    """A folder as the API shows it: its assets not in the trash, and the newest ready one's thumbnail."""

    id: str
    name: str
    asset_count: int
    cover_thumb_url: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


def new_asset(*, owner: str, now: datetime, **fields: Any) -> Asset:
    """A new asset: a server-made, time-sortable id, created and updated at `now`."""
    from functions.common.ids import new_ulid

    return Asset(owner=owner, id=new_ulid(now), created_at=now, updated_at=now, **fields)
