"""The local server's execution environments are real processes running the real handlers, one event at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from devserver.environments import (
    EnvironmentLost,
    ExecutionEnvironments,
    FunctionError,
    LambdaContext,
    ProcessEnvironment,
)
from tests.api_events import http_event


def openapi_request() -> dict[str, Any]:
    return http_event("GET", "/openapi.json")


@pytest.fixture
def docs() -> Iterator[ProcessEnvironment]:
    environment = ProcessEnvironment("docs")
    yield environment
    environment.close()


def test_an_environment_runs_the_real_handler_in_its_own_process(docs: ProcessEnvironment) -> None:
    # When the docs function's environment gets a request for the OpenAPI document
    answer = docs(openapi_request(), LambdaContext("docs"))

    # Then the real handler answered it, in a process of its own
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["openapi"].startswith("3.")
    assert docs.process.pid is not None and docs.process.poll() is None


def test_a_handler_error_is_reported_with_its_traceback_and_the_environment_lives_on(docs: ProcessEnvironment) -> None:
    # When an event the handler cannot take arrives
    with pytest.raises(FunctionError) as raised:
        docs({"not": "an http event"}, LambdaContext("docs"))

    # Then the error names the handler's exception and carries its traceback, and the next event is served
    assert raised.value.trace.startswith("Traceback")
    assert docs.process.poll() is None
    assert docs(openapi_request(), LambdaContext("docs"))["statusCode"] == 200


def test_a_dead_environment_is_replaced() -> None:
    # Given the pool's only environment for a function, whose process then dies
    made: list[ProcessEnvironment] = []

    def factory(function: str) -> ProcessEnvironment:
        made.append(ProcessEnvironment(function))
        return made[-1]

    environments = ExecutionEnvironments(factory, limit=1)
    try:
        assert environments.run("docs", openapi_request())["statusCode"] == 200
        made[0].process.kill()
        made[0].process.wait()

        # When the next events arrive, Then the first reports the lost environment and the next gets a new one
        with pytest.raises(EnvironmentLost):
            environments.run("docs", openapi_request())
        assert environments.run("docs", openapi_request())["statusCode"] == 200
        assert len(made) == 2 and made[1].process.pid != made[0].process.pid
    finally:
        environments.close()
