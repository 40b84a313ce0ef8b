"""Presigned uploads (the policy pins key, type and size) and batch re-signing of read URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, field_validator

from functions.common.clock import Clock
from functions.common.duplicates import find_duplicate
from functions.common.errors import InvalidRequest
from functions.common.formats import ACCEPTED_MIME_TYPES
from functions.common.ids import is_ulid
from functions.common.metadata import AssetMetadata
from functions.common.models import (
    STORED_STATUSES,
    AssetOut,
    AssetSource,
    AssetStatus,
    CamelModel,
    UtcDatetime,
    new_asset,
)
from functions.common.ports import AssetRecords, Quota, UploadSigner
from functions.common.presenter import present
from functions.common.quota import DEFAULT_QUOTA, create_within_quota
from functions.system import LIMIT_DEFAULTS, MAX_BULK_IDS

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def _json_integer(value: object) -> object:
    """A JSON Schema integer: `3` or `3.0`; never `"3"`, `true` or `3.5` (which pydantic would coerce or round)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be an integer")
        return int(value)
    return value


JsonInteger = Annotated[int, BeforeValidator(_json_integer)]


class SignUploadRequest(AssetMetadata):
    content_type: str = Field(json_schema_extra={"enum": list(ACCEPTED_MIME_TYPES)})
    # Documented up to the default ASSET_MAX_IMAGE_MB, which a deploy may change.
    size: JsonInteger = Field(
        gt=0, json_schema_extra={"maximum": int(LIMIT_DEFAULTS["ASSET_MAX_IMAGE_MB"]) * 1024 * 1024}
    )
    sha256: str | None = Field(default=None, json_schema_extra={"pattern": "^[0-9a-fA-F]{64}$"})

    @field_validator("content_type")
    @classmethod
    def _accepted(cls, value: str) -> str:
        if value.lower() not in ACCEPTED_MIME_TYPES:
            raise ValueError(f"must be one of {', '.join(ACCEPTED_MIME_TYPES)}")
        return value.lower()

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not _SHA256_HEX.match(value.lower()):
            raise ValueError("must be 64 hexadecimal characters")
        return None if value is None else value.lower()


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


def sign_upload(*, owner: str, request: SignUploadRequest, signer: Signer) -> SignUploadResponse:
    """Create the asset as `pending` and a presigned POST for exactly its key, type and size."""
    if request.size > signer.max_image_bytes:
        raise InvalidRequest(f"size: at most {signer.max_image_bytes} bytes")
    now = signer.clock()
    existing = find_duplicate(signer.repository, owner, request.sha256) if request.sha256 else None
    if existing is not None:
        return SignUploadResponse(asset=present(existing, by=signer, duplicate=True), upload=None)
    asset = new_asset(
        owner=owner,
        now=now,
        status=AssetStatus.PENDING,
        source=AssetSource.UPLOAD,
        mime=request.content_type,
        size=request.size,
        sha256=request.sha256,
        **request.model_dump(include=set(AssetMetadata.model_fields)),
    )
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
        if request.variant == ReadVariant.THUMB and asset.status != AssetStatus.READY:
            missing.append(asset_id)
            continue
        key = asset.original_key if request.variant == ReadVariant.ORIGINAL else asset.thumb_object_key
        signed = signer.store.presign_get(key=key, ttl_seconds=signer.read_ttl_seconds, now=now)
        urls[asset_id] = SignedUrl(url=signed.url, expires_at=signed.expires_at)
    return SignReadResponse(urls=urls, missing=missing)
