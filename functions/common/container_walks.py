"""PNG chunks and GIF blocks counted before Pillow reads them, so a file of many small pieces is refused cheaply.

Pillow walks a PNG's chunks and a GIF's extension sub-blocks in Python, one at a time, on open and while decoding
the first frame: a 6 MB PNG of 500,000 empty ancillary chunks costs a second for a 64x64 image, and each zTXt or
iTXt chunk may inflate to 1 MB (Pillow's MAX_TEXT_CHUNK) from a kilobyte. Encoders write a few dozen chunks plus
the IDAT ones (8 KB each from libpng, so a few thousand at most for the largest file accepted), and a handful of
compressed text chunks; these walks stop as soon as a file is over the limits, so they cost far less than Pillow.
"""

from __future__ import annotations

import struct

from functions.common.exif_blocks import exif_is_too_complex

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GIF_SIGNATURES = (b"GIF87a", b"GIF89a")
MAX_PNG_CHUNKS = 20_000
MAX_PNG_COMPRESSED_CHUNKS = 8  # zTXt, compressed iTXt and iCCP: each may inflate to 1 MB in Pillow
MAX_PNG_TEXT_BYTES = 1 << 20  # all tEXt, zTXt and iTXt chunks: Pillow decodes each into a str on open
_TEXT = frozenset({b"tEXt", b"zTXt", b"iTXt"})
# Extension blocks and sub-blocks a GIF may hold before its first image; an XMP packet of 300 KB stays inside.
MAX_GIF_BLOCKS_BEFORE_IMAGE = 4_096
_COMPRESSED = frozenset({b"zTXt", b"iCCP"})


def png_is_too_complex(data: bytes) -> bool:
    """Whether a PNG holds more chunks, compressed chunks or text than any encoder writes, or a costly EXIF block."""
    position = len(PNG_SIGNATURE)
    chunks = compressed = text = 0
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        chunks += 1
        if kind in _COMPRESSED or (kind == b"iTXt" and _itxt_is_compressed(data, position + 8, length)):
            compressed += 1
        text += length if kind in _TEXT else 0
        if chunks > MAX_PNG_CHUNKS or compressed > MAX_PNG_COMPRESSED_CHUNKS or text > MAX_PNG_TEXT_BYTES:
            return True
        if kind == b"eXIf" and exif_is_too_complex(data[position + 8 : position + 8 + length]):
            return True
        if kind == b"IEND":
            return False
        position += 12 + length
    return False  # truncated: the decoder reports it


def _itxt_is_compressed(data: bytes, start: int, length: int) -> bool:
    """iTXt: keyword, NUL, then the compression flag."""
    keyword_end = data.find(b"\x00", start, start + min(length, 80))
    return keyword_end != -1 and data[keyword_end + 1 : keyword_end + 2] == b"\x01"


def gif_is_too_complex(data: bytes) -> bool:
    """Whether a GIF holds more extension blocks and sub-blocks before its first image than the limit."""
    if len(data) < 13:
        return False
    flags = data[10]
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    blocks = 0
    while position < len(data):
        introducer = data[position]
        if introducer != 0x21:  # an image descriptor (0x2C), the trailer or garbage: Pillow takes it from here
            return False
        position += 2  # introducer and label
        while position < len(data) and (size := data[position]) != 0:
            blocks += 1
            if blocks > MAX_GIF_BLOCKS_BEFORE_IMAGE:
                return True
            position += 1 + size
        blocks += 1
        position += 1
    return False
