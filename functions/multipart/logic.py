"""Multipart uploads of large files (#16): a pending asset, presigned part PUTs pinned to each part's size, and the
server's own completion after checking every part against the declaration.

The asset is `pending` while its upload is open and records (never shows) S3's upload id and the part layout;
completing moves it to `processing` (the bytes are stored) and the S3 event then reaches its processing function.
Completing again afterwards returns the asset as it is now; parts or abort on it answer 409 `not_multipart`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from functions.common.bucket_ports import MultipartUploads, ReadSigner
from functions.common.clock import Clock
from functions.common.declarations import JsonInteger, UploadDeclaration, largest_upload, pending_asset
from functions.common.duplicates import find_duplicate
from functions.common.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    NotMultipart,
    UploadIncomplete,
    UploadMismatch,
)
from functions.common.formats import AssetKind
from functions.common.ids import is_ulid
from functions.common.models import AssetOut, AssetStatus, CamelModel, UtcDatetime
from functions.common.ports import AssetRecords, Quota, StoredAsset
from functions.common.presenter import present
from functions.common.quota import DEFAULT_QUOTA, create_within_quota
from functions.common.retries import retry_on_conflict
from functions.system import LIMIT_DEFAULTS, MULTIPART_MAX_PART_URLS, MULTIPART_MAX_PARTS, MULTIPART_MIN_PART_BYTES

if TYPE_CHECKING:
    from functions.common.multipart_storage import UploadedPart

MIB = 1024 * 1024
# Parts named in a problem's detail at most (the rest are counted).
_NAMED_PARTS = 20
_WRITE_ATTEMPTS = 3


PartNumber = Annotated[JsonInteger, Field(ge=1, le=MULTIPART_MAX_PARTS)]


class StartRequest(UploadDeclaration):
    # Documented up to the default ASSET_MAX_VIDEO_MB (images: ASSET_MAX_IMAGE_MB), which a deploy may change.
    size: JsonInteger = Field(gt=0, json_schema_extra={"maximum": int(LIMIT_DEFAULTS["ASSET_MAX_VIDEO_MB"]) * MIB})


class StartResponse(CamelModel):
    asset: AssetOut
    # All null when the declared sha256 matches an asset the caller already has (then `asset.duplicate` is true).
    upload_id: str | None
    part_size: int | None = Field(description="Bytes of every part but the last (which holds the rest)")
    part_count: int | None


class PartsRequest(CamelModel):
    part_numbers: list[PartNumber] = Field(min_length=1, max_length=MULTIPART_MAX_PART_URLS)


class PartsResponse(CamelModel):
    urls: dict[str, str] = Field(description="Part number → a presigned PUT accepting exactly that part's bytes")
    expires_at: UtcDatetime


class CompleteResponse(CamelModel):
    asset: AssetOut


@dataclass(frozen=True)
class Multiparts:
    """The multipart function's collaborators and limits."""

    repository: AssetRecords
    store: ReadSigner
    uploads: MultipartUploads
    clock: Clock
    max_image_bytes: int
    max_video_bytes: int
    upload_ttl_seconds: int
    read_ttl_seconds: int
    quota: Quota = DEFAULT_QUOTA


def part_layout(size: int) -> tuple[int, int]:
    """(part size, part count) of an upload of `size` bytes: parts of at least MULTIPART_MIN_PART_BYTES, whole MiB,
    and never more than MULTIPART_MAX_PARTS of them; the last part holds the rest."""
    spread = -(-size // MULTIPART_MAX_PARTS)
    part_size = max(MULTIPART_MIN_PART_BYTES, -(-spread // MIB) * MIB)
    return part_size, -(-size // part_size)


def part_bytes(number: int, *, size: int, part_size: int, part_count: int) -> int:
    """The exact size of part `number` (1-based) of the layout."""
    return part_size if number < part_count else size - (part_count - 1) * part_size


def _named(numbers: list[int]) -> str:
    shown = ", ".join(str(number) for number in numbers[:_NAMED_PARTS])
    return shown + (f" and {len(numbers) - _NAMED_PARTS} more" if len(numbers) > _NAMED_PARTS else "")


def start(*, owner: str, request: StartRequest, multiparts: Multiparts) -> StartResponse:
    """Create the asset as `pending` at its original's key and open an upload of exactly the declared type."""
    kind = request.kind
    limit = largest_upload(kind, max_image_bytes=multiparts.max_image_bytes, max_video_bytes=multiparts.max_video_bytes)
    if request.size > limit:
        raise InvalidRequest(f"size: at most {limit} bytes for a{'' if kind is AssetKind.VIDEO else 'n'} {kind}")
    existing = find_duplicate(multiparts.repository, owner, request.sha256) if request.sha256 else None
    if existing is not None:
        shown = present(existing, by=multiparts, duplicate=True)
        return StartResponse(asset=shown, upload_id=None, part_size=None, part_count=None)
    part_size, part_count = part_layout(request.size)
    # The upload is opened first: its id is recorded with the asset in the one write that creates and counts it.
    asset = pending_asset(
        owner=owner,
        now=multiparts.clock(),
        declared=request,
        size=request.size,
        part_size=part_size,
        part_count=part_count,
    )
    upload_id = multiparts.uploads.create_upload(key=asset.original_key, content_type=request.content_type)
    asset = asset.model_copy(update={"upload_id": upload_id})
    try:
        create_within_quota(asset, records=multiparts.repository, quota=multiparts.quota)
    except Exception:
        # No open upload without its record (the lifecycle rule would drop it only a day later).
        multiparts.uploads.abort_upload(key=asset.original_key, upload_id=upload_id)
        raise
    return StartResponse(
        asset=present(asset, by=multiparts), upload_id=upload_id, part_size=part_size, part_count=part_count
    )


def _find(owner: str, asset_id: str, multiparts: Multiparts) -> StoredAsset:
    if not is_ulid(asset_id):  # can never exist: never a DynamoDB key
        raise NotFound("No such asset.")
    return multiparts.repository.get(owner, asset_id)


def _open_upload(stored: StoredAsset) -> str:
    """The asset's open upload id, or `NotMultipart`."""
    asset = stored.asset
    if asset.upload_id is None or asset.part_count is None or asset.status != AssetStatus.PENDING or asset.deleting:
        raise NotMultipart("This asset has no multipart upload in progress.")
    return asset.upload_id


def sign_parts(*, owner: str, asset_id: str, request: PartsRequest, multiparts: Multiparts) -> PartsResponse:
    """A presigned PUT for each requested part, each accepting exactly that part's size."""
    stored = _find(owner, asset_id, multiparts)
    upload_id = _open_upload(stored)
    asset = stored.asset
    size, part_size, part_count = asset.size or 0, asset.part_size or 0, asset.part_count or 0
    beyond = sorted({number for number in request.part_numbers if number > part_count})
    if beyond:
        message = f"this upload has parts 1 to {part_count}, not {_named(beyond)}"
        raise InvalidRequest(f"partNumbers: {message}", errors=[{"field": "partNumbers", "message": message}])
    now = multiparts.clock()
    urls: dict[str, str] = {}
    for number in sorted(set(request.part_numbers)):
        signed = multiparts.uploads.presign_part(
            key=asset.original_key,
            upload_id=upload_id,
            number=number,
            size=part_bytes(number, size=size, part_size=part_size, part_count=part_count),
            ttl_seconds=multiparts.upload_ttl_seconds,
            now=now,
        )
        urls[str(number)] = signed.url
    return PartsResponse(urls=urls, expires_at=now + timedelta(seconds=multiparts.upload_ttl_seconds))


def _completed(stored: StoredAsset) -> bool:
    """A multipart asset whose upload was completed (by an earlier call): what completing again returns."""
    return stored.asset.part_count is not None and stored.asset.status != AssetStatus.PENDING


def _checked_parts(stored: StoredAsset, parts: list[UploadedPart]) -> list[UploadedPart]:
    """The parts 1..partCount, each of its declared size; `UploadIncomplete` or `UploadMismatch` otherwise."""
    asset = stored.asset
    size, part_size, part_count = asset.size or 0, asset.part_size or 0, asset.part_count or 0
    by_number = {part.number: part for part in parts if part.number <= part_count}
    missing = [number for number in range(1, part_count + 1) if number not in by_number]
    if missing:
        raise UploadIncomplete(f"Parts not uploaded yet: {_named(missing)} (of {part_count}).")
    layout = {"size": size, "part_size": part_size, "part_count": part_count}
    wrong = [number for number, part in sorted(by_number.items()) if part.size != part_bytes(number, **layout)]
    if wrong:
        raise UploadMismatch(f"Parts of another size than declared: {_named(wrong)} (parts are {part_size} bytes).")
    total = sum(part.size for part in by_number.values())
    if total != size:
        raise UploadMismatch(f"The parts hold {total} bytes, not the {size} declared.")
    return [by_number[number] for number in range(1, part_count + 1)]


def complete(*, owner: str, asset_id: str, multiparts: Multiparts) -> CompleteResponse:
    """List what S3 holds, check it against the declaration, assemble the object and mark the asset `processing`."""
    stored = _find(owner, asset_id, multiparts)
    if _completed(stored):
        return CompleteResponse(asset=present(stored.asset, by=multiparts))
    upload_id = _open_upload(stored)
    key = stored.asset.original_key
    parts = multiparts.uploads.uploaded_parts(key=key, upload_id=upload_id)
    if parts is None or not multiparts.uploads.complete_upload(
        key=key, upload_id=upload_id, parts=_checked_parts(stored, parts)
    ):
        return _after_closed(owner, asset_id, multiparts)

    def attempt() -> StoredAsset:
        current = _find(owner, asset_id, multiparts)
        if current.asset.status != AssetStatus.PENDING:  # its processing function got there first
            return current
        update = {"status": AssetStatus.PROCESSING, "updated_at": multiparts.clock()}
        return multiparts.repository.replace(current, current.asset.model_copy(update=update))

    recorded = retry_on_conflict(attempt, attempts=_WRITE_ATTEMPTS)
    return CompleteResponse(asset=present(recorded.asset, by=multiparts))


def _after_closed(owner: str, asset_id: str, multiparts: Multiparts) -> CompleteResponse:
    """S3 has no open upload: completed by a concurrent call (the asset moved on, or will), or aborted."""
    current = _find(owner, asset_id, multiparts)
    if _completed(current):
        return CompleteResponse(asset=present(current.asset, by=multiparts))
    raise NotMultipart("The upload is no longer open: it was completed or aborted. Read the asset again.")


def abort(*, owner: str, asset_id: str, multiparts: Multiparts) -> None:
    """Drop the upload with its parts, then the pending asset (uncounted from the owner's usage)."""
    stored = _find(owner, asset_id, multiparts)
    upload_id = _open_upload(stored)
    # Already gone (the lifecycle rule, or a complete a moment ago whose object then has no record: its processing
    # function removes such an orphan) is as good as aborted.
    multiparts.uploads.abort_upload(key=stored.asset.original_key, upload_id=upload_id)
    try:
        multiparts.repository.delete(stored)
    except Conflict as conflict:
        raise Conflict("The asset changed meanwhile; read it again.") from conflict
