"""A fetched body as it streams in: in memory while small, then in a temporary file; its size, sha256 and head."""

from __future__ import annotations

import hashlib
import io
import tempfile
from types import TracebackType
from typing import IO

from functions.common.formats import VIDEO_SNIFF_BYTES


class SpooledBody:
    """Bytes written chunk by chunk, held in memory up to `memory_bytes`, beyond that in an anonymous temporary file.

    A video of gigabytes never sits in memory: once the body is over `memory_bytes` it moves to the file (Lambda's
    /tmp, the default temporary directory) and each later chunk is appended there.
    """

    def __init__(self, memory_bytes: int, directory: str | None = None) -> None:
        self._memory_bytes = memory_bytes
        self._directory = directory
        self._file: IO[bytes] = io.BytesIO()
        self._digest = hashlib.sha256()
        self.size = 0
        self.head = b""  # the first VIDEO_SNIFF_BYTES, what the format is told from

    @classmethod
    def of(cls, data: bytes) -> SpooledBody:
        """A body already whole (tests, fakes)."""
        body = cls(memory_bytes=len(data))
        body.write(data)
        return body

    @property
    def in_memory(self) -> bool:
        return isinstance(self._file, io.BytesIO)

    @property
    def head_complete(self) -> bool:
        """Whether the head is as long as sniffing needs (shorter only for a body that ended sooner)."""
        return len(self.head) >= VIDEO_SNIFF_BYTES

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def write(self, chunk: bytes) -> None:
        if not self.head_complete:
            self.head += chunk[: VIDEO_SNIFF_BYTES - len(self.head)]
        self._digest.update(chunk)
        self.size += len(chunk)
        if self.in_memory and self.size > self._memory_bytes:
            self._spill()
        self._file.write(chunk)

    def _spill(self) -> None:
        spilled = tempfile.TemporaryFile(dir=self._directory)  # noqa: SIM115 - the body's to keep; close() closes it
        if isinstance(self._file, io.BytesIO):
            with self._file.getbuffer() as held:
                spilled.write(held)
        self._file.close()
        self._file = spilled

    def data(self) -> bytes:
        """The whole body as bytes: for images, whose size cap keeps them in memory anyway."""
        if isinstance(self._file, io.BytesIO):
            return self._file.getvalue()  # no copy: the buffer is handed over
        self._file.seek(0)
        return self._file.read()

    def reader(self) -> IO[bytes]:
        """The body from its first byte, to be read in pieces (valid until `close`)."""
        self._file.flush()
        self._file.seek(0)
        return self._file

    def close(self) -> None:
        """Drop the bytes (an anonymous temporary file disappears with its last descriptor)."""
        self._file.close()

    def __enter__(self) -> SpooledBody:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
