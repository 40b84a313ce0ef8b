"""S3 ObjectCreated on `originals/` → thumbnail, dimensions, placeholder and status on the asset."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from functools import lru_cache
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.thumbnail.logic import Thumbnailer, process_event
    from functions.thumbnail.wiring import thumbnailer_from_settings

logger = Logger(service="thumbnail")


@lru_cache(maxsize=1)
def _thumbnailer() -> Thumbnailer:
    return thumbnailer_from_settings()


@logger.inject_lambda_context
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    outcomes = process_event(event, thumbnailer=_thumbnailer(), context=context)
    logger.info("originals processed", extra={"outcomes": outcomes})
    return {"outcomes": outcomes}
