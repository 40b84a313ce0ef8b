"""Direct upload API: `POST /uploads` with a small multipart file; the bytes decide the format and the kind."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Annotated, Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler.openapi.params import File, Form, UploadFile
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.common.api import caller, create_app
    from functions.common.errors import (
        ExpectedMultipart,
        ImageTooComplex,
        ImageTooLarge,
        InvalidImage,
        InvalidRequest,
        MalformedMultipart,
        QuotaExceeded,
        UnsupportedMediaType,
        UseSignedUpload,
        problems,
    )
    from functions.common.ids import ULID_PATTERN
    from functions.common.metadata import MAX_FILENAME_LENGTH, MAX_MODEL_LENGTH, MAX_PROMPT_LENGTH
    from functions.common.models import AssetOut, AssetType
    from functions.system import MAX_BULK_IDS
    from functions.upload import logic, wiring

logger = Logger(service="upload")
router = APIGatewayHttpRouter()
# A form carries strings only: every field is one (empty or absent: not given), documented with the format it must
# have, and parsed strictly by logic.metadata_from_form.
_ULID = ULID_PATTERN.pattern.strip("^$")
ASSET_IDS_PATTERN = f"^(?:{_ULID}(?:,{_ULID}){{0,{MAX_BULK_IDS - 1}}})?$"

# The collaborators, built on the first request; tests and the local server inject theirs with `wiring.collaborators`.
_uploader = wiring.collaborators


@router.post(
    "/uploads",
    tags=["uploads"],
    status_code=201,
    openapi_extensions=problems(
        UseSignedUpload,
        InvalidImage,
        ImageTooLarge,
        ImageTooComplex,
        UnsupportedMediaType,
        InvalidRequest,
        MalformedMultipart,
        ExpectedMultipart,
        QuotaExceeded,
    ),
)
def upload(
    file: Annotated[
        UploadFile,
        File(description="The image or video (≤ 4 MB): JPEG, PNG, WebP, GIF, AVIF, HEIC/HEIF, MP4, MOV or WebM"),
    ],
    filename: Annotated[str, Form(max_length=MAX_FILENAME_LENGTH)] = "",
    prompt: Annotated[str, Form(max_length=MAX_PROMPT_LENGTH)] = "",
    model: Annotated[str, Form(max_length=MAX_MODEL_LENGTH)] = "",
    params: Annotated[str, Form(description="A JSON object (as `params` of POST /uploads/sign); empty: {}")] = "",
    asset_type: Annotated[AssetType, Form(alias="assetType")] = AssetType.UPLOADED,
    source_asset_ids: Annotated[
        str, Form(alias="sourceAssetIds", pattern=ASSET_IDS_PATTERN, description="Comma-separated asset ids")
    ] = "",
) -> AssetOut:
    fields = {"filename": filename, "prompt": prompt, "model": model, "params": params}
    fields |= {"assetType": asset_type.value, "sourceAssetIds": source_asset_ids}
    metadata = logic.metadata_from_form(fields, default_filename=file.filename)
    return logic.upload(owner=caller(router), data=file.content, metadata=metadata, uploader=_uploader())


app = create_app()
app.include_router(router)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
