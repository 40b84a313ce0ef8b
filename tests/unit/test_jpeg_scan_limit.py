"""JPEG scan bombs are refused from their markers, before any decoding; real encoders' files are not."""

from __future__ import annotations

import pytest

from functions.common.images import MAX_JPEG_SCANS, ImageRejected, probe
from functions.common.jpeg_markers import MAX_SEGMENTS, has_more_scans_than
from functions.thumbnail.imaging import make_thumbnail
from tests.jpeg_bombs import progressive_jpeg, with_last_scan_repeated
from tests.thumbnail_support import image_bytes, quadrants

LIMIT = 50_000_000
_SOI, _EOI = b"\xff\xd8", b"\xff\xd9"


@pytest.mark.parametrize(("mode", "scans"), [("RGB", 10), ("L", 6), ("CMYK", 18)])
def test_libjpeg_progressive_files_hold_their_default_scan_count(mode: str, scans: int) -> None:
    # Given libjpeg's default progressive file for a mode
    data = progressive_jpeg(mode=mode)

    # Then exactly its default number of scans is counted, well inside the limit
    assert (has_more_scans_than(data, scans - 1), has_more_scans_than(data, scans)) == (True, False)
    assert not has_more_scans_than(data, MAX_JPEG_SCANS)


def test_a_baseline_jpeg_with_restart_markers_has_one_scan() -> None:
    # Given a baseline JPEG with a restart marker after every MCU (RST0-7 inside its scan data)
    data = image_bytes(quadrants(320, 240), "JPEG", restart_marker_blocks=1)

    # Then it counts as one scan
    assert (has_more_scans_than(data, 0), has_more_scans_than(data, 1)) == (True, False)


def test_scans_are_counted_past_bytes_libjpeg_skips_and_not_inside_segment_payloads() -> None:
    # Given a file with garbage between segments (libjpeg skips it with a warning) and a comment holding a fake SOS
    data = progressive_jpeg()
    fake_sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    comment = b"\xff\xfe" + (2 + len(fake_sos)).to_bytes(2, "big") + fake_sos
    crafted = _SOI + comment + b"garbage" + data[2:]

    # Then the real scans are all counted and the fake one is not
    assert (has_more_scans_than(crafted, 9), has_more_scans_than(crafted, 10)) == (True, False)


def test_a_file_of_absurdly_many_segments_counts_as_too_complex_once_it_must_be_walked() -> None:
    # Given a JPEG padded with more comment segments than any encoder writes, each holding the bytes of an SOS marker
    # (so the quick count cannot clear it and the segment-by-segment walk must run)
    data = progressive_jpeg()
    crafted = data[:2] + b"\xff\xfe\x00\x04\xff\xda" * (MAX_SEGMENTS + 1) + data[2:]

    # Then it is over any limit: walking it would cost more than decoding it
    assert has_more_scans_than(crafted, MAX_JPEG_SCANS)


def test_sos_bytes_inside_segments_are_not_scans() -> None:
    # Given a JPEG whose comments hold the bytes FF DA more often than the limit, but only its real scans
    data = progressive_jpeg()
    crafted = data[:2] + b"\xff\xfe\x00\x04\xff\xda" * (MAX_JPEG_SCANS + 1) + data[2:]

    # Then the walk counts only the real scans
    assert not has_more_scans_than(crafted, MAX_JPEG_SCANS)


def test_many_empty_segments_with_few_scans_are_cleared_without_a_walk() -> None:
    # Given a JPEG padded with more empty comment segments than any encoder writes (cheap for libjpeg to skip)
    data = progressive_jpeg()
    crafted = data[:2] + b"\xff\xfe\x00\x02" * (MAX_SEGMENTS + 1) + data[2:]

    # Then its few scans are all that counts
    assert not has_more_scans_than(crafted, MAX_JPEG_SCANS)


def test_non_jpeg_data_has_no_scans() -> None:
    # Then bytes that are no JPEG, or only its start, never count as too complex
    assert not has_more_scans_than(b"", 0)
    assert not has_more_scans_than(image_bytes(quadrants(), "PNG"), 0)
    assert not has_more_scans_than(_SOI + b"\xff\xda", 0)


def test_the_limit_is_the_scan_count_that_is_one_too_many() -> None:
    # Given libjpeg's progressive file with its last scan repeated up to the limit, and one more
    data = progressive_jpeg()
    at_limit = with_last_scan_repeated(data, MAX_JPEG_SCANS - 10)
    over_limit = with_last_scan_repeated(data, MAX_JPEG_SCANS - 9)

    # Then the first is still decoded, the second refused
    assert probe(at_limit, max_pixels=LIMIT).mime == "image/jpeg"
    with pytest.raises(ImageRejected) as rejected:
        probe(over_limit, max_pixels=LIMIT)
    assert rejected.value.code == "image_too_complex"


def test_a_scan_bomb_is_refused_by_the_probe_and_the_thumbnailer() -> None:
    # Given a progressive JPEG with 5,000 copies of one scan (seconds of CPU per megapixel to decode)
    bomb = with_last_scan_repeated(progressive_jpeg(), 5_000)

    # When upload or ingest probes it, and when the thumbnail function gets it
    with pytest.raises(ImageRejected) as probed:
        probe(bomb, max_pixels=LIMIT)
    with pytest.raises(ImageRejected) as thumbnailed:
        make_thumbnail(bomb, box=256, max_pixels=LIMIT)

    # Then both refuse it as too complex
    assert probed.value.code == thumbnailed.value.code == "image_too_complex"
