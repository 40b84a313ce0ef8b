"""Scheduled purge (EventBridge): the trash older than TRASH_RETENTION_DAYS, as of the event's time."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.repository import AssetRepository
from functions.common.settings import PurgeSettings, settings_for
from functions.common.storage import ObjectStore
from functions.purge.logic import purge_expired

logger = Logger(service="purge")


@logger.inject_lambda_context
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    settings = settings_for(PurgeSettings)
    now = datetime.fromisoformat(event.time.replace("Z", "+00:00")) if event.get("time") else datetime.now(UTC)
    report = purge_expired(
        now=now,
        retention_days=settings.trash_retention_days,
        repository=AssetRepository(settings.asset_table_name),
        store=ObjectStore(settings.media_bucket_name),
    )
    logger.info("purge finished", extra=asdict(report))
    return asdict(report)
