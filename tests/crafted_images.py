"""A corpus of crafted files whose decode cost could be out of proportion to their pixels, made at test time.

Each `Crafted` names its file, a plain file of the same format and pixel count (the cost baseline), and how the
pipeline must treat it: refused before decoding with `code`, or accepted with its cost bounded by construction.
Progressive-JPEG scan bombs are in tests/jpeg_bombs.py; the HEIF/AVIF box writer is tests/isobmff_bombs.py.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from functools import cache

from PIL import Image

from tests import isobmff_bombs as iso
from tests.jpeg_bombs import progressive_jpeg, with_last_scan_repeated

SIDE = 512  # every file shows SIDE x SIDE pixels unless it says otherwise


@dataclass(frozen=True)
class Crafted:
    name: str
    data: bytes
    plain: bytes  # same format, same displayed pixel count
    code: str | None  # the refusal code, or None when it is accepted with bounded work


def picture(width: int = SIDE, height: int = SIDE, colour: tuple[int, int, int] = (200, 60, 30)) -> Image.Image:
    return Image.new("RGB", (width, height), colour)


def encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", len(payload), kind) + payload + struct.pack(">I", zlib.crc32(kind + payload))


def with_png_chunks(png: bytes, chunks: list[bytes]) -> bytes:
    """`png` with `chunks` inserted just before its first IDAT."""
    at = png.index(b"IDAT") - 4
    return png[:at] + b"".join(chunks) + png[at:]


def animation(fmt: str, frames: int, size: int = 64, **params: object) -> bytes:
    """An animation of `frames` frames; frame 0 is red, the others green."""
    first = Image.new("RGB", (size, size), (220, 20, 20))
    rest = [Image.new("RGB", (size, size), (20, 200 - index % 100, 20)) for index in range(frames - 1)]
    return encoded(first, fmt, save_all=True, append_images=rest, duration=20, **params)


def with_broken_tail(data: bytes) -> bytes:
    """`data` cut in the middle of its last tenth: any frame stored there can no longer be decoded."""
    return data[: len(data) - len(data) // 20]


def webp_with_broken_last_frame(data: bytes) -> bytes:
    """An animated WebP whose last frame's bitstream is overwritten; the container stays valid."""
    at = data.rindex(b"ANMF")
    end = len(data)
    return (
        data[: at + 40]
        + bytes(range(256)) * ((end - at - 40) // 256)
        + data[at + 40 + 256 * ((end - at - 40) // 256) :]
    )


def gif_with_comments(gif: bytes, count: int) -> bytes:
    """`gif` with `count` one-byte comment extensions before its first image."""
    at = gif.index(b"\x2c")  # the image descriptor follows the header and the global colour table
    return gif[:at] + b"\x21\xfe\x01x\x00" * count + gif[at:]


def jpeg_with_comments(jpeg: bytes, count: int) -> bytes:
    return jpeg[:2] + b"\xff\xfe\x00\x02" * count + jpeg[2:]


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def mpet_profile(elements: int) -> bytes:
    """An RGB display profile whose D2B0 tag chains `elements` 3x3 matrices (all sharing one element's bytes).

    The last element darkens every colour, so a thumbnail shows whether the profile was applied.
    """

    def matrix(scale: float, offset: float) -> bytes:
        values = (scale, 0, 0, 0, scale, 0, 0, 0, scale)
        return b"matf" + b"\0" * 4 + struct.pack(">HH9f3f", 3, 3, *values, offset, offset, offset)

    identity, darken = matrix(1.0, 0.0), matrix(0.3, 0.0)
    head = b"mpet" + b"\0" * 4 + struct.pack(">HHI", 3, 3, elements)
    base = len(head) + 8 * elements
    positions = [(base, len(identity))] * (elements - 1) + [(base + len(identity), len(darken))]
    tag = head + b"".join(struct.pack(">II", *position) for position in positions) + identity + darken
    offset = 128 + 4 + 12
    header = (
        struct.pack(">I", offset + len(tag))
        + b"lcms"
        + struct.pack(">I", 0x04300000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\0" * 48
    )
    return header + struct.pack(">I4sII", 1, b"D2B0", offset, len(tag)) + tag


def _heif_cases(fmt: str) -> list[Crafted]:
    tile = iso.coded_image(fmt, SIDE, SIDE)
    small = iso.coded_image(fmt, 64, 64)
    label = fmt.lower()
    exif = iso.Item(2, b"Exif", data=b"\0\0\0\0" + exif_with_entries(65_535), references=[(b"cdsc", [1])])
    return [
        # 64 tiles of 512x512 shown as 512x512: 16.7 MP decoded for 0.26 MP shown
        Crafted(f"{label}-grid-64-tiles", iso.grid(tile, 8, 8, SIDE, SIDE), iso.plain(tile), "image_too_complex"),
        # a 2048x2048 grid cropped (clean aperture) to 64x64
        Crafted(
            f"{label}-crop-64-of-4mp",
            _cropped_grid(tile, 64),
            iso.plain(small),
            "image_too_complex",
        ),
        Crafted(f"{label}-500-images", _with_other_images(small, 500), iso.plain(small), "image_too_complex"),
        Crafted(f"{label}-32-images", _with_other_images(small, 32), iso.plain(small), None),
        Crafted(
            f"{label}-exif-65535-entries",
            iso.assemble(small.brand, [iso.tile_item(small, 1, hidden=False), exif], primary=1),
            iso.plain(small),
            "image_too_complex",
        ),
    ]


def _with_other_images(coded: iso.Coded, count: int) -> bytes:
    """The primary and `count` more top-level images whose coded bytes are garbage: decoding one would fail."""
    others = [
        iso.Item(2 + index, coded.item_type, iso.tile_item(coded, 0).properties, b"\0" * 64) for index in range(count)
    ]
    return iso.assemble(coded.brand, [iso.tile_item(coded, 1, hidden=False), *others], primary=1)


def exif_with_entries(count: int) -> bytes:
    """A little-endian TIFF block whose IFD0 holds `count` inline SHORT entries, the orientation (6) last."""
    entries = [struct.pack("<HHI4s", 0xC000 + index % 0x3000, 3, 1, b"\1\0\0\0") for index in range(count - 1)]
    entries.append(struct.pack("<HHI4s", 0x0112, 3, 1, b"\6\0\0\0"))
    return b"II*\x00" + struct.pack("<IH", 8, count) + b"".join(entries) + b"\0\0\0\0"


def jpeg_with_exif(jpeg: bytes, tiff: bytes) -> bytes:
    """`jpeg` with `tiff` in as many APP1 "Exif" segments as it takes (Pillow joins them into one block)."""
    parts = [tiff[start : start + 65_000] for start in range(0, len(tiff), 65_000)]
    segments = b"".join(b"\xff\xe1" + struct.pack(">H", len(part) + 8) + b"Exif\0\0" + part for part in parts)
    return jpeg[:2] + segments + jpeg[2:]


def _cropped_grid(tile: iso.Coded, side: int) -> bytes:
    tiles = [iso.tile_item(tile, 2 + index) for index in range(16)]
    grid_item = iso.Item(
        1,
        b"grid",
        [(iso.ispe(4 * tile.width, 4 * tile.height), False), (iso.clap(side, side), True)],
        iso.grid_descriptor(4, 4, 4 * tile.width, 4 * tile.height),
        in_idat=True,
        references=[(b"dimg", [item.item_id for item in tiles])],
    )
    return iso.assemble(tile.brand, [grid_item, *tiles], primary=1)


def _split_idat(png: bytes, count: int) -> bytes:
    """`png` with `count` empty IDAT chunks before its real one (Pillow reads each in Python)."""
    at = png.index(b"IDAT") - 4
    return png[:at] + png_chunk(b"IDAT", b"") * count + png[at:]


@cache
def corpus() -> dict[str, Crafted]:
    """Every crafted case by name, with its baseline; made once per process (a few seconds)."""
    plain_png = encoded(picture(), "PNG")
    plain_jpeg = encoded(picture(), "JPEG", quality=90)
    plain_gif = encoded(picture().convert("P"), "GIF")
    small_png, small_gif = encoded(picture(64, 64), "PNG"), encoded(picture(64, 64), "GIF")
    small_webp = encoded(picture(64, 64), "WEBP", lossless=True)
    text_bomb = zlib.compress(b"\0" * ((1 << 20) - 64), 9)
    too_complex = "image_too_complex"
    cases = [
        Crafted(
            "jpeg-5000-scans", with_last_scan_repeated(progressive_jpeg(SIDE, SIDE), 5_000), plain_jpeg, too_complex
        ),
        Crafted("jpeg-200k-comments", jpeg_with_comments(plain_jpeg, 200_000), plain_jpeg, too_complex),
        Crafted(
            "jpeg-restart-every-mcu", encoded(picture(), "JPEG", quality=90, restart_marker_blocks=1), plain_jpeg, None
        ),
        Crafted(
            "png-200k-chunks", with_png_chunks(plain_png, [png_chunk(b"prVt", b"")] * 200_000), plain_png, too_complex
        ),
        Crafted(
            "png-64-ztxt-of-1mb",
            with_png_chunks(plain_png, [png_chunk(b"zTXt", b"k%d\0\0" % n + text_bomb) for n in range(64)]),
            plain_png,
            too_complex,
        ),
        Crafted("png-100k-idat", _split_idat(plain_png, 100_000), plain_png, too_complex),
        Crafted(
            "png-exif-65535-entries",
            with_png_chunks(plain_png, [png_chunk(b"eXIf", exif_with_entries(65_535))]),
            plain_png,
            too_complex,
        ),
        Crafted(
            "jpeg-exif-65535-entries", jpeg_with_exif(plain_jpeg, exif_with_entries(65_535)), plain_jpeg, too_complex
        ),
        Crafted(
            "webp-exif-65535-entries",
            encoded(picture(), "WEBP", exif=b"Exif\0\0" + exif_with_entries(65_535)),
            encoded(picture(), "WEBP"),
            too_complex,
        ),
        Crafted(
            "png-xmp-of-4mb",
            with_png_chunks(plain_png, [png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + b"x" * 4_000_000)]),
            plain_png,
            too_complex,
        ),
        Crafted("png-icc-20000-elements", encoded(picture(), "PNG", icc_profile=mpet_profile(20_000)), plain_png, None),
        Crafted("apng-1000-frames", with_broken_tail(animation("PNG", 1_000)), small_png, None),
        Crafted("gif-1000-frames", with_broken_tail(animation("GIF", 1_000)), small_gif, None),
        Crafted("gif-200k-comments", gif_with_comments(plain_gif, 200_000), plain_gif, too_complex),
        Crafted(
            "webp-1000-frames", webp_with_broken_last_frame(animation("WEBP", 1_000, lossless=True)), small_webp, None
        ),
    ]
    for fmt in ("HEIF", "AVIF"):
        cases += _heif_cases(fmt)
    return {case.name: case for case in cases}
