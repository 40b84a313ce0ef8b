"""Direct upload API: `POST /uploads` with a small multipart file; the bytes decide the format."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from functools import lru_cache
    from typing import Annotated, Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType
    from aws_lambda_powertools.event_handler.openapi.params import File, Form, UploadFile
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.common.api import caller, create_app, problem_response
    from functions.common.errors import problem_for
    from functions.common.models import AssetOut, AssetType
    from functions.common.wiring import upload_service
    from functions.upload import logic
    from functions.upload.errors import ExpectedMultipart, MalformedMultipart

logger = Logger(service="upload")
router = APIGatewayHttpRouter()
OptionalText = Annotated[str | None, Form(max_length=10_000)]


@lru_cache(maxsize=1)
def _uploader() -> logic.Uploader:
    return upload_service()


@router.post("/uploads", tags=["uploads"], status_code=201)
def upload(
    file: Annotated[UploadFile, File(description="The image (≤ 4 MB); JPEG, PNG, WebP, GIF, AVIF or HEIC/HEIF")],
    filename: OptionalText = None,
    prompt: OptionalText = None,
    model: OptionalText = None,
    params: Annotated[str | None, Form(description="A JSON object")] = None,
    asset_type: Annotated[AssetType | None, Form(alias="assetType")] = None,
    source_asset_ids: Annotated[str | None, Form(alias="sourceAssetIds", description="Comma-separated ids")] = None,
) -> AssetOut:
    fields = {"filename": filename, "prompt": prompt, "model": model, "params": params}
    fields |= {"assetType": asset_type, "sourceAssetIds": source_asset_ids}
    metadata = logic.metadata_from_form(fields, default_filename=file.filename)
    return logic.upload(owner=caller(router), data=file.content, metadata=metadata, uploader=_uploader())


@router.exception_handler(RequestUnsupportedContentType)
def _not_multipart(_: RequestUnsupportedContentType) -> Response[str]:
    return problem_response(problem_for(ExpectedMultipart("Send the file as multipart/form-data.")))


@router.exception_handler(ValueError)
def _malformed(_: ValueError) -> Response[str]:
    # Powertools raises a bare ValueError for a multipart body without a boundary.
    return problem_response(problem_for(MalformedMultipart("The multipart/form-data body cannot be read.")))


app = create_app()
app.include_router(router)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
