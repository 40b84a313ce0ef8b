"""The image formats the contract accepts, by MIME type and Pillow format name."""

from __future__ import annotations

ACCEPTED_MIME_TYPES: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
    "image/avif": "AVIF",
    "image/heic": "HEIF",
    "image/heif": "HEIF",
}
