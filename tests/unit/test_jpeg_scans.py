"""Progressive JPEGs decoded at 1/8 scale without the AC scans that scale never reads: same pixels, never a crash."""

from __future__ import annotations

import io
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from functions.thumbnail.imaging import make_thumbnail
from functions.thumbnail.jpeg_scans import dc_scans_only
from tests.thumbnail_support import image_bytes, quadrants

BOX = 256
LIMIT = 50_000_000


def _photo(width: int = 2400, height: int = 1600) -> Image.Image:
    """Colour, edges and fine texture, so dropped or damaged coefficients would show."""
    picture = quadrants(width, height)
    draw = ImageDraw.Draw(picture)
    for index in range(0, width, 37):
        draw.line([(index, 0), (width - index, height)], fill=(index % 256, 90, 255 - index % 256), width=5)
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    return Image.blend(picture, noise, 0.25).filter(ImageFilter.SMOOTH)


def _scans(data: bytes) -> list[tuple[set[int], int]]:
    """(component ids, spectral start) of every scan in a JPEG."""
    found = []
    position = data.find(b"\xff\xda")
    while position != -1:
        count = data[position + 4]
        ids = {data[position + 5 + 2 * index] for index in range(count)}
        found.append((ids, data[position + 5 + 2 * count]))
        position = data.find(b"\xff\xda", position + 2)
    return found


def _at_one_eighth(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (image.width // 8, image.height // 8))
    return image.convert("RGB")


def test_only_dc_scans_and_subsampled_scans_remain() -> None:
    # Given a 4:2:0 progressive JPEG (component 1 is the full-resolution luma)
    data = image_bytes(_photo(), "JPEG", quality=90, progressive=True, subsampling=2)
    assert any(ids == {1} and start > 0 for ids, start in _scans(data))

    # When its AC scans the 1/8 decode never reads are dropped
    reduced = dc_scans_only(data)

    # Then of the luma AC scans only the first is left; every DC and chroma scan is kept; the file is smaller
    assert reduced is not None and len(reduced) < len(data)
    luma_ac = [index for index, (ids, start) in enumerate(_scans(data)) if ids == {1} and start > 0]
    expected = [scan for index, scan in enumerate(_scans(data)) if index not in luma_ac[1:]]
    assert len(luma_ac) > 1
    assert _scans(reduced) == expected


def test_the_dc_only_file_decodes_to_the_same_picture_at_one_eighth() -> None:
    # Given a progressive JPEG
    data = image_bytes(_photo(), "JPEG", quality=90, progressive=True)

    # When both it and its DC-only form are decoded at 1/8 scale
    full, reduced = _at_one_eighth(data), _at_one_eighth(dc_scans_only(data) or b"")

    # Then the pixels are identical
    assert reduced.size == full.size
    assert ImageChops.difference(full, reduced).getbbox() is None


def test_full_resolution_only_files_lose_every_ac_scan() -> None:
    # Given progressive JPEGs whose components all have full resolution: 4:4:4 colour and greyscale
    for picture, params in [(_photo(), {"subsampling": 0}), (_photo().convert("L"), {})]:
        data = image_bytes(picture, "JPEG", quality=90, progressive=True, **params)

        # When reduced
        reduced = dc_scans_only(data)

        # Then only the DC scans and each component's first AC scan are left, and the pixels at 1/8 are the same
        assert reduced is not None
        ac_scans = [ids for ids, start in _scans(reduced) if start > 0]
        assert len(ac_scans) == len({frozenset(ids) for ids in ac_scans}) == len(picture.getbands())
        assert ImageChops.difference(_at_one_eighth(reduced), _at_one_eighth(data)).getbbox() is None


def test_other_files_are_left_to_the_real_decoder() -> None:
    # Given a baseline JPEG, a PNG, a truncated progressive JPEG and bytes that only start like a JPEG
    progressive = image_bytes(_photo(800, 600), "JPEG", quality=90, progressive=True)
    others = [
        image_bytes(_photo(800, 600), "JPEG", quality=90),
        image_bytes(_photo(80, 60), "PNG"),
        progressive[: len(progressive) * 2 // 3],
        b"\xff\xd8\xff\xe0" + struct.pack(">H", 400) + b"JFIF",
        b"\xff\xd8",
    ]

    # When reduced, Then each is declined (the caller decodes the original, and reports what is wrong with it)
    assert [dc_scans_only(data) for data in others] == [None] * len(others)


def test_a_large_progressive_jpeg_thumbnails_like_its_baseline_twin() -> None:
    # Given the same picture as baseline and as progressive JPEG (the same coefficients, ordered differently),
    # stored sideways with EXIF orientation 6, large enough to be decoded at 1/8 scale
    picture = _photo()
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = picture.transpose(Image.Transpose.ROTATE_90)
    baseline = image_bytes(stored, "JPEG", quality=90, exif=exif.tobytes())
    progressive = image_bytes(stored, "JPEG", quality=90, exif=exif.tobytes(), progressive=True)

    # When both are thumbnailed
    from_baseline = make_thumbnail(baseline, box=BOX, max_pixels=LIMIT)
    from_progressive = make_thumbnail(progressive, box=BOX, max_pixels=LIMIT)

    # Then the recorded facts are equal and the thumbnails are pixel for pixel the same
    assert (from_progressive.width, from_progressive.height, from_progressive.mime) == (2400, 1600, "image/jpeg")
    assert (from_baseline.width, from_baseline.height) == (2400, 1600)
    one, other = (Image.open(io.BytesIO(thumb.webp)).convert("RGB") for thumb in (from_baseline, from_progressive))
    assert one.size == other.size == (256, 171)
    assert ImageChops.difference(one, other).getbbox() is None


_SMALL_PROGRESSIVE = image_bytes(_photo(320, 240), "JPEG", quality=80, progressive=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(_SMALL_PROGRESSIVE) - 1), st.integers(0, 255)), max_size=6))
def test_damaged_files_never_crash_the_parser(damage: list[tuple[int, int]]) -> None:
    # Given a progressive JPEG with a few bytes overwritten anywhere (headers, markers, lengths, scan data)
    data = bytearray(_SMALL_PROGRESSIVE)
    for position, value in damage:
        data[position] = value

    # When reduced, Then the parser answers bytes or None, and the bytes are a JPEG of whole segments
    reduced = dc_scans_only(bytes(data))
    assert reduced is None or (reduced.startswith(b"\xff\xd8") and reduced.endswith(b"\xff\xd9"))
