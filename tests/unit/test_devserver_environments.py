"""The local server runs each function's events one at a time, as a Lambda execution environment does."""

from __future__ import annotations

import functools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from devserver.gateway import ExecutionEnvironments


class ConcurrencyMeter:
    """Counts how many calls are inside at once, per function."""

    def __init__(self) -> None:
        self.inside: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self._lock = threading.Lock()

    def call(self, function: str, both_inside: threading.Barrier | None = None) -> None:
        with self._lock:
            self.inside[function] = self.inside.get(function, 0) + 1
            self.peak[function] = max(self.peak.get(function, 0), self.inside[function])
        if both_inside is not None:
            both_inside.wait(timeout=5)
        time.sleep(0.005)
        with self._lock:
            self.inside[function] -= 1


def test_one_function_runs_one_event_at_a_time() -> None:
    # Given one function's environment and a meter
    environments, meter = ExecutionEnvironments(), ConcurrencyMeter()

    # When 24 events arrive for it from 8 threads at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: environments.run("sign", lambda: meter.call("sign")), range(24)))

    # Then they ran one after another
    assert meter.peak == {"sign": 1}


def test_different_functions_run_at_the_same_time() -> None:
    # Given two functions, each of whose events waits until the other's is inside too
    environments, meter = ExecutionEnvironments(), ConcurrencyMeter()
    both_inside = threading.Barrier(2)

    # When one event for each arrives at once
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [
            pool.submit(environments.run, name, functools.partial(meter.call, name, both_inside))
            for name in ("gallery", "thumbnail")
        ]
        [run.result(timeout=10) for run in runs]

    # Then neither waited for the other (the barrier would have broken)
    assert not both_inside.broken
    assert meter.peak == {"gallery": 1, "thumbnail": 1}


def test_a_failing_event_frees_its_environment() -> None:
    # Given an event whose handler raises
    environments = ExecutionEnvironments()

    def fail() -> None:
        raise RuntimeError("poison")

    with pytest.raises(RuntimeError):
        environments.run("thumbnail", fail)

    # When the next event arrives, Then it runs
    assert environments.run("thumbnail", lambda: "ran") == "ran"
