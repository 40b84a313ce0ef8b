"""Asynchronous invocations locally: retried and given up as the stack's EventInvokeConfig says, never blocking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from devserver.async_invocations import AsyncInvoker, FailureQueues, failure_queue_name
from devserver.environments import FunctionError
from devserver.lambda_limits import AsyncPolicy, LambdaLimits
from devserver.workers import purge_timer, scheduled_event, thumbnail_poller
from functions.system import FUNCTIONS
from infra.capabilities import PROFILES, Invocation

ASYNC_FUNCTIONS = [name for name in FUNCTIONS if PROFILES[name].invocation.asynchronous]
# Invoked with InvocationType=Event under an EventInvokeConfig; a stream's event source mapping retries on its own.
EVENT_INVOKED = [name for name in ASYNC_FUNCTIONS if PROFILES[name].invocation is not Invocation.ASSET_STREAM]


class FakeTime:
    """A clock and a scheduler: scheduled actions run only when the test says, the clock advancing to them."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.pending: list[tuple[float, Callable[[], None]]] = []
        self.delays: list[float] = []

    def __call__(self) -> float:
        return self.now

    def call_later(self, delay: float, action: Callable[[], None]) -> None:
        self.delays.append(delay)
        self.pending.append((self.now + delay, action))

    def run_all(self) -> None:
        while self.pending:
            self.pending.sort(key=lambda item: item[0])
            due, action = self.pending.pop(0)
            self.now = max(self.now, due)
            action()


class Attempts:
    """A fake invoke: fails while `failures` says so, and records every attempt."""

    def __init__(self, failures: Callable[[str, dict[str, Any], int], bool]) -> None:
        self._failures = failures
        self.made: list[tuple[str, str]] = []

    def __call__(self, function: str, event: dict[str, Any], request_id: str) -> Any:
        self.made.append((function, request_id))
        if self._failures(function, event, len(self.made)):
            raise FunctionError(function, {"type": "RuntimeError", "message": "poison", "requestId": request_id})
        return {"ok": True}


def invoker(attempts: Attempts, time: FakeTime, **policy: Any) -> tuple[AsyncInvoker, list[tuple[str, Any]]]:
    delivered: list[tuple[str, Any]] = []
    limits = LambdaLimits(retry_delays=(60.0, 120.0))

    def policy_for(function: str) -> AsyncPolicy:
        base = limits.async_policy(function)
        return AsyncPolicy(**{**base.__dict__, **policy})

    return (
        AsyncInvoker(
            deliver_failure=lambda function, record: delivered.append((function, record)),
            invoke=attempts,
            policy=policy_for,
            scheduler=time,
            clock=time,
        ),
        delivered,
    )


@pytest.mark.parametrize("function", EVENT_INVOKED)
def test_an_event_that_always_fails_is_retried_as_configured_then_recorded(function: str) -> None:
    # Given an async function whose every attempt fails
    time = FakeTime()
    attempts = Attempts(lambda *_: True)
    queue, delivered = invoker(attempts, time)

    # When an event is submitted and the queue runs
    request_id = queue.submit(function, {"n": 1})
    time.run_all()

    # Then it was attempted once plus the profile's retries, waiting as Lambda does, with one request id
    retries = PROFILES[function].retry_attempts
    assert attempts.made == [(function, request_id)] * (1 + retries)
    assert time.delays == [0.0, 60.0, 120.0][: 1 + retries]
    # And one invocation record went to the function's failure destination
    assert len(delivered) == 1
    target, record = delivered[0]
    assert target == function
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{function}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 1 + retries,
    }
    assert record["version"] == "1.0" and record["requestPayload"] == {"n": 1}
    assert record["timestamp"].endswith("Z")
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "poison"


def test_submit_returns_before_any_attempt() -> None:
    # Given a queue
    time = FakeTime()
    attempts = Attempts(lambda *_: False)
    queue, _ = invoker(attempts, time)

    # When an event is submitted, Then nothing ran on the caller's thread: the attempt is scheduled at once
    queue.submit("thumbnail", {})
    assert attempts.made == [] and time.delays == [0.0]


def test_an_event_that_succeeds_on_a_retry_leaves_no_record() -> None:
    # Given a function that fails only its first attempt
    time = FakeTime()
    attempts = Attempts(lambda function, event, n: n == 1)
    queue, delivered = invoker(attempts, time)

    # When an event is submitted, Then it took two attempts and nothing was recorded
    queue.submit("ingest_worker", {})
    time.run_all()
    assert len(attempts.made) == 2 and delivered == []


def test_an_event_older_than_its_max_age_is_dropped_to_the_failure_queue() -> None:
    # Given a policy whose retry waits longer than an event may live
    time = FakeTime()
    attempts = Attempts(lambda *_: True)
    queue, delivered = invoker(attempts, time, max_event_age_seconds=90.0, retry_delays=(100.0,))

    # When an event fails its first attempt
    queue.submit("purge", {"detail": {}})
    time.run_all()

    # Then the retry never ran: the event was given up as too old after one attempt
    assert len(attempts.made) == 1
    record = delivered[0][1]
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responsePayload"]["errorType"] == "RuntimeError"


def test_an_event_too_old_before_its_first_attempt_has_no_response() -> None:
    # Given an event that waited in the queue past its max age
    time = FakeTime()
    attempts = Attempts(lambda *_: False)
    queue, delivered = invoker(attempts, time, max_event_age_seconds=60.0)
    queue.submit("thumbnail", {})
    time.now += 61

    # When the queue gets to it, Then it is never attempted, and its record says so
    time.run_all()
    assert attempts.made == []
    record = delivered[0][1]
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in record and "responsePayload" not in record


def test_one_failing_event_never_fails_another() -> None:
    # Given a function that fails only the poison event
    time = FakeTime()
    attempts = Attempts(lambda function, event, n: bool(event.get("poison")))
    queue, delivered = invoker(attempts, time)

    # When a poison event and a good one are submitted
    queue.submit("thumbnail", {"poison": True})
    good = queue.submit("thumbnail", {"poison": False})
    time.run_all()

    # Then the good one ran once and only the poison one was recorded
    assert [request for _, request in attempts.made].count(good) == 1
    assert [record["requestPayload"] for _, record in delivered] == [{"poison": True}]


def test_any_failure_of_an_attempt_counts_and_a_failing_delivery_is_contained() -> None:
    # Given an invoke that fails outside the handler (an environment that cannot start) and a broken destination
    time = FakeTime()

    def broken(function: str, event: dict[str, Any], request_id: str) -> Any:
        raise OSError("cannot start a process")

    def undeliverable(function: str, record: dict[str, Any]) -> None:
        raise ConnectionError("queue unreachable")

    queue = AsyncInvoker(deliver_failure=undeliverable, invoke=broken, scheduler=time, clock=time)

    # When an event is submitted, Then every attempt ran and nothing escaped the queue
    queue.submit("ingest_worker", {})
    time.run_all()
    assert len(time.delays) == 1 + PROFILES["ingest_worker"].retry_attempts


def test_a_closed_queue_starts_no_further_attempt() -> None:
    # Given an event whose first attempt failed
    time = FakeTime()
    attempts = Attempts(lambda *_: True)
    queue, delivered = invoker(attempts, time)
    queue.submit("thumbnail", {})
    time.pending.sort(key=lambda item: item[0])
    time.pending.pop(0)[1]()

    # When the server stops, Then the retry does not run and nothing is recorded
    queue.close()
    time.run_all()
    assert len(attempts.made) == 1 and delivered == []


class FakeSqs:
    def __init__(self, bodies: list[str]) -> None:
        self.messages = [{"Body": body, "ReceiptHandle": f"r{n}"} for n, body in enumerate(bodies)]
        self.deleted: list[str] = []
        self.created: list[str] = []
        self.sent: list[tuple[str, str]] = []

    def receive_message(self, **_: Any) -> dict[str, Any]:
        return {"Messages": list(self.messages)}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.deleted.append(ReceiptHandle)

    def create_queue(self, QueueName: str) -> dict[str, str]:
        self.created.append(QueueName)
        return {"QueueUrl": f"http://sqs/{QueueName}"}

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        self.sent.append((QueueUrl, MessageBody))


def test_the_s3_relay_hands_events_over_and_deletes_every_message() -> None:
    # Given S3's test event, an unreadable message and a real S3 event on the notification queue
    s3_event = '{"Records": [{"s3": {"object": {"key": "originals/a"}}}]}'
    sqs = FakeSqs(['{"Event": "s3:TestEvent"}', "not json", s3_event])
    submitted: list[tuple[str, dict[str, Any]]] = []

    # When the relay polls once
    thumbnail_poller(sqs, "http://sqs/q", lambda function, event: submitted.append((function, event)))()

    # Then only the S3 event went to the thumbnail function's async queue, and no message is left to redeliver
    assert submitted == [("thumbnail", {"Records": [{"s3": {"object": {"key": "originals/a"}}}]})]
    assert sqs.deleted == ["r0", "r1", "r2"]


def test_the_purge_schedule_invokes_asynchronously() -> None:
    # Given the timer's step, When it ticks, Then it submits the scheduled event (and does not run the purge itself)
    from datetime import UTC, datetime

    now = datetime(2030, 1, 1, tzinfo=UTC)
    submitted: list[tuple[str, dict[str, Any]]] = []
    purge_timer(lambda function, event: submitted.append((function, event)), lambda: now)()
    assert submitted == [("purge", scheduled_event(now))]


def test_every_asynchronous_function_has_a_failure_queue_and_others_none() -> None:
    # Given / When the queues are created, Then one per asynchronous function, as the stack creates
    sqs = FakeSqs([])
    queues = FailureQueues(sqs).create()
    assert sorted(sqs.created) == sorted(failure_queue_name(name) for name in ASYNC_FUNCTIONS)

    # And a record for a function without one is dropped (logged), one for a function with one is sent
    queues.deliver("gallery", {"x": 1})
    queues.deliver("thumbnail", {"x": 2})
    assert sqs.sent == [(f"http://sqs/{failure_queue_name('thumbnail')}", '{"x": 2}')]
