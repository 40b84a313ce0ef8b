"""What logic needs from the media bucket: small Protocols, one per group of logic functions (see `ports`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from functions.common.multipart_storage import PresignedPart, UploadedPart
    from functions.common.objects import ObjectInfo, ObjectVersion, PresignedGet, PresignedPost


class ReadSigner(Protocol):
    """Signs short-lived read URLs (what `present` needs)."""

    def presign_get(
        self,
        *,
        key: str,
        ttl_seconds: int,
        now: datetime,
        download_name: str | None = None,
        version_id: str | None = None,
        immutable: bool = False,
    ) -> PresignedGet: ...


class UploadSigner(ReadSigner, Protocol):
    """Signs browser uploads too."""

    def presign_post(
        self, *, key: str, content_type: str, size: int, ttl_seconds: int, now: datetime, sha256_hex: str | None = None
    ) -> PresignedPost: ...


class ObjectWriter(Protocol):
    def write(self, key: str, body: bytes, content_type: str) -> None: ...


class StreamWriter(Protocol):
    """Writes an object read from a file piece by piece, never holding it whole (a multipart upload when large)."""

    def write_stream(self, key: str, body: IO[bytes], size: int, content_type: str) -> None: ...


class ObjectDeleter(Protocol):
    """Deletes forever: every version of a key, delete markers included (the bucket is versioned)."""

    def versions(self, key: str) -> list[ObjectVersion]: ...
    def delete_batch(self, versions: list[ObjectVersion]) -> set[str]: ...


class ObjectRewriter(Protocol):
    """Makes S3 announce an object again (a copy onto itself); False when it is absent."""

    def exists(self, key: str) -> bool: ...
    def rewrite_in_place(self, key: str) -> bool: ...


class MultipartAborter(Protocol):
    """Drops an open multipart upload and its parts (#16); False when S3 knows no such open upload."""

    def abort_upload(self, *, key: str, upload_id: str) -> bool: ...


class MultipartUploads(MultipartAborter, Protocol):
    """A multipart upload from start to end: the parts' PUT URLs, what S3 holds, the assembly (#16)."""

    def create_upload(self, *, key: str, content_type: str) -> str: ...
    def presign_part(
        self, *, key: str, upload_id: str, number: int, size: int, ttl_seconds: int, now: datetime
    ) -> PresignedPart: ...
    def uploaded_parts(self, *, key: str, upload_id: str) -> list[UploadedPart] | None: ...
    def complete_upload(self, *, key: str, upload_id: str, parts: list[UploadedPart]) -> bool: ...


class UploadStore(ReadSigner, ObjectWriter, Protocol):
    """A direct upload writes the original and shows the asset."""


class GalleryStore(ReadSigner, ObjectDeleter, ObjectRewriter, Protocol):
    """The gallery shows, deletes and reprocesses."""


class PurgeStore(ObjectDeleter, Protocol):
    def exists(self, key: str) -> bool: ...


class ScheduledStore(PurgeStore, ObjectRewriter, Protocol):
    """The scheduled run re-triggers lost events, then deletes."""


class ThumbnailStore(ObjectWriter, ObjectDeleter, Protocol):
    """The thumbnail reads the announced original by eTag, writes the thumbnail, drops what it refuses or replaced."""

    @property
    def bucket(self) -> str: ...

    def stat(self, key: str) -> ObjectInfo | None: ...
    def read(self, key: str, *, etag: str | None = None) -> bytes: ...
    def delete_many(self, keys: Iterable[str]) -> int: ...
    def head(self, key: str) -> dict[str, Any] | None: ...  # the current version's id (#17)


class RangeReads(Protocol):
    """Part of an object (#16): bytes `start` to `end` inclusive (an HTTP Range); with `etag`, only while it has it."""

    def read_range(self, key: str, start: int, end: int, *, etag: str | None = None) -> bytes: ...


class VideoStore(RangeReads, ObjectWriter, ObjectDeleter, Protocol):
    """The video function reads the original in ranges, writes its poster, drops what it refuses or replaced."""

    @property
    def bucket(self) -> str: ...

    def stat(self, key: str) -> ObjectInfo | None: ...
    def delete_many(self, keys: Iterable[str]) -> int: ...
    def head(self, key: str) -> dict[str, Any] | None: ...  # the current version's id (#17)
