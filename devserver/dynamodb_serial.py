"""DynamoDB's atomic conditional writes for the local moto server: it answers one DynamoDB request at a time.

DynamoDB applies each conditional write and each transaction atomically. moto's server answers requests on threads
and checks a condition apart from the write it guards (TOOLING-NOTES: two winners of one conditional write in 2 of 60
trials), so locally two creations could both take a user's last asset, or a record and its owner's usage counter
(`functions/common/repository/usage.py`) could be written twice by two requests that read the same version.
Serializing DynamoDB's requests, and only those (S3 and SQS stay concurrent), gives the deployed guarantees back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Every DynamoDB API call names its operation in this header (`DynamoDB_20120810.PutItem`); Streams has its own prefix.
_DYNAMODB_TARGET = "DynamoDB_"


class OneDynamoDBRequestAtATime:
    """Wraps moto's WSGI app: a DynamoDB request runs, body included, while no other one does."""

    def __init__(self, app: WsgiApp, lock: threading.Lock | None = None) -> None:
        self._app = app
        # Shared with what changes moto's tables outside a request (devserver/aws.py: the stream's trim).
        self._lock = lock or threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(_DYNAMODB_TARGET):
            return self._app(environ, start_response)
        with self._lock:
            answer = self._app(environ, start_response)
            try:
                return [b"".join(answer)]
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()
