"""The thumbnail itself: a WebP no larger than the box, oriented, without metadata."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import ImageOps

from functions.common.images import MIME_BY_FORMAT, displayed_size, opened_image


@dataclass(frozen=True)
class Thumbnail:
    webp: bytes
    width: int  # of the original, as displayed (EXIF orientation applied)
    height: int
    mime: str


def make_thumbnail(data: bytes, *, box: int, max_pixels: int) -> Thumbnail:
    """Decode `data` under `max_pixels` and return a WebP no larger than `box` on its longest side."""
    with opened_image(data, max_pixels=max_pixels) as image:
        mime = MIME_BY_FORMAT[image.format or ""]
        width, height = displayed_size(image)
        image.thumbnail((box, box))
        shown = ImageOps.exif_transpose(image)
        if shown.mode not in ("RGB", "RGBA"):
            shown = shown.convert("RGBA" if "A" in shown.getbands() or "transparency" in shown.info else "RGB")
        out = io.BytesIO()
        shown.save(out, format="WEBP", quality=80)
    return Thumbnail(webp=out.getvalue(), width=width, height=height, mime=mime)
