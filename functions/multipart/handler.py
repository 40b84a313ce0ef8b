"""Multipart API (#16): start an upload, presign its parts' PUTs, complete it after checking every part, or abort it."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Annotated, Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.openapi.params import Path
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.common.api import caller, create_app, known_asset_id
    from functions.common.errors import (
        JSON_BODY,
        Conflict,
        NotFound,
        NotMultipart,
        QuotaExceeded,
        UploadIncomplete,
        UploadMismatch,
        problems,
    )
    from functions.multipart import logic, wiring

logger = Logger(service="multipart")
router = APIGatewayHttpRouter()
# Not validated as a pattern (that would be a 422): an id that is not a ULID is simply unknown, a 404 `not_found`.
AssetId = Annotated[str, Path(description="The upload's asset id, a ULID; any other value is unknown: 404")]

# The collaborators, built on the first request; tests and the local server inject theirs with `wiring.collaborators`.
_multiparts = wiring.collaborators


@router.post(
    "/uploads/multipart",
    tags=["uploads"],
    status_code=201,
    responses={
        201: {"description": "An upload opened", "content": {"application/json": {"model": logic.StartResponse}}},
        200: {"description": "Duplicate", "content": {"application/json": {"model": logic.StartResponse}}},
    },
    openapi_extensions=problems(QuotaExceeded, *JSON_BODY),
)
def start_upload(request: logic.StartRequest) -> Response[logic.StartResponse]:
    started = logic.start(owner=caller(router), request=request, multiparts=_multiparts())
    # A declared sha256 the caller already stored: 200 with the existing asset and no upload.
    status = 200 if started.upload_id is None else 201
    return Response(status_code=status, content_type="application/json", body=started)


@router.post(
    "/uploads/multipart/<id>/parts",
    tags=["uploads"],
    openapi_extensions=problems(NotFound, NotMultipart, *JSON_BODY),
)
def sign_parts(id: AssetId, request: logic.PartsRequest) -> logic.PartsResponse:
    """Presigned PUTs of the given parts, each accepting exactly its part's bytes."""
    owner, asset_id = caller(router), known_asset_id(id)
    return logic.sign_parts(owner=owner, asset_id=asset_id, request=request, multiparts=_multiparts())


@router.post(
    "/uploads/multipart/<id>/complete",
    tags=["uploads"],
    openapi_extensions=problems(NotFound, NotMultipart, UploadIncomplete, UploadMismatch, Conflict),
)
def complete_upload(id: AssetId) -> logic.CompleteResponse:
    """Check every part against the declaration and assemble the original; again after success: the asset."""
    return logic.complete(owner=caller(router), asset_id=known_asset_id(id), multiparts=_multiparts())


@router.delete(
    "/uploads/multipart/<id>",
    tags=["uploads"],
    status_code=204,
    responses={204: {"description": "Aborted: the parts and the pending asset are gone"}},
    openapi_extensions=problems(NotFound, NotMultipart, Conflict),
)
def abort_upload(id: AssetId) -> Response[str]:
    logic.abort(owner=caller(router), asset_id=known_asset_id(id), multiparts=_multiparts())
    return Response(status_code=204, body="")


app = create_app()
app.include_router(router)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
