"""Public share pages: no sign-in; every answer (errors included) carries the no-index/no-referrer/no-store headers."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Annotated, Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from pydantic import BaseModel, Field

    from functions.common.api import PUBLIC_HEADERS, create_app, with_public_headers
    from functions.common.errors import (
        JSON_BODY,
        InvalidCursor,
        NotFound,
        PasswordRequired,
        TooManyAttempts,
        WrongPassword,
        problems,
    )
    from functions.public_shares import logic, wiring

logger = Logger(service="public-shares")
router = APIGatewayHttpRouter()
Token = Annotated[str, Path(description="The link's token; an unknown, expired, revoked or used-up one is a 404")]
Access = Annotated[str | None, Header(alias="x-share-access", description="A password share's access token")]
_public = wiring.collaborators


class UnlockIn(BaseModel):
    password: str = Field(min_length=1, max_length=200)


@router.get(
    "/public/shares/<token>",
    tags=["public"],
    summary="A page of a shared folder or selection (a first page counts a view)",
    openapi_extensions=problems(NotFound, PasswordRequired, InvalidCursor, *JSON_BODY, public=True),
)
def share_page(token: Token, access: Access = None, cursor: Annotated[str | None, Query()] = None) -> logic.PublicPage:
    return logic.share_page(token=token, cursor=cursor, access=access, public=_public())


@router.post(
    "/public/shares/<token>/unlock",
    tags=["public"],
    summary="Unlock a password share: an access token for about an hour",
    openapi_extensions=problems(NotFound, WrongPassword, TooManyAttempts, *JSON_BODY, public=True),
)
def unlock(token: Token, request: UnlockIn) -> logic.Unlocked:
    return logic.unlock(token=token, password=request.password, public=_public())


@router.get(
    "/public/shares/<token>/items/<alias>/download",
    tags=["public"],
    status_code=302,
    summary="The item's original as a copy named by its alias (stripped of EXIF/GPS/XMP unless showMetadata)",
    responses={302: {"description": "To a short-lived URL of the copy"}},
    openapi_extensions=problems(NotFound, PasswordRequired, *JSON_BODY, public=True),
)
def download(
    token: Token,
    alias: Annotated[str, Path()],
    access: Access = None,
    access_query: Annotated[str | None, Query(alias="access")] = None,
) -> Response[str]:
    url = logic.download_url(token=token, alias=alias, access=access or access_query, public=_public())
    return Response(status_code=302, body="", headers={"Location": url, **PUBLIC_HEADERS})


app = create_app()
app.include_router(router)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return with_public_headers(app.resolve(event, context))
