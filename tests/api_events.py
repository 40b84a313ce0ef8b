"""API Gateway HTTP API (payload v2) events for calling handlers in-process."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools.utilities.typing import LambdaContext


class FakeContext(LambdaContext):
    """The context handlers are typed for, with fixed values behind Powertools' read-only properties."""

    _function_name = "test"
    _function_version = "$LATEST"
    _memory_limit_in_mb = 1024
    _invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:test"
    _aws_request_id = "test-request"
    _log_group_name = "/aws/lambda/test"
    _log_stream_name = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def http_event(
    method: str,
    path: str,
    *,
    sub: str = "alice",
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    binary: bool = False,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": {name.lower(): value for name, value in (headers or {}).items()},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "authorizer": {"jwt": {"claims": {"sub": sub}, "scopes": None}},
        },
        "isBase64Encoded": binary,
    }
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        raw = body.encode() if isinstance(body, str) else body
        event["body"] = base64.b64encode(raw).decode() if binary else raw.decode()
    return event


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        parts.append(head + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def decoded(result: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body = result.get("body") or "{}"
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return int(result["statusCode"]), json.loads(body)
