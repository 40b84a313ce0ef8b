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

from functions.common.errors import TransientError
from functions.common.formats import ACCEPTED_MIME_TYPES
from functions.common.jpeg_markers import has_more_scans_than

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
# Decoding a JPEG costs about pixels x scans, so a small file of thousands of scans takes seconds per megapixel.
# Encoders write far fewer: libjpeg's progressive default 10 (6 grey, 18 CMYK), baseline 1 (3 non-interleaved).
# 32 leaves room for tuned scan scripts while bounding a crafted file to a few times a default progressive decode.
MAX_JPEG_SCANS = 32
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
def decoding() -> Iterator[None]:
    """The one boundary around decoding and encoding untrusted bytes: whatever fails inside is the image's fault.

    Pillow and pillow-heif raise whatever their parsers hit (OSError for truncation, but also ValueError,
    struct.error, IndexError, ZeroDivisionError, MemoryError, ...). None of that is worth a retry: the same bytes
    fail the same way. So every exception but `ImageRejected` and `TransientError` (decoding makes no AWS call, but
    a caller's fake or a future step might) becomes `ImageRejected`, never an unclassified crash.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (ImageRejected, TransientError):
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError) as error:
            raise _too_many_pixels() from error
        except UnidentifiedImageError as error:
            raise ImageRejected("unsupported_media_type", "Not an accepted image format.") from error
        except Exception as error:
            raise _corrupt() from error


@contextmanager
def opened_image(data: bytes, *, max_pixels: int) -> Iterator[Image.Image]:
    """Open `data` lazily as one of the accepted formats, refusing it before decoding if it has too many pixels.

    Only the header is read here; decoding happens inside the `with` block, which runs behind `decoding()`.
    """
    _register_heif()
    with decoding():
        image = Image.open(io.BytesIO(data), formats=PIL_FORMATS)
        if image.format not in MIME_BY_FORMAT:
            raise ImageRejected("unsupported_media_type", "Not an accepted image format.")
        if image.width <= 0 or image.height <= 0:
            raise _corrupt()
        if image.width * image.height > max_pixels:
            raise _too_many_pixels()
        if image.format == "JPEG" and has_more_scans_than(data, MAX_JPEG_SCANS):
            raise ImageRejected("image_too_complex", "The JPEG has more scans than any encoder writes.")
        yield image


def orientation_of(image: Image.Image) -> int:
    """The EXIF orientation (1..8) of an opened image; 1 when absent or nonsense."""
    try:
        value = image.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # a broken EXIF block must not sink the image (any parser error: see `decoding`)
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
