"""Direct upload of a small image: validate the bytes, reuse a duplicate, else store the original."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from functions.common.clock import Clock
from functions.common.errors import InvalidRequest, TransientError
from functions.common.images import ImageFacts, ImageRejected, probe
from functions.common.metadata import AssetMetadata
from functions.common.models import AssetOut, AssetSource, AssetStatus, new_asset
from functions.common.presenter import present
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.system import DIRECT_UPLOAD_MAX_BYTES
from functions.upload.duplicates import find_duplicate
from functions.upload.errors import InvalidImage, UseSignedUpload, rejection_error


@dataclass(frozen=True)
class Uploader:
    repository: AssetRepository
    store: ObjectStore
    clock: Clock
    max_image_pixels: int
    read_ttl_seconds: int


def metadata_from_form(fields: dict[str, str | None], *, default_filename: str | None) -> AssetMetadata:
    """The optional form fields as metadata: `params` is a JSON object, `sourceAssetIds` comma-separated."""
    data: dict[str, Any] = {key: value for key, value in fields.items() if value not in (None, "")}
    try:
        if "params" in data:
            data["params"] = json.loads(str(data["params"]))
        if "sourceAssetIds" in data:
            data["sourceAssetIds"] = [part.strip() for part in str(data["sourceAssetIds"]).split(",") if part.strip()]
        data.setdefault("filename", default_filename or None)
        return AssetMetadata.model_validate(data)
    except (json.JSONDecodeError, RecursionError) as error:  # nested beyond what the parser can even read
        raise InvalidRequest("params: must be a JSON object") from error
    except ValidationError as error:
        details = "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors())
        raise InvalidRequest(details) from error


def inspect_image(data: bytes, *, max_pixels: int) -> ImageFacts:
    """The format and size decided from the bytes alone; refusals become client errors."""
    if not data:
        raise InvalidImage("The file is empty.")
    try:
        return probe(data, max_pixels=max_pixels)
    except ImageRejected as rejected:
        raise rejection_error(rejected) from rejected


def upload(*, owner: str, data: bytes, metadata: AssetMetadata, uploader: Uploader) -> AssetOut:
    """Store a small image as a new asset (`processing` until its thumbnail exists), or return its duplicate."""
    if len(data) > DIRECT_UPLOAD_MAX_BYTES:
        raise UseSignedUpload(
            f"Files over {DIRECT_UPLOAD_MAX_BYTES} bytes must be uploaded with POST /uploads/sign (a presigned POST)."
        )
    facts = inspect_image(data, max_pixels=uploader.max_image_pixels)
    sha256 = hashlib.sha256(data).hexdigest()
    now = uploader.clock()
    existing = find_duplicate(uploader.repository, owner, sha256)
    if existing is not None:
        shown = present(existing, store=uploader.store, read_ttl_seconds=uploader.read_ttl_seconds, now=now)
        return shown.model_copy(update={"duplicate": True})
    asset = new_asset(
        owner=owner,
        now=now,
        status=AssetStatus.PROCESSING,
        source=AssetSource.UPLOAD,
        mime=facts.mime,
        size=len(data),
        width=facts.width,
        height=facts.height,
        sha256=sha256,
        **metadata.model_dump(),
    )
    stored = uploader.repository.create(asset)
    try:
        uploader.store.write(asset.original_key, data, facts.mime)
    except TransientError:
        uploader.repository.delete(stored)  # no record without its original
        raise
    return present(asset, store=uploader.store, read_ttl_seconds=uploader.read_ttl_seconds, now=now)
