"""Shared fixtures: a fake AWS environment, moto-backed collaborators and a fixed clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config

# Tests never reach a real account: fake credentials before anything builds a client.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

TABLE = "test-assets"
BUCKET = "test-media"
NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process, with the asset table and the media bucket created."""
    from moto import mock_aws

    from functions.common.repository import AssetRepository

    with mock_aws():
        AssetRepository(TABLE).create_table()
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield


@pytest.fixture
def repository(aws: None):  # type: ignore[no-untyped-def]
    from functions.common.repository import AssetRepository

    return AssetRepository(TABLE)


@pytest.fixture
def s3_client(aws: None):  # type: ignore[no-untyped-def]
    return boto3.client("s3", config=Config(signature_version="s3v4"))


@pytest.fixture
def store(s3_client):  # type: ignore[no-untyped-def]
    from functions.common.storage import ObjectStore

    return ObjectStore(BUCKET, client=s3_client)


@pytest.fixture
def api_environment(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment an API handler's settings read, pointed at this test's moto; settings re-read per test."""
    from functions.common.settings import settings_for

    for name, value in {
        "ASSET_TABLE_NAME": TABLE,
        "MEDIA_BUCKET_NAME": BUCKET,
        "CURSOR_SECRET": "s" * 32,
        "TRASH_RETENTION_DAYS": "30",
    }.items():
        monkeypatch.setenv(name, value)
    settings_for.cache_clear()
    yield
    settings_for.cache_clear()
