"""The thumbnail and the preview: WebPs no larger than their box, in sRGB, oriented as displayed, without metadata.

Order matters for speed: shrink first (JPEG decodes at 1/2, 1/4 or 1/8 scale through `draft`), then fix
orientation and colours on the small image. Orienting or converting first forces a full-size decode (~3x).
A progressive JPEG drafted to 1/8 is decoded from its DC scans alone (about half the time).
With a preview box (#17), the image is decoded once for the preview, and the thumbnail is shrunk from the preview.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageCms

from functions.common.icc_profiles import is_bounded_profile
from functions.common.images import MIME_BY_FORMAT, decoding, displayed_size, opened_image, orientation_of
from functions.common.models import Placeholder
from functions.common.placeholder import make_placeholder
from functions.thumbnail.jpeg_scans import dc_scans_only

WEBP_QUALITY = 80
WEBP_METHOD = 4  # libwebp's default effort, the same as sharp's
# Box-average down to 1.5x the box, then bicubic: half the resize cost of Pillow's 2.0 at 1 MP, and still an
# area average (no aliasing); the difference is not visible at 256 px.
REDUCING_GAP = 1.5
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ALPHA_MODES = frozenset({"RGBA", "LA", "La", "RGBa", "PA"})
# Modes Pillow resizes badly (nearest neighbour) or not at all (16-bit), or that carry a colour-key transparency,
# are converted before shrinking.
_CONVERT_BEFORE_SHRINK = frozenset({"P", "PA", "1"})
_SRGB = ImageCms.createProfile("sRGB")
# At this scale a progressive JPEG's full-resolution components need only their DC scans (see jpeg_scans).
_DC_ONLY_SCALE = 8


@dataclass(frozen=True)
class Thumbnail:
    webp: bytes
    width: int  # of the original, as displayed (EXIF orientation applied)
    height: int
    mime: str
    placeholder: Placeholder
    preview: bytes | None = None  # the preview WebP, when a preview box was given


@lru_cache(maxsize=32)
def _transform_to_srgb(icc_profile: bytes, in_mode: str, out_mode: str) -> ImageCms.ImageCmsTransform:
    """A colour transform from an embedded profile to sRGB, built once per distinct profile."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
    return ImageCms.buildTransform(source, _SRGB, in_mode, out_mode, renderingIntent=ImageCms.Intent.PERCEPTUAL)


def _bounded(icc_profile: bytes | None) -> bytes | None:
    """The embedded profile if a transform from it costs a bounded amount; else None (converted as untagged)."""
    return icc_profile if icc_profile and is_bounded_profile(icc_profile) else None


def _without_colour_key(image: Image.Image) -> Image.Image:
    """Palette, bilevel and colour-keyed images as plain RGB(A)/L, so resampling blends real colours."""
    if image.mode in _CONVERT_BEFORE_SHRINK:
        has_alpha = image.mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else ("L" if image.mode == "1" else "RGB"))
    if image.mode in ("L", "RGB") and "transparency" in image.info:
        return image.convert("RGBA")
    # Pillow cannot box-reduce 16/32-bit greyscale; such files are PNGs, which have no DCT scaling to lose anyway.
    return _eight_bit(image)


def _draft(image: Image.Image, box: int) -> int:
    """Ask a JPEG to decode at the smallest DCT scale (1/2, 1/4, 1/8) that still fills `box`; returns the divisor."""
    if image.format != "JPEG":
        return 1
    scale = min(1.0, box / max(image.size))
    full_width = image.width
    drafted = image.draft(None, (max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    return round(full_width / drafted[1][2]) if drafted else 1


def _shrunk(image: Image.Image, box: int) -> Image.Image:
    """The (drafted) image no larger than `box` on its longest side."""
    image = _without_colour_key(image)
    image.thumbnail((box, box), Image.Resampling.BICUBIC, reducing_gap=REDUCING_GAP)
    return image


def _eight_bit(image: Image.Image) -> Image.Image:
    """16/32-bit greyscale scaled to 8 bits (a plain convert would clip everything above 255 to white)."""
    if image.mode.startswith("I"):
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode == "F":
        return image.point(lambda value: value * 255).convert("L")
    return image


def _in_srgb(colour: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Colour bands (L, RGB, CMYK, ...) as sRGB RGB, through the embedded profile when it fits the mode."""
    if icc_profile and colour.mode in ("L", "RGB", "CMYK"):
        try:
            return ImageCms.applyTransform(colour, _transform_to_srgb(icc_profile, colour.mode, "RGB")) or colour
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken or mismatched profile: fall back to Pillow's plain conversion below
    return colour if colour.mode == "RGB" else colour.convert("RGB")


def _display_colours(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """RGB, or RGBA when the image has transparency, in sRGB."""
    if image.mode in _ALPHA_MODES:
        rgba = image.convert("RGBA") if image.mode != "LA" else image
        alpha = rgba.getchannel("A")
        colour = _in_srgb(rgba.convert("L" if rgba.mode == "LA" else "RGB"), icc_profile)
        if alpha.getextrema() != (255, 255):  # an alpha channel that hides nothing is dropped: WebP alpha is costly
            colour.putalpha(alpha)
        return colour
    return _in_srgb(image, icc_profile)


def _oriented(image: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE_FOR_ORIENTATION.get(orientation)
    return image if method is None else image.transpose(method)


def _encode_webp(image: Image.Image) -> bytes:
    """WebP without any metadata: a fresh image carries no EXIF, XMP or ICC, and none is passed to the encoder."""
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return out.getvalue()


def make_thumbnail(data: bytes, *, box: int, max_pixels: int, preview_box: int | None = None) -> Thumbnail:
    """Decode `data` under `max_pixels` and return a WebP no larger than `box` on its longest side; with
    `preview_box`, also a preview WebP no larger than it (nor than the original), the thumbnail shrunk from it.

    Everything, encoding and the placeholder included, runs behind `decoding()`: Pillow decodes lazily, so a
    truncated file may only fail when the pixels are first needed (in the encoder), and must still be `ImageRejected`.
    """
    with decoding():
        # A preview box no larger than the thumbnail's makes no preview (the asset shows its original instead).
        decode_box = preview_box if preview_box is not None and preview_box > box else box
        large, width, height, mime = _displayed(data, box=decode_box, max_pixels=max_pixels)
        if decode_box == box:
            return Thumbnail(_encode_webp(large), width, height, mime, make_placeholder(large))
        # The preview is already oriented and in sRGB: the thumbnail is one more (small) resize of it.
        shown = large.copy()
        shown.thumbnail((box, box), Image.Resampling.BICUBIC, reducing_gap=REDUCING_GAP)
        return Thumbnail(_encode_webp(shown), width, height, mime, make_placeholder(shown), preview=_encode_webp(large))


def _displayed(data: bytes, *, box: int, max_pixels: int) -> tuple[Image.Image, int, int, str]:
    """The image no larger than `box`, oriented and in sRGB; the original's displayed width, height and MIME type."""
    with opened_image(data, max_pixels=max_pixels) as image:
        mime = MIME_BY_FORMAT[image.format or ""]
        orientation = orientation_of(image)
        width, height = displayed_size(image)
        icc_profile = _bounded(image.info.get("icc_profile"))
        image.seek(0)  # animated GIF/WebP/AVIF: the first frame
        coarse = dc_scans_only(data) if _draft(image, box) == _DC_ONLY_SCALE else None
        if coarse is None:
            small = _shrunk(image, box)
        else:
            with opened_image(coarse, max_pixels=max_pixels) as reduced:
                _draft(reduced, box)
                small = _shrunk(reduced, box)
        return _oriented(_display_colours(small, icc_profile), orientation), width, height, mime
