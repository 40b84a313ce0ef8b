"""Share links API (owner side): create, list, change, revoke and rotate the caller's shares."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Annotated, Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.openapi.params import Path
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.common.api import caller, create_app
    from functions.common.errors import JSON_BODY, Conflict, FolderNotFound, NotFound, problems
    from functions.shares import logic, wiring

logger = Logger(service="shares")
router = APIGatewayHttpRouter()
ShareId = Annotated[str, Path(description="The share's id, a ULID; any other value is unknown: 404")]
_shares = wiring.collaborators


@router.post(
    "/shares",
    tags=["shares"],
    status_code=201,
    summary="Share a folder or a selection",
    description="The link's `token` and `url` are shown this once; only a hash of the token is stored.",
    responses={201: {"description": "The share", "content": {"application/json": {"model": logic.ShareCreated}}}},
    openapi_extensions=problems(NotFound, FolderNotFound, *JSON_BODY),
)
def create_share(request: logic.ShareIn) -> Response[logic.ShareCreated]:
    created = logic.create_share(owner=caller(router), request=request, shares=_shares())
    return Response(status_code=201, content_type="application/json", body=created)


@router.get("/shares", tags=["shares"], summary="The caller's shares", openapi_extensions=problems())
def list_shares() -> logic.ShareList:
    return logic.list_shares(owner=caller(router), shares=_shares())


@router.patch("/shares/<id>", tags=["shares"], openapi_extensions=problems(NotFound, Conflict, *JSON_BODY))
def patch_share(id: ShareId, request: logic.SharePatch) -> logic.ShareOut:
    return logic.patch_share(owner=caller(router), share_id=id, request=request, shares=_shares())


@router.delete(
    "/shares/<id>",
    tags=["shares"],
    status_code=204,
    summary="Revoke a share (at once)",
    responses={204: {"description": "Revoked"}},
    openapi_extensions=problems(NotFound, Conflict),
)
def revoke_share(id: ShareId) -> Response[str]:
    logic.revoke_share(owner=caller(router), share_id=id, shares=_shares())
    return Response(status_code=204, body="")


@router.post(
    "/shares/<id>/rotate",
    tags=["shares"],
    summary="A new link for the share; the old one dies at once",
    openapi_extensions=problems(NotFound, Conflict),
)
def rotate_share(id: ShareId) -> logic.ShareCreated:
    return logic.rotate_share(owner=caller(router), share_id=id, shares=_shares())


app = create_app()
app.include_router(router)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
