"""Scheduled purge (EventBridge): expired trash and abandoned uploads, as of the event's time."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.purge import logic, wiring

logger = Logger(service="purge")
metrics = Metrics(service="purge")


def event_time(event: EventBridgeEvent) -> datetime | None:
    """The schedule's time (UTC, from the event), so a late or replayed invocation purges as of its slot."""
    raw = event.get("time")
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC) if raw else None


@metrics.log_metrics  # flushes what the run recorded, as EMF, after it
@logger.inject_lambda_context
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    report = logic.scheduled_run(
        scheduled_at=event_time(event),
        purger=wiring.collaborators(),
        time_left_ms=context.get_remaining_time_in_millis,
        metrics=metrics,
        log=logger,
    )
    return asdict(report)
