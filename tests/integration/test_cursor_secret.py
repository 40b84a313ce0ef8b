"""The cursors' HMAC key on moto, as the gallery's role reaches it: created once by the first start, then only read."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devserver.iam.principal import acting_as
from functions.common.cursor_secret import cursor_secret
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.system import CURSOR_SECRET_KEY
from tests.api_events import FakeContext, http_event
from tests.builders import new_asset
from tests.conftest import BUCKET, fresh_collaborators


class CreatesAfter(ObjectStore):
    """A start whose conditional write reaches S3 only after `other` ran a whole start (a lost race, made exact)."""

    def __init__(self, store: ObjectStore, other: ObjectStore) -> None:
        super().__init__(store.bucket, client=store._s3)
        self.other = other
        self.other_got: bytes | None = None

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        self.other_got = cursor_secret(self.other)
        return super().create(key, body, content_type)


def stored_versions(s3_client: Any) -> list[dict[str, Any]]:
    return s3_client.list_object_versions(Bucket=BUCKET, Prefix=CURSOR_SECRET_KEY).get("Versions", [])


def test_two_first_starts_at_once_end_with_one_key(store: ObjectStore, s3_client: Any) -> None:
    # Given no key yet, and two gallery functions starting at once: both read before either writes
    first = ObjectStore(BUCKET, client=s3_client)
    second = CreatesAfter(store, other=first)

    # When both start, the second's conditional write arriving after the first's
    with acting_as("gallery"):
        second_got = cursor_secret(second)

    # Then the second's write failed (412) and it took the first's key: one key, one version, signing the same
    assert second_got == second.other_got
    assert len(second_got) == 32
    (version,) = stored_versions(s3_client)
    assert s3_client.get_object(Bucket=BUCKET, Key=CURSOR_SECRET_KEY)["Body"].read() == second_got
    assert version["IsLatest"]


def test_a_later_cold_start_reads_the_same_key_and_never_writes(store: ObjectStore, s3_client: Any) -> None:
    # Given a key created by an earlier start
    with acting_as("gallery"):
        created = cursor_secret(store)

    # When another start comes
    with acting_as("gallery"):
        again = cursor_secret(ObjectStore(BUCKET, client=s3_client))

    # Then it read the same key, and the object was written once
    assert again == created
    assert len(stored_versions(s3_client)) == 1


def test_the_gallery_role_cannot_overwrite_the_key(store: ObjectStore, s3_client: Any) -> None:
    # Given a stored key
    with acting_as("gallery"):
        cursor_secret(store)
        # When the role writes the key without If-None-Match / Then IAM refuses it
        with pytest.raises(ClientError) as refused:
            s3_client.put_object(Bucket=BUCKET, Key=CURSOR_SECRET_KEY, Body=b"x" * 32)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def call(handler: Any, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    response = handler(http_event("GET", path, **kwargs), FakeContext())
    return response["statusCode"], json.loads(response["body"] or "null")


def test_a_cursor_from_one_cold_start_pages_on_in_the_next(
    api_environment: None, repository: AssetRepository, now: datetime, s3_client: Any
) -> None:
    # Given three assets and the gallery function's first start, which creates the key and hands out a cursor
    from functions.gallery import handler

    for index in range(3):
        repository.create(new_asset(owner="alice", created_at=now.replace(second=index)))
    status, page = call(handler.handler, "/gallery", query={"limit": "2"})
    assert status == 200 and page["nextCursor"]

    # When the function starts cold again (its environment holds no key) and gets that cursor
    fresh_collaborators()
    status, rest = call(handler.handler, "/gallery", query={"limit": "2", "cursor": page["nextCursor"]})

    # Then the cursor is accepted: both starts signed with the one stored key
    assert status == 200, rest
    assert len(rest["items"]) == 1 and rest["nextCursor"] is None
    assert len(stored_versions(s3_client)) == 1
