"""Gallery API: listing, one asset, actions, download, empty trash, folders, health, and the problem+json 404."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Annotated, Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.openapi.params import Path, Query
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponseHeader
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.common.api import caller, create_app, known_asset_id
    from functions.common.errors import (
        JSON_BODY,
        Conflict,
        FolderNotEmpty,
        FolderNotFound,
        InvalidCursor,
        InvalidRequest,
        NotFailed,
        NotFound,
        NotInTrash,
        NotReady,
        TooManyFolders,
        problems,
    )
    from functions.common.formats import AssetKind
    from functions.common.models import AssetOut, AssetType, FolderOut, View
    from functions.common.quota import UsageOut, usage_report
    from functions.gallery import folders, logic, models, wiring
    from functions.system import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

logger = Logger(service="gallery")
router = APIGatewayHttpRouter()
LOCATION: OpenAPIResponseHeader = {"description": "The presigned URL", "schema": {"type": "string"}}
# Not validated as a pattern (that would be a 422): an id that is not a ULID is simply unknown, a 404 `not_found`.
AssetId = Annotated[str, Path(description="The asset's id, a ULID; any other value is unknown: 404")]
FolderId = Annotated[str, Path(description="The folder's id, a ULID; any other value is unknown: 404")]

# The collaborators, built on the first request; tests and the local server inject theirs with `wiring.collaborators`.
_gallery = wiring.collaborators


@router.get("/health", tags=["meta"], openapi_extensions=problems(public=True))
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/gallery", tags=["gallery"], openapi_extensions=problems(InvalidCursor, InvalidRequest))
def list_gallery(
    view: Annotated[View, Query()] = View.ALL,
    asset_type: Annotated[AssetType | None, Query(alias="assetType")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    folder_id: Annotated[str | None, Query(alias="folderId", max_length=64)] = None,
    kind: Annotated[
        AssetKind | None, Query(description="Only images or only videos; not with assetType or folderId (422)")
    ] = None,
) -> models.GalleryPage:
    """The caller's view; with `folderId`, the view inside that folder (an unknown folder lists nothing); with `kind`,
    only its images or only its videos."""
    return logic.list_gallery(
        owner=caller(router),
        view=view,
        asset_type=asset_type,
        limit=limit,
        cursor=cursor,
        folder_id=folder_id,
        kind=kind,
        gallery=_gallery(),
    )


@router.get("/assets/<id>", tags=["assets"], openapi_extensions=problems(NotFound))
def get_asset(id: AssetId) -> AssetOut:
    return logic.get_asset(owner=caller(router), asset_id=known_asset_id(id), gallery=_gallery())


@router.patch(
    "/assets/<id>", tags=["assets"], openapi_extensions=problems(NotFound, FolderNotFound, Conflict, *JSON_BODY)
)
def patch_asset(id: AssetId, request: models.PatchRequest) -> AssetOut:
    return logic.patch_asset(owner=caller(router), asset_id=known_asset_id(id), request=request, gallery=_gallery())


@router.delete(
    "/assets/<id>",
    tags=["assets"],
    status_code=204,
    responses={204: {"description": "Deleted forever"}},
    openapi_extensions=problems(NotFound, NotInTrash, Conflict),
)
def delete_asset(id: AssetId) -> Response[str]:
    logic.delete_asset(owner=caller(router), asset_id=known_asset_id(id), gallery=_gallery())
    return Response(status_code=204, body="")


@router.post("/assets/bulk", tags=["assets"], openapi_extensions=problems(FolderNotFound, *JSON_BODY))
def bulk(request: models.BulkRequest) -> models.BulkResponse:
    return logic.bulk_action(owner=caller(router), request=request, gallery=_gallery())


@router.get(
    "/assets/<id>/download",
    tags=["assets"],
    status_code=302,
    responses={302: {"description": "To a short-lived URL of the original", "headers": {"Location": LOCATION}}},
    openapi_extensions=problems(NotFound, NotReady),
)
def download(id: AssetId) -> Response[str]:
    url = logic.download_url(owner=caller(router), asset_id=known_asset_id(id), gallery=_gallery())
    return Response(status_code=302, body="", headers={"Location": url, "Cache-Control": "no-store"})


@router.post(
    "/assets/<id>/reprocess",
    tags=["assets"],
    status_code=202,
    openapi_extensions=problems(NotFound, NotFailed, NotReady, Conflict),
)
def reprocess(id: AssetId) -> Response[AssetOut]:
    asset = logic.reprocess_asset(owner=caller(router), asset_id=known_asset_id(id), gallery=_gallery())
    return Response(status_code=202, content_type="application/json", body=asset)


@router.post("/trash/empty", tags=["trash"], openapi_extensions=problems())
def empty_trash() -> models.EmptyTrashResponse:
    return logic.empty_trash(owner=caller(router), gallery=_gallery())


@router.post("/folders", tags=["folders"], status_code=201, openapi_extensions=problems(TooManyFolders, *JSON_BODY))
def create_folder(request: folders.FolderRequest) -> Response[FolderOut]:
    folder = folders.create_folder(owner=caller(router), request=request, gallery=_gallery())
    return Response(status_code=201, content_type="application/json", body=folder)


@router.get("/folders", tags=["folders"], openapi_extensions=problems())
def list_folders() -> folders.FolderList:
    """Every folder of the caller, by name, with its assets not in the trash and its cover."""
    return folders.list_folders(owner=caller(router), gallery=_gallery())


# `not_found` too: a path no route matches (an id with characters a path segment cannot hold) is the router's 404.
@router.patch("/folders/<id>", tags=["folders"], openapi_extensions=problems(FolderNotFound, NotFound, *JSON_BODY))
def rename_folder(id: FolderId, request: folders.FolderRequest) -> FolderOut:
    return folders.rename_folder(owner=caller(router), folder_id=id, request=request, gallery=_gallery())


@router.delete(
    "/folders/<id>",
    tags=["folders"],
    status_code=204,
    responses={204: {"description": "Deleted"}},
    openapi_extensions=problems(FolderNotFound, NotFound, FolderNotEmpty, InvalidRequest),
)
def delete_folder(
    id: FolderId, move_assets_out: Annotated[bool, Query(alias="moveAssetsOut")] = False
) -> Response[str]:
    """Delete a folder; one holding assets (the trash included) only with `moveAssetsOut=true`, which takes them out."""
    folders.delete_folder(owner=caller(router), folder_id=id, move_assets_out=move_assets_out, gallery=_gallery())
    return Response(status_code=204, body="")


@router.get("/usage", tags=["usage"], openapi_extensions=problems())
def usage() -> UsageOut:
    """What the caller's assets count towards its quota (trash included), and its limits (null: none)."""
    gallery = _gallery()
    return usage_report(caller(router), records=gallery.repository, quota=gallery.quota)


app = create_app()
app.include_router(router)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
