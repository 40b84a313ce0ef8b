"""The WebSocket API's `$connect` REQUEST authorizer: a valid, unexpired, unused ticket opens the connection."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.data_classes import event_source
    from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
        APIGatewayAuthorizerRequestEvent,
    )
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.realtime import authorizer_wiring, tickets
    from functions.system import REALTIME_TICKET_PARAMETER

logger = Logger(service="realtime_authorizer")

_tickets = authorizer_wiring.collaborators


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerRequestEvent)
def handler(event: APIGatewayAuthorizerRequestEvent, context: LambdaContext) -> dict[str, Any]:
    ticket = (event.get("queryStringParameters") or {}).get(REALTIME_TICKET_PARAMETER)
    owner = tickets.redeem_ticket(ticket=ticket, tickets=_tickets())
    if owner is None:
        logger.info("ticket refused")
        # The exact message API Gateway turns into 401 Unauthorized (a Deny policy would be a 403).
        raise Exception("Unauthorized")
    return tickets.allow_policy(owner, event.method_arn)
