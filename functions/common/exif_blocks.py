"""EXIF blocks whose first directory holds more entries than any camera writes, told from its header alone.

Pillow parses the whole first directory (IFD0) of an EXIF block in Python, an entry at a time: on opening a JPEG
or an AVIF, and wherever the orientation is read. Its 2-byte count allows 65,535 entries, about 0.1 s of CPU for a
block of 786 KB, while cameras and editors write a few dozen. Pillow already bounds the tag data it copies to the
block's size; the entry count is what is left.
"""

from __future__ import annotations

import struct

MAX_EXIF_IFD0_ENTRIES = 256
_EXIF_PREFIX = b"Exif\x00\x00"


def exif_is_too_complex(block: bytes | None) -> bool:
    """Whether the block's IFD0 declares more entries than the limit; False for no block or one that is unreadable."""
    if not block:
        return False
    tiff = block[len(_EXIF_PREFIX) :] if block.startswith(_EXIF_PREFIX) else block
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return False
    (offset,) = struct.unpack_from(order + "I", tiff, 4)
    if offset + 2 > len(tiff):
        return False
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    return count > MAX_EXIF_IFD0_ENTRIES


def heif_exif_item(payload: bytes) -> bytes:
    """The TIFF block inside a HEIF/AVIF Exif item: a 4-byte offset to the TIFF header precedes it."""
    if len(payload) < 4:
        return b""
    (offset,) = struct.unpack_from(">I", payload, 0)
    return payload[4 + offset :]
