"""A seekable, read-only file over an object it fetches in blocks (S3 GetObject with `Range`), counting what it reads.

FFmpeg reads a video's index and then only the packets it decodes, seeking in between; over this file each block
it touches costs one ranged request, and nothing else of the object is fetched. A few recent blocks are kept, since
demuxers often step back a little (box headers, a packet that straddles a block boundary).
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

# One ranged GET per block: large enough that a poster costs a handful of requests, small enough that a 1 KB
# box header never costs a megabyte.
BLOCK_BYTES = 256 * 1024
CACHED_BLOCKS = 8

Fetch = Callable[[int, int], bytes]


class RangeReader(io.RawIOBase):
    """Bytes `0..size-1` of an object, read through `fetch(start, end)` (inclusive, as an HTTP Range) block by block."""

    def __init__(
        self, fetch: Fetch, size: int, *, block_bytes: int = BLOCK_BYTES, cached_blocks: int = CACHED_BLOCKS
    ) -> None:
        super().__init__()
        if size < 0 or block_bytes < 1 or cached_blocks < 1:
            raise ValueError("size must be >= 0, block_bytes and cached_blocks >= 1")
        self._fetch = fetch
        self.size = size
        self._block_bytes = block_bytes
        self._cached_blocks = cached_blocks
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._position = 0
        self.bytes_read = 0  # what the fetches returned, in total
        self.requests = 0
        # FFmpeg may swallow a read error (as the end of the data): the caller checks this after PyAV returns.
        self.failure: Exception | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}.get(whence)
        if base is None:
            raise ValueError(f"unsupported whence {whence}")
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), max(0, self.size - self._position))
        done = 0
        while done < wanted:
            index, offset = divmod(self._position, self._block_bytes)
            block = self._block(index)
            chunk = block[offset : offset + wanted - done]
            if not chunk:  # the object ended early (it cannot, while its eTag holds): stop rather than spin
                break
            view[done : done + len(chunk)] = chunk
            done += len(chunk)
            self._position += len(chunk)
        return done

    def _block(self, index: int) -> bytes:
        cached = self._blocks.get(index)
        if cached is not None:
            self._blocks.move_to_end(index)
            return cached
        if self.failure is not None:
            raise self.failure
        start = index * self._block_bytes
        end = min(self.size, start + self._block_bytes) - 1
        try:
            data = self._fetch(start, end)
        except Exception as error:
            self.failure = error
            raise
        self.requests += 1
        self.bytes_read += len(data)
        self._blocks[index] = data
        if len(self._blocks) > self._cached_blocks:
            self._blocks.popitem(last=False)
        return data
