"""The asset table's DynamoDB stream → messages to the owners' open WebSocket connections."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.realtime import notifier_wiring
    from functions.realtime.notify import StreamItem, notify

logger = Logger(service="realtime_notifier")

_notifier = notifier_wiring.collaborators


@logger.inject_lambda_context
@event_source(data_class=DynamoDBStreamEvent)
def handler(event: DynamoDBStreamEvent, context: LambdaContext) -> dict[str, Any]:
    items = [
        StreamItem(record.dynamodb.sequence_number or "", record.raw_event["eventName"], record.dynamodb.raw_event)
        for record in event.records
        if record.dynamodb is not None
    ]
    failed = notify(items, notifier=_notifier())
    logger.info("stream batch delivered", extra={"records": len(items), "failed": len(failed)})
    return {"batchItemFailures": [{"itemIdentifier": sequence_number} for sequence_number in failed]}
