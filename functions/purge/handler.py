"""Scheduled purge (EventBridge): expired trash and abandoned uploads, as of the event's time."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.repository import AssetRepository
from functions.common.settings import PurgeSettings, settings_for
from functions.common.storage import ObjectStore
from functions.purge.logic import purge
from functions.thumbnail.sweep import sweep_unfinished

# Pending this long with its original stored means S3's event was lost (uploads sign for at most 5 minutes);
# processing this long means a reprocess's event was (the thumbnail function times out well within it).
SWEEP_UNFINISHED_AFTER = timedelta(minutes=10)

logger = Logger(service="purge")
metrics = Metrics(service="purge")


def event_time(event: EventBridgeEvent) -> datetime:
    """The schedule's time (UTC, from the event), so a late or replayed invocation purges as of its slot."""
    raw = event.get("time")
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC) if raw else datetime.now(UTC)


@metrics.log_metrics
@logger.inject_lambda_context
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    settings = settings_for(PurgeSettings)
    metrics.namespace = settings.metrics_namespace  # flushed by `log_metrics` after the run
    now = event_time(event)
    repository = AssetRepository(settings.asset_table_name)
    store = ObjectStore(settings.media_bucket_name)
    sweep = sweep_unfinished(now=now, repository=repository, store=store, older_than=SWEEP_UNFINISHED_AFTER)
    report = purge(
        now=now,
        settings=settings,
        repository=repository,
        store=store,
        time_left_ms=context.get_remaining_time_in_millis,
    )
    report.record_sweep(sweep.swept, sweep.failed)
    for name, value in report.metrics().items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.add_metric(name="TimeLeft", unit=MetricUnit.Milliseconds, value=report.time_left_ms)
    log = logger.warning if report.failed or report.incomplete else logger.info
    log("purge finished", extra=asdict(report))
    return asdict(report)
