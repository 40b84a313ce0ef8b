"""Shared fixtures: a fake AWS environment, moto-backed collaborators and a fixed clock."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config

if TYPE_CHECKING:
    from devserver.iam.policies import LocalNames

# The shell's own AWS settings, kept before the fakes below: only the e2e tests' deployed target signs with them
# (tests/e2e/targets.py, to make its Cognito test users), so nothing else can reach a real account.
SHELL_AWS_ENVIRONMENT = {key: value for key, value in os.environ.items() if key.startswith("AWS_")}
# Tests never reach a real account: fake credentials before anything builds a client.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        # An error a route does not declare in its problems(...) answers 500: every tier's tests catch it.
        "STRICT_PROBLEMS": "1",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

TABLE = "test-assets"
BUCKET = "test-media"
IDEMPOTENCY_TABLE = "test-idempotency"
CONNECTIONS_TABLE = "test-connections"
NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process, with the asset table and the media bucket created, and each function's IAM policy enforced.

    A call made through `functions.<feature>` code runs with that function's deployed permissions (inferred from the
    call stack, or named with `devserver.iam.principal.acting_as`); set-up from test code stays unrestricted.
    """
    from moto import mock_aws

    from devserver.iam.enforce import enforcing
    from functions.common.repository import AssetRepository

    fresh_collaborators()
    with mock_aws():
        AssetRepository(TABLE).create_table()
        create_media_bucket(boto3.client("s3"), BUCKET)
        with enforcing(iam_names(), infer_from_stack=True):
            yield
    fresh_collaborators()


def create_media_bucket(s3: Any, bucket: str) -> None:
    """The media bucket as deployed: versioned, so a test sees what a delete leaves behind."""
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def fresh_collaborators() -> None:
    """Make every imported `functions.<feature>.wiring` build afresh on its next event (clients die with their moto)."""
    for name, module in list(sys.modules.items()):
        if name.startswith("functions.") and name.endswith("wiring") and hasattr(module, "collaborators"):
            module.collaborators.reset()


@pytest.fixture
def idempotency_table(aws: None) -> str:
    """The Powertools idempotency table, keyed as the stack defines it, in this test's moto; returns its name."""
    from functions.system import IDEMPOTENCY_KEY_ATTRIBUTE

    boto3.client("dynamodb").create_table(
        TableName=IDEMPOTENCY_TABLE,
        AttributeDefinitions=[{"AttributeName": IDEMPOTENCY_KEY_ATTRIBUTE, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": IDEMPOTENCY_KEY_ATTRIBUTE, "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return IDEMPOTENCY_TABLE


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


def function_environment(monkeypatch: pytest.MonkeyPatch, **extra: str) -> Iterator[None]:
    """A handler's environment pointed at this test's moto, plus `extra`; its settings are read afresh in the test."""
    from functions.common.settings import settings_for

    for name, value in {"ASSET_TABLE_NAME": TABLE, "MEDIA_BUCKET_NAME": BUCKET, "TRASH_RETENTION_DAYS": "30"}.items():
        monkeypatch.setenv(name, value)
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    settings_for.cache_clear()
    yield
    settings_for.cache_clear()


@pytest.fixture
def api_environment(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment an API handler's settings read."""
    yield from function_environment(monkeypatch)


@pytest.fixture
def purge_environment(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment the purge handler's settings read, with its own metrics namespace."""
    yield from function_environment(monkeypatch, POWERTOOLS_METRICS_NAMESPACE="GalleryTest")


def iam_names() -> LocalNames:
    """The local resources the functions' policies point at in tests."""
    from devserver.iam.policies import LocalNames

    return LocalNames(
        table=TABLE, idempotency_table=IDEMPOTENCY_TABLE, bucket=BUCKET, connections_table=CONNECTIONS_TABLE
    )


# `IAM_COVERAGE=1` (make test): every grant of every function must be used by some allowed call of the run, and no
# operation may be missing from the operation table. The e2e server's execution environments and pytest-xdist's
# workers append to the same file; the controller (or the only process) empties it first and checks it last.
IAM_USAGE_FILE = Path(__file__).resolve().parents[1] / "test-output" / "iam-usage.jsonl"
if os.environ.get("IAM_COVERAGE") == "1":
    os.environ["IAM_USAGE_FILE"] = str(IAM_USAGE_FILE)


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("IAM_COVERAGE") == "1" and not _is_xdist_worker(config):
        IAM_USAGE_FILE.parent.mkdir(parents=True, exist_ok=True)
        IAM_USAGE_FILE.write_text("")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("IAM_COVERAGE") != "1" or _is_xdist_worker(session.config):
        return
    from devserver.iam import usage
    from devserver.iam.policies import local_policies

    uses = list(usage.read(IAM_USAGE_FILE))
    granted = {(function, spec.sid) for function, specs in local_policies(iam_names()).items() for spec in specs}
    problems = [f"unused grant: {function} {sid}" for function, sid in usage.unused_grants(granted, uses)]
    problems += sorted(
        {f"unmapped operation: {use.function} {use.sid} ({use.test})" for use in uses if use.kind == "unmapped"}
    )
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"IAM coverage: {len(granted)} grants, usage in {IAM_USAGE_FILE}")
        for problem in problems:
            reporter.write_line(f"IAM coverage: {problem}", red=True)
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
