"""Every decode or encode failure is the image's fault: `ImageRejected` with a code, never another exception."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PIL import Image

from functions.common.failures import TransientError
from functions.common.images import ImageRejected, decoding, probe
from functions.thumbnail.imaging import make_thumbnail
from tests.thumbnail_support import image_bytes, quadrants

BOX = 256
LIMIT = 50_000_000


def _noisy(width: int, height: int) -> Image.Image:
    """A picture that compresses badly, so the pixel data spans many bytes after the header."""
    return Image.frombytes("RGB", (width, height), bytes((i * 7919) % 251 for i in range(width * height * 3)))


def _originals() -> dict[str, bytes]:
    small, large = _noisy(200, 150), _noisy(600, 400)
    return {
        # Smaller than the box: never resized, so Pillow first needs the pixels in the WebP encoder.
        "jpeg-small": image_bytes(small, "JPEG", quality=90),
        "jpeg-large": image_bytes(large, "JPEG", quality=90),
        "jpeg-progressive": image_bytes(large, "JPEG", quality=90, progressive=True),
        "png": image_bytes(small, "PNG"),
        "webp": image_bytes(small, "WEBP", quality=90),
        "gif": image_bytes(quadrants(200, 150).convert("P"), "GIF"),
    }


def _outcome(run: Callable[[], object]) -> str | None:
    """The code `run` was refused with, None if it was accepted; any other exception propagates."""
    try:
        run()
    except ImageRejected as rejected:
        return rejected.code
    return None


_CASES = [
    pytest.param(name, cut, id=f"{name}-{cut}")
    for name in ("jpeg-small", "jpeg-large", "jpeg-progressive", "png", "webp", "gif")
    for cut in ("truncated-quarter", "truncated-half", "truncated-end", "garbage-after-header")
]


def _crafted(name: str, cut: str) -> bytes:
    """The original cut after its header (which still parses), or its pixel data replaced by garbage."""
    data = _originals()[name]
    header = min(len(data) // 8, 1000)
    if cut == "garbage-after-header":
        return data[:header] + bytes((i * 31 + 7) % 256 for i in range(len(data) - header))
    keep = {"truncated-quarter": len(data) // 4, "truncated-half": len(data) // 2, "truncated-end": len(data) - 20}
    return data[: keep[cut]]


@pytest.mark.parametrize(("name", "cut"), _CASES)
def test_a_crafted_file_is_refused_by_the_thumbnailer_or_thumbnailed(name: str, cut: str) -> None:
    # Given a file whose header parses but whose data is truncated or garbage
    data = _crafted(name, cut)

    # When it is thumbnailed
    code = _outcome(lambda: make_thumbnail(data, box=BOX, max_pixels=LIMIT))

    # Then it is refused with the stable code of a broken image, or accepted (any other exception fails the test)
    assert code in ("invalid_image", None)


@pytest.mark.parametrize(("name", "cut"), _CASES)
def test_a_crafted_file_is_refused_by_the_probe_or_accepted(name: str, cut: str) -> None:
    # Given a file whose header parses but whose data is truncated or garbage
    data = _crafted(name, cut)

    # When upload or ingest probes it
    code = _outcome(lambda: probe(data, max_pixels=LIMIT))

    # Then it is refused with the stable code of a broken image, or accepted (any other exception fails the test)
    assert code in ("invalid_image", None)


def test_a_truncated_jpeg_that_fails_only_when_encoded_is_rejected() -> None:
    # Given a small JPEG (no resize, so decoding is deferred to the WebP encoder) cut in the middle of its scan
    data = _originals()["jpeg-small"]
    truncated = data[: len(data) // 2]

    # When it is thumbnailed
    with pytest.raises(ImageRejected) as rejected:
        make_thumbnail(truncated, box=BOX, max_pixels=LIMIT)

    # Then it is the image's fault, not an OSError that Lambda would retry
    assert rejected.value.code == "invalid_image"


def test_a_truncated_jpeg_is_refused_by_the_probe() -> None:
    # Given a JPEG cut in the middle of its scan
    data = _originals()["jpeg-large"]

    # When probed
    with pytest.raises(ImageRejected) as rejected:
        probe(data[: len(data) // 2], max_pixels=LIMIT)

    # Then it is refused as invalid
    assert rejected.value.code == "invalid_image"


def test_a_zero_byte_file_is_not_an_image() -> None:
    # When an empty file is probed and thumbnailed
    with pytest.raises(ImageRejected) as probed:
        probe(b"", max_pixels=LIMIT)
    with pytest.raises(ImageRejected) as thumbnailed:
        make_thumbnail(b"", box=BOX, max_pixels=LIMIT)

    # Then both refuse it as no accepted format
    assert probed.value.code == thumbnailed.value.code == "unsupported_media_type"


@pytest.mark.parametrize(
    "error",
    [OSError("image file is truncated"), ValueError("x"), IndexError("x"), ZeroDivisionError(), KeyError("x")],
    ids=["os", "value", "index", "zero-division", "key"],
)
def test_the_boundary_turns_any_decoder_error_into_invalid_image(error: Exception) -> None:
    # When a decoder raises anything at all behind the boundary
    with pytest.raises(ImageRejected) as rejected, decoding():
        raise error

    # Then it is an invalid image, with the original as its cause
    assert rejected.value.code == "invalid_image"
    assert rejected.value.__cause__ is error


def test_the_boundary_lets_transient_errors_and_rejections_through() -> None:
    # When a transient error or an already classified rejection crosses the boundary
    with pytest.raises(TransientError), decoding():
        raise TransientError("throttled")
    with pytest.raises(ImageRejected) as rejected, decoding():
        raise ImageRejected("image_too_large", "big")

    # Then they keep their meaning: retried, or refused with their own code
    assert rejected.value.code == "image_too_large"


def test_a_decompression_bomb_or_out_of_memory_is_too_large() -> None:
    # When Pillow's bomb check or the allocator gives up behind the boundary
    with pytest.raises(ImageRejected) as bomb, decoding():
        raise Image.DecompressionBombError("bomb")
    with pytest.raises(ImageRejected) as memory, decoding():
        raise MemoryError

    # Then the image is too large, not corrupt
    assert bomb.value.code == memory.value.code == "image_too_large"
