"""Lost S3 events: the sweep of unfinished assets and `POST /assets/{id}/reprocess` re-trigger the pipeline."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event

from devserver.iam.principal import acting_as
from functions.common.clock import fixed_clock
from functions.common.errors import NotFailed, NotReady
from functions.common.models import AssetError, AssetStatus
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.common.sweep import MAX_RETRIGGERS, SweepResult, sweep_unfinished
from functions.gallery.logic import Gallery, reprocess_asset
from functions.system import ROUTES
from functions.thumbnail.logic import Thumbnailer, process_event
from tests.builders import new_gallery
from tests.conftest import BUCKET
from tests.thumbnail_support import image_bytes, new_asset, quadrants

OWNER = "bob"


@pytest.fixture
def notifications(s3_client: Any) -> Any:
    """The bucket's ObjectCreated notification on `originals/` into a queue, as the local server wires it."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="originals-created")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3_client.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "originals/"}]}},
                }
            ]
        },
    )

    def drain() -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return [event for event in events if event.get("Event") != "s3:TestEvent"]
            for message in messages:
                events.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    drain()
    return drain


def _thumbnailer(repository: AssetRepository, store: ObjectStore, now: datetime) -> Thumbnailer:
    return Thumbnailer(
        repository=repository, store=store, clock=fixed_clock(now), box=256, max_pixels=50_000_000, max_bytes=10**8
    )


def _gallery(repository: AssetRepository, store: ObjectStore, now: datetime) -> Gallery:
    return new_gallery(
        repository, store, fixed_clock(now), cursor_key=b"x" * 32, read_ttl_seconds=600, download_ttl_seconds=60
    )


def test_sweep_retriggers_old_pending_assets_whose_original_exists(
    s3_client: Any, repository: AssetRepository, store: ObjectStore, notifications: Any, now: datetime
) -> None:
    # Given an hour-old pending asset whose original arrived but whose event was lost
    old = now - timedelta(hours=1)
    lost = repository.create(new_asset(OWNER, "LOST", now=old)).asset
    s3_client.put_object(
        Bucket=BUCKET, Key=lost.original_key, Body=image_bytes(quadrants(), "PNG"), ContentType="image/png"
    )
    # and an hour-old pending asset never uploaded, a fresh pending one (its event may still come), a ready one
    repository.create(new_asset(OWNER, "NEVER", now=old))
    fresh = repository.create(new_asset(OWNER, "FRESH", now=now - timedelta(seconds=30))).asset
    s3_client.put_object(Bucket=BUCKET, Key=fresh.original_key, Body=b"x")
    done = repository.create(new_asset(OWNER, "DONE", now=old, status=AssetStatus.READY)).asset
    s3_client.put_object(Bucket=BUCKET, Key=done.original_key, Body=b"x")
    notifications()

    # When the sweep runs for assets pending longer than 5 minutes
    with acting_as("purge"):  # the scheduled purge runs the sweep
        swept = sweep_unfinished(now=now, repository=repository, store=store, older_than=timedelta(minutes=5))

    # Then only the lost one is announced again, same bytes and content type
    assert (swept.swept, swept.failed) == (1, {})
    events = notifications()
    keys = [unquote_plus(record["s3"]["object"]["key"]) for event in events for record in event["Records"]]
    assert keys == ["originals/bob/LOST"]
    assert s3_client.head_object(Bucket=BUCKET, Key=lost.original_key)["ContentType"] == "image/png"

    # And the same pipeline finishes it from that event
    outcomes = process_event(S3Event(events[0]), thumbnailer=_thumbnailer(repository, store, now))
    assert outcomes == {"originals/bob/LOST": "ready"}
    assert repository.get(OWNER, "LOST").asset.status == AssetStatus.READY


def _failed_with_original(
    s3_client: Any, repository: AssetRepository, asset_id: str, *, now: datetime, code: str
) -> None:
    """An asset whose thumbnail failed with `code`, its original (a real image) stored."""
    asset = repository.create(new_asset(OWNER, asset_id, now=now)).asset
    s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=image_bytes(quadrants(), "JPEG"))
    stored = repository.get(OWNER, asset_id)
    failure = {"status": AssetStatus.FAILED, "error": AssetError(code=code, message="it failed")}
    repository.replace(stored, stored.asset.model_copy(update=failure))


def test_reprocess_puts_a_failed_asset_back_to_processing_and_retriggers(
    s3_client: Any, repository: AssetRepository, store: ObjectStore, notifications: Any, now: datetime
) -> None:
    # Given an asset that failed (say a limit was too low then) with its original stored
    _failed_with_original(s3_client, repository, "F1", now=now, code="image_too_large")
    notifications()

    # When the owner asks to reprocess it
    shown = reprocess_asset(owner=OWNER, asset_id="F1", gallery=_gallery(repository, store, now))

    # Then it is `processing` without the old error, and S3 announced the original again
    assert shown.status == AssetStatus.PROCESSING
    assert shown.error is None
    events = notifications()
    assert len(events) == 1

    # And the pipeline finishes it from that new event
    outcomes = process_event(S3Event(events[0]), thumbnailer=_thumbnailer(repository, store, now))
    assert outcomes == {"originals/bob/F1": "ready"}


def test_a_reprocess_whose_event_was_lost_is_finished_by_the_sweep(
    s3_client: Any, repository: AssetRepository, store: ObjectStore, notifications: Any, now: datetime
) -> None:
    # Given a failed asset, reprocessed an hour ago, whose S3 event never reached the pipeline
    hour_ago = now - timedelta(hours=1)
    _failed_with_original(s3_client, repository, "R1", now=hour_ago - timedelta(days=1), code="timeout")
    reprocess_asset(owner=OWNER, asset_id="R1", gallery=_gallery(repository, store, hour_ago))
    notifications()  # lost
    # and one reprocessed a minute ago, whose event may still come
    recent = repository.create(new_asset(OWNER, "R2", now=hour_ago, status=AssetStatus.FAILED)).asset
    s3_client.put_object(Bucket=BUCKET, Key=recent.original_key, Body=image_bytes(quadrants(), "PNG"))
    reprocess_asset(owner=OWNER, asset_id="R2", gallery=_gallery(repository, store, now - timedelta(minutes=1)))
    notifications()

    # When the sweep runs for assets unfinished longer than 5 minutes
    with acting_as("purge"):  # the scheduled purge runs the sweep
        swept = sweep_unfinished(now=now, repository=repository, store=store, older_than=timedelta(minutes=5))

    # Then only the stuck one is announced again, and the pipeline finishes it
    events = notifications()
    assert (swept.swept, swept.failed) == (1, {})
    assert [unquote_plus(event["Records"][0]["s3"]["object"]["key"]) for event in events] == ["originals/bob/R1"]
    outcomes = process_event(S3Event(events[0]), thumbnailer=_thumbnailer(repository, store, now))
    assert outcomes == {"originals/bob/R1": "ready"}
    assert repository.get(OWNER, "R2").asset.status == AssetStatus.PROCESSING


def _pending_with_original(
    s3_client: Any, repository: AssetRepository, notifications: Any, asset_id: str, *, created: datetime
) -> None:
    """A pending asset whose original is stored but whose event was lost (the notification is drained)."""
    asset = repository.create(new_asset(OWNER, asset_id, now=created)).asset
    s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=image_bytes(quadrants(), "PNG"))
    notifications()


def _sweep(repository: AssetRepository, store: ObjectStore, now: datetime) -> SweepResult:
    with acting_as("purge"):  # the scheduled purge runs the sweep
        return sweep_unfinished(now=now, repository=repository, store=store, older_than=timedelta(minutes=5))


def test_an_asset_that_keeps_failing_its_retries_ends_failed_instead_of_being_retriggered_for_ever(
    s3_client: Any, repository: AssetRepository, store: ObjectStore, notifications: Any, now: datetime
) -> None:
    # Given an hour-old pending asset whose original is stored, and whose every event the pipeline fails to finish
    _pending_with_original(s3_client, repository, notifications, "STUCK", created=now - timedelta(hours=1))

    # When the sweep has re-triggered it as often as it may (the events are dropped: the pipeline keeps failing)
    for run in range(MAX_RETRIGGERS):
        assert (_sweep(repository, store, now + timedelta(hours=run)).swept, len(notifications())) == (1, 1)
    assert repository.get(OWNER, "STUCK").asset.retriggers == MAX_RETRIGGERS
    last = _sweep(repository, store, now + timedelta(hours=MAX_RETRIGGERS))

    # Then the next run marks it failed with `processing_failed`, announces nothing, and later runs leave it alone
    stuck = repository.get(OWNER, "STUCK").asset
    assert (last.swept, last.gave_up, last.failed) == (0, ["STUCK"], {})
    assert stuck.status == AssetStatus.FAILED
    assert stuck.error is not None and stuck.error.code == "processing_failed"
    assert notifications() == []
    assert _sweep(repository, store, now + timedelta(days=1)) == SweepResult()

    # And a reprocess starts over with the sweep's full allowance, and the pipeline finishing it resets the count
    reprocess_asset(owner=OWNER, asset_id="STUCK", gallery=_gallery(repository, store, now + timedelta(days=1)))
    assert repository.get(OWNER, "STUCK").asset.retriggers == 0
    events = notifications()
    assert process_event(S3Event(events[0]), thumbnailer=_thumbnailer(repository, store, now)) == {
        "originals/bob/STUCK": "ready"
    }


def test_an_asset_finished_after_a_retrigger_forgets_its_count(
    s3_client: Any, repository: AssetRepository, store: ObjectStore, notifications: Any, now: datetime
) -> None:
    # Given a pending asset whose lost event the sweep re-triggered once
    _pending_with_original(s3_client, repository, notifications, "ONCE", created=now - timedelta(hours=1))
    _sweep(repository, store, now)
    assert repository.get(OWNER, "ONCE").asset.retriggers == 1

    # When the pipeline finishes it from that event
    (event,) = notifications()
    process_event(S3Event(event), thumbnailer=_thumbnailer(repository, store, now))

    # Then it is ready and its count is back to zero
    finished = repository.get(OWNER, "ONCE").asset
    assert (finished.status, finished.retriggers) == (AssetStatus.READY, 0)


@pytest.mark.parametrize("status", [AssetStatus.READY, AssetStatus.PENDING, AssetStatus.PROCESSING])
def test_reprocess_refuses_assets_that_have_not_failed(
    s3_client: Any, repository: AssetRepository, store: ObjectStore, now: datetime, status: AssetStatus
) -> None:
    # Given an asset that has not failed
    asset = repository.create(new_asset(OWNER, "N1", now=now, status=status)).asset
    s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=b"x")

    # When reprocess is asked, Then it is a 409 `not_failed` and the asset is unchanged
    with pytest.raises(NotFailed) as refused:
        reprocess_asset(owner=OWNER, asset_id="N1", gallery=_gallery(repository, store, now))
    assert (refused.value.status, refused.value.code) == (409, "not_failed")
    assert repository.get(OWNER, "N1").asset.status == status


def test_reprocess_without_original_is_refused_and_stays_failed(
    repository: AssetRepository, store: ObjectStore, now: datetime
) -> None:
    # Given a failed asset that never had an original (a failed ingest)
    repository.create(new_asset(OWNER, "G1", now=now, status=AssetStatus.FAILED))

    # When reprocess is asked, Then it is refused and the asset stays failed
    with pytest.raises(NotReady):
        reprocess_asset(owner=OWNER, asset_id="G1", gallery=_gallery(repository, store, now))
    assert repository.get(OWNER, "G1").asset.status == AssetStatus.FAILED


def test_reprocess_route_is_in_the_shared_route_table() -> None:
    # Then API Gateway and the local server both route it to the gallery function with a JWT
    assert any(
        route.method == "POST" and route.path == "/assets/{id}/reprocess" and route.function == "gallery" and route.auth
        for route in ROUTES
    )
