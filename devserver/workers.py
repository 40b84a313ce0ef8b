"""Background work the cloud does by itself: S3 events to the thumbnail and video handlers, the schedule, snapshots.

S3 and EventBridge invoke their functions asynchronously, so both go through `devserver.async_invocations` (retries,
event age, failure queue), as the stack's EventInvokeConfig says. `run_purge` is the synchronous purge of
`POST /__dev/purge`, which answers with the purge's report.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from devserver.environments import invoke

log = logging.getLogger("devserver")
Submit = Callable[[str, dict[str, Any]], object]


def scheduled_event(now: datetime) -> dict[str, Any]:
    """The EventBridge scheduled event the purge receives, as of `now`."""
    return {
        "version": "0",
        "id": "local-purge",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:000000000000:rule/local-purge"],
        "detail": {},
    }


def run_purge(now: datetime) -> Any:
    """The purge as of `now`, synchronously (its errors are the caller's)."""
    return invoke("purge", scheduled_event(now))


def purge_timer(submit: Submit, now: Callable[[], datetime]) -> Callable[[], None]:
    """One tick of the schedule: EventBridge invokes the purge asynchronously."""

    def step() -> None:
        submit("purge", scheduled_event(now()))

    return step


class Loop(threading.Thread):
    """Runs `step` until stopped; a failing step is logged and the loop goes on."""

    def __init__(self, name: str, step: Callable[[], None], interval: float) -> None:
        super().__init__(name=name, daemon=True)
        self._step = step
        self._interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self._step()
            except Exception:  # the loop must outlive any one failure, as Lambda's pollers do
                log.exception("%s failed", self.name)
            self.stopped.wait(self._interval)

    def stop(self) -> None:
        self.stopped.set()


def thumbnail_poller(sqs: Any, queue_url: str, submit: Submit, function: str = "thumbnail") -> Callable[[], None]:
    """One long-poll of an S3 notification queue; each S3 event invokes `function` asynchronously, as S3 invokes Lambda.

    The thumbnail's queue (`originals/`) and, with `function="video"`, the video function's (`videos/`).

    A message is deleted once its event is handed over: the async queue owns retries and the failure queue from then
    on, so one poison event is neither redelivered for ever nor in the way of the next.
    """

    def step() -> None:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for message in messages:
            try:
                event = json.loads(message["Body"])
                if event.get("Event") != "s3:TestEvent" and event.get("Records"):
                    submit(function, event)
            except Exception:  # an unreadable message must not hold up the others
                log.exception("unreadable S3 notification dropped: %.500s", message.get("Body"))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    return step
