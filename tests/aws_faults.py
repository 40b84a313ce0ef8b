"""Make chosen botocore calls fail the way AWS fails them, without the IAM emulation: deterministic refusals for tests.

Handlers go on a client's (or a session's) event emitter at `before-parameter-build`, where the call's own parameters
are known, and raise the ClientError AWS would answer; nothing of our code is patched.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

_ids = itertools.count()


def client_error(operation: str, code: str, status: int, message: str = "refused by the test") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


@contextmanager
def refusing(
    events: Any,
    service: str,
    operation: str,
    *,
    code: str,
    status: int,
    when: Callable[[dict[str, Any]], bool] = lambda params: True,
) -> Iterator[list[dict[str, Any]]]:
    """Within the block, `operation` calls whose parameters match `when` fail with `code`; yields the refused params.

    `events` is a client's `meta.events` or a botocore Session (then it applies to the clients it builds later).
    """
    refused: list[dict[str, Any]] = []
    unique_id = f"test-refusal-{next(_ids)}"
    event = f"before-parameter-build.{service}.{operation}"

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if when(params):
            refused.append(dict(params))
            raise client_error(operation, code, status)

    events.register(event, refuse, unique_id=unique_id)
    try:
        yield refused
    finally:
        events.unregister(event, unique_id=unique_id)


def head_of_missing_key_is_403(events: Any, exists: Callable[[str], bool]) -> Any:
    """HeadObject as a role without s3:ListBucket sees it: a missing key is AccessDenied (403), never a 404."""
    return refusing(
        events, "s3", "HeadObject", code="AccessDenied", status=403, when=lambda params: not exists(params["Key"])
    )


def batch_write_is_denied(events: Any) -> Any:
    """BatchWriteItem as every role of the stack sees it: AccessDeniedException (no role holds it)."""
    return refusing(events, "dynamodb", "BatchWriteItem", code="AccessDeniedException", status=400)
