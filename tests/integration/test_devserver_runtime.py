"""The local server's execution environments are real processes running the real handlers, one event at a time."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from werkzeug.test import Client

from devserver.async_invocations import AsyncInvoker, FailureQueues
from devserver.auth import LocalAuthority
from devserver.environments import (
    EnvironmentLost,
    ExecutionEnvironments,
    FunctionError,
    FunctionTimeout,
    LambdaContext,
    ProcessEnvironment,
    ResponseTooLarge,
)
from devserver.gateway import Gateway
from devserver.lambda_limits import RESPONSE_LIMIT_BYTES, LambdaLimits
from infra.capabilities import PROFILES
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


# Lambda's own limits, in real environment processes (test handlers from tests/runtime_handlers.py).

SLOW_INIT_SECONDS = 1.0  # what tests/runtime_slow_init.py sleeps at import


def pool_running(handler: str, made: list[ProcessEnvironment], **limits: Any) -> ExecutionEnvironments:
    """A pool whose environments run `handler` in every function's place, with the given `LambdaLimits`."""

    def factory(function: str) -> ProcessEnvironment:
        made.append(ProcessEnvironment(function, handler=handler))
        return made[-1]

    return ExecutionEnvironments(factory, limit=1, limits=LambdaLimits(**limits))


def test_a_handler_past_its_timeout_is_stopped_and_its_environment_replaced() -> None:
    # Given a function whose configured timeout is half a second, and a handler that takes 30 s
    made: list[ProcessEnvironment] = []
    environments = pool_running("tests.runtime_handlers.sleep", made, timeouts={"purge": 0.5})
    try:
        # When an event runs past the timeout
        with pytest.raises(FunctionTimeout) as raised:
            environments.run("purge", {"seconds": 30}, request_id="req-1")

        # Then it fails as Lambda reports a timeout, and its environment's process was stopped
        assert raised.value.payload() == {
            "errorType": "Sandbox.Timedout",
            "errorMessage": "RequestId: req-1 Error: Task timed out after 0.50 seconds",
        }
        assert made[0].process.poll() is not None

        # And the next event gets a new environment (a cold start), which answers with the timeout it was given
        answer = environments.run("purge", {"seconds": 0})
        assert len(made) == 2 and made[1].process.pid != made[0].process.pid
        assert 0 < answer["remainingMs"] <= 500
    finally:
        environments.close()


def test_the_profiles_timeout_reaches_the_handler() -> None:
    # Given the stack's own timeouts (no override)
    made: list[ProcessEnvironment] = []
    environments = pool_running("tests.runtime_handlers.sleep", made)
    try:
        # When the docs function runs an event, Then its context counts down from the profile's 10 s, not 30 s
        remaining = environments.run("docs", {"seconds": 0})["remainingMs"]
        assert 0 < remaining <= PROFILES["docs"].timeout_seconds * 1000
    finally:
        environments.close()


def test_the_cold_start_does_not_count_against_the_timeout() -> None:
    # Given a handler whose import takes longer than the function's whole timeout
    made: list[ProcessEnvironment] = []
    timeout = SLOW_INIT_SECONDS / 4
    environments = pool_running("tests.runtime_slow_init.handler", made, timeouts={"docs": timeout})
    try:
        # When the first event arrives, Then it is answered: Lambda times the init apart from the invocation
        assert environments.run("docs", {}) == "initialized"
    finally:
        environments.close()


def test_a_synchronous_response_over_6_mb_fails_as_lambda_fails_it() -> None:
    made: list[ProcessEnvironment] = []
    environments = pool_running("tests.runtime_handlers.sized", made)
    try:
        # Given / When a response of exactly Lambda's limit, Then it is returned
        assert len(environments.run("gallery", {"bytes": RESPONSE_LIMIT_BYTES})) == RESPONSE_LIMIT_BYTES - 2

        # When it is one byte more, Then the invocation fails with Lambda's error
        with pytest.raises(ResponseTooLarge) as raised:
            environments.run("gallery", {"bytes": RESPONSE_LIMIT_BYTES + 1})
        assert raised.value.payload() == {
            "errorType": "Function.ResponseSizeTooLarge",
            "errorMessage": f"Response payload size ({RESPONSE_LIMIT_BYTES + 1} bytes) exceeded maximum allowed "
            f"payload size ({RESPONSE_LIMIT_BYTES} bytes).",
        }

        # And an asynchronous invocation has no response limit (nobody reads its response)
        assert len(environments.run("gallery", {"bytes": RESPONSE_LIMIT_BYTES + 1}, synchronous=False)) > 0
    finally:
        environments.close()


def test_api_gateway_answers_500_for_a_response_over_6_mb_and_for_a_timeout() -> None:
    # Given the gateway in front of environments whose gallery handler answers a body of `?bytes=` and sleeps
    made: list[ProcessEnvironment] = []
    sized = pool_running("tests.runtime_handlers.http_body", made)
    authority = LocalAuthority(b"k" * 32)
    headers = {"Authorization": f"Bearer {authority.issue('alice')}"}
    slow_made: list[ProcessEnvironment] = []
    slow = pool_running("tests.runtime_handlers.sleep", slow_made, timeouts={"gallery": 0.2})
    try:
        gateway = Client(Gateway(authority=authority, allowed_origins=(), dev_routes={}, invoke=sized.run))
        slow_gateway = Client(Gateway(authority=authority, allowed_origins=(), dev_routes={}, invoke=slow.run))

        # When a response fits, Then it passes; when it is over the limit, Then API Gateway's own 500
        assert gateway.get("/gallery?bytes=1000", headers=headers).status_code == 200
        too_large = gateway.get(f"/gallery?bytes={RESPONSE_LIMIT_BYTES}", headers=headers)
        assert (too_large.status_code, too_large.json) == (500, {"message": "Internal Server Error"})

        # And a handler past its timeout gets the same answer (the function times out before the HTTP API does)
        timed_out = slow_gateway.get("/gallery?seconds=30", headers=headers)
        assert (timed_out.status_code, timed_out.json) == (500, {"message": "Internal Server Error"})
    finally:
        sized.close()
        slow.close()


def test_an_event_that_always_fails_is_retried_then_lands_in_the_failure_queue() -> None:
    # Given the async queue over real environments whose handler always fails, and the failure queues in moto
    made: list[ProcessEnvironment] = []
    environments = pool_running("tests.runtime_handlers.fail", made)
    attempts: list[tuple[str, str]] = []

    def attempt(function: str, event: dict[str, Any], request_id: str) -> Any:
        attempts.append((function, request_id))
        return environments.run(function, event, request_id=request_id, synchronous=False)

    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        queues = FailureQueues(sqs).create()
        invoker = AsyncInvoker(
            deliver_failure=queues.deliver,
            invoke=attempt,
            policy=LambdaLimits(retry_delays=(0.01, 0.02)).async_policy,
        )
        try:
            # When an S3 event for the thumbnail function is invoked asynchronously
            event = {"Records": [{"s3": {"object": {"key": "originals/alice/x"}}}]}
            request_id = invoker.submit("thumbnail", event)
            message = receive_one(sqs, queues.urls["thumbnail"])
        finally:
            invoker.close()
            environments.close()

    # Then it was tried once and retried exactly the profile's retry_attempts times, with one request id
    retries = PROFILES["thumbnail"].retry_attempts
    assert attempts == [("thumbnail", request_id)] * (1 + retries)
    # And the failure queue holds Lambda's invocation record
    record = json.loads(message["Body"])
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:thumbnail:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 1 + retries,
    }
    assert record["requestPayload"] == event
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    payload = record["responsePayload"]
    assert (payload["errorType"], payload["errorMessage"]) == ("RuntimeError", f"poison event in {request_id}")
    assert payload["requestId"] == request_id and any("runtime_handlers.py" in line for line in payload["stackTrace"])
    # And failures did not cost the environment: one was made for all three attempts
    assert len(made) == 1


def receive_one(sqs: Any, queue_url: str) -> dict[str, Any]:
    """The one message the queue gets (polled: the async queue delivers it from another thread)."""
    for _ in range(200):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages")
        if messages:
            assert len(messages) == 1
            return dict(messages[0])
        threading.Event().wait(0.05)
    raise AssertionError("no failure record arrived within 10 s")
