"""The video probe on generated fixtures: facts from the container, the poster, the limits, and what it reads."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from functions.video.probe import VideoFacts, VideoLimits, VideoRejected, make_poster
from functions.video.range_reader import RangeReader
from tests import videogen
from tests.videogen import BLUE, GREEN, RED, find_boxes

LIMITS = VideoLimits(max_pixels=35_389_440, max_seconds=14_400, max_bytes=2048 * 1024 * 1024)


def reader(data: bytes, block_bytes: int = 64 * 1024) -> RangeReader:
    """An in-memory object read as the function reads S3: block by block, counting bytes and requests."""
    return RangeReader(lambda start, end: data[start : end + 1], len(data), block_bytes=block_bytes)


def probe(data: bytes, *, box: int = 256, limits: VideoLimits = LIMITS) -> VideoFacts:
    return make_poster(reader(data), box=box, limits=limits)


def poster(facts: VideoFacts) -> Image.Image:
    image = Image.open(io.BytesIO(facts.webp))
    assert image.format == "WEBP"
    return image.convert("RGB")


def near(colour: object, expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    """Whether an RGB pixel (as `getpixel` gives it) is within `tolerance` of `expected` in every band."""
    assert isinstance(colour, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def rejection(data: bytes, *, limits: VideoLimits = LIMITS) -> str:
    with pytest.raises(VideoRejected) as rejected:
        probe(data, limits=limits)
    return rejected.value.code


@pytest.mark.parametrize(
    ("data", "mime", "codec", "has_audio"),
    [
        pytest.param(
            lambda: videogen.video(faststart=True, audio="aac"), "video/mp4", "h264", True, id="mp4-faststart"
        ),
        pytest.param(lambda: videogen.video(), "video/mp4", "h264", False, id="mp4-index-at-end"),
        pytest.param(lambda: videogen.video("mov"), "video/quicktime", "h264", False, id="mov"),
        pytest.param(lambda: videogen.video("webm", "libvpx"), "video/webm", "vp8", False, id="webm-vp8"),
        pytest.param(
            lambda: videogen.video("webm", "libvpx-vp9", audio="libopus"), "video/webm", "vp9", True, id="webm-vp9"
        ),
    ],
)
def test_common_videos_give_their_facts_and_a_coloured_poster(data, mime: str, codec: str, has_audio: bool) -> None:  # type: ignore[no-untyped-def]
    # Given a 2 s, 64x48 clip whose first frames are black
    # When it is probed
    facts = probe(data())

    # Then the container, codec, size, duration and audio are the clip's, browsers can play it, and the poster is a
    # frame from after the black start, as large as the clip (smaller than the box)
    assert (facts.mime, facts.video_codec, facts.has_audio, facts.playable) == (mime, codec, has_audio, True)
    assert (facts.width, facts.height) == (64, 48)
    assert facts.duration_ms is not None and 1900 <= facts.duration_ms <= 2100
    image = poster(facts)
    assert image.size == (64, 48)
    assert near(image.getpixel((4, 4)), RED)
    assert facts.placeholder.color.startswith("#")


def test_hevc_in_a_mov_and_h264_in_matroska_are_not_playable_in_browsers() -> None:
    # Given an HEVC QuickTime file (as iPhones record) and H.264 in a Matroska file
    hevc = probe(videogen.video("mov", "libx265"))
    matroska = probe(videogen.video("matroska"))

    # Then both are described and get a poster, but neither is marked playable
    assert (hevc.mime, hevc.video_codec, hevc.playable) == ("video/quicktime", "hevc", False)
    assert (matroska.mime, matroska.video_codec, matroska.playable) == ("video/x-matroska", "h264", False)
    assert near(poster(hevc).getpixel((4, 4)), RED)


@pytest.mark.parametrize(("degrees", "top_left"), [(90, BLUE), (270, GREEN), (180, (240, 240, 40))])
def test_rotation_in_the_display_matrix_turns_the_size_and_the_poster(
    degrees: int, top_left: tuple[int, int, int]
) -> None:
    # Given a landscape clip whose track says to show it turned (a phone held upright)
    facts = probe(videogen.rotated(videogen.video(), degrees))

    # Then size and poster are as displayed: turned clockwise by the matrix's angle
    expected = (64, 48) if degrees == 180 else (48, 64)
    assert (facts.width, facts.height) == expected
    image = poster(facts)
    assert image.size == expected
    assert near(image.getpixel((3, 3)), top_left)


def test_poster_fits_the_box_on_its_longest_side() -> None:
    # Given a 64x48 clip and a 32 px box
    facts = probe(videogen.video(), box=32)

    # Then the poster is 32x24 while the recorded size stays the video's
    assert poster(facts).size == (32, 24)
    assert (facts.width, facts.height) == (64, 48)


def test_the_preview_is_the_same_frame_in_the_preview_box_never_enlarged() -> None:
    # Given a 64x48 clip, a 16 px poster box and a 32 px preview box; and the same clip with a box over its size
    smaller = make_poster(reader(videogen.video()), box=16, limits=LIMITS, preview_box=32)
    larger = make_poster(reader(videogen.video()), box=16, limits=LIMITS, preview_box=1440)

    # Then the preview fits its box (never larger than the video), a WebP without metadata, shown as the poster is
    assert smaller.preview is not None and larger.preview is not None
    for data, size in ((smaller.preview, (32, 24)), (larger.preview, (64, 48))):
        with Image.open(io.BytesIO(data)) as image:
            assert (image.format, image.size) == ("WEBP", size)
            assert not {"exif", "xmp", "icc_profile"} & set(image.info)
    assert poster(smaller).size == (16, 12)
    # And without a preview box there is none
    assert probe(videogen.video()).preview is None


def test_a_clip_shorter_than_a_second_gets_a_poster_from_its_middle() -> None:
    # Given a 0.6 s clip, black for its first 0.2 s
    facts = probe(videogen.video(seconds=0.6, fps=10, black_seconds=0.2))

    # Then its poster is a coloured frame and its duration under a second
    assert facts.duration_ms is not None and facts.duration_ms < 1000
    assert near(poster(facts).getpixel((4, 4)), RED)


def test_a_black_frame_at_one_second_is_skipped_for_a_later_coloured_one() -> None:
    # Given a 4 s clip that is black until 1.5 s, and one that is black throughout
    late = probe(videogen.video(seconds=4, black_seconds=1.5))
    dark = probe(videogen.video(black_seconds=99))

    # Then the first poster comes from later in the clip; the second is black (there is nothing better)
    assert near(poster(late).getpixel((4, 4)), RED)
    assert poster(dark).getpixel((4, 4)) == (0, 0, 0)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param(lambda: b"", "video_unreadable", id="zero-length"),
        pytest.param(lambda: videogen.truncated(videogen.video()), "video_unreadable", id="truncated-index-at-end"),
        pytest.param(lambda: videogen.truncated(videogen.video(faststart=True)), "video_unreadable", id="truncated"),
        pytest.param(lambda: videogen.corrupt(videogen.video()), "video_unreadable", id="corrupt"),
        pytest.param(lambda: videogen.audio_only(), "video_no_stream", id="audio-only"),
        pytest.param(lambda: videogen.lasting(videogen.video(), 20_000), "video_too_long", id="absurd-duration"),
        pytest.param(lambda: b"\x89PNG\r\n\x1a\n" + bytes(200), "unsupported_format", id="an-image"),
        pytest.param(lambda: b"%PDF-1.7 " * 100, "unsupported_format", id="garbage"),
    ],
)
def test_poison_videos_are_rejected_with_their_code(data, code: str) -> None:  # type: ignore[no-untyped-def]
    # When a poison file is probed
    # Then it is refused with the code the asset records
    assert rejection(data()) == code


def test_limits_come_from_the_header_before_any_frame_is_decoded() -> None:
    # Given a clip whose media data is wiped (no frame of it can be decoded) but whose index is intact
    data = bytearray(videogen.video())
    ((offset, header, size),) = find_boxes(data, b"mdat")
    data[offset + header : offset + size] = bytes(size - header)
    wiped = bytes(data)

    # When it is probed within limits it cannot meet, and within generous ones
    # Then the limits refuse it from the header alone; only decoding finds it unreadable
    small = VideoLimits(max_pixels=64 * 48 - 1, max_seconds=LIMITS.max_seconds, max_bytes=LIMITS.max_bytes)
    short = VideoLimits(max_pixels=LIMITS.max_pixels, max_seconds=1, max_bytes=LIMITS.max_bytes)
    assert rejection(wiped, limits=small) == "video_too_large"
    assert rejection(wiped, limits=short) == "video_too_long"
    assert rejection(wiped) == "video_unreadable"


@pytest.mark.parametrize("faststart", [False, True], ids=["index-at-end", "index-at-start"])
def test_only_a_small_fraction_of_a_large_file_is_read(faststart: bool) -> None:
    # Given an 8 MB MP4 (its media data padded), with its index at the end or at the start
    data = videogen.padded(videogen.video(faststart=faststart), 8 * 1024 * 1024)
    source = reader(data)

    # When its poster is made
    facts = make_poster(source, box=256, limits=LIMITS)

    # Then it read under 5 % of the file in a few ranged requests: the index and the packets near the poster frame
    assert near(poster(facts).getpixel((4, 4)), RED)
    assert source.bytes_read < 0.05 * len(data)
    assert source.requests <= 4


def test_range_reader_reads_blocks_once_and_seeks_anywhere() -> None:
    # Given a 10-byte object read in 4-byte blocks
    fetched: list[tuple[int, int]] = []
    data = bytes(range(10))

    def fetch(start: int, end: int) -> bytes:
        fetched.append((start, end))
        return data[start : end + 1]

    source = RangeReader(fetch, len(data), block_bytes=4)

    # When it is read across a block boundary, from the end, and again from the start
    assert source.read(6) == data[:6]
    source.seek(-2, io.SEEK_END)
    assert source.read(5) == data[8:]
    source.seek(1)
    assert source.read(2) == data[1:3]

    # Then each block was fetched once, as an inclusive range, and the counts say so
    assert fetched == [(0, 3), (4, 7), (8, 9)]
    assert (source.bytes_read, source.requests, source.tell()) == (10, 3, 3)


def test_range_reader_remembers_a_failed_fetch() -> None:
    # Given a fetch that fails like a throttled S3
    calls = []

    def fetch(start: int, end: int) -> bytes:
        calls.append(start)
        raise OSError("SlowDown")

    source = RangeReader(fetch, 100, block_bytes=10)

    # When it is read twice
    # Then both reads raise the same error, the second without fetching again, and the reader keeps it
    with pytest.raises(OSError, match="SlowDown"):
        source.read(5)
    with pytest.raises(OSError, match="SlowDown"):
        source.read(5)
    assert calls == [0]
    assert isinstance(source.failure, OSError)


def test_crafted_duration_is_consistent_in_the_fixture() -> None:
    # The fixture itself: the index of the "absurd duration" file says 20,000 s in every place FFmpeg looks.
    data = videogen.lasting(videogen.video(), 20_000)
    ((movie, header, _),) = find_boxes(data, b"moov", b"mvhd")
    scale, duration = struct.unpack_from(">II", data, movie + header + 12)
    assert duration // scale == 20_000
