"""Instruction counts under valgrind's callgrind: the same figure for the same binary, input and environment, whatever
else the machine is doing.

CPU time on a shared VM moves with the host's load, and it moves interpreter-bound work and C decoding unequally, so a
ratio of the two can shift 15–25 % between runs minutes apart while each run looks steady. The number of instructions
executed does not. It is not time: interpreter code runs more instructions per cycle than zlib or a JPEG decoder, so
a ratio of instructions can read a few times higher than the ratio of CPU time (see README, Benchmarks).

`in_callgrind("module:function", ...)` runs the function in a fresh interpreter under callgrind with collection off;
inside it, each `counted(action)` runs `action` through `operator.call`, the one C function that callgrind is told to
count inside and to write a profile after (nothing else in the process calls it). The n-th profile is the n-th
counted action. The hash seed is fixed, and the collector runs before each action (outside the count), so a
collection inside one is one its own allocations caused.
"""

from __future__ import annotations

import gc
import json
import operator
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bench.interleave import ROOT

COUNTED_FUNCTION = "_operator_call"  # operator.call's C implementation (CPython 3.11+)
_SUMMARY = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def available() -> bool:
    """Whether valgrind is installed (`make bench` installs Debian's when missing)."""
    return shutil.which("valgrind") is not None


def counted(action: Callable[[], object]) -> None:
    """Run `action` as one counted measurement (outside callgrind it simply runs)."""
    gc.collect()
    operator.call(action)


def _instructions(profile: Path) -> int:
    match = _SUMMARY.search(profile.read_text())
    if match is None:
        raise RuntimeError(f"callgrind profile {profile.name} has no summary line")
    return int(match.group(1))


def in_callgrind(function: str, **keywords: Any) -> tuple[Any, list[int]]:
    """What `function` ("module:name", returning JSON) returns in a fresh interpreter under callgrind, and the
    instructions of each `counted` action it ran, in order."""
    with tempfile.TemporaryDirectory(prefix="callgrind-") as folder:
        profile = Path(folder) / "profile"
        completed = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--collect-atstart=no",
                f"--toggle-collect={COUNTED_FUNCTION}",
                f"--dump-after={COUNTED_FUNCTION}",
                f"--callgrind-out-file={profile}",
                sys.executable,
                "-m",
                "bench.worker",
                function,
                json.dumps(keywords),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"callgrind {function} failed:\n{completed.stderr[-4000:]}")
        # callgrind writes profile.1, profile.2, ... after each counted call and `profile` itself at exit.
        dumps = sorted(Path(folder).glob("profile.*"), key=lambda path: int(path.suffix[1:]))
        counts = [_instructions(path) for path in dumps]
    return json.loads(completed.stdout.strip().splitlines()[-1]), counts


def count_interleaved(contenders: Mapping[str, Callable[[], object]], *, rounds: int, warmup: int = 1) -> list[str]:
    """Under callgrind: each contender counted once a round, the order alternating, after `warmup` uncounted rounds
    (as `bench.interleave.interleaved`); the name of each counted run, in order."""
    names = list(contenders)
    labels = []
    for number in range(warmup + rounds):
        for name in names if number % 2 == 0 else names[::-1]:
            if number < warmup:
                contenders[name]()
            else:
                counted(contenders[name])
                labels.append(name)
    return labels


def counted_samples(function: str, **keywords: Any) -> dict[str, list[float]]:
    """The instructions of each counted run of `function` (which returns the label of each, in order), by label."""
    labels, counts = in_callgrind(function, **keywords)
    if len(labels) != len(counts):
        raise RuntimeError(f"callgrind wrote {len(counts)} profiles for {len(labels)} counted runs of {function}")
    samples: dict[str, list[float]] = {}
    for label, instructions in zip(labels, counts, strict=True):
        samples.setdefault(label, []).append(float(instructions))
    return samples
