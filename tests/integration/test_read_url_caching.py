"""Cache-stable read URLs (#17) on moto: listings in one window repeat them, and through the local S3 gate (with the
deployed policies) they serve the version they pin with the Cache-Control they ask for."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest

from devserver.aws import bucket_cors_rules
from devserver.iam.policies import LocalNames, local_policies, parse_revocations
from devserver.s3gate import GatedMotoServer, S3Gate, local_principals
from devserver.s3gate.authorizers import PolicyAuthorizer
from functions.common.models import View
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.gallery import logic
from tests.builders import new_asset, new_gallery
from tests.conftest import BUCKET as MEDIA
from tests.s3gate_support import BUCKET, REGION, s3_client

ORIGIN = "http://127.0.0.1:3001"
WINDOW, TTL = 3600, 3600


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def listing(gallery: logic.Gallery) -> dict[str, tuple[str | None, str | None]]:
    page = logic.list_gallery(owner="alice", view=View.ALL, asset_type=None, limit=10, cursor=None, gallery=gallery)
    return {item.id: (item.url, item.thumb_url) for item in page.items}


def test_listings_in_one_window_repeat_their_urls_and_a_new_window_changes_them(
    repository: AssetRepository, s3_client: Any
) -> None:
    # Given two ready assets (one pinned to its original's version) and a gallery signing in one-hour windows
    start = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    version = s3_client.put_object(Bucket=MEDIA, Key="originals/alice/x", Body=b"x")["VersionId"]
    first = new_asset(created_at=start - timedelta(days=1), thumb_key="thumbs/One", original_version_id=version)
    second = new_asset(created_at=start - timedelta(days=2), thumb_key="thumbs/Two")
    repository.create(first)
    repository.create(second)
    clock = Clock(start + timedelta(minutes=1))
    gallery = new_gallery(repository, ObjectStore(MEDIA, client=s3_client, read_url_window_seconds=WINDOW), clock)

    # When the gallery is listed, again 50 minutes later, and once more in the next window
    opened = listing(gallery)
    clock.now += timedelta(minutes=50)
    reloaded = listing(gallery)
    clock.now += timedelta(minutes=10)
    next_window = listing(gallery)

    # Then the first two listings hand out exactly the same URLs, the third new ones
    assert reloaded == opened and len(opened) == 2
    assert all(next_window[asset_id][index] != opened[asset_id][index] for asset_id in opened for index in (0, 1))
    assert f"versionId={version}" in (opened[first.id][0] or "")


@dataclass
class Gate:
    endpoint: str
    admin: Any


def _gate(revoke: str) -> Any:
    policies = local_policies(LocalNames(table="t", idempotency_table="i", bucket=BUCKET), parse_revocations(revoke))

    def wrap(app: Any) -> S3Gate:
        return S3Gate(
            app,
            buckets={BUCKET: bucket_cors_rules((ORIGIN,))},
            principals=local_principals(),
            authorizer=PolicyAuthorizer(policies),
            region=REGION,
        )

    return wrap


@pytest.fixture(scope="module", params=["", "gallery:ORIGINALSREAD"], ids=["deployed", "revoked"])
def gate(request: pytest.FixtureRequest) -> Iterator[Gate]:
    server = GatedMotoServer("127.0.0.1", 0, _gate(request.param))
    server.start()
    endpoint = f"http://127.0.0.1:{server.port}"
    admin = boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="local", aws_secret_access_key="local"
    )
    admin.create_bucket(Bucket=BUCKET)
    admin.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    try:
        yield Gate(endpoint, admin)
    finally:
        server.stop()


def test_a_pinned_url_serves_its_version_with_the_cache_control_it_asks_for(gate: Gate, request: Any) -> None:
    # Given an original, a URL the gallery signed pinned to its version, and the original replaced since
    key = "originals/alice/01PINNED"
    version = gate.admin.put_object(Bucket=BUCKET, Key=key, Body=b"first", ContentType="image/png")["VersionId"]
    store = ObjectStore(BUCKET, client=s3_client("gallery", endpoint=gate.endpoint), read_url_window_seconds=WINDOW)
    now = datetime.now(UTC)
    pinned = store.presign_get(key=key, ttl_seconds=TTL, now=now, version_id=version).url
    loose = store.presign_get(key=key, ttl_seconds=TTL, now=now).url
    gate.admin.put_object(Bucket=BUCKET, Key=key, Body=b"second", ContentType="image/png")

    # When a browser fetches both
    old, current = httpx.get(pinned, headers={"Origin": ORIGIN}), httpx.get(loose, headers={"Origin": ORIGIN})

    # Then the pinned URL serves the bytes it was signed for, cacheable for good; the other the current ones, briefly
    if "revoked" in request.node.callspec.id:  # without GetObject(Version) on originals: both are refused
        assert (old.status_code, current.status_code) == (403, 403)
        return
    assert (old.status_code, old.content) == (200, b"first")
    assert old.headers["cache-control"] == f"private, max-age={TTL}, immutable"
    assert (current.status_code, current.content) == (200, b"second")
    assert current.headers["cache-control"] == "private, max-age=60"


def test_a_thumbnail_url_is_cacheable_for_its_ttl(gate: Gate, request: Any) -> None:
    # Given a thumbnail at a random key and its URL
    key = "thumbs/RandomKey.webp"
    gate.admin.put_object(Bucket=BUCKET, Key=key, Body=b"webp", ContentType="image/webp")
    store = ObjectStore(BUCKET, client=s3_client("gallery", endpoint=gate.endpoint), read_url_window_seconds=WINDOW)
    url = store.presign_get(key=key, ttl_seconds=TTL, now=datetime.now(UTC), immutable=True).url

    # When it is fetched
    served = httpx.get(url, headers={"Origin": ORIGIN})

    # Then S3 answers the Cache-Control the URL asked for (the revoked grant is the originals', not the thumbnails')
    assert (served.status_code, served.content) == (200, b"webp")
    assert served.headers["cache-control"] == f"private, max-age={TTL}, immutable"
