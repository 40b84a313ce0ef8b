"""Video posters: bytes read and CPU to make the poster of a 100 MB MP4, ours against the `ffmpeg` command line.

The video (720p H.264 of noise at about 20 Mbit/s, so 100 MB is a realistic 40 s) is generated with PyAV on first run
into bench/.work/video (gitignored), once with its index (`moov`) at the end, as a camera writes it, and once
remuxed with it at the start (`-movflags faststart`). Ours is the video function's poster code reading through its
counting range reader (each read a ranged GET in Lambda, here a pread of the file); ffmpeg is Debian's command
line seeking to 1 s and writing one scaled WebP frame, its bytes read from its own input statistics and checked
against the kernel's count of its read calls.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from bench.interleave import Spread, interleaved, ratios, spread
from functions.system import LIMIT_DEFAULTS

if TYPE_CHECKING:
    import av

TITLE = "Video posters (100 MB MP4, index at the start and at the end)"
WORK = Path(__file__).resolve().parent / ".work" / "video"
VIDEO_BYTES = 100_000_000
WIDTH, HEIGHT, FPS, BITRATE, GOP = 1280, 720, 30, 20_000_000, 60
BOX = int(LIMIT_DEFAULTS["THUMBNAIL_SIZE"])
ROUNDS = 31
# The bound on what the video function reads of a 100 MB video.
MAX_READ_FRACTION = 0.05
LAYOUTS = {"start": "index at the start (faststart)", "end": "index at the end"}
_STATISTICS = re.compile(r"Statistics: (\d+) bytes read")


@dataclass
class Reads:
    """What one contender read in its last run, to report next to its CPU time."""

    bytes_read: int = 0
    requests: int = 0
    kernel_bytes: int = 0


def _noise_frames(count: int) -> list[av.VideoFrame]:
    import av

    frames = []
    for _ in range(count):
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        for plane in frame.planes:
            plane.update(os.urandom(plane.buffer_size))
        frames.append(frame)
    return frames


def _generate(end: Path, start: Path) -> None:
    """Encode frames of noise until the file holds VIDEO_BYTES (moov written last), then remux with faststart."""
    import av

    WORK.mkdir(parents=True, exist_ok=True)
    partial_end, partial_start = end.with_suffix(".part"), start.with_suffix(".part")
    # A small pool of distinct noise frames, cycled: x264's ultrafast preset references one frame back only, so
    # every frame costs what fresh noise costs, without generating 1,200 of them.
    pool = _noise_frames(12)
    with av.open(str(partial_end), "w", format="mp4") as output:
        # A VBV buffer of half a second keeps the rate even, as a camera's is: no second holds much more than 1/40.
        vbv = f"vbv-maxrate={BITRATE // 1000}:vbv-bufsize={BITRATE // 2000}"
        options = {"preset": "ultrafast", "g": str(GOP), "x264-params": vbv}
        stream = output.add_stream("libx264", rate=FPS, options=options)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.bit_rate = BITRATE
        number = 0
        # Whole seconds, until the file (written as it goes; created at the first packet) holds VIDEO_BYTES.
        while number % FPS or not partial_end.exists() or partial_end.stat().st_size < VIDEO_BYTES:
            frame = pool[number % len(pool)]
            frame.pts = number
            for packet in stream.encode(frame):
                output.mux(packet)
            number += 1
        for packet in stream.encode():
            output.mux(packet)
    with (
        av.open(str(partial_end)) as source,
        av.open(str(partial_start), "w", format="mp4", options={"movflags": "faststart"}) as output,
    ):
        video = source.streams.video[0]
        copy = output.add_stream_from_template(video)
        for packet in source.demux(video):
            if packet.dts is not None:
                packet.stream = copy
                output.mux(packet)
    partial_end.rename(end)
    partial_start.rename(start)


def _videos() -> dict[str, Path]:
    """The two layouts of the same video, generated once and reused."""
    paths = {layout: WORK / f"noise-720p-moov-{layout}.mp4" for layout in LAYOUTS}
    if not all(path.is_file() for path in paths.values()):
        started = time.monotonic()
        _generate(paths["end"], paths["start"])
        print(f"bench: generated the 100 MB test video in {time.monotonic() - started:.0f} s", flush=True)
    return paths


def _rchar() -> int:
    """Bytes this process and its reaped children passed through read calls (Linux `/proc/self/io`)."""
    with open("/proc/self/io") as io:
        for line in io:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise RuntimeError("no rchar in /proc/self/io")


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ffmpeg(argv: list[str], log: Path) -> tuple[float, int]:
    """CPU seconds and read-call bytes of one ffmpeg run (counted when it is reaped), its log written to `log`."""
    with log.open("w") as stderr:
        cpu, rchar = _children_cpu(), _rchar()
        subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, check=True)
        return _children_cpu() - cpu, _rchar() - rchar


def _ffmpeg_poster(path: Path, scratch: Path, reads: Reads) -> float:
    """`ffmpeg -ss 1 -i video -frames:v 1 -vf scale=… poster.webp`: its CPU seconds; what it read into `reads`."""
    scale = f"scale={BOX}:{BOX}:force_original_aspect_ratio=decrease"
    argv = ["ffmpeg", "-hide_banner", "-v", "verbose", "-y", "-ss", "1", "-i", str(path)]
    argv += ["-frames:v", "1", "-vf", scale, str(scratch / "poster.webp")]
    log = scratch / "ffmpeg.log"
    cpu, kernel_bytes = _ffmpeg(argv, log)
    # Its input's AVIOContext reports the bytes it read; the output's reports bytes written.
    (reads.bytes_read,) = (int(found) for found in _STATISTICS.findall(log.read_text()))
    reads.kernel_bytes = kernel_bytes
    return cpu


def _ffmpeg_startup(scratch: Path, reads: Reads) -> float:
    """CPU seconds of `ffmpeg -version`: the start-up (loading its libraries) every ffmpeg run pays."""
    cpu, reads.kernel_bytes = _ffmpeg(["ffmpeg", "-hide_banner", "-version"], scratch / "version.log")
    return cpu


def _our_poster(path: Path, reads: Reads) -> float:
    """The video function's poster code over its counting range reader: its CPU seconds; what it read into `reads`."""
    from functions.video.probe import VideoLimits, make_poster
    from functions.video.range_reader import RangeReader

    limits = VideoLimits(
        max_pixels=int(LIMIT_DEFAULTS["MAX_VIDEO_PIXELS"]),
        max_seconds=int(LIMIT_DEFAULTS["MAX_VIDEO_SECONDS"]),
        max_bytes=int(LIMIT_DEFAULTS["ASSET_MAX_VIDEO_MB"]) * 1024 * 1024,
    )
    descriptor = os.open(path, os.O_RDONLY)
    try:
        reader = RangeReader(
            fetch=lambda first, last: os.pread(descriptor, last - first + 1, first), size=path.stat().st_size
        )
        started = time.process_time()
        # RangeReader is a binary file (io.RawIOBase), which typeshed does not count as a BinaryIO.
        facts = make_poster(cast(BinaryIO, reader), box=BOX, limits=limits)
        cpu = time.process_time() - started
    finally:
        os.close(descriptor)
    assert facts.webp, "no poster"
    reads.bytes_read, reads.requests = reader.bytes_read, reader.requests
    return cpu


def _missing() -> str | None:
    """Why the section cannot run here, if it cannot."""
    if shutil.which("ffmpeg") is None:
        return "Skipped: no `ffmpeg` on the PATH (`make bench` installs Debian's when it runs as root)."
    try:
        for module in ("functions.video.probe", "functions.video.range_reader"):
            importlib.import_module(module)
    except ImportError as error:
        return f"Skipped: the video function's poster code does not import in this tree ({error})."
    return None


def _ms(figure: Spread) -> str:
    return f"{figure.median * 1000:.0f} ms (IQR {figure.q1 * 1000:.0f}–{figure.q3 * 1000:.0f})"


def _mb(count: int, size: int) -> str:
    return f"{count / 1e6:.2f} MB ({count / size:.1%})"


def _ffmpeg_version() -> str:
    result = subprocess.run(["ffmpeg", "-hide_banner", "-version"], capture_output=True, text=True, check=True)
    return result.stdout.split()[2]


def run() -> str:
    import av

    reason = _missing()
    if reason:
        return reason
    paths = _videos()
    reads = {f"{who}-{layout}": Reads() for who in ("ours", "ffmpeg") for layout in LAYOUTS}
    reads["ffmpeg-startup"] = Reads()
    with tempfile.TemporaryDirectory() as scratch:
        contenders: dict[str, Callable[[], float]] = {
            "ffmpeg-startup": partial(_ffmpeg_startup, Path(scratch), reads["ffmpeg-startup"])
        }
        for layout, path in paths.items():
            contenders[f"ours-{layout}"] = partial(_our_poster, path, reads[f"ours-{layout}"])
            contenders[f"ffmpeg-{layout}"] = partial(_ffmpeg_poster, path, Path(scratch), reads[f"ffmpeg-{layout}"])
        samples = interleaved(contenders, rounds=ROUNDS, warmup=1)
    startup = spread(samples["ffmpeg-startup"])
    rows = [
        "| video | ours: bytes read | ours: range reads | ffmpeg: bytes read | ours ÷ ffmpeg bytes | "
        "ours: CPU | ffmpeg: CPU | ours ÷ ffmpeg CPU | ours ÷ (ffmpeg − start-up) CPU | ≤ 5 % read |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    checks = []
    for layout, path in paths.items():
        size = path.stat().st_size
        ours, theirs = reads[f"ours-{layout}"], reads[f"ffmpeg-{layout}"]
        # ffmpeg's own count and the kernel's (less what its start-up reads: its libraries' headers) must agree,
        # or the ffmpeg column is not what it says.
        kernel_bytes = theirs.kernel_bytes - reads["ffmpeg-startup"].kernel_bytes
        checks.append(abs(kernel_bytes - theirs.bytes_read) / theirs.bytes_read)
        # One start-up estimate for every round: a round's own `ffmpeg -version` would add its noise to the
        # difference, which amplifies it by total ÷ (total − start-up).
        work = {
            "ours": samples[f"ours-{layout}"],
            "ffmpeg": samples[f"ffmpeg-{layout}"],
            "ffmpeg-work": [total - startup.median for total in samples[f"ffmpeg-{layout}"]],
        }
        within = ours.bytes_read <= MAX_READ_FRACTION * size
        rows.append(
            f"| {LAYOUTS[layout]} | {_mb(ours.bytes_read, size)} | {ours.requests} | {_mb(theirs.bytes_read, size)} "
            f"| {ours.bytes_read / theirs.bytes_read:.2f}× | {_ms(spread(work['ours']))} | "
            f"{_ms(spread(work['ffmpeg']))} | {ratios(work, 'ours', 'ffmpeg').ratio()} | "
            f"{ratios(work, 'ours', 'ffmpeg-work').ratio()} | {'yes' if within else '**no**'} |"
        )
    size = paths["end"].stat().st_size
    with av.open(str(paths["end"])) as probe:
        seconds = (probe.duration or 0) / av.time_base
    return "\n".join(
        [
            f"One {size / 1e6:.0f} MB MP4 ({WIDTH}x{HEIGHT} H.264 of noise, {BITRATE / 1e6:.0f} Mbit/s, keyframe every "
            f"{GOP / FPS:.0f} s, {seconds:.0f} s), with its index at the start and at the end. Ours: "
            "`functions.video.probe.make_poster` (probe, limits, a frame near 1 s, the "
            f"{BOX}px WebP poster and the placeholder; PyAV's FFmpeg {av.ffmpeg_version_info}) reading through the "
            "video function's `RangeReader`, each read one ranged GET in Lambda (here a `pread` of the file). ffmpeg: "
            "Debian's "
            f"`ffmpeg {_ffmpeg_version()}` running `-ss 1 -i video -frames:v 1 -vf scale=… poster.webp`, its bytes "
            "read as its input's `AVIOContext` statistics report them (the kernel's `rchar` of the process, less "
            f"what `ffmpeg -version` reads, agrees within {max(checks):.2%}). CPU is user + system of all threads: "
            "`time.process_time` for ours (in this process, warm), `RUSAGE_CHILDREN` for ffmpeg, which includes "
            f"its start-up of {_ms(startup)} (`ffmpeg -version`); the last ratio takes that median out of every round. "
            f"{ROUNDS} "
            "interleaved rounds after a warm-up, ratio per round, median with its interquartile range.",
            "",
            *rows,
            *(
                ["", "**ffmpeg's own count and the kernel's disagree by over 2 %: its column is suspect.**"]
                if max(checks) > 0.02
                else []
            ),
        ]
    )


if __name__ == "__main__":
    print(run())
