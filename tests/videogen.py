"""Video fixtures made by the tests themselves with PyAV: tiny (64x48, a few frames a second), cached per session.

The picture is black for its first `black_seconds`, then four coloured quadrants (red, green / blue, yellow), so a
poster taken from a black first frame, a wrong rotation or a flip shows. Crafted variants patch the container's
header the way a hostile or damaged file would (rotation matrix, durations, sizes) without re-encoding.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Iterator
from functools import cache
from typing import cast

import av
from PIL import Image

QUADRANTS = ((220, 30, 30), (30, 200, 30), (30, 30, 220), (240, 240, 40))
RED, GREEN, BLUE, YELLOW = QUADRANTS
# Encoders quiet: x265 logs every setting at info level.
_CODEC_OPTIONS = {"libx265": {"x265-params": "log-level=error"}, "libx264": {"preset": "veryfast"}}


def picture(width: int, height: int, *, black: bool = False) -> Image.Image:
    image = Image.new("RGB", (width, height))
    if not black:
        half_w, half_h = width // 2, height // 2
        for colour, (left, top) in zip(QUADRANTS, [(0, 0), (half_w, 0), (0, half_h), (half_w, half_h)], strict=True):
            image.paste(colour, (left, top, left + half_w, top + half_h))
    return image


@cache
def video(
    fmt: str = "mp4",
    codec: str = "libx264",
    *,
    width: int = 64,
    height: int = 48,
    seconds: float = 2.0,
    fps: int = 5,
    faststart: bool = False,
    audio: str | None = None,
    black_seconds: float = 0.4,
) -> bytes:
    """A clip encoded with `codec` in `fmt` (mp4, mov, webm, matroska); `audio` adds a silent track (aac, libopus)."""
    handle, path = tempfile.mkstemp(suffix=f".{fmt}")
    os.close(handle)
    try:
        # A file, not a BytesIO: `faststart` moves the index with a second pass over what was written.
        with av.open(path, mode="w", format=fmt, options={"movflags": "faststart"} if faststart else {}) as output:
            stream = cast(av.VideoStream, output.add_stream(codec, rate=fps, options=_CODEC_OPTIONS.get(codec, {})))
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            sound = _audio_stream(output, audio) if audio else None
            for index in range(max(1, round(seconds * fps))):
                frame = av.VideoFrame.from_image(picture(width, height, black=index / fps < black_seconds))
                frame.pts = index
                output.mux(stream.encode(frame))
            output.mux(stream.encode(None))
            if sound is not None:
                _silence(output, sound, seconds)
        with open(path, "rb") as written:
            return written.read()
    finally:
        os.remove(path)


def mp4_bytes() -> bytes:
    """A 2 s H.264 + AAC MP4 with its index at the start, as browsers and cameras make them: plays everywhere."""
    return video(faststart=True, audio="aac")


@cache
def audio_only(codec: str = "aac", seconds: float = 1.0) -> bytes:
    """An MP4 (M4A) with one silent audio track and no picture."""
    handle, path = tempfile.mkstemp(suffix=".mp4")
    os.close(handle)
    try:
        with av.open(path, mode="w", format="mp4") as output:
            _silence(output, _audio_stream(output, codec), seconds)
        with open(path, "rb") as written:
            return written.read()
    finally:
        os.remove(path)


def _audio_stream(output: av.container.OutputContainer, codec: str) -> av.AudioStream:
    stream = cast(av.AudioStream, output.add_stream(codec, rate=48000))
    stream.layout = "mono"
    return stream


def _silence(output: av.container.OutputContainer, stream: av.AudioStream, seconds: float) -> None:
    samples = stream.codec_context.frame_size or 1024
    total = round(seconds * 48000)
    for pts in range(0, total, samples):
        frame = av.AudioFrame(format=stream.codec_context.format.name, layout="mono", samples=samples)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.rate, frame.pts = 48000, pts
        output.mux(stream.encode(frame))
    output.mux(stream.encode(None))


# ISO-BMFF surgery: boxes are (size, type) headers; the crafted files below patch fields inside them in place.


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, offset, header length, size) of each box between `start` and `end`."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif size == 0:
            size = end - position
        yield kind, position, header, size
        position += size


def find_boxes(
    data: bytes | bytearray, *path: bytes, within: tuple[int, int] | None = None
) -> list[tuple[int, int, int]]:
    """(offset, header length, size) of every box at `path` (e.g. b"moov", b"trak", b"tkhd"), optionally `within`
    the payload range of another box."""

    def walk(start: int, end: int, rest: tuple[bytes, ...]) -> list[tuple[int, int, int]]:
        found: list[tuple[int, int, int]] = []
        for kind, offset, header, size in _boxes(data, start, end):
            if kind == rest[0]:
                found += [(offset, header, size)] if len(rest) == 1 else walk(offset + header, offset + size, rest[1:])
        return found

    return walk(*(within or (0, len(data))), path)


def _video_track(data: bytes | bytearray) -> tuple[int, int]:
    """The payload range of the `trak` whose handler (`hdlr`) is `vide`."""
    for offset, header, size in find_boxes(data, b"moov", b"trak"):
        inside = (offset + header, offset + size)
        for hdlr, hdlr_header, _ in find_boxes(data, b"mdia", b"hdlr", within=inside):
            if data[hdlr + hdlr_header + 8 : hdlr + hdlr_header + 12] == b"vide":  # after version/flags, pre_defined
                return inside
    raise ValueError("no video track")


def rotated(data: bytes, degrees: int = 90) -> bytes:
    """The MP4 with its video track's display matrix turned `degrees` clockwise (as a phone held upright records)."""
    matrices = {
        90: (0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000),
        180: (-0x10000, 0, 0, 0, -0x10000, 0, 0, 0, 0x40000000),
        270: (0, -0x10000, 0, 0x10000, 0, 0, 0, 0, 0x40000000),
    }
    patched = bytearray(data)
    ((offset, header, _),) = find_boxes(patched, b"tkhd", within=_video_track(patched))
    matrix = offset + header + 40  # version 0: flags, times, track id, duration, layer, group, volume come first
    struct.pack_into(">9i", patched, matrix, *matrices[degrees])
    return bytes(patched)


def lasting(data: bytes, seconds: int) -> bytes:
    """The MP4 whose index says it lasts `seconds`: every sample's duration (stts), and each duration above it
    (mdhd, edit list, tkhd, mvhd), consistently, as FFmpeg cross-checks them."""
    patched = bytearray(data)
    ((movie, movie_header, _),) = find_boxes(patched, b"moov", b"mvhd")
    movie_scale = struct.unpack_from(">I", patched, movie + movie_header + 12)[0]
    struct.pack_into(">I", patched, movie + movie_header + 16, seconds * movie_scale)
    for offset, header, size in find_boxes(patched, b"moov", b"trak"):
        inside = (offset + header, offset + size)
        ((media, media_header, _),) = find_boxes(patched, b"mdia", b"mdhd", within=inside)
        media_scale = struct.unpack_from(">I", patched, media + media_header + 12)[0]
        struct.pack_into(">I", patched, media + media_header + 16, seconds * media_scale)
        for table, table_header, _ in find_boxes(patched, b"mdia", b"minf", b"stbl", b"stts", within=inside):
            entries = struct.unpack_from(">I", patched, table + table_header + 4)[0]
            at = [table + table_header + 8 + 8 * index for index in range(entries)]
            samples = sum(struct.unpack_from(">I", patched, entry)[0] for entry in at)
            for entry in at:
                struct.pack_into(">I", patched, entry + 4, -(-seconds * media_scale // samples))
        for edits, edits_header, _ in find_boxes(patched, b"edts", b"elst", within=inside):
            struct.pack_into(">I", patched, edits + edits_header + 8, seconds * movie_scale)
        ((track, track_header, _),) = find_boxes(patched, b"tkhd", within=inside)
        struct.pack_into(">I", patched, track + track_header + 20, seconds * movie_scale)
    return bytes(patched)


def padded(data: bytes, extra: int) -> bytes:
    """The MP4 with `extra` unused bytes at the end of its `mdat`: as large as a real video, with the same index.

    The samples' offsets point into the start of `mdat`, so they stay valid; with the index at the end the padding
    lies between the file's start and its index, as a long video's media data does.
    """
    ((offset, header, size),) = find_boxes(data, b"mdat")
    if header != 8 or size + extra >= 2**32:
        raise ValueError("only a small 32-bit mdat can be padded")
    body = bytearray(data[: offset + size]) + bytes(extra) + data[offset + size :]
    struct.pack_into(">I", body, offset, size + extra)
    return bytes(body)


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: int(len(data) * keep)]


def corrupt(data: bytes) -> bytes:
    """The first 64 bytes (a valid `ftyp`), then noise where the boxes should be."""
    return data[:64] + bytes((index * 37 + 11) % 256 for index in range(2048))
