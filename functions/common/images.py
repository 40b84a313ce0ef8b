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

from functions.common.container_walks import GIF_SIGNATURES, PNG_SIGNATURE, gif_is_too_complex, png_is_too_complex
from functions.common.exif_blocks import exif_is_too_complex, heif_exif_item
from functions.common.failures import TransientError
from functions.common.formats import ACCEPTED_MIME_TYPES
from functions.common.isobmff_items import PrimaryCost, is_isobmff, primary_cost
from functions.common.jpeg_markers import exif_of, has_more_header_segments_than, has_more_scans_than

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
MAX_JPEG_HEADER_SEGMENTS = 1_000  # before the first scan; encoders write a few dozen
# HEIF/AVIF: the coded images decoded to show the primary one (tiles, the image behind a crop, auxiliary images).
# Encoders pad to whole tiles or coding units and add auxiliaries of at most the primary's size, so 4x the shown
# pixels plus a megapixel leaves room for every real file while bounding a crafted one to a few plain decodes.
MAX_CODED_IMAGES = 1_024  # a 48 MP iPhone grid has 192 tiles
MAX_CODED_PIXELS_RATIO = 4
CODED_PIXELS_ALLOWANCE = 1 << 20
MAX_TOP_LEVEL_IMAGES = 64  # pillow-heif reads every one's header on open; cameras write one
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
        cost = primary_cost(data) if is_isobmff(data) else None
        _refuse_costly_containers(data, cost)
        image = Image.open(io.BytesIO(data), formats=PIL_FORMATS)
        if image.format not in MIME_BY_FORMAT:
            raise ImageRejected("unsupported_media_type", "Not an accepted image format.")
        if image.width <= 0 or image.height <= 0:
            raise _corrupt()
        if image.width * image.height > max_pixels:
            raise _too_many_pixels()
        if image.format == "JPEG" and has_more_scans_than(data, MAX_JPEG_SCANS):
            raise ImageRejected("image_too_complex", "The JPEG has more scans than any encoder writes.")
        if image.format in ("HEIF", "AVIF"):
            _refuse_costly_items(cost, max_pixels=max_pixels)
        if exif_is_too_complex(image.info.get("exif")):  # WebP's, which only libwebp's demuxer finds cheaply
            raise _too_complex("The EXIF block has more entries than any camera writes.")
        yield image


def _too_complex(message: str) -> ImageRejected:
    return ImageRejected("image_too_complex", message)


def _refuse_costly_containers(data: bytes, cost: PrimaryCost | None) -> None:
    """Files of more pieces than any encoder writes, refused before Pillow (or pillow-heif) reads them one by one."""
    if data.startswith(PNG_SIGNATURE) and png_is_too_complex(data):
        raise _too_complex("The PNG has more chunks, text or EXIF entries than any encoder writes.")
    if has_more_header_segments_than(data, MAX_JPEG_HEADER_SEGMENTS):
        raise _too_complex("The JPEG has more segments before its first scan than any encoder writes.")
    if data.startswith(b"\xff\xd8") and exif_is_too_complex(exif_of(data, MAX_JPEG_HEADER_SEGMENTS)):
        raise _too_complex("The EXIF block has more entries than any camera writes.")
    if cost is not None and cost.top_level_images > MAX_TOP_LEVEL_IMAGES:
        raise _too_complex("The file holds more images than any encoder writes.")
    if cost is not None and any(exif_is_too_complex(heif_exif_item(block)) for block in cost.exif):
        raise _too_complex("The EXIF block has more entries than any camera writes.")
    if data.startswith(GIF_SIGNATURES) and gif_is_too_complex(data):
        raise _too_complex("The GIF has more extension blocks before its first image than any encoder writes.")


def _refuse_costly_items(cost: PrimaryCost | None, *, max_pixels: int) -> None:
    """HEIF/AVIF whose primary image needs far more pixels decoded than it shows (grids, crops, auxiliaries)."""
    if cost is None:
        raise _too_complex("The HEIF/AVIF structure could not be inspected before decoding.")
    if cost.coded_pixels > max_pixels:
        raise _too_many_pixels()
    allowed = MAX_CODED_PIXELS_RATIO * cost.displayed_pixels + CODED_PIXELS_ALLOWANCE
    if cost.coded_images > MAX_CODED_IMAGES or cost.coded_pixels > allowed:
        raise _too_complex("The image decodes far more pixels, or tiles, than it shows.")


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
