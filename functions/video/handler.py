"""S3 ObjectCreated on `videos/` → poster, duration, codec, size as displayed, playability and status on the asset."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.video import wiring
    from functions.video.logic import process_event

logger = Logger(service="video")

# The collaborators, built on the first event; tests and the local server inject theirs with `wiring.collaborators`.
_videos = wiring.collaborators


@logger.inject_lambda_context
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    outcomes = process_event(event, videos=_videos(), context=context)
    logger.info("videos processed", extra={"outcomes": outcomes})
    return {"outcomes": outcomes}
