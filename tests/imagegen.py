"""Small real images made on the fly for tests."""

from __future__ import annotations

import io

from PIL import Image


def png_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(width: int = 80, height: int = 60, color: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG", quality=85)
    return out.getvalue()


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The bands of one pixel: Pillow types getpixel for every mode, but a multi-band image answers a tuple."""
    value = image.getpixel(xy)
    if not isinstance(value, tuple):
        raise TypeError(f"a {image.mode} image has no bands at {xy}: {value!r}")
    return value
