"""Background work the cloud does by itself: S3 events to the thumbnail handler, the purge schedule, snapshots."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from devserver.environments import invoke

log = logging.getLogger("devserver")


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
    return invoke("purge", scheduled_event(now))


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


def thumbnail_poller(sqs: Any, queue_url: str, on_change: Callable[[], None]) -> Callable[[], None]:
    """One long-poll of the S3 notification queue; each S3 event goes to the real thumbnail handler."""

    def step() -> None:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for message in messages:
            event = json.loads(message["Body"])
            if event.get("Event") != "s3:TestEvent" and event.get("Records"):
                invoke("thumbnail", event)
                on_change()
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    return step
