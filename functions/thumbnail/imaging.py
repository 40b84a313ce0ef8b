"""Reading images safely: format from the bytes, pixel limit from the header, then a 256 px WebP."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from functions.common.formats import ACCEPTED_MIME_TYPES

_PIL_FORMATS = sorted(set(ACCEPTED_MIME_TYPES.values()))
_MIME_BY_FORMAT = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "AVIF": "image/avif",
    "HEIF": "image/heif",
}


class ImageRejected(Exception):
    """A poison image: retrying can never help. `code` is what the asset's error records."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Thumbnail:
    webp: bytes
    width: int  # of the original, as displayed (EXIF orientation applied)
    height: int
    mime: str


def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def make_thumbnail(data: bytes, *, box: int, max_pixels: int) -> Thumbnail:
    """Decode `data` under `max_pixels` and return a WebP no larger than `box` on its longest side."""
    _register_heif()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image: Image.Image = Image.open(io.BytesIO(data), formats=_PIL_FORMATS)
        except UnidentifiedImageError as error:
            raise ImageRejected("unsupported_media_type", "Not an accepted image format.") from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageRejected("image_too_large", "The image has too many pixels.") from error
        if image.width * image.height > max_pixels:
            raise ImageRejected("image_too_large", "The image has too many pixels.")
        mime = _MIME_BY_FORMAT.get(image.format or "", "application/octet-stream")
        width, height = image.size
        if image.getexif().get(0x0112) in (5, 6, 7, 8):
            width, height = height, width
        try:
            image.thumbnail((box, box))
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "RGBA"):
                image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
            out = io.BytesIO()
            image.save(out, format="WEBP", quality=80)
        except (OSError, ValueError, SyntaxError) as error:
            raise ImageRejected("invalid_image", "The image is truncated or corrupt.") from error
    return Thumbnail(webp=out.getvalue(), width=width, height=height, mime=mime)
