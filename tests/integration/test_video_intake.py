"""Videos coming in (#16) on moto, each path under its function's role: the kind on the record and its indexes, the
`kind` filter (one Query per page in every view), sign's limits, the direct upload of a tiny video, and the paths
that handle an original by its key (delete forever, purge, reprocess, download, sign-read) for a `videos/` key.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from devserver.iam.principal import acting_as
from functions.common.deletion import object_keys
from functions.common.errors import InvalidCursor
from functions.common.formats import AssetKind
from functions.common.models import Asset, AssetError, AssetStatus, View
from functions.common.repository import AssetRepository
from functions.common.repository.tooling import backfill_kinds, dynamodb_client
from functions.common.storage import ObjectStore
from functions.common.sweep import sweep_unfinished
from functions.gallery import logic
from functions.purge.logic import purge
from tests.api_events import FakeContext, decoded, http_event, multipart
from tests.builders import new_asset, new_gallery, trash
from tests.conftest import BUCKET, TABLE
from tests.fakes import Ticking
from tests.integration.purge_support import bucket_keys, purge_settings, store_asset, unlimited_time

MIB = 1024 * 1024


def tiny_mp4() -> bytes:
    """An `ftyp` box (major brand isom) and a small `mdat`: enough for sniffing, not for decoding."""
    ftyp = (24).to_bytes(4, "big") + b"ftyp" + b"isom" + (512).to_bytes(4, "big") + b"isom" + b"mp41"
    return ftyp + (24).to_bytes(4, "big") + b"mdat" + bytes(16)


@pytest.fixture
def gallery(repository: AssetRepository, store: ObjectStore, now: datetime) -> logic.Gallery:
    return new_gallery(repository, store, Ticking(now))


@pytest.fixture
def items_read(repository: AssetRepository) -> Iterator[list[int]]:
    """The items each DynamoDB Query reads (ScannedCount); a Scan fails the test."""
    counts: list[int] = []

    def count(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            counts.append(int(parsed.get("ScannedCount", 0)))
        assert model.name != "Scan", "the gallery must never Scan"

    client = dynamodb_client(repository)
    client.meta.events.register("after-call.dynamodb", count)
    yield counts
    client.meta.events.unregister("after-call.dynamodb", count)


def video(created_at: datetime, **fields: Any) -> Asset:
    return new_asset(created_at=created_at, kind=AssetKind.VIDEO, mime="video/mp4", **fields)


def raw_item(asset: Asset) -> dict[str, Any]:
    key = {"owner": {"S": asset.owner}, "asset_id": {"S": asset.id}}
    return dict(boto3.client("dynamodb").get_item(TableName=TABLE, Key=key)["Item"])


# The kind on the record


def test_the_kind_is_an_item_attribute_and_the_video_facts_round_trip(repository: AssetRepository, now: Any) -> None:
    # Given a ready video with what the video function records
    facts = {"duration_ms": 12_345, "video_codec": "h264", "has_audio": False, "playable": True, "width": 1280}
    made = video(now, starred=True, **facts)
    # When it is stored and read back
    repository.create(made)
    item, back = raw_item(made), repository.get("alice", made.id).asset
    # Then `kind` and the per-kind index keys are attributes, the facts are in the document, and nothing is lost
    assert item["kind"] == {"S": "video"}
    assert item["view_kind_pk"] == {"S": "alice#all#k#video"}
    assert item["starred_kind_pk"] == {"S": "alice#starred#k#video"}
    assert json.loads(item["doc"]["S"])["has_audio"] is False
    assert back == made


def test_an_item_written_before_kinds_existed_reads_as_an_image(repository: AssetRepository, now: Any) -> None:
    # Given an image item as written before #16: no `kind`, no per-kind index keys
    image = new_asset(created_at=now, mime="image/png")
    repository.create(image)
    item = {
        name: value
        for name, value in raw_item(image).items()
        if name not in {"kind", "view_kind_pk", "starred_kind_pk"}
    }
    boto3.client("dynamodb").put_item(TableName=TABLE, Item=item)
    # When it is read
    back = repository.get("alice", image.id).asset
    # Then it is an image under originals/
    assert back.kind is AssetKind.IMAGE
    assert back.original_key == f"originals/alice/{image.id}"


def test_the_backfill_gives_old_items_their_kind_keys_once(gallery: logic.Gallery, repository: AssetRepository) -> None:
    # Given three images written before kinds existed (one starred), and a video written since
    legacy = [new_asset(created_at=gallery.clock(), starred=number == 1) for number in range(3)]
    for asset in legacy:
        gallery.repository.create(asset)
        item = {k: v for k, v in raw_item(asset).items() if k not in {"kind", "view_kind_pk", "starred_kind_pk"}}
        boto3.client("dynamodb").put_item(TableName=TABLE, Item=item)
    gallery.repository.create(video(gallery.clock()))

    def images(view: View) -> list[str]:
        page = logic.list_gallery(
            owner="alice", view=view, asset_type=None, limit=10, cursor=None, kind=AssetKind.IMAGE, gallery=gallery
        )
        return [item.id for item in page.items]

    assert images(View.ALL) == []
    # When the backfill runs, twice
    written = [backfill_kinds(repository), backfill_kinds(repository)]
    # Then the old items are listed by kind, in every view, and only they were written, once, versions unchanged
    assert written == [3, 0]
    assert images(View.ALL) == [asset.id for asset in reversed(legacy)]
    assert images(View.STARRED) == [legacy[1].id]
    assert {raw_item(asset)["version"]["N"] for asset in legacy} == {"1"}


# The kind filter


@pytest.mark.parametrize("view", [View.ALL, View.STARRED, View.TRASH])
def test_the_kind_filter_is_one_query_per_page_in_every_view(
    gallery: logic.Gallery, items_read: list[int], view: View
) -> None:
    # Given 7 videos and 5 images, interleaved, all in the view (and another user's video)
    made: list[Asset] = []
    for number in range(12):
        build = video if number in (0, 2, 3, 5, 7, 8, 10) else new_asset
        asset = build(created_at=gallery.clock(), starred=view == View.STARRED)
        gallery.repository.create(asset)
        made.append(asset)
    gallery.repository.create(video(gallery.clock(), owner="bob"))
    if view == View.TRASH:
        trash(gallery, "alice", made)
    items_read.clear()
    for kind, count in ((AssetKind.VIDEO, 7), (AssetKind.IMAGE, 5)):
        # When the view of one kind is paged 3 at a time
        pages: list[list[str]] = []
        cursor: str | None = None
        reads_before = len(items_read)
        while True:
            page = logic.list_gallery(
                owner="alice", view=view, asset_type=None, limit=3, cursor=cursor, kind=kind, gallery=gallery
            )
            pages.append([item.id for item in page.items])
            assert all(item.kind is kind for item in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        # Then the pages hold exactly that kind, newest (or most recently trashed) first, each one Query of at most 4
        expected = [asset.id for asset in reversed(made) if asset.kind is kind]
        assert [asset_id for page_ids in pages for asset_id in page_ids] == expected
        assert len(expected) == count
        reads = items_read[reads_before:]
        assert len(reads) == len(pages) and all(read <= 4 for read in reads)


def test_a_cursor_of_one_kind_is_refused_for_the_other(gallery: logic.Gallery) -> None:
    # Given a first page of videos with more to come
    for _ in range(3):
        gallery.repository.create(video(gallery.clock()))
    first = logic.list_gallery(
        owner="alice", view=View.ALL, asset_type=None, limit=1, cursor=None, kind=AssetKind.VIDEO, gallery=gallery
    )
    assert first.next_cursor
    # When its cursor is used for images, or without a kind
    for kind in (AssetKind.IMAGE, None):
        # Then it is not a cursor of that query (its position belongs to another partition)
        with pytest.raises(InvalidCursor):
            logic.list_gallery(
                owner="alice",
                view=View.ALL,
                asset_type=None,
                limit=1,
                cursor=first.next_cursor,
                kind=kind,
                gallery=gallery,
            )


@pytest.fixture
def handlers(api_environment: None) -> dict[str, Any]:
    from functions.gallery import handler as gallery
    from functions.sign import handler as sign
    from functions.upload import handler as upload

    return {"gallery": gallery.handler, "sign": sign.handler, "upload": upload.handler}


def call(handler: Any, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    if "json" in kwargs:
        kwargs["body"] = json.dumps(kwargs.pop("json"))
        kwargs["headers"] = {"content-type": "application/json"}
    return decoded(handler(http_event(method, path, **kwargs), FakeContext()))


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "movie"},
        {"kind": "video", "assetType": "generated"},
        {"kind": "image", "folderId": "01KBAAAAAAAAAAAAAAAAAAAAAA"},
    ],
)
def test_a_bad_kind_or_one_combined_with_a_type_or_folder_is_a_422(
    handlers: dict[str, Any], query: dict[str, str]
) -> None:
    # Given / When
    status, body = call(handlers["gallery"], "GET", "/gallery", query=query)
    # Then
    assert (status, body["code"]) == (422, "validation_error")


def test_the_gallery_route_lists_by_kind_and_shows_the_video_fields(
    handlers: dict[str, Any], repository: AssetRepository, now: Any
) -> None:
    # Given a ready video and an image
    clip = video(now, duration_ms=4_000, video_codec="vp9", has_audio=True, playable=True, thumb_key="thumbs/p.webp")
    repository.create(clip)
    repository.create(new_asset(created_at=now + timedelta(seconds=1), mime="image/png"))
    # When videos are listed
    status, body = call(handlers["gallery"], "GET", "/gallery", query={"kind": "video"})
    # Then only the video comes, with its kind, facts, poster and a URL of its original under videos/
    assert status == 200
    (item,) = body["items"]
    assert (item["id"], item["kind"], item["durationMs"], item["videoCodec"]) == (clip.id, "video", 4_000, "vp9")
    assert (item["hasAudio"], item["playable"]) == (True, True)
    assert f"/videos/alice/{clip.id}" in item["url"] and "/thumbs/p.webp" in item["thumbUrl"]


# Sign


def test_a_declared_video_is_signed_under_videos_with_key_type_and_size_pinned(handlers: dict[str, Any]) -> None:
    # Given / When a 50 MB MP4 is declared
    status, body = call(handlers["sign"], "POST", "/uploads/sign", json={"contentType": "video/mp4", "size": 50 * MIB})
    # Then the pending asset is a video whose key is under videos/, and the policy pins key, type and size
    assert status == 201, body
    asset, fields = body["asset"], body["upload"]["fields"]
    assert (asset["kind"], asset["status"], asset["mime"]) == ("video", "pending", "video/mp4")
    assert fields["key"] == f"videos/alice/{asset['id']}"
    conditions = json.loads(base64.b64decode(fields["policy"]))["conditions"]
    assert ["eq", "$key", fields["key"]] in conditions
    assert ["eq", "$Content-Type", "video/mp4"] in conditions
    assert ["content-length-range", 50 * MIB, 50 * MIB] in conditions


@pytest.mark.parametrize(
    ("content_type", "size", "says"),
    [
        ("video/webm", 100 * MIB + 1, "POST /uploads/multipart"),
        ("video/quicktime", 2048 * MIB + 1, f"at most {2048 * MIB}"),
        ("image/png", 25 * MIB + 1, f"at most {25 * MIB}"),
    ],
)
def test_sign_refuses_sizes_over_the_kinds_limit_or_the_multipart_threshold(
    handlers: dict[str, Any], s3_client: Any, content_type: str, size: int, says: str
) -> None:
    # Given / When
    status, body = call(handlers["sign"], "POST", "/uploads/sign", json={"contentType": content_type, "size": size})
    # Then a 422 that says why, and no asset was created
    assert (status, body["code"]) == (422, "validation_error")
    assert says in body["detail"]
    _, listed = call(handlers["gallery"], "GET", "/gallery")
    assert listed["items"] == []


# The direct upload


def test_a_tiny_video_uploaded_directly_is_stored_under_videos_as_processing(
    handlers: dict[str, Any], s3_client: Any
) -> None:
    # Given a tiny MP4 sent under a misleading name and type
    data = tiny_mp4()
    body, header = multipart({"prompt": "a clip"}, {"file": ("clip.png", data, "image/png")})
    event = http_event("POST", "/uploads", body=body, headers={"content-type": header}, binary=True)
    # When
    status, answer = decoded(handlers["upload"](event, FakeContext()))
    # Then a video, its type and size from the bytes, `processing` until the video function reads it
    assert status == 201, answer
    assert (answer["kind"], answer["mime"], answer["status"]) == ("video", "video/mp4", "processing")
    assert answer["size"] == len(data)
    assert answer["width"] is None and answer["sha256"]
    stored = s3_client.get_object(Bucket=BUCKET, Key=f"videos/alice/{answer['id']}")
    assert (stored["Body"].read(), stored["ContentType"]) == (data, "video/mp4")
    assert s3_client.list_objects_v2(Bucket=BUCKET, Prefix="originals/")["KeyCount"] == 0
    # And the same bytes again are its duplicate
    again = decoded(handlers["upload"](event, FakeContext()))[1]
    assert (again["id"], again["duplicate"]) == (answer["id"], True)


# Paths that handle the original by its key


def test_delete_forever_removes_every_version_of_a_videos_original(
    gallery: logic.Gallery, store: ObjectStore, s3_client: Any
) -> None:
    # Given a trashed video whose original was written twice (two versions) and its poster
    clip = video(gallery.clock(), thumb_key="thumbs/poster.webp")
    gallery.repository.create(clip)
    for body in (b"one", b"two"):
        store.write(clip.original_key, body, "video/mp4")
    store.write("thumbs/poster.webp", b"webp", "image/webp")
    trash(gallery, "alice", [clip])
    # When it is deleted forever (the gallery's role)
    logic.delete_asset(owner="alice", asset_id=clip.id, gallery=gallery)
    # Then no version of either object is left
    versions = s3_client.list_object_versions(Bucket=BUCKET)
    assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []


def test_the_purge_removes_an_expired_video_and_keeps_an_arrived_video_upload(
    repository: AssetRepository, store: ObjectStore, s3_client: Any, now: datetime
) -> None:
    # Given an expired trashed video, and two video uploads pending for 25 h: one whose bytes did arrive
    expired = video(now - timedelta(days=40), trashed_at=now - timedelta(days=31), thumb_key="thumbs/old.webp")
    expired = expired.model_copy(update={"purge_at": now - timedelta(days=1)})
    arrived = video(now - timedelta(hours=25, seconds=1), status=AssetStatus.PENDING)
    abandoned = video(now - timedelta(hours=25), status=AssetStatus.PENDING)
    store_asset(repository, store, expired)
    store_asset(repository, store, arrived, objects=False)
    store.write(arrived.original_key, b"bytes", "video/mp4")
    store_asset(repository, store, abandoned, objects=False)
    assert expired.original_key.startswith("videos/")
    # When the purge runs (its role)
    report = purge(now=now, settings=purge_settings(), repository=repository, store=store, time_left_ms=unlimited_time)
    # Then the expired video and its objects are gone, the arrived upload is kept for the sweep, the other removed
    assert (report.purged, report.kept_uploaded, report.abandoned_removed) == (1, 1, 1)
    assert bucket_keys(s3_client) == {arrived.original_key}
    assert not set(object_keys(expired)) & bucket_keys(s3_client)


def test_a_failed_video_is_reprocessed_by_a_copy_of_its_original_onto_itself(
    gallery: logic.Gallery, store: ObjectStore, s3_client: Any
) -> None:
    # Given a failed video whose original is stored
    clip = video(gallery.clock(), status=AssetStatus.FAILED, error=AssetError(code="video_unreadable", message="x"))
    gallery.repository.create(clip)
    store.write(clip.original_key, b"bytes", "video/mp4")
    # When it is reprocessed (the gallery's role: list, then copy onto itself)
    shown = logic.reprocess_asset(owner="alice", asset_id=clip.id, gallery=gallery)
    # Then it is processing and S3 holds a new version of the same key (the announcement the video function gets)
    assert shown.status == AssetStatus.PROCESSING
    versions = s3_client.list_object_versions(Bucket=BUCKET, Prefix=clip.original_key)["Versions"]
    assert len(versions) == 2


def test_download_and_sign_read_of_a_video_sign_its_videos_key(
    handlers: dict[str, Any], repository: AssetRepository, now: Any
) -> None:
    # Given a ready video
    clip = video(now, thumb_key="thumbs/p.webp", filename="clip.mp4")
    repository.create(clip)
    # When its download and a read URL of its original are asked for
    download = handlers["gallery"](http_event("GET", f"/assets/{clip.id}/download"), FakeContext())
    status, signed = call(handlers["sign"], "POST", "/assets/sign-read", json={"ids": [clip.id], "variant": "original"})
    # Then both are presigned GETs of the videos/ key
    assert download["statusCode"] == 302
    assert f"/videos/alice/{clip.id}" in download["headers"]["Location"]
    assert status == 200 and f"/videos/alice/{clip.id}" in signed["urls"][clip.id]["url"]


def test_the_sweep_re_announces_a_video_whose_upload_event_was_lost(
    repository: AssetRepository, store: ObjectStore, s3_client: Any, now: datetime
) -> None:
    # Given a video upload pending for an hour whose bytes arrived (its S3 event was lost)
    lost = video(now - timedelta(hours=1), status=AssetStatus.PENDING)
    repository.create(lost)
    store.write(lost.original_key, b"video bytes", "video/mp4")
    # When the scheduled purge's sweep runs (its role: list, read, copy onto itself)
    with acting_as("purge"):
        swept = sweep_unfinished(now=now, repository=repository, store=store, older_than=timedelta(minutes=5))
    # Then its videos/ original was copied onto itself (a new version: the event the video function gets), unchanged
    assert (swept.swept, swept.failed) == (1, {})
    versions = s3_client.list_object_versions(Bucket=BUCKET, Prefix=lost.original_key)["Versions"]
    assert len(versions) == 2
    assert s3_client.head_object(Bucket=BUCKET, Key=lost.original_key)["ContentType"] == "video/mp4"
