"""The values the media bucket hands back, and the names its downloads carry; no S3 client needed."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
    expires_at: datetime


@dataclass(frozen=True)
class PresignedGet:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class ObjectInfo:
    """What a listing tells about an object: its eTag (unquoted) and size."""

    etag: str
    size: int


@dataclass(frozen=True)
class ObjectVersion:
    """One version of an object, or one of its delete markers: what deleting forever removes."""

    key: str
    version_id: str


class ObjectChanged(Exception):
    """The object is no longer the one asked for (its eTag changed, or it is gone)."""


def attachment_disposition(filename: str) -> str:
    """`Content-Disposition: attachment` with an ASCII fallback and an RFC 5987 UTF-8 name; no quotes or CR/LF."""
    cleaned = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C").strip() or "download"
    ascii_name = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode()
    ascii_name = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in ascii_name).strip() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(cleaned, safe='')}"
