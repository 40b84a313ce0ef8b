"""The WebSocket API's `$connect` and `$disconnect` routes: remember, then forget, the owner's connection."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.data_classes import APIGatewayWebSocketEvent, event_source
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.realtime import connections_wiring, presence

logger = Logger(service="realtime_connections")

_connections = connections_wiring.collaborators


@logger.inject_lambda_context
@event_source(data_class=APIGatewayWebSocketEvent)
def handler(event: APIGatewayWebSocketEvent, context: LambdaContext) -> dict[str, Any]:
    request, store = event.request_context, _connections()
    # The authorizer's context reaches every route of the connection, `$disconnect` included.
    owner = (request.get("authorizer") or {}).get("owner")
    if not owner:
        return {"statusCode": 401}  # never authorized: refuse (`$connect`) or nothing to forget
    if request.route_key == "$connect":
        presence.connected(
            owner=owner,
            connection_id=request.connection_id,
            connected_ms=request.connected_at,
            connections=store,
        )
    elif request.route_key == "$disconnect":
        presence.disconnected(owner=owner, connection_id=request.connection_id, connections=store)
    return {"statusCode": 200}
