"""Hands an ingest job to the worker Lambda asynchronously (InvocationType=Event)."""

from __future__ import annotations

import json
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from functions.common.clients import aws_client
from functions.common.failures import TransientError


class WorkerInvoker(Protocol):
    def invoke(self, payload: dict[str, Any]) -> None: ...


class LambdaInvoker:
    """`lambda.invoke(..., InvocationType="Event")`; locally the dev server answers the same API."""

    def __init__(self, function_name: str, client: Any | None = None) -> None:
        self.function_name = function_name
        self._lambda = client or aws_client("lambda")

    def invoke(self, payload: dict[str, Any]) -> None:
        try:
            response = self._lambda.invoke(
                FunctionName=self.function_name, InvocationType="Event", Payload=json.dumps(payload).encode()
            )
        except (BotoCoreError, ClientError) as error:
            raise TransientError(f"could not start the ingest worker: {error}") from error
        if int(response.get("StatusCode", 0)) != 202:
            raise TransientError(f"the ingest worker was not queued (status {response.get('StatusCode')})")
