"""What a client declares about a file before sending it (type, size, checksum, metadata): sign and multipart."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator

from functions.common.formats import ACCEPTED_UPLOAD_MIME_TYPES, AssetKind, kind_of_mime
from functions.common.metadata import AssetMetadata
from functions.common.models import Asset, AssetSource, AssetStatus, new_asset

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


class UploadDeclaration(AssetMetadata):
    """The declared type (it decides the kind, and so the key: `originals/` or `videos/`) and checksum; each route
    adds its `size` with the maximum it documents. The bytes decide everything else."""

    content_type: str = Field(json_schema_extra={"enum": list(ACCEPTED_UPLOAD_MIME_TYPES)})
    sha256: str | None = Field(default=None, json_schema_extra={"pattern": "^[0-9a-fA-F]{64}$"})

    @field_validator("content_type")
    @classmethod
    def _accepted(cls, value: str) -> str:
        if value.lower() not in ACCEPTED_UPLOAD_MIME_TYPES:
            raise ValueError(f"must be one of {', '.join(ACCEPTED_UPLOAD_MIME_TYPES)}")
        return value.lower()

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not _SHA256_HEX.match(value.lower()):
            raise ValueError("must be 64 hexadecimal characters")
        return None if value is None else value.lower()

    @property
    def kind(self) -> AssetKind:
        return kind_of_mime(self.content_type)


def largest_upload(kind: AssetKind, *, max_image_bytes: int, max_video_bytes: int) -> int:
    return max_video_bytes if kind is AssetKind.VIDEO else max_image_bytes


def pending_asset(*, owner: str, now: datetime, declared: UploadDeclaration, size: int, **extra: Any) -> Asset:
    """The `pending` asset a declared upload creates, before any byte arrives."""
    return new_asset(
        owner=owner,
        now=now,
        status=AssetStatus.PENDING,
        source=AssetSource.UPLOAD,
        kind=declared.kind,
        mime=declared.content_type,
        size=size,
        sha256=declared.sha256,
        **extra,
        **declared.model_dump(include=set(AssetMetadata.model_fields)),
    )
