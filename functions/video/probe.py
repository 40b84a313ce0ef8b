"""What a video is (container, codec, size as displayed, duration, audio, playability) and its poster, with PyAV.

Order matters for safety: the container is told from the first bytes (`sniff_video`) and opened with that demuxer
only (FFmpeg never guesses among its hundreds of formats), and the limits are checked from what the demuxer read of
the container's header (its index) before this code decodes a frame. FFmpeg's own probing of the streams (which
may decode a first frame to learn its format) runs under a pixel cap too (`max_pixels`), so no frame of unbounded size
is ever allocated; the cap is a few times the limit, because FFmpeg reports a stream over it as having no size at
all, and a video somewhat over the limit should be told it is too large rather than unreadable.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any, Protocol

import av
from PIL import Image, ImageStat

from functions.common.formats import VIDEO_SNIFF_BYTES, sniff_video
from functions.common.models import Placeholder
from functions.common.placeholder import make_placeholder

WEBP_QUALITY = 80
WEBP_METHOD = 4
# Browsers play these in a <video> element (in MP4, QuickTime or WebM); HEVC, ProRes and others often not.
PLAYABLE_VIDEO_CODECS = frozenset({"h264", "vp8", "vp9", "av1"})
PLAYABLE_AUDIO_CODECS = frozenset({"aac", "mp3", "opus", "vorbis", "flac"})
PLAYABLE_CONTAINERS = frozenset({"video/mp4", "video/quicktime", "video/webm"})
# The FFmpeg demuxer for each sniffed type (one demuxer reads MP4 and QuickTime, one WebM and Matroska).
_DEMUXERS = {"video/mp4": "mov", "video/quicktime": "mov", "video/webm": "matroska", "video/x-matroska": "matroska"}
# FFmpeg's stream probing reads at most this much, whatever the file says, and allocates frames at most this many
# times the pixel limit (an 8K limit: about 200 MB for one frame).
_PROBE_BYTES = 2 * 1024 * 1024
_PROBE_PIXELS_FACTOR = 4
POSTER_SECONDS = 1.0
SHORT_CLIP_SECONDS = 2.0
# Later candidates, as fractions of the duration, tried only while the frames found are (near) black.
_LATER_FRACTIONS = (0.25, 0.5)
_UNKNOWN_DURATION_LATER = (3.0, 5.0)
# Frames decoded past a seek point for one candidate at most (a long GOP must not cost unbounded CPU).
_MAX_FRAMES_PER_CANDIDATE = 300
_BLACK_MEAN, _BLACK_MAX = 24, 48  # luma: a dark frame with nothing bright in it


@dataclass(frozen=True)
class VideoLimits:
    """What a video may be: pixels per frame and seconds, from its header; bytes, checked by the caller."""

    max_pixels: int
    max_seconds: int
    max_bytes: int


@dataclass(frozen=True)
class VideoFacts:
    mime: str
    width: int  # as displayed (rotation and pixel aspect applied)
    height: int
    duration_ms: int | None  # None when the container does not say (a live-recorded WebM may not)
    video_codec: str
    has_audio: bool
    playable: bool
    webp: bytes  # the poster, no larger than the box, as displayed
    placeholder: Placeholder
    preview: bytes | None = None  # the same frame no larger than the preview box (#17), when one was given


class Source(Protocol):
    """A seekable binary file (an open file, a BytesIO, the function's `RangeReader` over S3)."""

    def read(self, size: int = -1, /) -> bytes | None: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


class VideoRejected(Exception):
    """A poison video: `code` is what the asset records (`unsupported_format`, `video_unreadable`, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def make_poster(source: Source, *, box: int, limits: VideoLimits, preview_box: int | None = None) -> VideoFacts:
    """Probe `source` (seekable) within `limits` and return its facts and a WebP poster no larger than `box`
    (and with `preview_box` the same frame no larger than that, for the viewer)."""
    head = source.read(VIDEO_SNIFF_BYTES) or b""
    if not head:
        raise VideoRejected("video_unreadable", "The file is empty.")
    mime = sniff_video(head)
    if mime is None:
        raise VideoRejected("unsupported_format", "The file is not an MP4, QuickTime, WebM or Matroska video.")
    source.seek(0)
    try:
        with av.open(
            source,
            mode="r",
            format=_DEMUXERS[mime],
            options={"max_pixels": str(limits.max_pixels * _PROBE_PIXELS_FACTOR)},
            container_options={"probesize": str(_PROBE_BYTES)},
        ) as container:
            return _facts(container, mime, box=box, limits=limits, preview_box=preview_box)
    except av.FFmpegError as error:
        raise VideoRejected("video_unreadable", f"The video cannot be read ({error.strerror}).") from error


def _facts(container: Any, mime: str, *, box: int, limits: VideoLimits, preview_box: int | None) -> VideoFacts:
    if container.format.name.split(",")[0] != _DEMUXERS[mime]:
        raise VideoRejected("unsupported_format", "The container is not the one its first bytes announce.")
    stream = _video_stream(container)
    context = stream.codec_context
    width, height = (context.width, context.height) if context is not None else (0, 0)
    if width <= 0 or height <= 0:
        raise VideoRejected("video_unreadable", "The video stream has no (readable) picture size.")
    if width * height > limits.max_pixels:
        raise VideoRejected("video_too_large", f"{width}x{height} is more pixels than allowed.")
    duration = _duration_seconds(container, stream)
    if duration is not None and duration > limits.max_seconds:
        raise VideoRejected("video_too_long", "The video is longer than allowed.")
    audio_codecs = [audio.codec_context.name if audio.codec_context else "" for audio in container.streams.audio]
    codec = context.name
    playable = (
        mime in PLAYABLE_CONTAINERS
        and codec in PLAYABLE_VIDEO_CODECS
        and all(name in PLAYABLE_AUDIO_CODECS for name in audio_codecs)
    )
    context.options = {"max_pixels": str(limits.max_pixels)}  # the header's size must also be the frames' size
    frame, rotation = _poster_frame(container, stream, duration)
    aspect = float(context.sample_aspect_ratio or 1) or 1.0
    shown_width, shown_height = max(1, round(width * aspect)), height
    if rotation % 180:
        shown_width, shown_height = shown_height, shown_width
    poster = _shown(frame, rotation, aspect, box)
    # The frame is decoded already: a second scale of it is the preview's whole cost.
    preview = _shown(frame, rotation, aspect, preview_box) if preview_box and preview_box > box else None
    return VideoFacts(
        mime=mime,
        width=shown_width,
        height=shown_height,
        duration_ms=None if duration is None else round(duration * 1000),
        video_codec=codec,
        has_audio=bool(audio_codecs),
        playable=playable,
        webp=_encode_webp(poster),
        placeholder=make_placeholder(poster),
        preview=None if preview is None else _encode_webp(preview),
    )


def _video_stream(container: Any) -> Any:
    """The first video stream that is a picture sequence (not an album cover attached to audio)."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise VideoRejected("video_no_stream", "The file has no video stream.")


def _duration_seconds(container: Any, stream: Any) -> float | None:
    if container.duration is not None and container.duration > 0:
        return float(container.duration / av.time_base)
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    return None


def _candidates(duration: float | None) -> list[float]:
    """Where to look for the poster, in order: near 1 s (the middle of a short clip), then later if that is black."""
    if duration is None:
        return [POSTER_SECONDS, *_UNKNOWN_DURATION_LATER]
    if duration < SHORT_CLIP_SECONDS:
        return [duration / 2]
    later = [duration * fraction for fraction in _LATER_FRACTIONS if duration * fraction > POSTER_SECONDS]
    return [POSTER_SECONDS, *later]


def _poster_frame(container: Any, stream: Any, duration: float | None) -> tuple[Any, int]:
    """The first candidate frame that is not (near) black, else the first found; and its rotation in degrees."""
    first: Any = None
    for seconds in _candidates(duration):
        frame = _frame_at(container, stream, seconds)
        if frame is None:
            continue
        if first is None:
            first = frame
        if not _is_black(frame):
            return frame, _rotation(frame)
    if first is None:
        raise VideoRejected("video_unreadable", "No frame of the video could be decoded.")
    return first, _rotation(first)


def _frame_at(container: Any, stream: Any, seconds: float) -> Any:
    """The first frame at or after `seconds` (or the last before the end), decoded from the keyframe before it."""
    time_base = stream.time_base
    if time_base:
        start = stream.start_time or 0
        container.seek(start + math.floor(seconds / time_base), stream=stream, backward=True)
    found: Any = None
    try:
        for count, frame in enumerate(container.decode(stream)):
            found = frame
            if frame.time is None or frame.time >= seconds - 1e-3 or count >= _MAX_FRAMES_PER_CANDIDATE:
                break
    except av.FFmpegError:
        pass  # truncated or damaged after some frames: keep what decoded
    return found


def _is_black(frame: Any) -> bool:
    grey = frame.reformat(width=32, height=max(1, round(32 * frame.height / max(1, frame.width))), format="gray")
    stats = ImageStat.Stat(grey.to_image())
    return stats.mean[0] < _BLACK_MEAN and stats.extrema[0][1] < _BLACK_MAX


def _rotation(frame: Any) -> int:
    """Degrees to turn the decoded picture clockwise to show it (FFmpeg's display matrix is counter-clockwise)."""
    return int(-round(frame.rotation / 90) * 90) % 360


def _shown(frame: Any, rotation: int, aspect: float, box: int) -> Image.Image:
    """The frame scaled by FFmpeg straight to the box (never an RGB copy at full size), then turned as displayed."""
    width, height = frame.width * aspect, frame.height
    if rotation % 180:
        width, height = height, width
    scale = min(1.0, box / max(width, height))
    target_w, target_h = max(1, round(width * scale)), max(1, round(height * scale))
    if rotation % 180:
        target_w, target_h = target_h, target_w
    image = frame.reformat(width=target_w, height=target_h, format="rgb24", interpolation="AREA").to_image()
    turn = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    return image.transpose(turn[rotation]) if rotation in turn else image


def _encode_webp(image: Image.Image) -> bytes:
    """WebP without any metadata: a fresh image carries none, and none is passed to the encoder."""
    out = io.BytesIO()
    Image.frombytes(image.mode, image.size, image.tobytes()).save(
        out, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD
    )
    return out.getvalue()
