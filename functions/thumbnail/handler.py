"""S3 ObjectCreated on `originals/` → thumbnail, dimensions, placeholder and status on the asset."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.thumbnail import wiring
    from functions.thumbnail.logic import process_event

logger = Logger(service="thumbnail")

# The collaborators, built on the first event; tests and the local server inject theirs with `wiring.collaborators`.
_thumbnailer = wiring.collaborators


@logger.inject_lambda_context
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    outcomes = process_event(event, thumbnailer=_thumbnailer(), context=context)
    logger.info("originals processed", extra={"outcomes": outcomes})
    return {"outcomes": outcomes}
