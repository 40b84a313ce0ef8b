"""The purge Lambda handler: EventBridge time as the clock, the Lambda's remaining time, EMF metrics."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.api_events import FakeContext
from tests.integration.purge_support import new_asset, record_ids, store_asset


def test_handler_purges_as_of_the_event_time_and_emits_metrics(purge_environment, repository, store, now, capsys):
    # Given an asset trashed on `now`, and a scheduled event 30 days and 1 second later
    asset = new_asset(created_at=now - timedelta(days=1), trashed_at=now)
    store_asset(repository, store, asset)
    event_time = now + timedelta(days=30, seconds=1)
    event = {
        "version": "0",
        "id": "e1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }
    from functions.purge.handler import handler

    # When the handler runs
    result = handler(event, FakeContext())

    # Then the asset is purged and one EMF document carries the counts in our namespace
    assert result["purged"] == 1 and result["failed"] == 0
    assert record_ids(repository) == set()
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [emf] = [doc for doc in documents if "Purged" in doc]
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "GalleryTest"
    assert (emf["Examined"], emf["Purged"], emf["SkippedRestored"], emf["Failed"]) == ([1], [1], [0], [0])
    assert emf["TimeLeft"][0] > 0


def test_handler_keeps_an_item_one_second_short_of_the_retention(purge_environment, repository, store, now):
    # Given an asset trashed on `now`, and a scheduled event 30 days minus 1 second later
    asset = new_asset(created_at=now - timedelta(days=1), trashed_at=now)
    store_asset(repository, store, asset)
    event = {"time": (now + timedelta(days=30, seconds=-1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "detail": {}}
    from functions.purge.handler import handler

    # When the handler runs / Then the asset stays
    assert handler(event, FakeContext())["purged"] == 0
    assert record_ids(repository) == {asset.id}


def test_scheduled_run_sweeps_uploads_whose_event_was_lost(purge_environment, repository, store, now):
    # Given an upload pending for 25 hours whose original did arrive (its S3 event was lost)
    from functions.common.models import AssetStatus
    from functions.purge.handler import handler

    asset = new_asset(created_at=now - timedelta(hours=25), status=AssetStatus.PENDING)
    store_asset(repository, store, asset, objects=False)
    store.write(asset.original_key, b"bytes", "image/png")
    before = store.head(asset.original_key)
    event = {
        "version": "0",
        "id": "e3",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }

    # When the scheduled job runs
    result = handler(event, FakeContext())

    # Then the upload is re-announced to the thumbnail pipeline instead of being removed as abandoned
    assert result["swept"] == 1
    assert result["kept_uploaded"] == 1
    assert result["abandoned_removed"] == 0
    assert asset.id in record_ids(repository)
    after = store.head(asset.original_key)
    assert after is not None
    assert after["ContentType"] == "image/png"
    assert before is not None
