"""Handlers that only tests of the local execution environments run, in a real environment process.

`ProcessEnvironment(function, handler="tests.runtime_handlers.NAME")` runs one of these in the function's place, so the
environment's own limits (timeout, response size, failures) are tested without touching `functions/`.
"""

from __future__ import annotations

import time
from typing import Any


def sleep(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sleeps `seconds` (of the event, or of its query string), then reports the time it had left when it started."""
    remaining_ms = context.get_remaining_time_in_millis()
    seconds = event.get("seconds", (event.get("queryStringParameters") or {}).get("seconds", 0))
    time.sleep(float(seconds))
    return {"remainingMs": remaining_ms, "requestId": context.aws_request_id}


def sized(event: dict[str, Any], context: Any) -> str:
    """A string whose JSON (two quotes included) is `bytes` long."""
    return "x" * (int(event["bytes"]) - 2)


def http_body(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An HTTP API response whose body is `?bytes=` long."""
    size = int((event.get("queryStringParameters") or {}).get("bytes", "0"))
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "x" * size}


def fail(event: dict[str, Any], context: Any) -> None:
    """Always raises, naming the request it failed."""
    raise RuntimeError(f"poison event in {context.aws_request_id}")
