"""Direct upload of a small image or video: validate the bytes, reuse a duplicate, else store the original."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from functions.common.bucket_ports import UploadStore
from functions.common.clock import Clock
from functions.common.duplicates import find_duplicate
from functions.common.errors import (
    DomainError,
    ImageTooComplex,
    ImageTooLarge,
    InvalidImage,
    InvalidRequest,
    UnsupportedMediaType,
    UseSignedUpload,
)
from functions.common.failures import TransientError
from functions.common.formats import VIDEO_SNIFF_BYTES, AssetKind, sniff_video
from functions.common.images import ImageFacts, ImageRejected, probe
from functions.common.metadata import AssetMetadata
from functions.common.models import AssetOut, AssetSource, AssetStatus, new_asset
from functions.common.ports import AssetRecords, Quota
from functions.common.presenter import present
from functions.common.quota import DEFAULT_QUOTA, create_within_quota
from functions.system import DIRECT_UPLOAD_MAX_BYTES


@dataclass(frozen=True)
class Uploader:
    repository: AssetRecords
    store: UploadStore
    clock: Clock
    max_image_pixels: int
    read_ttl_seconds: int
    quota: Quota = DEFAULT_QUOTA


def metadata_from_form(fields: Mapping[str, str | None], *, default_filename: str | None) -> AssetMetadata:
    """The form's fields as metadata: `params` a JSON object, `sourceAssetIds` ids joined by commas, nothing else."""
    data: dict[str, Any] = {key: value for key, value in fields.items() if value not in (None, "")}
    try:
        if "params" in data:
            data["params"] = json.loads(str(data["params"]))
        if "sourceAssetIds" in data:
            data["sourceAssetIds"] = str(data["sourceAssetIds"]).split(",")
        data.setdefault("filename", default_filename or None)
        return AssetMetadata.model_validate(data)
    except (json.JSONDecodeError, RecursionError) as error:  # nested beyond what the parser can even read
        raise InvalidRequest("params: must be a JSON object") from error
    except ValidationError as error:
        details = "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors())
        raise InvalidRequest(details) from error


_REJECTIONS: dict[str, type[DomainError]] = {
    error.code: error for error in (UnsupportedMediaType, ImageTooLarge, ImageTooComplex, InvalidImage)
}


def rejection_error(rejected: ImageRejected) -> DomainError:
    """The client-facing error for an image the prober refused."""
    return _REJECTIONS.get(rejected.code, InvalidImage)(rejected.message)


def inspect_image(data: bytes, *, max_pixels: int) -> ImageFacts:
    """The format and size decided from the bytes alone; refusals become client errors."""
    if not data:
        raise InvalidImage("The file is empty.")
    try:
        return probe(data, max_pixels=max_pixels)
    except ImageRejected as rejected:
        raise rejection_error(rejected) from rejected


def _inspect(data: bytes, *, max_pixels: int) -> ImageFacts | str:
    """An image's facts (Pillow decides, as for every image), or the MIME type of a video's container."""
    return sniff_video(data[:VIDEO_SNIFF_BYTES]) or inspect_image(data, max_pixels=max_pixels)


def upload(*, owner: str, data: bytes, metadata: AssetMetadata, uploader: Uploader) -> AssetOut:
    """Store a small image or video as a new asset (`processing` until its thumbnail or poster exists), or return its
    duplicate. A video's facts beyond its container are the video function's, which reads it from `videos/`."""
    if len(data) > DIRECT_UPLOAD_MAX_BYTES:
        raise UseSignedUpload(
            f"Files over {DIRECT_UPLOAD_MAX_BYTES} bytes must be uploaded with POST /uploads/sign (a presigned POST)."
        )
    inspected = _inspect(data, max_pixels=uploader.max_image_pixels)
    facts = inspected if isinstance(inspected, ImageFacts) else None
    mime = facts.mime if facts else str(inspected)
    sha256 = hashlib.sha256(data).hexdigest()
    now = uploader.clock()
    existing = find_duplicate(uploader.repository, owner, sha256)
    if existing is not None:
        return present(existing, by=uploader, duplicate=True)
    asset = new_asset(
        owner=owner,
        now=now,
        status=AssetStatus.PROCESSING,
        source=AssetSource.UPLOAD,
        kind=AssetKind.IMAGE if facts else AssetKind.VIDEO,
        mime=mime,
        size=len(data),
        width=facts.width if facts else None,
        height=facts.height if facts else None,
        sha256=sha256,
        stored_bytes=len(data),  # counted at once: this function stores the original itself
        **metadata.model_dump(),
    )
    stored = create_within_quota(asset, records=uploader.repository, quota=uploader.quota)
    try:
        uploader.store.write(asset.original_key, data, mime)
    except TransientError:
        uploader.repository.delete(stored)  # no record without its original
        raise
    return present(asset, by=uploader)
