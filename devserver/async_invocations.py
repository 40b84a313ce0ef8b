"""Lambda's asynchronous invocation queue, locally: every `Event` invocation goes through it.

S3's events to the thumbnail function, the purge's schedule and `lambda.invoke(InvocationType="Event")` (the ingest
worker) all get what the stack's EventInvokeConfig gives them in AWS: the event is queued and the caller moves on; a
failed attempt is retried up to the profile's `retry_attempts`, after a delay; an event older than
`max_event_age_seconds` is dropped; and once it is given up, Lambda's invocation record goes to the function's
on-failure SQS queue. Retries wait on a timer, never on the caller's thread.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from devserver.environments import ENVIRONMENTS, FunctionError
from devserver.lambda_limits import AsyncPolicy, LambdaLimits
from functions.system import FUNCTIONS
from infra.capabilities import PROFILES

log = logging.getLogger("devserver")

# One queue per asynchronous function, as the stack creates one (`<Function>Failures`) for each.
FAILURE_QUEUE_PREFIX = "gallery-failures-"


def failure_queue_name(function: str) -> str:
    return FAILURE_QUEUE_PREFIX + function.replace("_", "-")


def function_arn(function: str) -> str:
    return f"arn:aws:lambda:us-east-1:000000000000:function:{function}:$LATEST"


class Scheduler(Protocol):
    def call_later(self, delay: float, action: Callable[[], None]) -> None: ...


class ThreadScheduler:
    """Each action on a daemon thread of its own, after `delay` seconds."""

    def call_later(self, delay: float, action: Callable[[], None]) -> None:
        timer = threading.Timer(delay, action)
        timer.daemon = True
        timer.name = "async-invoke"
        timer.start()


Invoke = Callable[[str, dict[str, Any], str], Any]
Deliver = Callable[[str, dict[str, Any]], None]


def invoke_in_environment(function: str, event: dict[str, Any], request_id: str) -> Any:
    """One attempt in the function's execution environments (no response limit: nobody reads the response)."""
    return ENVIRONMENTS.run(function, event, request_id=request_id, synchronous=False)


@dataclass
class _Invocation:
    function: str
    event: dict[str, Any]
    request_id: str
    queued_at: float
    attempts: int = 0
    error: FunctionError | None = None


def failure_record(invocation: _Invocation, condition: str, now: float) -> dict[str, Any]:
    """Lambda's invocation record for an event it gave up on, as its on-failure destination receives it."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": invocation.request_id,
            "functionArn": function_arn(invocation.function),
            "condition": condition,
            "approximateInvokeCount": invocation.attempts,
        },
        "requestPayload": invocation.event,
    }
    if invocation.error is not None:  # an event too old before its first attempt has no response to describe
        record["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
        record["responsePayload"] = invocation.error.payload()
    return record


class AsyncInvoker:
    """Queues events, runs attempts, retries and gives up as the function's policy says."""

    def __init__(
        self,
        *,
        deliver_failure: Deliver,
        invoke: Invoke = invoke_in_environment,
        policy: Callable[[str], AsyncPolicy] | None = None,
        scheduler: Scheduler | None = None,
        clock: Callable[[], float] = time.time,
        on_attempt: Callable[[], None] = lambda: None,
    ) -> None:
        self._deliver = deliver_failure
        self._invoke = invoke
        self._policy = policy or LambdaLimits.from_environ().async_policy
        self._scheduler = scheduler or ThreadScheduler()
        self._clock = clock
        self._on_attempt = on_attempt
        self._closed = threading.Event()

    def submit(self, function: str, event: dict[str, Any]) -> str:
        """Queue the event (Lambda's 202) and answer its request id; the first attempt starts at once."""
        invocation = _Invocation(function, event, str(uuid.uuid4()), self._clock())
        self._scheduler.call_later(0.0, lambda: self._attempt(invocation))
        return invocation.request_id

    def close(self) -> None:
        """Start no further attempt (the server is stopping; Lambda's queue would keep them, ours is in memory)."""
        self._closed.set()

    def _attempt(self, invocation: _Invocation) -> None:
        if self._closed.is_set():
            return
        policy = self._policy(invocation.function)
        if self._clock() - invocation.queued_at > policy.max_event_age_seconds:
            self._give_up(invocation, "EventAgeExceeded")
            return
        invocation.attempts += 1
        try:
            self._invoke(invocation.function, invocation.event, invocation.request_id)
        except Exception as error:  # every failed attempt counts, whatever failed (the handler, its environment)
            invocation.error = (
                error
                if isinstance(error, FunctionError)
                else FunctionError(invocation.function, {"type": type(error).__name__, "message": str(error)})
            )
            log.error("attempt %d of %s failed: %s", invocation.attempts, invocation.function, invocation.error)
            self._after_failure(invocation, policy)
        finally:
            self._on_attempt()

    def _after_failure(self, invocation: _Invocation, policy: AsyncPolicy) -> None:
        retries_done = invocation.attempts - 1
        if retries_done >= policy.retry_attempts:
            self._give_up(invocation, "RetriesExhausted")
            return
        delay = policy.delay_before_retry(retries_done + 1)
        self._scheduler.call_later(delay, lambda: self._attempt(invocation))

    def _give_up(self, invocation: _Invocation, condition: str) -> None:
        if self._closed.is_set():
            return
        record = failure_record(invocation, condition, self._clock())
        log.error("%s: event %s given up (%s)", invocation.function, invocation.request_id, condition)
        try:
            self._deliver(invocation.function, record)
        except Exception:  # Lambda counts DestinationDeliveryFailures; the event is lost either way
            log.exception("could not deliver the failure record of %s", invocation.function)


class FailureQueues:
    """The on-failure SQS queue of every asynchronous function, in the emulated account."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self.urls: dict[str, str] = {}

    def create(self) -> FailureQueues:
        for name in FUNCTIONS:
            if PROFILES[name].invocation.asynchronous:
                self.urls[name] = self._sqs.create_queue(QueueName=failure_queue_name(name))["QueueUrl"]
        return self

    def deliver(self, function: str, record: dict[str, Any]) -> None:
        url = self.urls.get(function)
        if url is None:  # the stack gives synchronous (API) functions no destination: Lambda drops the event
            log.error("%s has no failure queue; dropped: %s", function, json.dumps(record)[:2000])
            return
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))
