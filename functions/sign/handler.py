"""Sign API: presigned uploads and batch re-signing of read URLs."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.common.api import caller, create_app
    from functions.common.errors import JSON_BODY, QuotaExceeded, problems
    from functions.sign import logic, wiring

logger = Logger(service="sign")
router = APIGatewayHttpRouter()

# The collaborators, built on the first request; tests and the local server inject theirs with `wiring.collaborators`.
_signer = wiring.collaborators


@router.post(
    "/uploads/sign",
    tags=["uploads"],
    status_code=201,
    responses={
        201: {"description": "An upload slot", "content": {"application/json": {"model": logic.SignUploadResponse}}},
        200: {"description": "Duplicate", "content": {"application/json": {"model": logic.SignUploadResponse}}},
    },
    openapi_extensions=problems(QuotaExceeded, *JSON_BODY),
)
def sign_upload(request: logic.SignUploadRequest) -> Response[logic.SignUploadResponse]:
    signed = logic.sign_upload(owner=caller(router), request=request, signer=_signer())
    # A declared sha256 the caller already stored: 200 with the existing asset and no upload slot.
    return Response(status_code=200 if signed.upload is None else 201, content_type="application/json", body=signed)


@router.post("/assets/sign-read", tags=["assets"], openapi_extensions=problems(*JSON_BODY))
def sign_read(request: logic.SignReadRequest) -> logic.SignReadResponse:
    return logic.sign_read(owner=caller(router), request=request, signer=_signer())


app = create_app()
app.include_router(router)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
