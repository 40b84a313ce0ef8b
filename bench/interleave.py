"""Interleaved measurement for every ratio in BENCHMARKS.md: subject and baseline in one loop, with their spread.

Each round measures every contender once, the order alternating (A B, then B A) so a slow moment of a busy machine,
a warming cache or a frequency change weighs on both alike. A ratio is taken within each round (subject ÷ baseline
of the same round) and reported as the median over rounds with its interquartile range and min–max. CPU time is
the default measure (`time.process_time` in this process, `RUSAGE_CHILDREN` for a subprocess): it does not count
the time other processes hold the CPU. Wall clock only where the wait is the point (latency through a server).

One process has one memory layout, one hash seed and one history of its heap, and a ratio of sub-millisecond or
allocation-heavy work can sit tens of per cent apart in two processes while its spread within each is a few per
cent. Such measurements run in several fresh interpreters one after another (`in_fresh_processes`), and their rounds
are pooled (`pooled`), as pyperf does: the median is then taken over layouts, not within one.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Spread:
    """A median over rounds with its quartiles and extremes."""

    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float
    rounds: int

    def ratio(self, digits: int = 2) -> str:
        """`1.02× (IQR 0.98–1.05)`."""
        return f"{self.median:.{digits}f}× (IQR {self.q1:.{digits}f}–{self.q3:.{digits}f})"

    def value(self, digits: int = 1, unit: str = "") -> str:
        """`37.6 ms (IQR 36.9–38.0)`."""
        return f"{self.median:.{digits}f}{unit} (IQR {self.q1:.{digits}f}–{self.q3:.{digits}f})"

    def relative_iqr(self) -> float:
        """The interquartile range as a fraction of the median: how far two runs may be expected to differ."""
        return (self.q3 - self.q1) / self.median if self.median else 0.0


def spread(values: Sequence[float]) -> Spread:
    """Median, quartiles (inclusive method) and extremes of `values`."""
    ordered = sorted(values)
    if len(ordered) == 1:
        only = ordered[0]
        return Spread(only, only, only, only, only, 1)
    q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Spread(statistics.median(ordered), q1, q3, ordered[0], ordered[-1], len(ordered))


def interleaved(
    contenders: Mapping[str, Callable[[], float]], *, rounds: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Each contender's measurements over `rounds` rounds (after `warmup` unrecorded ones), alternating the order.

    A contender is a callable returning one measurement (seconds, milliseconds: anything a ratio can be taken of).
    """
    names = list(contenders)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for number in range(warmup + rounds):
        order = names if number % 2 == 0 else names[::-1]
        for name in order:
            measured = contenders[name]()
            if number >= warmup:
                samples[name].append(measured)
    return samples


def in_fresh_processes(function: str, *, processes: int, **keywords: Any) -> list[Any]:
    """What `function` ("module:name", returning JSON) returns in each of `processes` fresh interpreters, run one
    after another (never side by side: they would share the cores)."""
    results = []
    for _ in range(processes):
        completed = subprocess.run(
            [sys.executable, "-m", "bench.worker", function, json.dumps(keywords)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"bench.worker {function} failed:\n{completed.stderr[-4000:]}")
        results.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    return results


def pooled(results: Sequence[Mapping[str, Sequence[float]]]) -> dict[str, list[float]]:
    """The rounds of several processes' samples joined contender by contender, so rounds stay aligned."""
    joined: dict[str, list[float]] = {}
    for samples in results:
        for name, values in samples.items():
            joined.setdefault(name, []).extend(values)
    return joined


def ratios(samples: Mapping[str, Sequence[float]], subject: str, baseline: str) -> Spread:
    """The spread of subject ÷ baseline, round by round."""
    return spread([mine / theirs for mine, theirs in zip(samples[subject], samples[baseline], strict=True)])


def cpu_seconds(action: Callable[[], object], repetitions: int = 1) -> float:
    """CPU seconds (user + system, all threads of this process) per run of `action`."""
    start = time.process_time()
    for _ in range(repetitions):
        action()
    return (time.process_time() - start) / repetitions


def wall_seconds(action: Callable[[], object], repetitions: int = 1) -> float:
    """Wall-clock seconds per run of `action`: only where waiting is what is measured."""
    start = time.perf_counter()
    for _ in range(repetitions):
        action()
    return (time.perf_counter() - start) / repetitions


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child_cpu_seconds(argv: Sequence[str], **options: Any) -> tuple[float, subprocess.CompletedProcess[str]]:
    """CPU seconds a subprocess used (user + system, from `RUSAGE_CHILDREN`), and its result; run to completion."""
    before = _children_cpu()
    result = subprocess.run(list(argv), capture_output=True, text=True, check=True, **options)
    return _children_cpu() - before, result
