"""The thumbnail pipeline on moto: events in, thumbnails and asset records out, safe under S3's delivery rules."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from PIL import Image

from functions.common.clock import fixed_clock
from functions.common.failures import TransientError
from functions.common.models import AssetStatus
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.thumbnail.imaging import Thumbnail, make_thumbnail
from functions.thumbnail.logic import RecordsFailed, Thumbnailer, process_event
from tests.conftest import BUCKET
from tests.crafted_images import corpus
from tests.imagegen import pixel
from tests.jpeg_bombs import progressive_jpeg, with_last_scan_repeated
from tests.thumbnail_support import created_event, image_bytes, new_asset, quadrants

OWNER = "alice"


@pytest.fixture
def idempotency_store(idempotency_table: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=idempotency_table)


class CountingMake:
    """The real thumbnail maker, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, data: bytes, **limits: Any) -> Thumbnail:
        self.calls += 1
        return make_thumbnail(data, **limits)


class FlakyStore(ObjectStore):
    """An object store whose reads fail like a throttled S3 while `failing` is set."""

    failing = True

    def read(self, key: str, *, etag: str | None = None) -> bytes:
        if self.failing:
            raise TransientError("SlowDown")
        return super().read(key, etag=etag)


@pytest.fixture
def make_counter() -> CountingMake:
    return CountingMake()


@pytest.fixture
def thumbnailer_for(
    repository: AssetRepository, store: ObjectStore, idempotency_store: DynamoDBPersistenceLayer, now: datetime
) -> Callable[..., Thumbnailer]:
    def build(**overrides: Any) -> Thumbnailer:
        values: dict[str, Any] = {
            "repository": repository,
            "store": store,
            "clock": fixed_clock(now + timedelta(minutes=1)),
            "box": 256,
            "max_pixels": 50_000_000,
            "max_bytes": 25 * 1024 * 1024,
            "idempotency_store": idempotency_store,
        }
        values.update(overrides)
        return Thumbnailer(**values)

    return build


def _upload(s3_client: Any, repository: AssetRepository, asset_id: str, body: bytes, now: datetime) -> str:
    """A pending asset and its original in the bucket; returns the original's eTag."""
    asset = repository.create(new_asset(OWNER, asset_id, now=now)).asset
    return str(s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=body, ContentType="image/jpeg")["ETag"])


def _event(asset_id: str, etag: str, **kwargs: Any) -> S3Event:
    return S3Event(created_event(BUCKET, f"originals/{OWNER}/{asset_id}", etag, **kwargs))


@dataclass(frozen=True)
class Processed:
    """An original processed once, by a thumbnailer whose maker counts the thumbnails it makes."""

    maker: CountingMake
    thumbnailer: Thumbnailer
    etag: str
    outcomes: dict[str, str]


def _processed(
    s3_client: Any,
    repository: AssetRepository,
    thumbnailer_for: Callable[..., Thumbnailer],
    asset_id: str,
    body: bytes,
    now: datetime,
) -> Processed:
    maker = CountingMake()
    thumbnailer = thumbnailer_for(make=maker)
    etag = _upload(s3_client, repository, asset_id, body, now)
    return Processed(maker, thumbnailer, etag, process_event(_event(asset_id, etag), thumbnailer=thumbnailer))


def test_new_original_becomes_ready_with_webp_thumbnail_and_recorded_facts(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given a pending asset whose 600x400 JPEG original just arrived
    body = image_bytes(quadrants(600, 400), "JPEG", quality=90)
    etag = _upload(s3_client, repository, "A1", body, now)

    # When the pipeline gets the ObjectCreated event
    outcomes = process_event(_event("A1", etag), thumbnailer=thumbnailer_for())

    # Then the thumbnail is a 256px WebP under thumbs/ with its content type, at the random key the asset records
    # (nothing in it names the owner or the asset), and the asset is ready with its facts
    assert outcomes == {"originals/alice/A1": "ready"}
    thumb_key = repository.get(OWNER, "A1").asset.thumb_key
    assert thumb_key is not None and re.fullmatch(r"thumbs/[A-Za-z0-9_-]{22}\.webp", thumb_key)
    thumb = s3_client.get_object(Bucket=BUCKET, Key=thumb_key)
    assert thumb["ContentType"] == "image/webp"
    picture = Image.open(io.BytesIO(thumb["Body"].read()))
    assert (picture.format, picture.size) == ("WEBP", (256, 171))
    asset = repository.get(OWNER, "A1").asset
    assert asset.status == AssetStatus.READY
    assert (asset.width, asset.height, asset.mime, asset.size) == (600, 400, "image/jpeg", len(body))
    import hashlib

    assert asset.sha256 == hashlib.sha256(body).hexdigest()
    assert asset.placeholder is not None
    assert asset.placeholder.color.startswith("#")
    assert len(asset.placeholder.blurhash) == 28
    # And nothing new was written under originals/ (the function can never trigger itself)
    keys = {item["Key"] for item in s3_client.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {"originals/alice/A1", thumb_key}


def test_key_with_spaces_and_plus_is_url_decoded(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given an asset id with a space and a plus, which S3 sends as `a+b%2Bc`
    etag = _upload(s3_client, repository, "a b+c", image_bytes(quadrants(), "PNG"), now)

    # When the event arrives
    outcomes = process_event(_event("a b+c", etag), thumbnailer=thumbnailer_for())

    # Then the right asset is found and finished
    assert outcomes == {"originals/alice/a b+c": "ready"}
    finished = repository.get(OWNER, "a b+c").asset
    assert finished.status == AssetStatus.READY and finished.thumb_key is not None
    assert s3_client.head_object(Bucket=BUCKET, Key=finished.thumb_key)["ContentType"] == "image/webp"


def test_poison_image_fails_the_asset_and_returns_normally(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given an original that is HTML pretending to be a JPEG
    etag = _upload(s3_client, repository, "P1", b"<html><script>alert(1)</script></html>", now)

    # When the pipeline runs, it returns (no exception, so Lambda does not retry)
    outcomes = process_event(_event("P1", etag), thumbnailer=thumbnailer_for())

    # Then the asset is failed with a stable code and no thumbnail exists
    assert outcomes == {"originals/alice/P1": "failed"}
    asset = repository.get(OWNER, "P1").asset
    assert asset.status == AssetStatus.FAILED
    assert asset.error is not None
    assert asset.error.code == "unsupported_media_type"
    assert s3_client.list_objects_v2(Bucket=BUCKET, Prefix="thumbs/").get("KeyCount") == 0


def test_object_over_the_size_limit_fails_without_being_read(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given an original larger than the limit, and a maker that would count any decode
    etag = _upload(s3_client, repository, "BIG", image_bytes(quadrants(), "PNG") + b"\0" * 4096, now)
    maker = CountingMake()

    # When the pipeline runs with a 1 KB limit
    process_event(_event("BIG", etag), thumbnailer=thumbnailer_for(max_bytes=1024, make=maker))

    # Then the asset failed on size alone
    asset = repository.get(OWNER, "BIG").asset
    assert asset.status == AssetStatus.FAILED
    assert asset.error is not None
    assert asset.error.code == "image_too_large"
    assert maker.calls == 0


def test_transient_error_is_raised_and_a_redelivery_then_succeeds(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given S3 throttles reads
    etag = _upload(s3_client, repository, "T1", image_bytes(quadrants(), "JPEG"), now)
    flaky = FlakyStore(BUCKET, client=s3_client)
    thumbnailer = thumbnailer_for(store=flaky)

    # When the event is processed, the error propagates (so Lambda retries) and the asset stays pending
    with pytest.raises(RecordsFailed) as failed:
        process_event(_event("T1", etag), thumbnailer=thumbnailer)
    assert isinstance(failed.value.failures["originals/alice/T1"], TransientError)
    assert repository.get(OWNER, "T1").asset.status == AssetStatus.PENDING

    # Then the same event delivered again (S3 recovered) is processed, not answered from the idempotency store
    flaky.failing = False
    assert process_event(_event("T1", etag), thumbnailer=thumbnailer) == {"originals/alice/T1": "ready"}


class FlakyForOneKey(ObjectStore):
    """An object store whose reads of one key fail like a throttled S3 while `failing` is set."""

    failing = True
    flaky_key = ""

    def read(self, key: str, *, etag: str | None = None) -> bytes:
        if self.failing and key == self.flaky_key:
            raise TransientError("SlowDown")
        return super().read(key, etag=etag)


def test_one_record_failing_never_costs_another_record_of_the_event_its_work(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given one event with two records, the first of which S3 throttles, and a maker that counts its thumbnails
    flaky_etag = _upload(s3_client, repository, "R1", image_bytes(quadrants(), "JPEG"), now)
    good_etag = _upload(s3_client, repository, "R2", image_bytes(quadrants(), "PNG"), now)
    event = created_event(BUCKET, f"originals/{OWNER}/R1", flaky_etag)
    event["Records"] += created_event(BUCKET, f"originals/{OWNER}/R2", good_etag)["Records"]
    flaky = FlakyForOneKey(BUCKET, client=s3_client)
    flaky.flaky_key = f"originals/{OWNER}/R1"
    maker = CountingMake()
    thumbnailer = thumbnailer_for(store=flaky, make=maker)

    # When it is processed, the event fails (so Lambda retries it) but only for the throttled record
    with pytest.raises(RecordsFailed) as failed:
        process_event(S3Event(event), thumbnailer=thumbnailer)
    assert list(failed.value.failures) == [f"originals/{OWNER}/R1"]
    assert repository.get(OWNER, "R1").asset.status == AssetStatus.PENDING
    assert repository.get(OWNER, "R2").asset.status == AssetStatus.READY

    # Then the retry of the same event redoes only the failed record
    flaky.failing = False
    outcomes = process_event(S3Event(event), thumbnailer=thumbnailer)
    assert outcomes == {f"originals/{OWNER}/R1": "ready", f"originals/{OWNER}/R2": "ready"}
    assert repository.get(OWNER, "R1").asset.status == AssetStatus.READY
    assert maker.calls == 2


def test_a_truncated_image_fails_its_asset_instead_of_the_invocation(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given a small JPEG whose header parses but whose scan is cut short (Pillow only notices in the encoder)
    noisy = Image.frombytes("RGB", (200, 150), bytes((i * 7919) % 251 for i in range(200 * 150 * 3)))
    data = image_bytes(noisy, "JPEG", quality=90)
    etag = _upload(s3_client, repository, "TR", data[: len(data) // 2], now)

    # When its event is processed
    outcomes = process_event(_event("TR", etag), thumbnailer=thumbnailer_for())

    # Then the asset is failed with the code of a broken image, and the invocation returns normally
    asset = repository.get(OWNER, "TR").asset
    assert outcomes == {f"originals/{OWNER}/TR": "failed"}
    assert asset.status == AssetStatus.FAILED
    assert asset.error is not None and asset.error.code == "invalid_image"


def test_a_scan_bomb_fails_its_asset_as_too_complex_without_a_retry(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given a progressive JPEG with 5,000 copies of one scan, uploaded through a presigned POST
    etag = _upload(s3_client, repository, "SB", with_last_scan_repeated(progressive_jpeg(), 5_000), now)

    # When its event is processed
    outcomes = process_event(_event("SB", etag), thumbnailer=thumbnailer_for())

    # Then the asset is failed with `image_too_complex` and the invocation returns normally (nothing to retry)
    asset = repository.get(OWNER, "SB").asset
    assert outcomes == {f"originals/{OWNER}/SB": "failed"}
    assert asset.error is not None and asset.error.code == "image_too_complex"


@pytest.mark.parametrize("name", ["png-64-ztxt-of-1mb", "avif-crop-64-of-4mp", "heif-grid-64-tiles"])
def test_a_crafted_file_fails_its_asset_as_too_complex_without_a_retry(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime, name: str
) -> None:
    # Given a crafted file (text-chunk bomb, crop of a far larger image, grid of far larger tiles), uploaded
    etag = _upload(s3_client, repository, "CF", corpus()[name].data, now)

    # When its event is processed
    outcomes = process_event(_event("CF", etag), thumbnailer=thumbnailer_for())

    # Then the asset is failed with `image_too_complex` and the invocation returns normally (nothing to retry)
    asset = repository.get(OWNER, "CF").asset
    assert outcomes == {f"originals/{OWNER}/CF": "failed"}
    assert asset.error is not None and asset.error.code == "image_too_complex"


def test_duplicate_event_does_the_work_once(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given an original processed once
    first = _processed(s3_client, repository, thumbnailer_for, "D1", image_bytes(quadrants(), "JPEG"), now)

    # When S3 delivers the very same event again, even after the asset was reset to pending
    stored = repository.get(OWNER, "D1")
    repository.replace(stored, stored.asset.model_copy(update={"status": AssetStatus.PENDING}))
    second = process_event(_event("D1", first.etag), thumbnailer=first.thumbnailer)

    # Then the second delivery returns the first outcome without decoding again
    assert first.outcomes == second == {"originals/alice/D1": "ready"}
    assert first.maker.calls == 1
    assert repository.get(OWNER, "D1").asset.status == AssetStatus.PENDING


def test_event_for_a_replaced_object_is_skipped(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given an event announcing bytes that have since been overwritten by other bytes
    old_etag = _upload(s3_client, repository, "S1", image_bytes(quadrants(), "JPEG"), now)
    s3_client.put_object(Bucket=BUCKET, Key="originals/alice/S1", Body=image_bytes(quadrants(90, 90), "PNG"))

    # When the stale event arrives
    outcomes = process_event(_event("S1", old_etag), thumbnailer=thumbnailer_for())

    # Then nothing is done for it: the newer object's own event will finish the asset
    assert outcomes == {"originals/alice/S1": "stale"}
    assert repository.get(OWNER, "S1").asset.status == AssetStatus.PENDING
    assert s3_client.list_objects_v2(Bucket=BUCKET, Prefix="thumbs/").get("KeyCount") == 0


def test_test_event_is_ignored(thumbnailer_for: Callable[..., Thumbnailer]) -> None:
    # Given the s3:TestEvent S3 sends when a notification is configured
    event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET, "RequestId": "r", "HostId": "h"}

    # When it reaches the pipeline
    outcomes = process_event(S3Event(event), thumbnailer=thumbnailer_for())

    # Then nothing is processed
    assert outcomes == {}


def test_object_without_a_pending_asset_is_removed_not_adopted(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer]
) -> None:
    # Given an object under originals/ that no asset asked for
    etag = s3_client.put_object(Bucket=BUCKET, Key="originals/alice/NOBODY", Body=image_bytes(quadrants(), "PNG"))[
        "ETag"
    ]

    # When its event arrives
    outcomes = process_event(_event("NOBODY", etag), thumbnailer=thumbnailer_for())

    # Then the object is deleted and no asset appears
    assert outcomes == {"originals/alice/NOBODY": "orphan_removed"}
    assert s3_client.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_ready_asset_is_not_redone_by_a_new_event(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given an asset already made ready
    ready = _processed(s3_client, repository, thumbnailer_for, "R1", image_bytes(quadrants(), "JPEG"), now)

    # When another delivery (a different event for the same bytes) arrives
    later = _event("R1", ready.etag, event_time="2026-11-21T13:00:00.000Z")
    outcomes = process_event(later, thumbnailer=ready.thumbnailer)

    # Then it is skipped
    assert outcomes == {"originals/alice/R1": "skipped"}
    assert ready.maker.calls == 1


def test_keys_outside_originals_are_ignored(s3_client: Any, thumbnailer_for: Callable[..., Thumbnailer]) -> None:
    # Given an event for a thumbnail key (as if the bucket notification were misconfigured)
    etag = s3_client.put_object(Bucket=BUCKET, Key="thumbs/alice/X.webp", Body=b"x")["ETag"]
    event = S3Event(created_event(BUCKET, "thumbs/alice/X.webp", etag))

    # When it reaches the pipeline
    outcomes = process_event(event, thumbnailer=thumbnailer_for())

    # Then it is ignored and the object stays
    assert outcomes == {"thumbs/alice/X.webp": "ignored"}
    assert s3_client.head_object(Bucket=BUCKET, Key="thumbs/alice/X.webp")["ContentLength"] == 1


# A presigned POST can be used again until it expires: the record must follow the bytes stored, not the first ones.


def _png(colour: tuple[int, int, int]) -> bytes:
    """An uncompressed PNG: the same size whatever the colour, as a reused POST (its size pinned) requires."""
    return image_bytes(Image.new("RGB", (64, 48), colour), "PNG", compress_level=0)


RED, BLUE = _png((220, 30, 30)), _png((30, 30, 220))
LATER = "2026-11-21T13:00:00.000Z"


def _post(s3_client: Any, asset_id: str, body: bytes) -> str:
    """Another POST of the same slot: other bytes, same key, size and type; returns the new eTag."""
    key = f"originals/{OWNER}/{asset_id}"
    return str(s3_client.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType="image/png")["ETag"])


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _thumb_pixel(s3_client: Any, repository: AssetRepository, asset_id: str) -> tuple[int, ...]:
    key = repository.get(OWNER, asset_id).asset.thumb_object_key
    body = s3_client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return pixel(Image.open(io.BytesIO(body)).convert("RGB"), (10, 10))


def test_a_second_post_of_other_bytes_onto_a_ready_asset_is_processed_in_full(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given an asset made ready from red bytes
    assert len(RED) == len(BLUE) and RED != BLUE
    thumbnailer = thumbnailer_for()
    process_event(_event("P1", _upload(s3_client, repository, "P1", RED, now)), thumbnailer=thumbnailer)
    before = repository.get(OWNER, "P1").asset

    # When the same slot is posted again with blue bytes of the same size and type, and its event arrives
    outcomes = process_event(_event("P1", _post(s3_client, "P1", BLUE), event_time=LATER), thumbnailer=thumbnailer)

    # Then the asset describes the blue bytes: sha256, size, mime, placeholder and thumbnail
    assert outcomes == {"originals/alice/P1": "ready"}
    after = repository.get(OWNER, "P1").asset
    assert after.status == AssetStatus.READY
    assert (after.sha256, after.size, after.mime) == (_sha256(BLUE), len(BLUE), "image/png")
    assert before.placeholder is not None and after.placeholder is not None
    assert after.placeholder.color != before.placeholder.color
    red_part, _, blue_part = _thumb_pixel(s3_client, repository, "P1")
    assert blue_part > 150 > red_part
    # And the blue thumbnail has a new key, while every version of the red one is gone
    assert before.thumb_key and after.thumb_key and after.thumb_key != before.thumb_key
    listed = s3_client.list_object_versions(Bucket=BUCKET, Prefix=before.thumb_key)
    assert not listed.get("Versions") and not listed.get("DeleteMarkers")
    # And duplicates are looked up by the bytes stored now
    assert [asset.id for asset in repository.with_sha256(OWNER, _sha256(BLUE))] == ["P1"]
    assert repository.with_sha256(OWNER, _sha256(RED)) == []


def test_another_delivery_of_the_same_object_is_a_no_op_without_any_s3_call(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given an asset made ready from its original
    ready = _processed(s3_client, repository, thumbnailer_for, "P2", RED, now)
    before = repository.get(OWNER, "P2")
    s3_calls: list[str] = []
    s3_client.meta.events.register("before-call.s3", lambda model, **_: s3_calls.append(model.name))

    # When a different event for the very same object arrives (not a re-sent one: the idempotency store misses)
    outcomes = process_event(_event("P2", ready.etag, event_time=LATER), thumbnailer=ready.thumbnailer)

    # Then nothing is read, rendered or written
    assert outcomes == {"originals/alice/P2": "skipped"}
    assert (s3_calls, ready.maker.calls) == ([], 1)
    assert repository.get(OWNER, "P2") == before


def test_the_late_event_of_the_replaced_bytes_changes_nothing(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given red bytes replaced by blue ones, the blue event handled first
    thumbnailer = thumbnailer_for()
    red_etag = _upload(s3_client, repository, "P3", RED, now)
    process_event(_event("P3", _post(s3_client, "P3", BLUE), event_time=LATER), thumbnailer=thumbnailer)

    # When the red event arrives late
    outcomes = process_event(_event("P3", red_etag), thumbnailer=thumbnailer)

    # Then it is stale and the record still describes the blue bytes
    assert outcomes == {"originals/alice/P3": "stale"}
    assert repository.get(OWNER, "P3").asset.sha256 == _sha256(BLUE)


def test_a_replacement_that_is_not_an_image_fails_and_forgets_the_previous_facts(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given a ready asset
    thumbnailer = thumbnailer_for()
    process_event(_event("P4", _upload(s3_client, repository, "P4", RED, now)), thumbnailer=thumbnailer)

    # When its slot is posted again with bytes of the same size that are no image
    junk = b"\x00" * len(RED)
    outcomes = process_event(_event("P4", _post(s3_client, "P4", junk), event_time=LATER), thumbnailer=thumbnailer)

    # Then it is failed, and nothing it records describes the red bytes any more
    assert outcomes == {"originals/alice/P4": "failed"}
    asset = repository.get(OWNER, "P4").asset
    assert asset.error is not None
    assert (asset.status, asset.error.code) == (AssetStatus.FAILED, "unsupported_media_type")
    assert (asset.sha256, asset.size, asset.width, asset.height, asset.placeholder) == (
        _sha256(junk),
        len(junk),
        None,
        None,
        None,
    )


def test_a_failed_asset_whose_slot_is_posted_again_with_an_image_becomes_ready(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given an asset failed on bytes that are no image
    thumbnailer = thumbnailer_for()
    process_event(_event("P5", _upload(s3_client, repository, "P5", b"\x00" * len(RED), now)), thumbnailer=thumbnailer)
    assert repository.get(OWNER, "P5").asset.status == AssetStatus.FAILED

    # When the slot is posted again with an image / Then the asset is ready from it
    outcomes = process_event(_event("P5", _post(s3_client, "P5", RED), event_time=LATER), thumbnailer=thumbnailer)
    assert outcomes == {"originals/alice/P5": "ready"}
    asset = repository.get(OWNER, "P5").asset
    assert (asset.sha256, asset.error) == (_sha256(RED), None)


def test_an_asset_recorded_without_an_etag_is_not_redone_for_the_same_bytes(
    s3_client: Any, repository: AssetRepository, thumbnailer_for: Callable[..., Thumbnailer], now: datetime
) -> None:
    # Given a ready asset recorded before eTags were kept (or whose eTag is not the bytes' MD5)
    ready = _processed(s3_client, repository, thumbnailer_for, "P6", RED, now)
    stored = repository.get(OWNER, "P6")
    repository.replace(stored, stored.asset.model_copy(update={"original_etag": None}))

    # When an event for the same bytes arrives
    outcomes = process_event(_event("P6", ready.etag, event_time=LATER), thumbnailer=ready.thumbnailer)

    # Then the bytes are compared, not rendered again, and the eTag is recorded for next time
    assert outcomes == {"originals/alice/P6": "ready"}
    assert ready.maker.calls == 1
    assert repository.get(OWNER, "P6").asset.original_etag == ready.etag.strip('"')
