"""Helpers for the S3 gate's tests: signing clients, presigned POSTs made by our ObjectStore, multipart bodies."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from devserver.config import function_credentials
from functions.common.objects import PresignedPost
from functions.common.storage import ObjectStore

BUCKET = "gallery-media"
REGION = "us-east-1"
BOUNDARY = "gate-test-boundary-7f3a"
KEY = "originals/alice/01ABC"
DATA = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3


def s3_client(function: str = "sign", region: str = REGION, endpoint: str | None = None, **keys: str) -> Any:
    credentials = function_credentials(function)
    return boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint or "http://127.0.0.1:9",
        aws_access_key_id=keys.get("access_key", credentials["AWS_ACCESS_KEY_ID"]),
        aws_secret_access_key=keys.get("secret", credentials["AWS_SECRET_ACCESS_KEY"]),
        config=Config(signature_version="s3v4"),
    )


def secrets_of(*functions: str) -> dict[str, str]:
    return {
        function_credentials(f)["AWS_ACCESS_KEY_ID"]: function_credentials(f)["AWS_SECRET_ACCESS_KEY"]
        for f in functions
    }


def presign_post(
    client: Any | None = None, *, key: str = KEY, data: bytes = DATA, with_checksum: bool = True, ttl: int = 300
) -> PresignedPost:
    """A slot exactly as `/uploads/sign` makes it: key, type, exact size, and (by default) the sha256."""
    store = ObjectStore(BUCKET, client=client or s3_client())
    return store.presign_post(
        key=key,
        content_type="image/png",
        size=len(data),
        ttl_seconds=ttl,
        now=datetime.now(UTC),
        sha256_hex=hashlib.sha256(data).hexdigest() if with_checksum else None,
    )


def multipart(
    fields: Mapping[str, str], data: bytes | None, after: Mapping[str, str] | None = None, filename: str = "a.png"
) -> bytes:
    """A browser's form: the fields in order, then the file, then (ignored by S3) anything after it."""
    chunks = []
    for name, value in fields.items():
        chunks.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    if data is not None:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        chunks.append(f"{head}Content-Type: image/png\r\n\r\n".encode() + data + b"\r\n")
    for name, value in (after or {}).items():
        chunks.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
