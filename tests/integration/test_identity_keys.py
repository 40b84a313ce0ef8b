"""Any sub on moto: its keys fit DynamoDB and S3, its gallery pages, its originals get thumbnails, others see none."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event

from devserver.iam.principal import acting_as
from functions.common.clock import fixed_clock
from functions.common.identity import MAX_SUB_BYTES
from functions.common.models import AssetStatus, AssetType
from functions.common.repository import AssetRepository
from functions.common.repository.shares import owner_shares_partition, share_partition, token_partition
from functions.common.storage import ObjectStore
from functions.common.sweep import sweep_unfinished
from functions.thumbnail.logic import Thumbnailer, process_event
from tests.api_events import FakeContext, http_event
from tests.builders import new_asset
from tests.conftest import BUCKET
from tests.thumbnail_support import created_event, image_bytes, quadrants
from tests.thumbnail_support import new_asset as pending_asset

# Owners whose keys met or broke before identities were encoded, and the longest ones in bytes.
SUBS = [
    "team#alice",
    "team/alice",
    "team",
    "a b+c%2F",
    "ünïcödé ☃",
    "x" * 255,
    "é" * 127,
    "😀" * 63,
    "\x01" * 255,
]
ASSET_ID = "01JD0000000000000000000000"


@pytest.fixture
def handlers(api_environment: None, idempotency_table: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """The thumbnail and gallery handlers with fresh settings and clients inside this test's moto."""
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", idempotency_table)
    from functions.gallery import handler as gallery
    from functions.thumbnail import handler as thumbnail

    return thumbnail.handler, gallery.handler


def call(handler: Any, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    response = handler(http_event(method, path, **kwargs), FakeContext())
    return response["statusCode"], json.loads(response["body"] or "null")


def every_page(gallery: Any, sub: str, query: dict[str, str]) -> list[str]:
    """The ids of a view, one item a page, following each page's cursor."""
    found: list[str] = []
    cursor: str | None = None
    while True:
        status, page = call(
            gallery, "GET", "/gallery", sub=sub, query=query | {"limit": "1"} | ({"cursor": cursor} if cursor else {})
        )
        assert status == 200, page
        found += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            return found


def test_each_owner_pages_through_its_own_views_and_sees_no_one_elses(
    handlers: tuple[Any, Any], repository: AssetRepository, now: datetime
) -> None:
    # Given three assets of each owner: one starred and generated, one in the trash, one plain
    _, gallery = handlers
    mine: dict[str, dict[str, list[str]]] = {}
    for index, sub in enumerate(SUBS):
        moment = now + timedelta(minutes=index)
        starred = new_asset(
            owner=sub, created_at=moment, starred=True, asset_type=AssetType.GENERATED, sha256="ab" * 32
        )
        plain = new_asset(owner=sub, created_at=moment + timedelta(seconds=1), sha256="ab" * 32)
        trashed = new_asset(owner=sub, created_at=moment + timedelta(seconds=2))
        trashed = trashed.model_copy(update={"trashed_at": moment, "purge_at": moment + timedelta(days=30)})
        for asset in (starred, plain, trashed):
            repository.create(asset)
        mine[sub] = {"all": [plain.id, starred.id], "trash": [trashed.id], "starred": [starred.id]}

    for sub in SUBS:
        # When each owner pages through its views one item at a time
        views = {view: every_page(gallery, sub, {"view": view}) for view in ("all", "trash", "starred")}
        generated = every_page(gallery, sub, {"view": "starred", "assetType": "generated"})

        # Then every cursor came back accepted, and each view holds the owner's own assets only
        assert views == mine[sub], sub
        assert generated == mine[sub]["starred"]
        assert {asset.owner for asset in repository.with_sha256(sub, "ab" * 32)} == {sub}


@pytest.mark.parametrize("sub", SUBS)
def test_an_original_of_any_owner_gets_its_thumbnail(
    handlers: tuple[Any, Any], repository: AssetRepository, s3_client: Any, now: datetime, sub: str
) -> None:
    # Given a pending asset whose original arrived, and the event S3 sends for it (its key URL-encoded)
    thumbnail, gallery = handlers
    asset = repository.create(pending_asset(sub, ASSET_ID, now=now)).asset
    etag = s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=image_bytes(quadrants(), "PNG"))["ETag"]

    # When the thumbnail function handles the event
    answer = thumbnail(created_event(BUCKET, asset.original_key, etag), FakeContext())

    # Then the asset is ready with its thumbnail stored at the key it records, and only its owner sees it
    assert answer == {"outcomes": {asset.original_key: "ready"}}
    ready = repository.get(sub, ASSET_ID).asset
    assert ready.status == AssetStatus.READY and ready.thumb_key is not None
    assert s3_client.head_object(Bucket=BUCKET, Key=ready.thumb_key)["ContentType"] == "image/webp"
    assert call(gallery, "GET", f"/assets/{ASSET_ID}", sub=sub)[0] == 200
    other = "team#alice" if sub == "team" else "team"
    assert call(gallery, "GET", f"/assets/{ASSET_ID}", sub=other)[0] == 404


def test_a_sub_that_is_not_valid_text_is_refused_as_unauthenticated(handlers: tuple[Any, Any]) -> None:
    # Given a token whose subject holds a lone surrogate (JSON can carry `\ud800`; no key can hold it)
    _, gallery = handlers
    # When it lists the gallery, Then it is a 401, not a crash
    status, problem = call(gallery, "GET", "/gallery", sub="team\ud800")
    assert (status, problem["code"]) == (401, "unauthorized")


@pytest.mark.parametrize("sub", ["team/alice", "a b+c%2F", "é" * 127])
def test_a_lost_event_is_announced_again_by_s3_and_finishes_under_the_functions_grants(
    s3_client: Any, repository: AssetRepository, store: ObjectStore, now: datetime, sub: str
) -> None:
    # Given S3's ObjectCreated notifications into a queue, and an hour-old pending asset whose event was lost
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="originals-created")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3_client.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    asset = repository.create(pending_asset(sub, ASSET_ID, now=now - timedelta(hours=1))).asset
    s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=image_bytes(quadrants(), "PNG"))
    sqs.purge_queue(QueueUrl=queue_url)

    # When the scheduled sweep copies the original onto itself, and S3 announces it (its key URL-encoded)
    with acting_as("purge"):
        swept = sweep_unfinished(now=now, repository=repository, store=store, older_than=timedelta(minutes=5))
    bodies = [json.loads(message["Body"]) for message in sqs.receive_message(QueueUrl=queue_url)["Messages"]]
    (event,) = [body for body in bodies if "Records" in body]
    thumbnailer = Thumbnailer(
        repository=repository, store=store, clock=fixed_clock(now), box=256, max_pixels=50_000_000, max_bytes=10**8
    )
    with acting_as("thumbnail"):
        outcomes = process_event(S3Event(event), thumbnailer=thumbnailer)

    # Then the thumbnail function found the owner and the asset in that key, and finished it
    assert swept.swept == 1
    assert outcomes == {asset.original_key: "ready"}
    assert repository.get(sub, ASSET_ID).asset.status == AssetStatus.READY


def test_no_subject_the_api_accepts_can_name_a_share_partition(handlers: Any) -> None:
    # Given the partitions of a share, its link and an owner's list of shares (share items sit in the asset table)
    _, gallery = handlers
    partitions = (share_partition("01J"), token_partition("ab"), owner_shares_partition("alice"))
    # Then each is longer than any subject the API accepts, so no owner's own partition (its sub) can be one of them
    assert all(len(partition.encode()) > MAX_SUB_BYTES for partition in partitions)
    # And a token whose subject is one of them is refused before any key is built
    for partition in partitions:
        status, problem = call(gallery, "GET", "/gallery", sub=partition)
        assert (status, problem["code"]) == (401, "unauthorized")
