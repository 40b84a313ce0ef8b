"""Crafted-images section of `make bench`: CPU of each crafted file against a plain file of the same pixel count.

The corpus is tests/crafted_images.py (made in memory). For each case the upload/ingest probe and the thumbnail
path run on the crafted file and on its plain baseline in one interleaved loop (`bench.interleave`), and the
median ratio crafted / plain is reported with its spread. A refused file costs what the refusal
costs; decoding is single-threaded here (pillow-heif's DECODE_THREADS = 1, Pillow's AVIF DEFAULT_MAX_THREADS = 1)
so CPU time is comparable.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable
from contextlib import suppress
from functools import partial

from bench.interleave import cpu_seconds, in_fresh_processes, interleaved, pooled, ratios

TITLE = "Crafted images (decode cost against a plain image)"
PROCESSES = 20
ROUNDS = 3  # per process, after a warm-up round
REPETITIONS = 3
SAMPLE_MS = 15
MAX_PIXELS = 50_000_000
BOX = 256


def _cpu_ms(action: Callable[[], object], repetitions: int = REPETITIONS) -> float:
    """CPU ms per run over `repetitions` runs; a refusal (ImageRejected) is the result being measured, not an error."""
    from functions.common.images import ImageRejected

    def refused_or_done() -> None:
        with suppress(ImageRejected):
            action()

    return cpu_seconds(refused_or_done, repetitions) * 1000


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


def measure(rounds: int) -> dict[str, dict[str, dict[str, list[float]]]]:
    """In this process: for each case and path, the crafted and plain samples (CPU ms) of one interleaved loop."""
    from tests.crafted_images import corpus

    _setup()
    # Every file once down every path before any is measured: the first case measured in a fresh process otherwise
    # pays the heap's growth and the codecs' first use (its plain JPEG measured 0.4 ms in one run, 0.7 ms in another).
    for case in corpus().values():
        for path in _paths().values():
            _cpu_ms(partial(path, case.data), 1)
            _cpu_ms(partial(path, case.plain), 1)
    measured: dict[str, dict[str, dict[str, list[float]]]] = {}
    for name, case in corpus().items():
        measured[name] = {}
        for path_name, path in _paths().items():
            # One loop, the order alternating, after a warm-up round (codec setup is not what we measure).
            measured[name][path_name] = interleaved(
                {
                    "crafted": partial(_cpu_ms, partial(path, case.data), _repetitions(partial(path, case.data))),
                    "plain": partial(_cpu_ms, partial(path, case.plain), _repetitions(partial(path, case.plain))),
                },
                rounds=rounds,
            )
    return measured


def _ratio(samples: dict[str, list[float]]) -> str:
    """Three significant digits: the refusals' ratios are hundredths, and two decimals would round them away."""
    if min(samples["plain"]) <= 0:
        return "n/a (plain below the clock)"
    ratio = ratios(samples, "crafted", "plain")
    return ratio.ratio(max(2, 2 - math.floor(math.log10(max(ratio.median, 1e-6)))))


def run() -> str:
    from functions.common.images import ImageRejected, probe
    from tests.crafted_images import corpus

    _setup()
    runs = in_fresh_processes("bench.crafted:measure", processes=PROCESSES, rounds=ROUNDS)
    rows = [
        "| Crafted file | Bytes | Handling | Probe ms (plain) | Probe ratio | Thumbnail ms (plain) | Thumbnail ratio |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    worst = 0.0
    for name, case in corpus().items():
        try:
            probe(case.data, max_pixels=MAX_PIXELS)
            handling = "accepted, bounded"
        except ImageRejected as rejected:
            handling = f"refused `{rejected.code}`"
        figures = []
        for path_name in _paths():
            samples = pooled([measured[name][path_name] for measured in runs])
            crafted, plain = statistics.median(samples["crafted"]), statistics.median(samples["plain"])
            if min(samples["plain"]) > 0:
                worst = max(worst, ratios(samples, "crafted", "plain").median)
            figures += [f"{crafted:.1f} ({plain:.1f})", _ratio(samples)]
        rows.append(f"| {name} | {len(case.data):,} | {handling} | " + " | ".join(figures) + " |")
    return "\n".join(
        [
            "CPU time (user + system) of the upload/ingest probe (`probe`: identify, check, full decode) and of the "
            "thumbnail path (`make_thumbnail`) on each crafted file of `tests/crafted_images.py`, against a plain "
            "file of the same format and pixel count measured in the same run. "
            f"Crafted and plain run in one loop, the order alternating, {ROUNDS} rounds after a warm-up in each of "
            f"{PROCESSES} fresh interpreters (`bench.interleave.in_fresh_processes`: one process's memory layout can "
            "move these ratios by tens of per cent); medians over all rounds, the "
            "ratio taken within each round, with its interquartile range; each sample repeats the file a power of two "
            f"times, enough to last about {SAMPLE_MS} ms (sized from warm runs). A refused file costs its refusal.",
            "",
            *rows,
            "",
            f"Largest ratio in this run: **{worst:.2f}x**. The accepted animations and multi-image files decode "
            "frame 0 or the primary image only; their ratios above 1x are against a 64x64 baseline of a fraction of "
            "a millisecond, and come from parsing the container's 1,000 frames or 32 images, a millisecond or two. "
            "Refusing a HEIF/AVIF of 500 images costs the walk of its boxes (about 2 ms; the walk gives up after "
            "20,000 boxes and entries, so no file costs it more than a few times that).",
        ]
    )


if __name__ == "__main__":
    print(run())
