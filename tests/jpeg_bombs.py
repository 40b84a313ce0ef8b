"""Crafted JPEGs whose decode cost is out of proportion to their pixels (progressive scan bombs)."""

from __future__ import annotations

import io

from PIL import Image


def progressive_jpeg(width: int = 320, height: int = 240, mode: str = "RGB") -> bytes:
    """A progressive JPEG as libjpeg writes it by default (10 scans in colour, 6 in grey, 18 in CMYK)."""
    picture = Image.new("RGB", (width, height), (200, 60, 30)).convert(mode)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=90, progressive=True)
    return out.getvalue()


def with_last_scan_repeated(data: bytes, copies: int) -> bytes:
    """`data` with its last scan (header and entropy-coded data) repeated `copies` more times before EOI.

    libjpeg only warns about a repeated scan and decodes every copy over every block of its components.
    """
    end = data.rindex(b"\xff\xd9")
    start = data.rindex(b"\xff\xda", 0, end)
    return data[:end] + data[start:end] * copies + data[end:]
