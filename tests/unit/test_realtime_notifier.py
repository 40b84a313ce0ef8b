"""The notifier: stream records → messages to that owner's connections only; diffing, coalescing, Gone, failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from functions.common.clock import fixed_clock
from functions.common.models import Asset, AssetStatus
from functions.common.presenter import present
from functions.common.repository.tooling import stream_image
from functions.realtime import notifier as notifier_handler
from functions.realtime import notifier_wiring
from functions.realtime.notify import COALESCE_ABOVE, Notifier, StreamItem, notify
from functions.system import REALTIME_MAX_MESSAGE_BYTES
from tests.api_events import FakeContext
from tests.builders import new_asset
from tests.fakes import MemoryStore
from tests.realtime_fakes import MemoryConnections, RecordingPoster

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
_sequence = count(100000000000000000000)


def _record(event_name: str, *, old: Asset | None = None, new: Asset | None = None, version: int = 1) -> StreamItem:
    asset = new or old
    assert asset is not None
    raw: dict[str, Any] = {
        "Keys": {"owner": {"S": asset.owner}, "asset_id": {"S": asset.id}},
        "SequenceNumber": str(next(_sequence)),
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        raw["OldImage"] = stream_image(old, version=version)
    if new is not None:
        raw["NewImage"] = stream_image(new, version=version + (old is not None))
    return StreamItem(raw["SequenceNumber"], event_name, raw)


def _setup(**owners: list[str]) -> tuple[Notifier, MemoryConnections, RecordingPoster]:
    connections, poster = MemoryConnections(), RecordingPoster()
    for owner, ids in owners.items():
        for connection_id in ids:
            connections.put_connection(owner, connection_id, connected_ms=0, expires_at=2_000_000_000)
    notifier = Notifier(
        connections=connections, poster=poster, store=MemoryStore(), clock=fixed_clock(NOW), read_ttl_seconds=3600
    )
    return notifier, connections, poster


def _asset(owner: str = "alice", minutes: int = 0, **fields: Any) -> Asset:
    return new_asset(created_at=NOW - timedelta(minutes=60 - minutes), owner=owner, **fields)


def test_a_new_asset_reaches_every_connection_of_its_owner_only_as_get_shows_it() -> None:
    # Given alice with two connections and bob with one
    notifier, _, poster = _setup(alice=["a1", "a2"], bob=["b1"])
    asset = _asset(status=AssetStatus.PENDING)
    item = _record("INSERT", new=asset)
    # When alice's asset is created
    assert notify([item], notifier=notifier) == []
    # Then both of alice's connections get asset.created with the asset as GET /assets/{id} returns it; bob nothing
    expected = {
        "type": "asset.created",
        "asset": present(asset, by=notifier).model_dump(mode="json", by_alias=True),
        "version": item.sequence_number,
    }
    assert poster.to("a1") == poster.to("a2") == [expected]
    assert poster.to("b1") == []


def test_a_status_change_is_an_update_with_signed_urls() -> None:
    notifier, _, poster = _setup(alice=["a1"])
    before = _asset(status=AssetStatus.PROCESSING)
    after = before.model_copy(
        update={"status": AssetStatus.READY, "updated_at": NOW, "preview_key": "thumbs/RandomPreview.webp"}
    )
    notify([_record("MODIFY", old=before, new=after)], notifier=notifier)
    [message] = poster.to("a1")
    assert message["type"] == "asset.updated"
    assert message["asset"]["status"] == "ready"
    assert message["asset"]["thumbUrl"].startswith("https://media.invalid/thumbs/")
    # The preview (#17) too, as GET /assets/{id} shows it, never its key
    assert message["asset"]["previewUrl"].startswith("https://media.invalid/thumbs/RandomPreview.webp")
    assert "previewKey" not in message["asset"]


def test_a_change_nobody_sees_sends_nothing() -> None:
    # Given a change of only what GET never shows (a deletion claim, a sweep's re-trigger count)
    notifier, _, poster = _setup(alice=["a1"])
    before = _asset()
    claimed = before.model_copy(update={"deleting": True, "retriggers": 2})
    # When it is streamed
    assert notify([_record("MODIFY", old=before, new=claimed)], notifier=notifier) == []
    # Then nothing is posted
    assert poster.posts == []


def test_a_removed_asset_is_announced_deleted_by_id() -> None:
    notifier, _, poster = _setup(alice=["a1"])
    asset = _asset()
    item = _record("REMOVE", old=asset)
    notify([item], notifier=notifier)
    assert poster.to("a1") == [{"type": "asset.deleted", "id": asset.id, "version": item.sequence_number}]


def test_internal_items_of_an_owner_make_no_message() -> None:
    # Given a stream record of alice's in-flight item (no asset id as its sort key)
    notifier, _, poster = _setup(alice=["a1"])
    raw = {
        "Keys": {"owner": {"S": "alice"}, "asset_id": {"S": "#ingests"}},
        "NewImage": {"owner": {"S": "alice"}, "asset_id": {"S": "#ingests"}, "ingest_slots": {"SS": ["x"]}},
        "SequenceNumber": "7",
    }
    # When it is streamed, then it is neither a failure nor a message
    assert notify([StreamItem("7", "MODIFY", raw)], notifier=notifier) == []
    assert poster.posts == []


def test_a_burst_of_one_owner_is_coalesced_into_one_message_listing_ids() -> None:
    # Given alice's bulk action on more assets than the threshold, and one change of bob
    notifier, _, poster = _setup(alice=["a1"], bob=["b1"])
    assets = [_asset(minutes=i) for i in range(COALESCE_ABOVE + 1)]
    items = [_record("MODIFY", old=a, new=a.model_copy(update={"starred": True})) for a in assets]
    bobs = _asset(owner="bob")
    items.append(_record("INSERT", new=bobs))
    # When the batch is notified
    notify(items, notifier=notifier)
    # Then alice gets one assets.changed with every id; bob his own event
    assert poster.to("a1") == [{"type": "assets.changed", "ids": [a.id for a in assets]}]
    assert [m["type"] for m in poster.to("b1")] == ["asset.created"]


def test_up_to_the_threshold_each_asset_gets_its_own_message_and_repeats_collapse() -> None:
    notifier, _, poster = _setup(alice=["a1"])
    asset = _asset(status=AssetStatus.PROCESSING)
    ready = asset.model_copy(update={"status": AssetStatus.READY})
    items = [_record("INSERT", new=asset), _record("MODIFY", old=asset, new=ready)]
    items += [_record("INSERT", new=_asset(minutes=i + 1)) for i in range(COALESCE_ABOVE - 1)]
    notify(items, notifier=notifier)
    messages = poster.to("a1")
    assert len(messages) == COALESCE_ABOVE
    # created then changed in one batch: one asset.created with its latest state and version
    assert messages[0]["type"] == "asset.created"
    assert messages[0]["asset"]["status"] == "ready"
    assert messages[0]["version"] == items[1].sequence_number


def test_a_gone_connection_is_forgotten_and_the_others_still_get_the_message() -> None:
    # Given alice with a connection API Gateway says is gone, and a live one
    notifier, connections, poster = _setup(alice=["gone", "live"])
    poster.gone.add("gone")
    # When her asset changes
    assert notify([_record("INSERT", new=_asset())], notifier=notifier) == []
    # Then the gone connection is deleted, the live one got the message
    assert connections.connections["alice"].keys() == {"live"}
    assert len(poster.to("live")) == 1


def test_a_failed_delivery_fails_only_that_owners_records() -> None:
    # Given bob's connection failing (throttled), alice's fine
    notifier, _, poster = _setup(alice=["a1"], bob=["b1"])
    poster.failing.add("b1")
    alices, bobs = _record("INSERT", new=_asset()), _record("INSERT", new=_asset(owner="bob"))
    # When both are notified
    failed = notify([alices, bobs], notifier=notifier)
    # Then only bob's record is reported for retry
    assert failed == [bobs.sequence_number]
    assert len(poster.to("a1")) == 1


def test_an_unreadable_record_fails_alone() -> None:
    notifier, _, poster = _setup(alice=["a1"])
    asset = _asset()
    broken = _record("INSERT", new=asset)
    broken.stream_record["NewImage"]["doc"] = {"S": "{not json"}
    good = _record("INSERT", new=_asset(minutes=1))
    assert notify([broken, good], notifier=notifier) == [broken.sequence_number]
    assert len(poster.to("a1")) == 1


def test_reading_the_connections_failing_fails_the_owners_records() -> None:
    notifier, connections, _ = _setup(alice=["a1"])
    connections.down = True
    item = _record("INSERT", new=_asset())
    assert notify([item], notifier=notifier) == [item.sequence_number]


def test_nobody_connected_signs_nothing_and_posts_nothing() -> None:
    notifier, _, poster = _setup()
    assert notify([_record("INSERT", new=_asset())], notifier=notifier) == []
    assert poster.posts == []


def test_an_asset_too_large_for_a_frame_is_sent_as_its_id() -> None:
    # Given an asset whose prompt alone is larger than API Gateway's frame limit
    notifier, _, poster = _setup(alice=["a1"])
    asset = _asset(prompt="p" * REALTIME_MAX_MESSAGE_BYTES)
    # When it is created
    notify([_record("INSERT", new=asset)], notifier=notifier)
    # Then the message names it for the client to fetch, and every post fits a frame
    assert poster.to("a1") == [{"type": "assets.changed", "ids": [asset.id]}]
    assert all(len(data) <= REALTIME_MAX_MESSAGE_BYTES for _, data in poster.posts)


def test_a_huge_burst_is_split_into_messages_under_the_frame_limit() -> None:
    from functions.realtime.notify import _ids_messages

    ids = [f"{i:026d}" for i in range(10_000)]
    messages = list(_ids_messages(ids))
    assert len(messages) > 1
    assert all(len(data) <= REALTIME_MAX_MESSAGE_BYTES for data in messages)
    assert [i for data in messages for i in json.loads(data)["ids"]] == ids


@pytest.fixture
def handler_notifier() -> Any:
    notifier, _, poster = _setup(alice=["a1"])
    notifier_wiring.collaborators.use(notifier)
    yield poster
    notifier_wiring.collaborators.reset()


def test_the_handler_takes_the_lambda_stream_event_and_reports_batch_item_failures(handler_notifier: Any) -> None:
    # Given a Lambda DynamoDB stream event with a good and an unreadable record
    poster = handler_notifier
    good = _record("INSERT", new=_asset())
    broken = _record("INSERT", new=_asset(minutes=1))
    broken.stream_record["NewImage"]["status"] = {"S": "no-such-status"}
    event = {
        "Records": [
            {
                "eventID": str(i),
                "eventName": item.event_name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": dict(item.stream_record),
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026",
            }
            for i, item in enumerate((good, broken))
        ]
    }
    # When the handler runs
    answer = notifier_handler.handler(event, FakeContext())
    # Then the broken one is reported by its sequence number, the good one was posted
    assert answer == {"batchItemFailures": [{"itemIdentifier": broken.sequence_number}]}
    assert len(poster.to("a1")) == 1
