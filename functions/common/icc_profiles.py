"""Which embedded ICC profiles are worth a colour transform: bounded ones, read from the header and tag table.

Little CMS evaluates a profile's pipeline at every grid point when it builds a transform (and per pixel without
that optimisation). The fixed-shape tags (lut8, lut16, lutAtoB: curves, one matrix, one CLUT) cost a bounded amount
per evaluation, but a multiProcessElement tag ('mpet', in the D2Bx/B2Dx float tags, which lcms prefers over A2Bx)
holds any number of elements, and its position table may point every one of them at the same bytes: a 160 KB
profile of 20,000 matrices costs 15 s of CPU for a 256x256 image. Such a profile, or one over the byte limit, is
ignored (the image is converted as if untagged), which no real camera or editor output needs.
"""

from __future__ import annotations

import struct

MAX_ICC_BYTES = 4 * 1024 * 1024  # the largest press CMYK profiles are about 2 MB
MAX_ICC_TAGS = 100  # lcms's own table limit
_HEADER = 128
_FLOAT_TAGS = frozenset({b"D2B0", b"D2B1", b"D2B2", b"D2B3", b"B2D0", b"B2D1", b"B2D2", b"B2D3"})
_UNBOUNDED_TYPES = frozenset({b"mpet"})


def is_bounded_profile(profile: bytes) -> bool:
    """Whether a transform from `profile` costs a bounded amount per colour: small, and no multi-element tags."""
    if not _HEADER + 4 <= len(profile) <= MAX_ICC_BYTES:
        return False
    (count,) = struct.unpack_from(">I", profile, _HEADER)
    if count > MAX_ICC_TAGS or _HEADER + 4 + 12 * count > len(profile):
        return False
    for index in range(count):
        signature, offset, size = struct.unpack_from(">4sII", profile, _HEADER + 4 + 12 * index)
        if signature in _FLOAT_TAGS or profile[offset : offset + 4] in _UNBOUNDED_TYPES:
            return False
        if offset + size > len(profile):
            return False
    return True
