"""Metadata stripping for share downloads: no EXIF, GPS, XMP, comment or text survives, and the pixels stay."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin

from functions.common.images import ImageRejected
from functions.common.metadata_strip import Stripped, strip_metadata

MAX_PIXELS = 50_000_000
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="SecretCam"/></rdf:RDF></x:xmpmeta>'
)
SECRETS = (b"Exif\x00\x00", b"http://ns.adobe.com/xap", b"SecretCam", b"GPS", b"Alice's phone", b"2019:05:04")
GPS_IFD, ORIENTATION = 0x8825, 0x0112


def picture(mode: str = "RGB", size: tuple[int, int] = (40, 24)) -> Image.Image:
    image = Image.new(mode, size)
    image.putdata(
        [((x * 7) % 256, (y * 11) % 256, (x * y) % 256, 128 + x)[: len(mode)] for y in range(24) for x in range(40)]
    )
    return image


def exif(orientation: int = 1) -> Image.Exif:
    """A camera's EXIF: make, capture time, an orientation and a GPS position."""
    block = Image.Exif()
    block[0x010F] = "Alice's phone"
    block[0x0132] = "2019:05:04 10:11:12"
    block[ORIENTATION] = orientation
    block.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)})
    return block


def encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def jpeg_with_everything(orientation: int = 1) -> bytes:
    base = encoded(picture(), "JPEG", quality=90, exif=exif(orientation), xmp=XMP, comment=b"Alice's phone")
    # And a Photoshop APP13, an unknown APP5 and an MPO-style trailer after the image's end
    app13 = b"Photoshop 3.0\x00" + b"2019:05:04 GPS"
    app5 = b"SecretCam"
    extra = (
        b"\xff\xed" + struct.pack(">H", len(app13) + 2) + app13 + b"\xff\xe5" + struct.pack(">H", len(app5) + 2) + app5
    )
    return base[:2] + extra + base[2:] + b"Exif\x00\x00 trailer of Alice's phone"


def png_with_everything(orientation: int = 1) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Alice's phone")
    info.add_text("XML:com.adobe.xmp", XMP.decode(), zip=False)
    info.add_itxt("Comment", "SecretCam", zip=True)
    info.add_text("Created", "2019:05:04", zip=True)
    data = encoded(picture("RGBA"), "PNG", pnginfo=info, exif=exif(orientation))
    time_chunk = struct.pack(">HBBBBB", 2019, 5, 4, 10, 11, 12)
    chunk = (
        struct.pack(">I", len(time_chunk)) + b"tIME" + time_chunk + struct.pack(">I", zlib.crc32(b"tIME" + time_chunk))
    )
    return data[:33] + chunk + data[33:]


def webp_with_everything(orientation: int = 1, lossless: bool = True) -> bytes:
    return encoded(picture(), "WEBP", lossless=lossless, exif=exif(orientation), xmp=XMP)


def gif_with_everything() -> bytes:
    frames = [picture().convert("P"), picture().rotate(90).convert("P")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], loop=0, comment=b"Alice's phone")
    xmp_block = b"\x21\xff\x0bXMP DataXMP" + bytes((len(XMP[:255]),)) + XMP[:255] + b"\x00"
    header_end = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    return data[:header_end] + xmp_block + data[header_end:]


def pixels(data: bytes) -> list[bytes]:
    """Every frame's decoded pixels (no orientation applied)."""
    frames = []
    with Image.open(io.BytesIO(data)) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frames.append(image.convert("RGBA").tobytes())
    return frames


def assert_no_metadata(stripped: Stripped, *, orientation: int = 1) -> None:
    for secret in SECRETS if orientation == 1 else SECRETS[1:]:
        assert secret not in stripped.data, secret
    with Image.open(io.BytesIO(stripped.data)) as image:
        found = dict(image.getexif())
        assert found == ({} if orientation == 1 else {ORIENTATION: orientation})
        assert not image.getexif().get_ifd(GPS_IFD)
        assert "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info
        assert not {"comment", "Author", "Comment", "Created"} & set(image.info)


CASES = {
    "jpeg": (jpeg_with_everything, "image/jpeg"),
    "png": (png_with_everything, "image/png"),
    "webp": (webp_with_everything, "image/webp"),
}


@pytest.mark.parametrize("name", CASES)
def test_a_lossless_copy_keeps_the_pixels_and_drops_every_piece_of_metadata(name: str) -> None:
    # Given an image with EXIF (GPS, camera, capture time), XMP, comments and text
    make, mime = CASES[name]
    original = make()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(GPS_IFD) and b"http://ns.adobe.com/xap" in original  # the fixture has them

    # When it is stripped
    stripped = strip_metadata(original, max_pixels=MAX_PIXELS)

    # Then nothing of it survives, in Pillow's view or in the bytes, and the decoded pixels are the same
    assert stripped.mime == mime
    assert_no_metadata(stripped)
    assert pixels(stripped.data) == pixels(original)


@pytest.mark.parametrize("name", CASES)
def test_an_oriented_image_keeps_its_orientation_and_nothing_else(name: str) -> None:
    # Given a sideways photo with metadata
    original = CASES[name][0](6)

    # When it is stripped
    stripped = strip_metadata(original, max_pixels=MAX_PIXELS)

    # Then the orientation alone is left, so viewers still show it upright, and the pixels are the same
    assert_no_metadata(stripped, orientation=6)
    assert pixels(stripped.data) == pixels(original)


def test_a_lossy_webp_is_stripped_losslessly_too() -> None:
    # Given a lossy WebP with EXIF and XMP (a VP8X file with both flags set)
    original = webp_with_everything(lossless=False)

    # When it is stripped
    stripped = strip_metadata(original, max_pixels=MAX_PIXELS)

    # Then the flags no longer announce them, nothing is left, and the VP8 data is untouched
    assert stripped.data[20] & 0x0C == 0
    assert_no_metadata(stripped)
    assert pixels(stripped.data) == pixels(original)


def test_an_animated_gif_keeps_its_frames_and_looping_but_no_comment_or_xmp() -> None:
    # Given an animated, looping GIF with a comment and an XMP application extension
    original = gif_with_everything()

    # When it is stripped
    stripped = strip_metadata(original, max_pixels=MAX_PIXELS)

    # Then every frame and the loop remain, and neither the comment nor the XMP
    assert stripped.mime == "image/gif"
    assert_no_metadata(stripped)
    assert pixels(stripped.data) == pixels(original)
    assert b"NETSCAPE2.0" in stripped.data
    with Image.open(io.BytesIO(stripped.data)) as image:
        assert image.info.get("loop") == 0


@pytest.mark.parametrize(("fmt", "mode", "mime"), [("HEIF", "RGB", "image/jpeg"), ("AVIF", "RGBA", "image/png")])
def test_heic_and_avif_are_re_encoded_upright_without_metadata(fmt: str, mode: str, mime: str) -> None:
    # Given a sideways HEIC (or an AVIF with alpha) with EXIF, GPS included, and XMP
    from pillow_heif import register_heif_opener

    register_heif_opener()
    original = encoded(picture(mode), fmt, exif=exif(6).tobytes(), xmp=XMP, quality=90)

    # When it is stripped
    stripped = strip_metadata(original, max_pixels=MAX_PIXELS)

    # Then it is a JPEG (a PNG with alpha) turned upright, and nothing of its metadata is left
    assert stripped.mime == mime
    assert_no_metadata(stripped)
    with Image.open(io.BytesIO(stripped.data)) as image:
        assert image.size == (24, 40)


def test_bytes_that_are_no_image_are_refused() -> None:
    # Given bytes that are no accepted image, and a JPEG cut short
    cut = jpeg_with_everything()[:200]
    # Then stripping refuses them as the upload would
    for data in (b"%PDF-1.7 nothing to see", cut):
        with pytest.raises(ImageRejected):
            strip_metadata(data, max_pixels=MAX_PIXELS)


def test_an_image_over_the_pixel_limit_is_refused_before_decoding() -> None:
    # Given a HEIC larger than the limit
    from pillow_heif import register_heif_opener

    register_heif_opener()
    original = encoded(picture(), "HEIF", quality=50)
    # Then it is refused as too large, not re-encoded
    with pytest.raises(ImageRejected) as refused:
        strip_metadata(original, max_pixels=100)
    assert refused.value.code == "image_too_large"


def test_a_cmyk_jpeg_keeps_its_adobe_segment_and_so_its_colours() -> None:
    # Given a CMYK JPEG (its Adobe APP14 segment tells decoders how to read the channels) with EXIF and XMP
    original = encoded(picture().convert("CMYK"), "JPEG", quality=90, exif=exif(), xmp=XMP)
    assert b"Adobe" in original

    # When it is stripped
    stripped = strip_metadata(original, max_pixels=MAX_PIXELS)

    # Then the Adobe segment stays, the metadata go, and it decodes to the same pixels
    assert b"Adobe" in stripped.data
    assert_no_metadata(stripped)
    assert pixels(stripped.data) == pixels(original)


def test_a_jpeg_of_more_segments_than_any_encoder_writes_is_refused() -> None:
    # Given a JPEG with 20,000 empty comments after its scan (the upload's checks count only those before it)
    base = encoded(picture(), "JPEG")
    crafted = base[:-2] + b"\xff\xfe\x00\x02" * 20_000 + b"\xff\xd9"

    # When it is stripped / Then it is refused as too complex, not walked for ever
    with pytest.raises(ImageRejected) as refused:
        strip_metadata(crafted, max_pixels=MAX_PIXELS)
    assert refused.value.code == "image_too_complex"
