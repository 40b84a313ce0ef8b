"""Hand-made video containers for tests that only tell the format from the first bytes (no decoder involved)."""

from __future__ import annotations

import random


def box(kind: bytes, payload: bytes) -> bytes:
    """One ISO-BMFF box: 32-bit size, 4-character type, payload."""
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def mp4_bytes(size: int = 4096, *, seed: int = 0, brand: bytes = b"isom") -> bytes:
    """An MP4 of exactly `size` bytes (at least 40): an `ftyp` box, then one `mdat` of filler that `seed` varies."""
    ftyp = box(b"ftyp", brand + (512).to_bytes(4, "big") + brand + b"mp41")
    filler = random.Random(seed).randbytes(size - len(ftyp) - 8)
    return ftyp + box(b"mdat", filler)
