"""Ingest API: `POST /ingest` checks the URL, creates the asset as `ingesting` and hands the fetch to the worker."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from collections.abc import Callable
    from typing import Annotated, Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.openapi.params import Header, Query
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.common.api import caller, create_app
    from functions.common.errors import (
        JSON_BODY,
        IdempotencyInProgress,
        IdempotencyKeyReused,
        QuotaExceeded,
        TooManyIngests,
        UrlNotAllowed,
        problems,
    )
    from functions.common.models import AssetOut
    from functions.ingest import logic, wiring
    from functions.system import MAX_INGEST_WAIT_SECONDS

logger = Logger(service="ingest")


def build_router(ingester: Callable[[], logic.Ingester]) -> APIGatewayHttpRouter:
    """The route, with the collaborators `ingester()` builds (the local server passes its own)."""
    router = APIGatewayHttpRouter()

    @router.post(
        "/ingest",
        tags=["ingest"],
        status_code=202,
        responses={
            202: {"description": "Still ingesting", "content": {"application/json": {"model": AssetOut}}},
            201: {"description": "Finished in time", "content": {"application/json": {"model": AssetOut}}},
        },
        openapi_extensions=problems(
            UrlNotAllowed, IdempotencyKeyReused, IdempotencyInProgress, TooManyIngests, QuotaExceeded, *JSON_BODY
        ),
    )
    def ingest(
        request: logic.IngestRequest,
        wait: Annotated[int, Query(ge=0, le=MAX_INGEST_WAIT_SECONDS)] = 0,
        idempotency_key: Annotated[str | None, Header(alias="idempotency-key")] = None,
    ) -> Response[AssetOut]:
        answer = logic.start_ingest(
            owner=caller(router),
            request=request,
            idempotency_key=idempotency_key,
            wait_seconds=wait,
            ingester=ingester(),
        )
        return Response(status_code=answer.status_code, content_type="application/json", body=answer.asset)

    return router


# The collaborators, built on the first request; tests and the local server inject theirs with `wiring.collaborators`.
_ingester = wiring.collaborators
router = build_router(_ingester)
app = create_app()
app.include_router(router)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _ingester().idempotency.register_lambda_context(context)
    return app.resolve(event, context)
