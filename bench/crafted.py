"""Crafted-images section of `make bench`: CPU of each crafted file against a plain file of the same pixel count.

The corpus is tests/crafted_images.py (made in memory). For each case the upload/ingest probe and the thumbnail
path run on the crafted file and on its plain baseline in one interleaved loop (`bench.interleave`), and the
median ratio crafted / plain is reported with its spread. A refused file costs what the refusal
costs; decoding is single-threaded here (pillow-heif's DECODE_THREADS = 1) so CPU time is comparable.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable
from contextlib import suppress
from functools import partial

from bench.interleave import cpu_seconds, interleaved, ratios

TITLE = "Crafted images (decode cost against a plain image)"
ROUNDS = 7
REPETITIONS = 3
SAMPLE_MS = 20
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
    """Enough runs for one sample to last SAMPLE_MS: a sub-millisecond run alone is mostly timer and scheduler."""
    once = max(_cpu_ms(action, 1), 0.01)
    return max(REPETITIONS, math.ceil(SAMPLE_MS / once))


def run() -> str:
    import pillow_heif

    from functions.common.images import ImageRejected, probe
    from functions.thumbnail.imaging import make_thumbnail
    from tests.crafted_images import corpus

    pillow_heif.options.DECODE_THREADS = 1
    warnings.simplefilter("ignore")
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

        def probed(data: bytes) -> object:
            return probe(data, max_pixels=MAX_PIXELS)

        def thumbnailed(data: bytes) -> object:
            return make_thumbnail(data, box=BOX, max_pixels=MAX_PIXELS)

        paths: tuple[Callable[[bytes], object], ...] = (probed, thumbnailed)
        for path in paths:
            # One loop, the order alternating, after a warm-up round (codec setup is not what we measure).
            samples = interleaved(
                {
                    "crafted": partial(_cpu_ms, partial(path, case.data), _repetitions(partial(path, case.data))),
                    "plain": partial(_cpu_ms, partial(path, case.plain), _repetitions(partial(path, case.plain))),
                },
                rounds=ROUNDS,
            )
            crafted, plain = statistics.median(samples["crafted"]), statistics.median(samples["plain"])
            ratio = ratios(samples, "crafted", "plain") if min(samples["plain"]) > 0 else None
            worst = max(worst, ratio.median if ratio else float("inf"))
            figures += [f"{crafted:.1f} ({plain:.1f})", ratio.ratio() if ratio else "n/a (plain below the clock)"]
        rows.append(f"| {name} | {len(case.data):,} | {handling} | " + " | ".join(figures) + " |")
    return "\n".join(
        [
            "CPU time (user + system) of the upload/ingest probe (`probe`: identify, check, full decode) and of the "
            "thumbnail path (`make_thumbnail`) on each crafted file of `tests/crafted_images.py`, against a plain "
            "file of the same format and pixel count measured in the same run. "
            f"Crafted and plain run in one loop, the order alternating, {ROUNDS} rounds after a warm-up; medians, the "
            "ratio taken within each round, with its interquartile range; each sample repeats the file enough "
            f"times to last {SAMPLE_MS} ms. A refused file costs its refusal.",
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
