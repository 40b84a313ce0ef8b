"""Property test: any accepted image, whatever its size, mode and format, gives a clean thumbnail in the box."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from functions.thumbnail.imaging import make_thumbnail
from tests.thumbnail_support import image_bytes

BOX = 64  # a smaller box than production keeps the test fast; the rules do not depend on its size
# The modes each format can store.
MODES_BY_FORMAT = {
    "JPEG": ["RGB", "L", "CMYK"],
    "PNG": ["RGB", "RGBA", "L", "LA", "P", "1", "I;16"],
    "WEBP": ["RGB", "RGBA"],
    "GIF": ["P", "L"],
}


@st.composite
def images(draw: st.DrawFn) -> tuple[bytes, int, int]:
    fmt = draw(st.sampled_from(sorted(MODES_BY_FORMAT)))
    mode = draw(st.sampled_from(MODES_BY_FORMAT[fmt]))
    width = draw(st.integers(1, 300))
    height = draw(st.integers(1, 300))
    image = Image.linear_gradient("L").resize((width, height))
    if mode == "I;16":
        image = image.convert("I").point(lambda value: value * 256).convert("I;16")
    else:
        image = image.convert(mode)
    exif = Image.Exif()
    exif[0x0112] = draw(st.integers(1, 8))
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0)}
    params = {"exif": exif.tobytes()} if fmt in ("JPEG", "PNG", "WEBP") else {}
    return image_bytes(image, fmt, **params), width, height


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(images())
def test_any_image_gives_a_decodable_metadata_free_thumbnail_in_the_box(sample: tuple[bytes, int, int]) -> None:
    # Given an image of random size, mode, format and orientation, with GPS EXIF where the format allows
    data, width, height = sample

    # When it is thumbnailed
    thumb = make_thumbnail(data, box=BOX, max_pixels=50_000_000)

    # Then the output decodes, fits the box without being enlarged, and carries no metadata
    picture = Image.open(io.BytesIO(thumb.webp))
    picture.load()
    assert picture.format == "WEBP"
    assert max(picture.size) <= BOX
    assert picture.width <= max(thumb.width, 1)
    assert picture.height <= max(thumb.height, 1)
    assert {thumb.width, thumb.height} == {width, height}
    assert picture.mode in ("RGB", "RGBA")
    assert not {"exif", "xmp", "icc_profile"} & set(picture.info)
    assert b"EXIF" not in thumb.webp
