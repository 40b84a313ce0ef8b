"""botocore clients from one shared session, without importing boto3.

`import boto3` also loads s3transfer, multiprocessing and concurrent.futures (~50 ms of every cold start) for
transfer helpers we never call; a botocore client is what `boto3.client()` returns anyway, configured the same way
(environment credentials and region, `AWS_ENDPOINT_URL[_<SERVICE>]`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.config import Config
from botocore.session import Session, get_session


@cache
def aws_session() -> Session:
    """The process's botocore session, built once (like boto3's default session)."""
    return get_session()


def aws_client(service: str, config: Config | None = None) -> Any:
    """A client for `service` from the shared session."""
    return aws_session().create_client(service, config=config)
