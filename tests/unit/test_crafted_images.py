"""Crafted files (many frames, chunks, blocks or segments, costly ICC profiles, HEIF/AVIF grids and crops) are
refused before decoding with `image_too_complex`, or accepted with their cost bounded by construction."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms

from functions.common.container_walks import (
    MAX_GIF_BLOCKS_BEFORE_IMAGE,
    MAX_PNG_CHUNKS,
    MAX_PNG_COMPRESSED_CHUNKS,
    gif_is_too_complex,
    png_is_too_complex,
)
from functions.common.exif_blocks import MAX_EXIF_IFD0_ENTRIES, exif_is_too_complex, heif_exif_item
from functions.common.icc_profiles import MAX_ICC_BYTES, is_bounded_profile
from functions.common.images import MAX_JPEG_HEADER_SEGMENTS, MAX_TOP_LEVEL_IMAGES, ImageRejected, probe
from functions.common.isobmff_items import primary_cost
from functions.common.jpeg_markers import has_more_header_segments_than
from functions.thumbnail.imaging import make_thumbnail
from tests import isobmff_bombs as iso
from tests.crafted_images import (
    Crafted,
    corpus,
    encoded,
    exif_with_entries,
    gif_with_comments,
    jpeg_with_comments,
    jpeg_with_exif,
    mpet_profile,
    picture,
    png_chunk,
    with_png_chunks,
)
from tests.imagegen import pixel

LIMIT = 50_000_000
BOX = 256


def _case(name: str) -> Crafted:
    return corpus()[name]


def _refusal(action: object) -> str | None:
    try:
        action() if callable(action) else None
    except ImageRejected as rejected:
        return rejected.code
    return None


@pytest.mark.parametrize("name", sorted(corpus()))
def test_each_crafted_file_is_refused_or_accepted_as_the_corpus_says(name: str) -> None:
    # Given a crafted file and a plain file of the same format and pixel count
    case = _case(name)

    # When upload/ingest probes each and the thumbnail function renders each
    crafted = (_refusal(lambda: probe(case.data, max_pixels=LIMIT)), _refusal(lambda: _thumbnail(case.data)))
    plain = (_refusal(lambda: probe(case.plain, max_pixels=LIMIT)), _refusal(lambda: _thumbnail(case.plain)))

    # Then the crafted one gets its code on both paths (None: accepted), and the plain one is accepted
    assert crafted == (case.code, case.code)
    assert plain == (None, None)


def _thumbnail(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(make_thumbnail(data, box=BOX, max_pixels=LIMIT).webp))


@pytest.mark.parametrize("name", ["apng-1000-frames", "gif-1000-frames", "webp-1000-frames"])
def test_only_the_first_frame_of_an_animation_is_ever_decoded(name: str) -> None:
    # Given an animation of 1,000 frames whose last frames are cut off or overwritten (they cannot be decoded)
    data = _case(name).data

    # When it is probed and thumbnailed
    facts = probe(data, max_pixels=LIMIT)
    thumbnail = _thumbnail(data)

    # Then both succeed, and the thumbnail is frame 0 (red), so no later frame was decoded
    assert (facts.width, facts.height) == (64, 64)
    red, green, _ = pixel(thumbnail.convert("RGB"), (10, 10))
    assert red > 180 and green < 60


def test_a_profile_of_unbounded_elements_is_ignored_and_the_image_converted_as_untagged() -> None:
    # Given images tagged with a multi-element profile that would darken them (20,000 elements, and just 2)
    for elements in (20_000, 2):
        tagged = encoded(picture(64, 64), "PNG", icc_profile=mpet_profile(elements))

        # When it is thumbnailed
        colour = pixel(_thumbnail(tagged).convert("RGB"), (5, 5))

        # Then the profile was not applied: the colours are those of the untagged picture (200, 60, 30)
        assert all(abs(got - want) <= 6 for got, want in zip(colour, (200, 60, 30), strict=True)), colour


def test_ordinary_profiles_are_still_applied() -> None:
    # Given the profiles Little CMS builds (matrix-shaper and LUT based) and a profile over the byte limit
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    oversized = srgb[:128] + struct.pack(">I", 0) + b"\0" * (MAX_ICC_BYTES - 128)

    # Then the ordinary ones are bounded; the oversized, the multi-element and a truncated one are not
    assert is_bounded_profile(srgb) and is_bounded_profile(lab)
    assert not is_bounded_profile(oversized)
    assert not is_bounded_profile(mpet_profile(2))
    assert not is_bounded_profile(srgb[:100])


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_an_encoders_own_file_decodes_exactly_the_pixels_it_shows(fmt: str) -> None:
    # Given a file as the encoder wrote it, and a 2x2 grid of its tiles exactly covering the shown image
    coded = iso.coded_image(fmt, 128, 96)
    out = io.BytesIO()
    Image.new("RGB", (128, 96)).save(out, format=fmt)

    # Then the decoded pixels are the shown ones
    own = primary_cost(out.getvalue())
    assert own is not None and (own.displayed_pixels, own.coded_pixels, own.coded_images) == (128 * 96, 128 * 96, 1)
    tiled = primary_cost(iso.grid(coded, 2, 2, 256, 192))
    assert tiled is not None and (tiled.displayed_pixels, tiled.coded_pixels, tiled.coded_images) == (
        256 * 192,
    ) * 2 + (4,)


def test_heif_boxes_that_cannot_be_read_give_no_cost() -> None:
    # Given a HEIF file cut inside its meta box
    data = iso.plain(iso.coded_image("HEIF", 64, 64))

    # Then no cost can be told (and the caller refuses the file rather than guess)
    assert primary_cost(data[:60]) is None
    assert primary_cost(b"\0\0\0\x10ftypheic\0\0\0\0") is None


def test_the_png_chunk_limits_are_the_counts_that_are_one_too_many() -> None:
    # Given PNGs at and just over each limit
    plain = encoded(picture(8, 8), "PNG")
    chunks_in_plain = 3  # IHDR, IDAT, IEND
    at_chunk_limit = with_png_chunks(plain, [png_chunk(b"prVt", b"")] * (MAX_PNG_CHUNKS - chunks_in_plain))
    over_chunk_limit = with_png_chunks(plain, [png_chunk(b"prVt", b"")] * (MAX_PNG_CHUNKS - chunks_in_plain + 1))
    text = [png_chunk(b"zTXt", b"k\0\0" + zlib.compress(b"x"))]
    itxt = [png_chunk(b"iTXt", b"k\0\x01\0\0\0" + zlib.compress(b"x"))]
    plain_itxt = png_chunk(b"iTXt", b"k\0\0\0\0\0x")

    # Then only the ones over the limits are refused; uncompressed iTXt does not count
    assert not png_is_too_complex(at_chunk_limit) and png_is_too_complex(over_chunk_limit)
    assert not png_is_too_complex(with_png_chunks(plain, text * (MAX_PNG_COMPRESSED_CHUNKS - 1) + itxt))
    assert png_is_too_complex(with_png_chunks(plain, text * MAX_PNG_COMPRESSED_CHUNKS + itxt))
    assert not png_is_too_complex(with_png_chunks(plain, [plain_itxt] * 100))


def test_the_gif_and_jpeg_limits_are_the_counts_that_are_one_too_many() -> None:
    # Given a GIF with one-sub-block comments (2 blocks each: the sub-block and its terminator) and a JPEG with
    # empty comments (plain: APP0, DQT x2, SOF, DHT x4 before the scan)
    gif = encoded(picture(8, 8).convert("P"), "GIF")
    jpeg = encoded(picture(8, 8), "JPEG")
    per_comment = 2
    jpeg_own = 8

    # Then only the ones over the limits are refused
    assert not gif_is_too_complex(gif_with_comments(gif, MAX_GIF_BLOCKS_BEFORE_IMAGE // per_comment))
    assert gif_is_too_complex(gif_with_comments(gif, MAX_GIF_BLOCKS_BEFORE_IMAGE // per_comment + 1))
    assert not has_more_header_segments_than(
        jpeg_with_comments(jpeg, MAX_JPEG_HEADER_SEGMENTS - jpeg_own), MAX_JPEG_HEADER_SEGMENTS
    )
    assert has_more_header_segments_than(
        jpeg_with_comments(jpeg, MAX_JPEG_HEADER_SEGMENTS - jpeg_own + 1), MAX_JPEG_HEADER_SEGMENTS
    )


def test_the_exif_limit_is_the_ifd0_entry_count_that_is_one_too_many() -> None:
    # Given EXIF blocks at and just over the entry limit, bare, with the JPEG/PNG prefix, and as a HEIF item
    at_limit, over_limit = exif_with_entries(MAX_EXIF_IFD0_ENTRIES), exif_with_entries(MAX_EXIF_IFD0_ENTRIES + 1)

    # Then only the ones over it are too complex; no block, or one that is no TIFF, never is
    assert not exif_is_too_complex(at_limit) and exif_is_too_complex(over_limit)
    assert exif_is_too_complex(b"Exif\0\0" + over_limit)
    assert exif_is_too_complex(heif_exif_item(b"\0\0\0\0" + over_limit))
    assert exif_is_too_complex(heif_exif_item(b"\0\0\0\x06Exif\0\0" + over_limit))
    assert not exif_is_too_complex(None) and not exif_is_too_complex(b"no tiff at all")


def test_a_camera_sized_exif_block_keeps_its_orientation() -> None:
    # Given a JPEG whose EXIF (within the limit) says it is rotated a quarter turn
    jpeg = jpeg_with_exif(encoded(picture(80, 40), "JPEG"), exif_with_entries(MAX_EXIF_IFD0_ENTRIES))

    # Then it is accepted and shown sideways
    facts = probe(jpeg, max_pixels=LIMIT)
    assert (facts.width, facts.height) == (40, 80)


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_only_the_primary_of_a_multi_image_file_is_decoded_and_their_number_is_bounded(fmt: str) -> None:
    # Given the primary with 32 and with 65 more top-level images of garbage coded bytes
    coded = iso.coded_image(fmt, 64, 64)
    others = [iso.Item(2 + n, coded.item_type, iso.tile_item(coded, 0).properties, b"\0" * 64) for n in range(65)]

    def with_others(count: int) -> bytes:
        return iso.assemble(coded.brand, [iso.tile_item(coded, 1, hidden=False), *others[:count]], primary=1)

    # Then 63 more (64 in all) are accepted, with only the primary decoded; one more is refused
    assert probe(with_others(MAX_TOP_LEVEL_IMAGES - 1), max_pixels=LIMIT).width == 64
    assert _refusal(lambda: probe(with_others(MAX_TOP_LEVEL_IMAGES), max_pixels=LIMIT)) == "image_too_complex"


def test_a_heif_of_more_boxes_or_references_than_the_walk_allows_is_refused_not_walked() -> None:
    # Given a HEIF with 30,000 empty boxes before its meta box, and a grid whose one tile is referenced 30,000 times
    coded = iso.coded_image("HEIF", 64, 64)
    plain = iso.plain(coded)
    padded = coded.brand + iso.box(b"free", b"") * 30_000 + plain[len(coded.brand) :]
    fanned = iso.Item(
        1, b"grid", [(iso.ispe(64, 64), False)], iso.grid_descriptor(1, 1, 64, 64), True, [(b"dimg", [2] * 30_000)]
    )
    fan_out = iso.assemble(coded.brand, [fanned, iso.tile_item(coded, 2)], primary=1)

    # Then the walk gives up (no cost), and the file is refused as too complex
    assert primary_cost(padded) is None and primary_cost(fan_out) is None
    assert _refusal(lambda: probe(padded, max_pixels=LIMIT)) == "image_too_complex"
