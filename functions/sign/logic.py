"""Presigned uploads (the policy pins key, type and size) and batch re-signing of read URLs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import Field

from functions.common.bucket_ports import UploadSigner
from functions.common.clock import Clock
from functions.common.declarations import JsonInteger, UploadDeclaration, largest_upload, pending_asset
from functions.common.duplicates import find_duplicate
from functions.common.errors import InvalidRequest
from functions.common.formats import AssetKind
from functions.common.ids import is_ulid
from functions.common.models import (
    STORED_STATUSES,
    Asset,
    AssetOut,
    AssetStatus,
    CamelModel,
    UtcDatetime,
)
from functions.common.ports import AssetRecords, Quota
from functions.common.presenter import present
from functions.common.quota import DEFAULT_QUOTA, create_within_quota
from functions.system import LIMIT_DEFAULTS, MAX_BULK_IDS


class SignUploadRequest(UploadDeclaration):
    # Documented up to the default MULTIPART_THRESHOLD_MB, which a deploy may change (images: ASSET_MAX_IMAGE_MB).
    size: JsonInteger = Field(
        gt=0,
        json_schema_extra={"maximum": int(LIMIT_DEFAULTS["MULTIPART_THRESHOLD_MB"]) * 1024 * 1024},
        description="Bytes: images up to ASSET_MAX_IMAGE_MB, videos up to ASSET_MAX_VIDEO_MB, and this route takes "
        "at most MULTIPART_THRESHOLD_MB (above it: POST /uploads/multipart)",
    )


class UploadSlot(CamelModel):
    method: str = "POST"
    url: str
    fields: dict[str, str]
    expires_at: UtcDatetime


class SignUploadResponse(CamelModel):
    asset: AssetOut
    # null when the declared sha256 matches an asset the caller already has (then `asset.duplicate` is true)
    upload: UploadSlot | None


class ReadVariant(StrEnum):
    ORIGINAL = "original"
    THUMB = "thumb"
    PREVIEW = "preview"  # #17: only assets with a recorded preview; others are `missing` (the client falls back)


class SignReadRequest(CamelModel):
    ids: list[str] = Field(min_length=1, max_length=MAX_BULK_IDS)
    variant: ReadVariant = ReadVariant.THUMB


class SignedUrl(CamelModel):
    url: str
    expires_at: UtcDatetime


class SignReadResponse(CamelModel):
    urls: dict[str, SignedUrl]
    missing: list[str]


@dataclass(frozen=True)
class Signer:
    repository: AssetRecords
    store: UploadSigner
    clock: Clock
    max_image_bytes: int
    upload_ttl_seconds: int
    read_ttl_seconds: int
    quota: Quota = DEFAULT_QUOTA
    max_video_bytes: int = int(LIMIT_DEFAULTS["ASSET_MAX_VIDEO_MB"]) * 1024 * 1024
    multipart_threshold_bytes: int = int(LIMIT_DEFAULTS["MULTIPART_THRESHOLD_MB"]) * 1024 * 1024


def _check_size(size: int, kind: AssetKind, signer: Signer) -> None:
    """The kind's maximum first (no route takes more), then this route's: above the threshold, multipart."""
    largest = largest_upload(kind, max_image_bytes=signer.max_image_bytes, max_video_bytes=signer.max_video_bytes)
    if size > largest:
        raise InvalidRequest(f"size: at most {largest} bytes ({kind.value}s)")
    if size > signer.multipart_threshold_bytes:
        raise InvalidRequest(
            f"size: over {signer.multipart_threshold_bytes} bytes, upload with POST /uploads/multipart"
        )


def sign_upload(*, owner: str, request: SignUploadRequest, signer: Signer) -> SignUploadResponse:
    """Create the asset as `pending` and a presigned POST for exactly its key, type and size."""
    _check_size(request.size, request.kind, signer)
    now = signer.clock()
    existing = find_duplicate(signer.repository, owner, request.sha256) if request.sha256 else None
    if existing is not None:
        return SignUploadResponse(asset=present(existing, by=signer, duplicate=True), upload=None)
    asset = pending_asset(owner=owner, now=now, declared=request, size=request.size)
    create_within_quota(asset, records=signer.repository, quota=signer.quota)
    post = signer.store.presign_post(
        key=asset.original_key,
        content_type=request.content_type,
        size=request.size,
        ttl_seconds=signer.upload_ttl_seconds,
        now=now,
        sha256_hex=request.sha256,
    )
    slot = UploadSlot(url=post.url, fields=post.fields, expires_at=post.expires_at)
    return SignUploadResponse(asset=present(asset, by=signer), upload=slot)


def _variant_key(asset: Asset, variant: ReadVariant) -> str | None:
    """The object a variant names for a stored asset; None while it has none (thumb/preview before `ready`)."""
    if variant == ReadVariant.ORIGINAL:
        return asset.original_key
    if asset.status != AssetStatus.READY:
        return None
    return asset.thumb_object_key if variant == ReadVariant.THUMB else asset.preview_key


def sign_read(*, owner: str, request: SignReadRequest, signer: Signer) -> SignReadResponse:
    """Fresh read URLs for the caller's assets that have the variant; every other id is `missing`."""
    now = signer.clock()
    # An id that is not a ULID can never exist: it is `missing` without becoming a DynamoDB key.
    found = signer.repository.batch_get(owner, [asset_id for asset_id in request.ids if is_ulid(asset_id)])
    urls: dict[str, SignedUrl] = {}
    missing: list[str] = []
    for asset_id in dict.fromkeys(request.ids):
        stored = found.get(asset_id)
        asset = stored.asset if stored else None
        if asset is None or asset.status not in STORED_STATUSES:
            missing.append(asset_id)
            continue
        key = _variant_key(asset, request.variant)
        if key is None:
            missing.append(asset_id)
            continue
        signed = signer.store.presign_get(
            key=key,
            ttl_seconds=signer.read_ttl_seconds,
            now=now,
            version_id=asset.original_version_id if key == asset.original_key else None,
            immutable=key in (asset.thumb_key, asset.preview_key),  # random keys: their bytes never change
        )
        urls[asset_id] = SignedUrl(url=signed.url, expires_at=signed.expires_at)
    return SignReadResponse(urls=urls, missing=missing)
