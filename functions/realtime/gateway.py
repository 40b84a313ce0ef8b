"""The WebSocket API's `@connections` management API (PostToConnection), through botocore."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.common.clients import aws_session
from functions.common.failures import PermanentError, TransientError, is_retryable


class ConnectionsApi:
    """Posts to connections at the stage's https URL, which botocore takes from
    `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI` (the stack sets it; locally the dev server answers the same API)."""

    def __init__(self, client: Any | None = None) -> None:
        self._client = client or aws_session().create_client("apigatewaymanagementapi")

    def post(self, connection_id: str, data: bytes) -> bool:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "GoneException":
                return False
            kind = TransientError if is_retryable(code) or code == "LimitExceededException" else PermanentError
            raise kind(f"PostToConnection failed ({code}): {error}") from error
        return True
