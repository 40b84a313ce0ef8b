"""Problems of bringing bytes in (upload and ingest), each with its HTTP status and stable code."""

from __future__ import annotations

from functions.common.errors import DomainError
from functions.common.images import ImageRejected


class UnsupportedMediaType(DomainError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class ImageTooLarge(DomainError):
    status, code, title = 422, "image_too_large", "Image too large"


class InvalidImage(DomainError):
    status, code, title = 422, "invalid_image", "Invalid image"


class UseSignedUpload(DomainError):
    status, code, title = 413, "use_signed_upload", "Payload too large"


class MalformedMultipart(DomainError):
    status, code, title = 400, "malformed_multipart", "Malformed multipart body"


class ExpectedMultipart(DomainError):
    status, code, title = 415, "expected_multipart", "Expected multipart/form-data"


_BY_CODE: dict[str, type[DomainError]] = {
    "unsupported_media_type": UnsupportedMediaType,
    "image_too_large": ImageTooLarge,
    "invalid_image": InvalidImage,
}


def rejection_error(rejected: ImageRejected) -> DomainError:
    """The client-facing error for an image the prober refused."""
    return _BY_CODE.get(rejected.code, InvalidImage)(rejected.message)
