"""The local server runs events the way Lambda does: one at a time per execution environment, more when busy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from devserver.environments import (
    EnvironmentLost,
    ExecutionEnvironments,
    FunctionError,
    FunctionTimeout,
    LambdaContext,
    ResponseTooLarge,
    response_size,
)
from devserver.lambda_limits import DEFAULT_RETRY_DELAYS, RESPONSE_LIMIT_BYTES, AsyncPolicy, LambdaLimits
from functions.system import FUNCTIONS
from infra.capabilities import PROFILES


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


class ScriptedEnvironment:
    """An environment that answers with what `answer(event, context)` returns or raises, and records its contexts."""

    def __init__(self, answer: Callable[[dict[str, Any], LambdaContext], Any]) -> None:
        self._answer = answer
        self.contexts: list[LambdaContext] = []
        self.closed = False

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> Any:
        self.contexts.append(context)
        return self._answer(event, context)

    def close(self) -> None:
        self.closed = True


def scripted(answer: Callable[[dict[str, Any], LambdaContext], Any]) -> tuple[list[ScriptedEnvironment], Any]:
    made: list[ScriptedEnvironment] = []

    def factory(function: str) -> ScriptedEnvironment:
        made.append(ScriptedEnvironment(answer))
        return made[-1]

    return made, factory


def test_each_invocation_gets_its_functions_configured_timeout() -> None:
    # Given the stack's profiles, and the same with every timeout halved and one set outright
    _, factory = scripted(lambda event, context: context.timeout_seconds)
    profiles = ExecutionEnvironments(factory, limits=LambdaLimits())
    scaled = ExecutionEnvironments(factory, limits=LambdaLimits(timeout_scale=0.5, timeouts={"docs": 0.25}))

    # When each function runs an event, Then its context carries the timeout the profile (or the override) says
    for function in FUNCTIONS:
        assert profiles.run(function, {}) == PROFILES[function].timeout_seconds
    assert scaled.run("purge", {}) == PROFILES["purge"].timeout_seconds / 2
    assert scaled.run("docs", {}) == 0.25


def test_an_environment_that_timed_out_is_never_reused() -> None:
    # Given an environment whose first event runs past its timeout
    outcomes = iter(["timeout", "ok", "ok"])

    def answer(event: dict[str, Any], context: LambdaContext) -> Any:
        if next(outcomes) == "timeout":
            raise FunctionTimeout("thumbnail", context.timeout_seconds, context.aws_request_id)
        return "done"

    made, factory = scripted(answer)
    environments = ExecutionEnvironments(factory, limit=1)
    with pytest.raises(FunctionTimeout):
        environments.run("thumbnail", {})

    # When the next events arrive, Then a new environment takes them (the old one closed), and is reused after
    assert environments.run("thumbnail", {}) == environments.run("thumbnail", {}) == "done"
    assert len(made) == 2 and made[0].closed and not made[1].closed


def test_a_synchronous_response_is_held_to_lambdas_limit() -> None:
    # Given an environment that answers a string whose JSON is `bytes` long
    made, factory = scripted(lambda event, context: "x" * (event["bytes"] - 2))
    environments = ExecutionEnvironments(factory, limit=1)

    # When the response is exactly at the limit, Then it is returned; one byte over, Then Lambda's error
    assert response_size(environments.run("gallery", {"bytes": RESPONSE_LIMIT_BYTES})) == RESPONSE_LIMIT_BYTES
    with pytest.raises(ResponseTooLarge) as raised:
        environments.run("gallery", {"bytes": RESPONSE_LIMIT_BYTES + 1}, request_id="r-9")
    assert raised.value.error_type == "Function.ResponseSizeTooLarge"
    assert raised.value.message == (
        f"Response payload size ({RESPONSE_LIMIT_BYTES + 1} bytes) exceeded maximum allowed payload size "
        "(6291556 bytes)."
    )
    # And the environment that answered stays in service; asynchronous invocations have no response limit
    assert environments.run("gallery", {"bytes": RESPONSE_LIMIT_BYTES + 1}, synchronous=False)
    assert len(made) == 1


def test_lambdas_error_payloads() -> None:
    # Given / When each kind of failure, Then its payload is the one Lambda reports
    handled = FunctionError(
        "purge",
        {
            "type": "ValueError",
            "message": "bad",
            "trace": "Traceback ...",
            "stackTrace": ["  File x"],
            "requestId": "r",
        },
    )
    assert handled.payload() == {
        "errorMessage": "bad",
        "errorType": "ValueError",
        "requestId": "r",
        "stackTrace": ["  File x"],
    }
    assert FunctionTimeout("purge", 900, "r").payload() == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: r Error: Task timed out after 900.00 seconds",
    }
    assert EnvironmentLost("purge", -9, "r").payload() == {
        "errorType": "Runtime.ExitError",
        "errorMessage": "RequestId: r Error: Runtime exited with error: signal: killed",
    }


def test_limits_from_the_environment() -> None:
    # Given / When the test overrides, Then they are read; by default, Then the profile's and Lambda-like delays
    limits = LambdaLimits.from_environ(
        {
            "LOCAL_LAMBDA_TIMEOUT_SCALE": "0.01",
            "LOCAL_LAMBDA_TIMEOUTS": "thumbnail=0.5, ingest_worker=2",
            "LOCAL_ASYNC_RETRY_DELAYS": "0.1,0.2",
        }
    )
    assert (limits.timeout("thumbnail"), limits.timeout("ingest_worker")) == (0.5, 2.0)
    assert limits.timeout("purge") == pytest.approx(PROFILES["purge"].timeout_seconds * 0.01)
    assert limits.async_policy("ingest_worker") == AsyncPolicy(
        retry_attempts=PROFILES["ingest_worker"].retry_attempts,
        max_event_age_seconds=PROFILES["ingest_worker"].max_event_age_seconds,
        retry_delays=(0.1, 0.2),
    )
    defaults = LambdaLimits.from_environ({})
    assert defaults.timeout("gallery") == PROFILES["gallery"].timeout_seconds
    assert defaults.retry_delays == DEFAULT_RETRY_DELAYS
    with pytest.raises(ValueError, match="no such function"):
        LambdaLimits.from_environ({"LOCAL_LAMBDA_TIMEOUTS": "nope=1"})
