"""The preview rendition (#17): one decode, the preview first and the thumbnail from it (no I/O)."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from functions.thumbnail.imaging import make_thumbnail
from tests.imagegen import pixel
from tests.thumbnail_support import image_bytes, quadrants

BOX = 256
PREVIEW = 1440
LIMIT = 50_000_000


def _decoded(webp: bytes | None) -> Image.Image:
    assert webp is not None
    image = Image.open(io.BytesIO(webp))
    assert image.format == "WEBP"
    image.load()
    return image


def _close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


@pytest.mark.parametrize(
    ("size", "fmt", "preview_size", "thumb_size"),
    [
        ((3000, 2000), "JPEG", (1440, 960), (256, 171)),  # drafted (DCT scaling), then resized
        ((1200, 4000), "PNG", (432, 1440), (77, 256)),
        ((1440, 900), "JPEG", (1440, 900), (256, 160)),  # exactly the box: its own size
        ((800, 600), "PNG", (800, 600), (256, 192)),  # smaller than the box: never enlarged
        ((100, 80), "JPEG", (100, 80), (100, 80)),  # smaller than both
    ],
)
def test_the_preview_has_the_box_on_its_longest_side_and_is_never_larger_than_the_original(
    size: tuple[int, int], fmt: str, preview_size: tuple[int, int], thumb_size: tuple[int, int]
) -> None:
    # Given an image of this size
    data = image_bytes(quadrants(*size), fmt)

    # When both renditions are made
    made = make_thumbnail(data, box=BOX, max_pixels=LIMIT, preview_box=PREVIEW)

    # Then the preview fits the preview box without enlarging, and the thumbnail the thumbnail box
    assert _decoded(made.preview).size == preview_size
    assert _decoded(made.webp).size == thumb_size
    assert (made.width, made.height) == size


def test_no_preview_is_made_without_a_preview_box() -> None:
    # Given an image, When only the thumbnail is asked for
    made = make_thumbnail(image_bytes(quadrants(600, 400), "PNG"), box=BOX, max_pixels=LIMIT)

    # Then there is no preview
    assert made.preview is None


def test_the_preview_carries_no_exif_icc_or_xmp_even_at_the_originals_size() -> None:
    # Given a small JPEG (under the preview box, so the preview keeps its size) with GPS, XMP and an ICC profile
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    data = image_bytes(quadrants(400, 300), "JPEG", exif=exif.tobytes(), xmp=xmp, icc_profile=srgb)

    # When both renditions are made
    made = make_thumbnail(data, box=BOX, max_pixels=LIMIT, preview_box=PREVIEW)

    # Then the preview is re-encoded as a WebP with no EXIF, XMP or ICC chunk at all
    assert made.preview is not None
    picture = _decoded(made.preview)
    assert picture.size == (400, 300)
    assert not {"exif", "xmp", "icc_profile"} & set(picture.info)
    assert not any(chunk in made.preview for chunk in (b"EXIF", b"XMP ", b"ICCP", b"CameraMaker"))


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_the_preview_is_shown_upright(orientation: int) -> None:
    # Given a 2000x1500 picture stored turned, with the EXIF orientation that undoes it
    displayed = quadrants(2000, 1500)
    stored = displayed.transpose(
        {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}[orientation]
    )
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = image_bytes(stored, "JPEG", quality=95, exif=exif.tobytes())

    # When both renditions are made
    made = make_thumbnail(data, box=BOX, max_pixels=LIMIT, preview_box=PREVIEW)

    # Then the preview and the thumbnail show it upright, at the displayed shape
    preview, thumb = _decoded(made.preview).convert("RGB"), _decoded(made.webp).convert("RGB")
    assert preview.size == (1440, 1080) and thumb.size == (256, 192)
    for picture in (preview, thumb):
        w, h = picture.size
        for x, y in [(w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4), (3 * w // 4, 3 * h // 4)]:
            expected = pixel(displayed, (x * 2000 // w, y * 1500 // h))
            assert _close(pixel(picture, (x, y)), expected), (orientation, picture.size, (x, y))
