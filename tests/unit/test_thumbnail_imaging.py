"""The thumbnail image rules, on real images made in memory (no I/O)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms

from functions.common.images import ImageRejected, probe
from functions.common.placeholder import _BASE83
from functions.thumbnail.imaging import make_thumbnail
from tests.imagegen import pixel
from tests.thumbnail_support import image_bytes, quadrants

BOX = 256
LIMIT = 50_000_000

# For each EXIF orientation, the operation that turns the displayed picture into the stored pixels.
_STORED_FOR_ORIENTATION = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def _decoded(webp: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(webp))
    assert image.format == "WEBP"
    image.load()
    return image


def _close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


def _quadrant_colours(image: Image.Image) -> list[tuple[int, ...]]:
    rgb = image.convert("RGB")
    w, h = rgb.size
    return [
        pixel(rgb, (x, y))
        for x, y in [(w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4), (3 * w // 4, 3 * h // 4)]
    ]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_gives_the_same_picture(orientation: int) -> None:
    # Given the same 600x400 picture stored rotated/flipped with the EXIF orientation that undoes it
    displayed = quadrants(600, 400)
    method = _STORED_FOR_ORIENTATION[orientation]
    stored = displayed if method is None else displayed.transpose(method)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = image_bytes(stored, "JPEG", quality=95, exif=exif.tobytes())

    # When it is thumbnailed
    thumb = make_thumbnail(data, box=BOX, max_pixels=LIMIT)

    # Then the thumbnail shows the picture upright and the recorded size is the displayed one
    picture = _decoded(thumb.webp)
    assert picture.size == (256, 171)
    assert (thumb.width, thumb.height) == (600, 400)
    expected = _quadrant_colours(displayed)
    assert all(_close(a, e) for a, e in zip(_quadrant_colours(picture), expected, strict=True))


def test_gps_exif_and_xmp_are_absent_from_the_thumbnail() -> None:
    # Given a JPEG with GPS coordinates in EXIF, an XMP packet and an ICC profile
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    data = image_bytes(quadrants(), "JPEG", exif=exif.tobytes(), xmp=xmp, icc_profile=srgb)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the input really carries GPS

    # When it is thumbnailed
    thumb = make_thumbnail(data, box=BOX, max_pixels=LIMIT)

    # Then the WebP carries no EXIF, XMP or ICC chunk at all
    picture = _decoded(thumb.webp)
    assert not {"exif", "xmp", "icc_profile"} & set(picture.info)
    assert not any(chunk in thumb.webp for chunk in (b"EXIF", b"XMP ", b"ICCP", b"CameraMaker"))


def test_cmyk_jpeg_keeps_its_colours() -> None:
    # Given a CMYK JPEG of pure red (C=0, M=100%, Y=100%, K=0) next to pure blue
    cmyk = Image.new("CMYK", (200, 100), (0, 255, 255, 0))
    cmyk.paste((255, 255, 0, 0), (100, 0, 200, 100))
    data = image_bytes(cmyk, "JPEG", quality=95)

    # When it is thumbnailed
    picture = _decoded(make_thumbnail(data, box=BOX, max_pixels=LIMIT).webp).convert("RGB")

    # Then red is still red and blue still blue (not inverted, not muddy)
    assert _close(pixel(picture, (40, 50)), (255, 0, 0), 40)
    assert _close(pixel(picture, (160, 50)), (0, 0, 255), 40)


def test_png_alpha_is_kept() -> None:
    # Given a PNG whose left half is fully transparent and right half opaque green
    image = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    image.paste((0, 200, 0, 255), (200, 0, 400, 200))

    # When it is thumbnailed
    picture = _decoded(make_thumbnail(image_bytes(image, "PNG"), box=BOX, max_pixels=LIMIT).webp)

    # Then the WebP has alpha: transparent on the left, opaque green on the right
    assert picture.mode == "RGBA"
    assert pixel(picture, (20, 60))[3] == 0
    assert _close(pixel(picture, (230, 60)), (0, 200, 0, 255))


def test_palette_gif_transparency_is_kept_and_first_frame_used() -> None:
    # Given an animated GIF whose first frame is red with a transparent corner and second frame blue
    first = Image.new("RGBA", (100, 100), (255, 0, 0, 255))
    first.paste((0, 0, 0, 0), (0, 0, 30, 30))
    second = Image.new("RGBA", (100, 100), (0, 0, 255, 255))
    data = image_bytes(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 2

    # When it is thumbnailed
    picture = _decoded(make_thumbnail(data, box=BOX, max_pixels=LIMIT).webp)

    # Then it shows the first frame, with its transparency
    assert picture.mode == "RGBA"
    assert pixel(picture, (5, 5))[3] == 0
    assert _close(pixel(picture, (70, 70)), (255, 0, 0, 255))


def test_animated_webp_uses_the_first_frame() -> None:
    # Given an animated WebP: green then blue
    frames = [Image.new("RGB", (64, 64), (0, 200, 0)), Image.new("RGB", (64, 64), (0, 0, 200))]
    data = image_bytes(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)

    # When it is thumbnailed
    picture = _decoded(make_thumbnail(data, box=BOX, max_pixels=LIMIT).webp).convert("RGB")

    # Then the picture is the first frame, a single still image
    assert _close(pixel(picture, (32, 32)), (0, 200, 0))
    assert getattr(picture, "n_frames", 1) == 1


def test_sixteen_bit_grey_png_keeps_its_tone() -> None:
    # Given a 16-bit greyscale PNG at half intensity (32768 of 65535)
    grey16 = Image.new("I;16", (300, 200), 32768)
    data = image_bytes(grey16, "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")

    # When it is thumbnailed
    picture = _decoded(make_thumbnail(data, box=BOX, max_pixels=LIMIT).webp).convert("RGB")

    # Then it is mid grey, not clipped to white
    assert _close(pixel(picture, (100, 80)), (128, 128, 128), 12)


def test_broken_icc_profile_falls_back_to_plain_colours() -> None:
    # Given a PNG whose embedded ICC profile is garbage
    data = image_bytes(Image.new("RGB", (64, 64), (10, 100, 200)), "PNG", icc_profile=b"not a profile" * 10)

    # When it is thumbnailed
    picture = _decoded(make_thumbnail(data, box=BOX, max_pixels=LIMIT).webp).convert("RGB")

    # Then it still succeeds with the stored colours
    assert _close(pixel(picture, (32, 32)), (10, 100, 200))


def test_embedded_profile_is_converted_to_srgb_and_not_embedded() -> None:
    # Given a PNG with an embedded (sRGB) ICC profile
    image = Image.new("RGB", (64, 64), (120, 60, 30))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = image_bytes(image, "PNG", icc_profile=srgb)

    # When it is thumbnailed through its profile
    thumb = make_thumbnail(data, box=BOX, max_pixels=LIMIT)

    # Then the colours survive the colour transform and no profile is carried over
    picture = _decoded(thumb.webp)
    assert "icc_profile" not in picture.info
    assert _close(pixel(picture.convert("RGB"), (32, 32)), (120, 60, 30), 8)


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_heic_and_avif_are_thumbnailed(fmt: str) -> None:
    # Given a HEIC or AVIF photo
    data = image_bytes(quadrants(600, 400), fmt, quality=90)

    # When it is thumbnailed
    thumb = make_thumbnail(data, box=BOX, max_pixels=LIMIT)

    # Then it decodes to the same picture at thumbnail size with the right MIME type recorded
    picture = _decoded(thumb.webp)
    assert picture.size == (256, 171)
    assert thumb.mime == {"HEIF": "image/heif", "AVIF": "image/avif"}[fmt]
    assert all(
        _close(a, e, 40) for a, e in zip(_quadrant_colours(picture), _quadrant_colours(quadrants()), strict=True)
    )


def test_small_original_is_never_enlarged() -> None:
    # Given a 40x30 PNG
    thumb = make_thumbnail(image_bytes(quadrants(40, 30), "PNG"), box=BOX, max_pixels=LIMIT)

    # Then the thumbnail keeps its size
    assert _decoded(thumb.webp).size == (40, 30)


def _png_with_declared_size(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header then claims another size (the classic decompression bomb shape)."""
    data = bytearray(image_bytes(Image.new("L", (1, 1)), "PNG"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def test_pixel_bomb_is_refused_from_the_header() -> None:
    # Given a PNG claiming 30000x30000 pixels in a few bytes
    data = _png_with_declared_size(30_000, 30_000)

    # When it is thumbnailed under a 50 MP limit
    with pytest.raises(ImageRejected) as rejected:
        make_thumbnail(data, box=BOX, max_pixels=LIMIT)

    # Then it is refused as too large before any decode
    assert rejected.value.code == "image_too_large"


def test_pixel_limit_is_the_configured_one() -> None:
    # Given an ordinary 100x100 image and a 9,999-pixel limit
    with pytest.raises(ImageRejected) as rejected:
        make_thumbnail(image_bytes(quadrants(100, 100), "PNG"), box=BOX, max_pixels=9_999)

    # Then it is refused
    assert rejected.value.code == "image_too_large"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "unsupported_media_type"),
        (b"<!doctype html><html><body>hi</body></html>", "unsupported_media_type"),
        (image_bytes(Image.new("RGB", (50, 50)), "BMP"), "unsupported_media_type"),
        (image_bytes(Image.new("RGB", (50, 50)), "TIFF"), "unsupported_media_type"),
        (image_bytes(quadrants(400, 300), "JPEG")[:600], "invalid_image"),
        (image_bytes(quadrants(400, 300), "PNG")[:300], "invalid_image"),
        (b"", "unsupported_media_type"),
    ],
    ids=["svg", "html", "bmp", "tiff", "truncated-jpeg", "truncated-png", "empty"],
)
def test_disguised_and_broken_files_fail_cleanly(data: bytes, code: str) -> None:
    # When a file that is not an accepted, intact image is thumbnailed
    with pytest.raises(ImageRejected) as rejected:
        make_thumbnail(data, box=BOX, max_pixels=LIMIT)

    # Then it is refused with a stable code, never another exception
    assert rejected.value.code == code


def _dc_colour(blurhash: str) -> tuple[int, int, int]:
    value = 0
    for char in blurhash[2:6]:
        value = value * 83 + _BASE83.index(char)
    return value >> 16, (value >> 8) & 255, value & 255


def test_placeholder_matches_the_picture() -> None:
    # Given a picture that is mostly one colour
    image = Image.new("RGB", (300, 200), (40, 90, 160))
    image.paste((250, 250, 250), (0, 0, 30, 20))

    # When it is thumbnailed
    placeholder = make_thumbnail(image_bytes(image, "PNG"), box=BOX, max_pixels=LIMIT).placeholder

    # Then the dominant colour is that colour and the BlurHash averages close to it (4x3 components)
    assert _close(tuple(int(placeholder.color[i : i + 2], 16) for i in (1, 3, 5)), (40, 90, 160), 6)
    assert len(placeholder.blurhash) == 4 + 2 * 12
    assert _close(_dc_colour(placeholder.blurhash), (48, 97, 165), 16)


def test_probe_keeps_its_contract() -> None:
    # Given a JPEG stored sideways (orientation 6)
    exif = Image.Exif()
    exif[0x0112] = 6
    data = image_bytes(quadrants(120, 80), "JPEG", exif=exif.tobytes())

    # When probed (as upload and ingest do)
    facts = probe(data, max_pixels=LIMIT)

    # Then it reports the format and the displayed size
    assert (facts.mime, facts.width, facts.height) == ("image/jpeg", 80, 120)
