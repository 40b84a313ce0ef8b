"""Crafted-images section of `make bench`: the cost of each crafted file against a plain file of the same pixel count.

The corpus is tests/crafted_images.py (made in memory). For each case the upload/ingest probe and the thumbnail
path run on the crafted file and on its plain baseline in one interleaved loop, and the median ratio crafted / plain
is reported with its spread. The ratio is one of instructions executed, counted by callgrind (`bench.instructions`):
CPU time on this VM moved such ratios 15–25 % between runs minutes apart, instructions do not move. CPU time is
given beside it, as a figure for the reader, not as a ratio. A refused file costs what the refusal costs; decoding
is single-threaded here (pillow-heif's DECODE_THREADS = 1, Pillow's AVIF DEFAULT_MAX_THREADS = 1) so CPU time is
comparable.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable
from contextlib import suppress
from functools import partial

from bench.instructions import available, count_interleaved, counted_samples
from bench.interleave import cpu_seconds, in_fresh_processes, interleaved, pooled, ratios

TITLE = "Crafted images (decode cost against a plain image)"
COUNTED_ROUNDS = 3  # instructions barely move from round to round (under 1 % but for the smallest files)
PROCESSES = 5  # for the CPU-time figures
ROUNDS = 2  # per process, after a warm-up round
REPETITIONS = 3
SAMPLE_MS = 15
MAX_PIXELS = 50_000_000
BOX = 256

Samples = dict[str, dict[str, dict[str, list[float]]]]  # case -> path -> crafted / plain -> one figure per round


def _refused_or_done(action: Callable[[], object]) -> None:
    """Run `action`; a refusal (ImageRejected) is the result being measured, not an error."""
    from functions.common.images import ImageRejected

    with suppress(ImageRejected):
        action()


def _cpu_ms(action: Callable[[], object], repetitions: int = REPETITIONS) -> float:
    """CPU ms per run over `repetitions` runs."""
    return cpu_seconds(partial(_refused_or_done, action), repetitions) * 1000


def _repetitions(action: Callable[[], object]) -> int:
    """Enough runs for one sample to last SAMPLE_MS: a sub-millisecond run alone is mostly timer and scheduler.

    Sized from warm runs (the median of three, after one) and rounded up to a power of two, so that two runs of the
    bench repeat each file the same number of times: the first run of a sample, after the other file disturbed
    the heap and caches, weighs the same in both.
    """
    _cpu_ms(action, 1)
    once = max(statistics.median(_cpu_ms(action, 1) for _ in range(3)), 0.001)
    return max(REPETITIONS, 2 ** math.ceil(math.log2(max(1.0, SAMPLE_MS / once))))


def _setup() -> None:
    import pillow_heif
    from PIL import AvifImagePlugin

    pillow_heif.options.DECODE_THREADS = 1
    # Pillow decodes AVIF itself (libavif), on one thread per core unless told: the plain AVIF's CPU time then
    # moved fivefold from sample to sample with the threads' scheduling.
    AvifImagePlugin.DEFAULT_MAX_THREADS = 1
    warnings.simplefilter("ignore")


def _paths() -> dict[str, Callable[[bytes], object]]:
    from functions.common.images import probe
    from functions.thumbnail.imaging import make_thumbnail

    return {
        "probe": lambda data: probe(data, max_pixels=MAX_PIXELS),
        "thumbnail": lambda data: make_thumbnail(data, box=BOX, max_pixels=MAX_PIXELS),
    }


def _files() -> dict[str, dict[str, bytes]]:
    """Each case's crafted and plain file, every one of them already run once down every path.

    The first file run in a fresh process otherwise pays the heap's growth and the codecs' first use (its plain JPEG
    measured 0.4 ms in one run, 0.7 ms in another).
    """
    from tests.crafted_images import corpus

    _setup()
    files = {name: {"crafted": case.data, "plain": case.plain} for name, case in corpus().items()}
    for pair in files.values():
        for path in _paths().values():
            for data in pair.values():
                _refused_or_done(partial(path, data))
    return files


def count(rounds: int) -> list[str]:
    """Under callgrind: each case's crafted and plain file counted in turn down each path, the order alternating,
    `rounds` times; the label (`case path file`) of each counted run, in order."""
    labels = []
    for name, pair in _files().items():
        for path_name, path in _paths().items():
            contenders = {
                f"{name} {path_name} {which}": partial(_refused_or_done, partial(path, data))
                for which, data in pair.items()
            }
            labels += count_interleaved(contenders, rounds=rounds, warmup=0)
    return labels


def counted_instructions(rounds: int = COUNTED_ROUNDS) -> Samples:
    """Instructions per run of each case, path and file (one process under callgrind)."""
    samples: Samples = {}
    for label, counts in counted_samples("bench.crafted:count", rounds=rounds).items():
        name, path_name, which = label.split(" ")
        samples.setdefault(name, {}).setdefault(path_name, {})[which] = counts
    return samples


def measure(rounds: int) -> Samples:
    """In this process: for each case and path, the crafted and plain samples (CPU ms) of one interleaved loop."""
    measured: Samples = {}
    for name, pair in _files().items():
        measured[name] = {}
        for path_name, path in _paths().items():
            # One loop, the order alternating, after a warm-up round (codec setup is not what we measure).
            measured[name][path_name] = interleaved(
                {
                    which: partial(_cpu_ms, partial(path, data), _repetitions(partial(path, data)))
                    for which, data in pair.items()
                },
                rounds=rounds,
            )
    return measured


def _ratio(samples: dict[str, list[float]]) -> str:
    """Three significant digits: the refusals' ratios are hundredths, and two decimals would round them away."""
    ratio = ratios(samples, "crafted", "plain")
    return ratio.ratio(max(2, 2 - math.floor(math.log10(max(ratio.median, 1e-6)))))


def _handling(data: bytes) -> str:
    from functions.common.images import ImageRejected, probe

    try:
        probe(data, max_pixels=MAX_PIXELS)
    except ImageRejected as rejected:
        return f"refused `{rejected.code}`"
    return "accepted, bounded"


def run() -> str:
    if not available():
        return "Skipped: no `valgrind` on the PATH (`make bench` installs Debian's when it runs as root)."
    from tests.crafted_images import corpus

    _setup()
    instructions = counted_instructions()
    cpu = in_fresh_processes("bench.crafted:measure", processes=PROCESSES, rounds=ROUNDS)
    rows = [
        "| Crafted file | Bytes | Handling | Probe CPU ms (plain) | Probe M instructions (plain) | Probe ratio "
        "| Thumbnail CPU ms (plain) | Thumbnail M instructions (plain) | Thumbnail ratio |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    worst = (0.0, "")
    for name, case in corpus().items():
        pair = {"crafted": case.data, "plain": case.plain}
        figures = []
        for path_name in _paths():
            counts = instructions[name][path_name]
            times = pooled([measured[name][path_name] for measured in cpu])
            median = {which: statistics.median(times[which]) for which in pair}
            millions = {which: statistics.median(counts[which]) / 1e6 for which in pair}
            worst = max(worst, (ratios(counts, "crafted", "plain").median, f"{name} ({path_name})"))
            figures += [
                f"{median['crafted']:.1f} ({median['plain']:.1f})",
                f"{millions['crafted']:.2f} ({millions['plain']:.2f})",
                _ratio(counts),
            ]
        cells = [name, f"{len(pair['crafted']):,}", _handling(pair["crafted"]), *figures]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(
        [
            "The upload/ingest probe (`probe`: identify, check, full decode) and the thumbnail path "
            "(`make_thumbnail`) on each crafted file of `tests/crafted_images.py`, against a plain file of the same "
            "format and pixel count. The ratio is one of **instructions executed**, counted by valgrind's callgrind "
            "(`bench/instructions.py`) in one fresh interpreter: crafted and plain in turn, the order alternating, "
            f"{COUNTED_ROUNDS} rounds after every file ran once; the median of the ratios of each round with its "
            "interquartile range. Instructions are the same from run to run whatever the machine is doing; CPU time "
            "on this VM moved these ratios 15–25 % between runs minutes apart. Instructions are not time: "
            "interpreter code (the walks that refuse a file) runs several instructions per cycle, C decoders fewer, "
            "so a refusal's ratio of instructions can read a few times its ratio of CPU time; most read higher, a "
            "few lower, by up to a third. CPU time (user + system) is given beside it as a figure, the median over "
            f"{PROCESSES} fresh interpreters of {ROUNDS} interleaved rounds each, each sample repeating the file "
            f"enough to last about {SAMPLE_MS} ms; it moves between runs. A refused file costs its refusal.",
            "",
            *rows,
            "",
            f"Largest ratio in this run: **{worst[0]:.2f}x**, {worst[1]}. The accepted animations and multi-image "
            "files decode frame 0 or the primary image only; their ratios above 1x are against a 64x64 baseline of "
            "a fraction of a millisecond, and come from parsing the container's 1,000 frames or 32 images, a "
            "millisecond or two. Refusing a HEIF/AVIF of 500 images costs the walk of its boxes (a few ms; the walk "
            "gives up after 20,000 boxes and entries, so no file costs it more than a few times that).",
        ]
    )


if __name__ == "__main__":
    print(run())
