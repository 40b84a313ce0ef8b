"""Opening untrusted image bytes safely: format decided from the bytes, pixel count checked before decoding.

Shared by direct upload, ingest and the thumbnail pipeline, so every path accepts exactly the same files.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from PIL import Image, UnidentifiedImageError

from functions.common.formats import ACCEPTED_MIME_TYPES

PIL_FORMATS = sorted(set(ACCEPTED_MIME_TYPES.values()))
MIME_BY_FORMAT = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "AVIF": "image/avif",
    "HEIF": "image/heif",
}
EXIF_ORIENTATION = 0x0112
_SIDEWAYS_ORIENTATIONS = (5, 6, 7, 8)


class ImageRejected(Exception):
    """A file that can never become an asset; `code` is the stable error code the client or asset records."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ImageFacts:
    mime: str
    width: int  # as displayed: EXIF orientation applied
    height: int


@cache
def _register_heif() -> None:
    """Teach Pillow HEIC/HEIF once per process (pillow-heif); AVIF is built into Pillow."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _too_many_pixels() -> ImageRejected:
    return ImageRejected("image_too_large", "The image has too many pixels.")


def _corrupt() -> ImageRejected:
    return ImageRejected("invalid_image", "The image is truncated or corrupt.")


@contextmanager
def opened_image(data: bytes, *, max_pixels: int) -> Iterator[Image.Image]:
    """Open `data` lazily as one of the accepted formats, refusing it before decoding if it has too many pixels.

    Only the header is read here; decoding happens inside the `with` block, where Pillow's decode errors
    (truncated, corrupt, bomb) also become `ImageRejected`.
    """
    _register_heif()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=PIL_FORMATS)
        except UnidentifiedImageError as error:
            raise ImageRejected("unsupported_media_type", "Not an accepted image format.") from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _too_many_pixels() from error
        except (OSError, ValueError, SyntaxError, EOFError) as error:
            raise _corrupt() from error
        if image.format not in MIME_BY_FORMAT:
            raise ImageRejected("unsupported_media_type", "Not an accepted image format.")
        if image.width <= 0 or image.height <= 0:
            raise _corrupt()
        if image.width * image.height > max_pixels:
            raise _too_many_pixels()
        try:
            yield image
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _too_many_pixels() from error
        except (OSError, ValueError, SyntaxError, EOFError) as error:
            raise _corrupt() from error


def orientation_of(image: Image.Image) -> int:
    """The EXIF orientation (1..8) of an opened image; 1 when absent or nonsense."""
    try:
        value = image.getexif().get(EXIF_ORIENTATION, 1)
    except (OSError, ValueError, SyntaxError, TypeError):  # a broken EXIF block must not sink the image
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def displayed_size(image: Image.Image) -> tuple[int, int]:
    """The size as a viewer shows it: width and height swap for the sideways EXIF orientations."""
    width, height = image.size
    if orientation_of(image) in _SIDEWAYS_ORIENTATIONS:
        return height, width
    return width, height


def probe(data: bytes, *, max_pixels: int) -> ImageFacts:
    """Identify and fully decode `data` (so truncation is caught); returns its format and displayed size."""
    with opened_image(data, max_pixels=max_pixels) as image:
        mime = MIME_BY_FORMAT[image.format or ""]
        width, height = displayed_size(image)
        image.load()
    return ImageFacts(mime=mime, width=width, height=height)
