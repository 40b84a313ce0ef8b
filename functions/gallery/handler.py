"""Gallery API: listing, one asset, actions, download, empty trash, health, and the problem+json 404."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from functools import lru_cache
    from typing import Annotated, Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.openapi.params import Path, Query
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.common.api import caller, create_app, known_asset_id
    from functions.common.models import AssetOut, AssetType, View
    from functions.common.wiring import gallery_service
    from functions.gallery import logic
    from functions.system import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

logger = Logger(service="gallery")
router = APIGatewayHttpRouter()
# Not validated as a pattern (that would be a 422): an id that is not a ULID is simply unknown, a 404 `not_found`.
AssetId = Annotated[str, Path(description="The asset's id, a ULID; any other value is unknown: 404")]


@lru_cache(maxsize=1)
def _gallery() -> logic.Gallery:
    return gallery_service()


@router.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/gallery", tags=["gallery"])
def list_gallery(
    view: Annotated[View, Query()] = View.ALL,
    asset_type: Annotated[AssetType | None, Query(alias="assetType")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> logic.GalleryPage:
    return logic.list_gallery(
        owner=caller(router), view=view, asset_type=asset_type, limit=limit, cursor=cursor, gallery=_gallery()
    )


@router.get("/assets/<id>", tags=["assets"])
def get_asset(id: AssetId) -> AssetOut:
    return logic.get_asset(owner=caller(router), asset_id=known_asset_id(id), gallery=_gallery())


@router.patch("/assets/<id>", tags=["assets"])
def patch_asset(id: AssetId, request: logic.PatchRequest) -> AssetOut:
    return logic.patch_asset(owner=caller(router), asset_id=known_asset_id(id), request=request, gallery=_gallery())


@router.delete("/assets/<id>", tags=["assets"])
def delete_asset(id: AssetId) -> Response[str]:
    logic.delete_asset(owner=caller(router), asset_id=known_asset_id(id), gallery=_gallery())
    return Response(status_code=204, body="")


@router.post("/assets/bulk", tags=["assets"])
def bulk(request: logic.BulkRequest) -> logic.BulkResponse:
    return logic.bulk_action(owner=caller(router), request=request, gallery=_gallery())


@router.get("/assets/<id>/download", tags=["assets"])
def download(id: AssetId) -> Response[str]:
    url = logic.download_url(owner=caller(router), asset_id=known_asset_id(id), gallery=_gallery())
    return Response(status_code=302, body="", headers={"Location": url, "Cache-Control": "no-store"})


@router.post("/assets/<id>/reprocess", tags=["assets"])
def reprocess(id: AssetId) -> Response[AssetOut]:
    asset = logic.reprocess_asset(owner=caller(router), asset_id=known_asset_id(id), gallery=_gallery())
    return Response(status_code=202, content_type="application/json", body=asset)


@router.post("/trash/empty", tags=["trash"])
def empty_trash() -> logic.EmptyTrashResponse:
    return logic.empty_trash(owner=caller(router), gallery=_gallery())


app = create_app()
app.include_router(router)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
