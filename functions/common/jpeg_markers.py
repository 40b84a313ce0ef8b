"""How many scans a JPEG holds, counted from its markers without decoding anything.

A progressive JPEG's decode cost grows with pixels x scans: libjpeg entropy-decodes every scan over every block
of its components, even a scan that adds nothing. So a small file of thousands of copies of one scan costs
seconds of CPU. Counting the scans first lets such a file be refused before any decoding.

The walk is as lenient as libjpeg, so no scan hides from it that the decoder would still read: bytes between
segments are skipped up to the next marker (libjpeg only warns about "extraneous bytes"), entropy-coded data is
skipped to the next marker (a 0xFF in it is always followed by 0x00 stuffing or RST0-7), and a segment's payload
is skipped by its length (a marker-like pair inside an APP segment is not a marker).
"""

from __future__ import annotations

import re

_SOI = b"\xff\xd8"
_SOS = 0xDA
_EOI = 0xD9
_APP1 = 0xE1
_EXIF = b"Exif\x00\x00"
_TEM = 0x01  # the one marker without a length that may stand between segments (RST0-7 only occur in scans)
# A marker: 0xFF (any number of fill bytes) and a code that is not 0x00 (stuffing), 0xFF (fill) or RST0-7 (restart
# markers inside entropy-coded data), so one regex search skips a whole scan's data in C.
_MARKER = re.compile(rb"\xff+([^\x00\xff\xd0-\xd7])")
# No encoder writes this many segments (a progressive file has about two per scan and a few dozen more); the walk is
# Python, so a file of millions of tiny segments must not cost more to count than to decode.
MAX_SEGMENTS = 10_000


def has_more_scans_than(data: bytes, limit: int) -> bool:
    """Whether libjpeg would read more than `limit` scans (SOS markers) in `data`, or it has absurdly many segments.

    False for data that is no JPEG; walks no further than needed to tell.
    """
    if not data.startswith(_SOI):
        return False
    # Every SOS marker is the bytes FF DA, which entropy-coded data never holds (an FF there is followed by 00 or an
    # RST code), so this count, in C, bounds the scans from above: the walk below is for the files it cannot clear.
    if data.count(b"\xff\xda") <= limit:
        return False
    scans = segments = 0
    position = len(_SOI)
    while (found := _MARKER.search(data, position)) is not None:
        marker = found.group(1)[0]
        position = found.end()
        segments += 1
        if marker == _EOI:
            return False
        if segments > MAX_SEGMENTS:
            return True
        if marker == _TEM or position + 2 > len(data):
            continue
        length = int.from_bytes(data[position : position + 2], "big")
        if length < 2:
            return False  # libjpeg refuses such a segment, and so will the decoder
        if marker == _SOS:
            scans += 1
            if scans > limit:
                return True
        position += length  # past the segment's payload; a scan's entropy-coded data is skipped by the next search
    return False


def has_more_header_segments_than(data: bytes, limit: int) -> bool:
    """Whether more than `limit` segments precede the first scan; Pillow reads each of them in Python on open.

    Encoders write a few dozen (APPn, DQT, SOF, DHT; an ICC profile in up to a few dozen APP2): a file of 500,000
    empty comments costs Pillow 0.4 s to open. False for data that is no JPEG.
    """
    if not data.startswith(_SOI):
        return False
    segments = 0
    position = len(_SOI)
    while (found := _MARKER.search(data, position)) is not None:
        marker = found.group(1)[0]
        segments += 1
        if marker in (_SOS, _EOI) or position + 2 > len(data):
            return False
        if segments > limit:
            return True
        position = found.end()
        if marker != _TEM:
            position += int.from_bytes(data[position : position + 2], "big")
    return False


def exif_of(data: bytes, max_segments: int) -> bytes:
    """The EXIF block Pillow assembles from a JPEG's APP1 "Exif" segments (the first whole, the rest appended)."""
    parts: list[bytes] = []
    position = len(_SOI)
    for _ in range(max_segments):
        found = _MARKER.search(data, position)
        if found is None or found.group(1)[0] in (_SOS, _EOI):
            break
        position = found.end()
        if found.group(1)[0] == _TEM:
            continue
        length = int.from_bytes(data[position : position + 2], "big")
        payload = data[position + 2 : position + length]
        if found.group(1)[0] == _APP1 and payload.startswith(_EXIF):
            parts.append(payload if not parts else payload[len(_EXIF) :])
        position += max(length, 2)
    return b"".join(parts)
