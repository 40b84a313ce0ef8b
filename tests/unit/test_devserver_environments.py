"""The local server runs events the way Lambda does: one at a time per execution environment, more when busy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from devserver.environments import ExecutionEnvironments, FunctionError, LambdaContext


class MeteredEnvironment:
    """An environment that records how many events it is running at once."""

    def __init__(self, owner: MeteredEnvironments, handler: Callable[[dict[str, Any]], Any]) -> None:
        self._handler = handler
        self.closed = False

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> Any:
        return self._handler(event)

    def close(self) -> None:
        self.closed = True


class MeteredEnvironments:
    """An environment factory whose environments record how many events each is running at once."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.made: list[str] = []
        self.peak_inside_one = 0
        self._hold = hold
        self._lock = threading.Lock()

    def __call__(self, function: str) -> MeteredEnvironment:
        self.made.append(function)
        inside = 0

        def handler(event: dict[str, Any]) -> Any:
            nonlocal inside
            with self._lock:
                inside += 1
                self.peak_inside_one = max(self.peak_inside_one, inside)
            if self._hold is not None:
                self._hold.wait(timeout=5)
            if event.get("fail"):
                with self._lock:
                    inside -= 1
                raise FunctionError(function, {"type": "RuntimeError", "message": "poison"})
            time.sleep(0.005)
            with self._lock:
                inside -= 1
            return event["n"]

        return MeteredEnvironment(self, handler)


def test_each_environment_runs_one_event_at_a_time_and_answers_its_own_event() -> None:
    # Given environments for a function, at most 3 of them
    factory = MeteredEnvironments()
    environments = ExecutionEnvironments(factory, limit=3)

    # When 40 events arrive from 8 threads at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: environments.run("sign", {"n": n}), range(40)))

    # Then every event got its own answer, no environment ran two at once, and no more than 3 were made
    assert answers == list(range(40))
    assert factory.peak_inside_one == 1
    assert 1 <= len(factory.made) <= 3 and set(factory.made) == {"sign"}


def test_a_busy_function_gets_another_environment() -> None:
    # Given an event that holds its environment until released
    release = threading.Event()
    factory = MeteredEnvironments(hold=release)
    environments = ExecutionEnvironments(factory, limit=8)
    with ThreadPoolExecutor(max_workers=2) as pool:
        held = pool.submit(environments.run, "ingest", {"n": 1})
        while not factory.made:
            time.sleep(0.001)

        # When a second event arrives while the first is still running
        second = pool.submit(environments.run, "ingest", {"n": 2})
        while len(factory.made) < 2:
            time.sleep(0.001)
        release.set()

        # Then it ran in a second environment of its own
        assert (held.result(timeout=5), second.result(timeout=5)) == (1, 2)
    assert factory.made == ["ingest", "ingest"]


def test_with_one_environment_events_queue() -> None:
    # Given a limit of one environment
    factory = MeteredEnvironments()
    environments = ExecutionEnvironments(factory, limit=1)

    # When 16 events arrive at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: environments.run("purge", {"n": n}), range(16)))

    # Then one environment ran them all, one after another
    assert factory.made == ["purge"]
    assert factory.peak_inside_one == 1


def test_a_failing_event_or_environment_frees_its_place() -> None:
    # Given one environment whose event raises, and a factory that fails once
    factory = MeteredEnvironments()
    environments = ExecutionEnvironments(factory, limit=1)
    with pytest.raises(FunctionError, match="poison"):
        environments.run("thumbnail", {"fail": True})
    failures = iter([True])

    def flaky(function: str) -> MeteredEnvironment:
        if next(failures, False):
            raise OSError("cannot start a process")
        return factory(function)

    flaky_environments = ExecutionEnvironments(flaky, limit=1)
    with pytest.raises(OSError, match="cannot start"):
        flaky_environments.run("gallery", {"n": 0})

    # When the next events arrive, Then they run, the failed handler's environment reused as Lambda does
    assert environments.run("thumbnail", {"n": 7}) == 7
    assert flaky_environments.run("gallery", {"n": 8}) == 8
    assert factory.made == ["thumbnail", "gallery"]
