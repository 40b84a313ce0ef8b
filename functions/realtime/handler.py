"""Real-time API: `POST /realtime/ticket` hands the caller a WebSocket URL with a single-use ticket."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.common.api import caller, create_app
    from functions.common.errors import problems
    from functions.realtime import tickets, wiring

logger = Logger(service="realtime")
router = APIGatewayHttpRouter()

# The collaborators, built on the first request; tests and the local server inject theirs with `wiring.collaborators`.
_tickets = wiring.collaborators


@router.post(
    "/realtime/ticket",
    tags=["realtime"],
    status_code=201,
    summary="A WebSocket URL with a single-use ticket",
    description="Open the URL within `expiresAt` (about 60 s); the ticket opens one connection, for the caller only.",
    responses={201: {"description": "A ticket", "content": {"application/json": {"model": tickets.TicketOut}}}},
    openapi_extensions=problems(),
)
def issue_ticket() -> Response[tickets.TicketOut]:
    ticket = tickets.issue_ticket(owner=caller(router), tickets=_tickets())
    return Response(status_code=201, content_type="application/json", body=ticket)


app = create_app()
app.include_router(router)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
