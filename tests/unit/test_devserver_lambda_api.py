"""The local Invoke API: `Event` goes to the async queue at once, `RequestResponse` answers as Lambda's API does."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import Client

from devserver.environments import FunctionError, FunctionTimeout
from devserver.lambda_api import LambdaApi

INVOKE = "/2015-03-31/functions/ingest_worker/invocations"


def test_an_event_invocation_is_queued_and_answered_202_at_once() -> None:
    # Given the Invoke API over an async queue that only records, and a synchronous invoke that must not run
    queued: list[tuple[str, dict[str, Any]]] = []

    def submit(function: str, event: dict[str, Any]) -> str:
        queued.append((function, event))
        return "req-1"

    def never(function: str, event: dict[str, Any]) -> Any:
        raise AssertionError("an Event invocation must not run on the caller's request")

    api = Client(LambdaApi(submit=submit, invoke=never))

    # When a handler invokes the worker asynchronously
    response = api.post(INVOKE, data=json.dumps({"assetId": "a"}), headers={"X-Amz-Invocation-Type": "Event"})

    # Then Lambda's 202, with the event queued for the async machinery
    assert (response.status_code, response.headers["x-amzn-RequestId"]) == (202, "req-1")
    assert queued == [("ingest_worker", {"assetId": "a"})]


def test_a_failed_synchronous_invocation_is_a_200_flagged_with_the_functions_error() -> None:
    # Given a synchronous invoke whose handler raises, and one that times out
    def raising(function: str, event: dict[str, Any]) -> Any:
        raise FunctionError(function, {"type": "ValueError", "message": "bad", "stackTrace": []})

    def timing_out(function: str, event: dict[str, Any]) -> Any:
        raise FunctionTimeout(function, 180, "r-2")

    # When each is invoked, Then the Invoke API answers 200, X-Amz-Function-Error and Lambda's error payload
    raised = Client(LambdaApi(submit=lambda *_: "", invoke=raising)).post(INVOKE, data="{}")
    assert (raised.status_code, raised.headers["X-Amz-Function-Error"]) == (200, "Unhandled")
    assert raised.json == {"errorMessage": "bad", "errorType": "ValueError", "stackTrace": []}
    timed_out = Client(LambdaApi(submit=lambda *_: "", invoke=timing_out)).post(INVOKE, data="{}")
    assert timed_out.json == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: r-2 Error: Task timed out after 180.00 seconds",
    }


def test_a_synchronous_invocation_answers_the_result() -> None:
    # Given / When a synchronous invoke that succeeds, Then its result is the body
    api = Client(LambdaApi(submit=lambda *_: "", invoke=lambda function, event: {"echo": event}))
    response = api.post(INVOKE, data=json.dumps({"n": 1}))
    assert (response.status_code, response.json) == (200, {"echo": {"n": 1}})
    assert "X-Amz-Function-Error" not in response.headers
