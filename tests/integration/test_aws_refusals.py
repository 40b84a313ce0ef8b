"""The three paths AWS refused while moto allowed them (issue 11): delete forever, the purge, "is the original there?".

Each test goes through the function's own code (`functions.<feature>`), so the IAM emulation of the `aws` fixture
enforces that function's deployed role; each also makes the refused call fail as AWS does (tests/aws_faults.py), so
it fails without the fix even where the emulation is off.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event

from functions.common.clients import aws_session
from functions.common.clock import fixed_clock
from functions.common.deletion import claim, delete_claimed
from functions.common.errors import NotFound, NotReady
from functions.common.models import AssetError, AssetStatus
from functions.common.repository import AssetRepository, candidate_for
from functions.common.repository.tooling import dynamodb_client, remove
from functions.common.storage import ObjectStore
from functions.gallery import logic as gallery_logic
from functions.gallery.models import BulkAction, BulkRequest, PatchRequest
from functions.purge.logic import purge
from functions.thumbnail.logic import Thumbnailer, process_event
from tests.api_events import FakeContext
from tests.aws_faults import batch_write_is_denied, head_of_missing_key_is_403, refusing
from tests.conftest import BUCKET
from tests.integration.purge_support import (
    api_asset,
    bucket_keys,
    gallery_at,
    purge_settings,
    record_ids,
    store_asset,
    unlimited_time,
)
from tests.thumbnail_support import created_event

DAY = timedelta(days=1)


@pytest.fixture
def strict(repository: AssetRepository, s3_client: Any) -> Iterator[None]:
    """BatchWriteItem denied and HeadObject of a missing key a 403, on the clients tests and handlers use."""

    def exists(key: str) -> bool:
        return any(
            item["Key"] == key for item in s3_client.list_objects_v2(Bucket=BUCKET, Prefix=key).get("Contents", [])
        )

    dynamodb_events = dynamodb_client(repository).meta.events
    with ExitStack() as stack:
        stack.enter_context(batch_write_is_denied(dynamodb_events))
        # The fixtures' S3 client, and every client our handlers build later from the shared botocore session.
        for events in (s3_client.meta.events, aws_session()):
            stack.enter_context(head_of_missing_key_is_403(events, exists))
        yield


# 1. Delete forever removes the record (per-item conditional DeleteItem, never BatchWriteItem)


def test_delete_forever_removes_the_record_and_it_cannot_come_back(repository, store, s3_client, now, strict):
    # Given a trashed asset with its objects
    trashed = api_asset(created_at=now - 5 * DAY, trashed_at=now - DAY)
    store_asset(repository, store, trashed)
    gallery = gallery_at(repository, store, now)

    # When its owner deletes it forever (DELETE /assets/{id})
    gallery_logic.delete_asset(owner=trashed.owner, asset_id=trashed.id, gallery=gallery)

    # Then record and objects are gone: a restore finds nothing
    assert record_ids(repository) == set()
    assert bucket_keys(s3_client) == set()
    with pytest.raises(NotFound):
        gallery_logic.patch_asset(
            owner=trashed.owner, asset_id=trashed.id, request=PatchRequest(trashed=False), gallery=gallery
        )


def test_bulk_delete_and_empty_trash_remove_their_records(repository, store, s3_client, now, strict):
    # Given three trashed assets
    assets = [api_asset(created_at=now - 5 * DAY, trashed_at=now - DAY) for _ in range(3)]
    for asset in assets:
        store_asset(repository, store, asset)
    gallery = gallery_at(repository, store, now)

    # When two are deleted in bulk and the trash is then emptied
    bulk = gallery_logic.bulk_action(
        owner="alice",
        request=BulkRequest(action=BulkAction.DELETE, ids=[a.id for a in assets[:2]]),
        gallery=gallery,
    )
    emptied = gallery_logic.empty_trash(owner="alice", gallery=gallery)

    # Then each reports its deletion and nothing is left
    assert [result.result for result in bulk.results] == ["ok", "ok"]
    assert emptied.deleted == 1
    assert record_ids(repository) == set()
    assert bucket_keys(s3_client) == set()


def test_a_record_no_longer_claimed_is_not_deleted_and_fails_its_asset(repository, store, now, strict):
    # Given one claimed asset and one whose record is not claimed (as if its claim had been undone)
    claimed_asset = api_asset(created_at=now - 90 * DAY, trashed_at=now - 31 * DAY)
    unclaimed = api_asset(created_at=now - 90 * DAY, trashed_at=now - 31 * DAY)
    for asset in (claimed_asset, unclaimed):
        store_asset(repository, store, asset)
    claimed = claim(candidate_for(claimed_asset), repository=repository, now=now)

    # When both go through the deletion of claimed assets
    result = delete_claimed([claimed.asset, unclaimed], repository=repository, store=store)

    # Then only the claimed record goes; the other is reported and kept
    assert [asset.id for asset in result.deleted] == [claimed_asset.id]
    assert "no longer claimed" in result.failed[unclaimed.id]
    assert record_ids(repository) == {unclaimed.id}


def test_a_record_already_gone_counts_as_deleted(repository, store, now, strict):
    # Given a claimed asset whose record a crashed run already deleted
    asset = api_asset(created_at=now - 90 * DAY, trashed_at=now - 31 * DAY)
    store_asset(repository, store, asset)
    claimed = claim(candidate_for(asset), repository=repository, now=now)
    remove(repository, asset.owner, asset.id)

    # When the deletion runs again / Then it succeeds
    result = delete_claimed([claimed.asset], repository=repository, store=store)
    assert ([a.id for a in result.deleted], result.failed) == ([asset.id], {})


# 2. The purge runs although uploads were abandoned, and one failing asset never stops the others


def scheduled_event(moment: datetime) -> dict[str, Any]:
    return {"detail-type": "Scheduled Event", "source": "aws.events", "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_an_abandoned_upload_does_not_stop_the_scheduled_purge(purge_environment, repository, store, now, strict):
    # Given an upload signed 25 hours ago and never made, and an asset trashed 31 days ago
    abandoned = api_asset(created_at=now - 25 * DAY / 24, status=AssetStatus.PENDING)
    store_asset(repository, store, abandoned, objects=False)
    expired = api_asset(created_at=now - 90 * DAY, trashed_at=now - 31 * DAY)
    store_asset(repository, store, expired)
    from functions.purge.handler import handler

    # When the scheduled purge runs
    result = handler(scheduled_event(now), FakeContext())

    # Then it completes: the abandoned upload and the expired trash are both gone
    assert (result["abandoned_removed"], result["purged"], result["failed"]) == (1, 1, 0)
    assert record_ids(repository) == set()


def test_one_asset_failing_in_the_sweep_and_one_in_the_purge_stop_nothing_else(
    purge_environment, repository, store, s3_client, now, capsys, strict
):
    # Given two uploads whose events were lost (one original cannot be copied: it is archived), two expired assets
    # (one record DynamoDB will refuse to delete) and an abandoned upload
    hour_ago = now - timedelta(hours=1)
    stuck, lost = (api_asset(created_at=hour_ago, status=AssetStatus.PENDING) for _ in range(2))
    for asset, storage_class in ((stuck, "GLACIER"), (lost, "STANDARD")):
        store_asset(repository, store, asset, objects=False)
        s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=b"bytes", StorageClass=storage_class)
    refused, expired = (api_asset(created_at=now - 90 * DAY, trashed_at=now - 31 * DAY) for _ in range(2))
    for asset in (refused, expired):
        store_asset(repository, store, asset)
    abandoned = api_asset(created_at=now - 2 * DAY, status=AssetStatus.PENDING)
    store_asset(repository, store, abandoned, objects=False)
    from functions.purge.handler import handler

    # When the scheduled purge runs
    dynamodb_events = dynamodb_client(repository).meta.events
    with refusing(
        dynamodb_events,
        "dynamodb",
        "TransactWriteItems",  # a record's delete is one transaction with its owner's usage
        code="ProvisionedThroughputExceededException",
        status=400,
        when=lambda params: any(
            item.get("Delete", {}).get("Key", {}).get("asset_id", {}).get("S") == refused.id
            for item in params["TransactItems"]
        ),
    ):
        result = handler(scheduled_event(now), FakeContext())

    # Then everything else was swept or purged, and the report and its metrics name the two failures
    assert (result["swept"], result["purged"], result["abandoned_removed"], result["failed"]) == (1, 1, 1, 2)
    assert sorted(reason.split(":")[0] for reason in result["failures"]) == sorted([stuck.id, refused.id])
    assert record_ids(repository) == {stuck.id, lost.id, refused.id}
    assert repository.get(refused.owner, refused.id).asset.deleting  # still claimed: the next run finishes it
    [emf] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert (emf["Failed"], emf["Swept"], emf["Purged"]) == ([2], [1], [1])


# 3. "Is the original there?" is a listing: HeadObject of a missing key is a 403 to our roles


def test_reprocess_of_an_asset_whose_original_never_arrived_is_not_stored(repository, store, now, strict):
    # Given a failed asset without an original (its upload never came)
    asset = api_asset(created_at=now - DAY, status=AssetStatus.FAILED)
    store_asset(repository, store, asset.model_copy(update={"error": AssetError(code="x", message="x")}), objects=False)

    # When its owner asks to reprocess it / Then it is 409 `not_stored`, not 503, and the asset is unchanged
    with pytest.raises(NotReady) as refused:
        gallery_logic.reprocess_asset(owner=asset.owner, asset_id=asset.id, gallery=gallery_at(repository, store, now))
    assert (refused.value.status, refused.value.code) == (409, "not_stored")
    assert repository.get(asset.owner, asset.id).asset.status == AssetStatus.FAILED


def test_the_purges_abandoned_upload_check_tells_missing_from_uploaded(repository, store, s3_client, now, strict):
    # Given two uploads signed two days ago: one never made, one made (its event was lost)
    never, made = (api_asset(created_at=now - 2 * DAY, status=AssetStatus.PENDING) for _ in range(2))
    for asset in (never, made):
        store_asset(repository, store, asset, objects=False)
    s3_client.put_object(Bucket=BUCKET, Key=made.original_key, Body=b"bytes")

    # When the purge runs
    report = purge(
        now=now,
        settings=purge_settings(),
        repository=repository,
        store=store,
        time_left_ms=unlimited_time,
    )

    # Then the missing one is removed and the uploaded one kept, without any failure
    assert (report.abandoned_removed, report.kept_uploaded, report.failed) == (1, 1, 0)
    assert record_ids(repository) == {made.id}


def test_an_event_for_an_original_deleted_since_is_missing_not_retried(repository, store, s3_client, now, strict):
    # Given a pending asset whose original arrived, then was deleted before its event was handled
    asset = api_asset(created_at=now, status=AssetStatus.PENDING)
    store_asset(repository, store, asset, objects=False)
    etag = s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=b"bytes")["ETag"]
    s3_client.delete_object(Bucket=BUCKET, Key=asset.original_key)
    thumbnailer = Thumbnailer(
        repository=repository, store=store, clock=fixed_clock(now), box=256, max_pixels=10**6, max_bytes=10**6
    )

    # When the event arrives / Then it is answered "missing" (not a 403 that Lambda would retry for ever)
    outcomes = process_event(S3Event(created_event(BUCKET, asset.original_key, etag)), thumbnailer=thumbnailer)
    assert outcomes == {asset.original_key: "missing"}
    assert repository.get(asset.owner, asset.id).asset.status == AssetStatus.PENDING


def test_re_announcing_a_missing_original_is_false_not_an_error(store: ObjectStore, strict: None) -> None:
    # Given no object at a key / When it is re-announced / Then there was nothing to announce
    assert store.rewrite_in_place("originals/alice/NEVER") is False
