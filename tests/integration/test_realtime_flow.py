"""Real time on moto: a ticket opens a connection of its owner; stream records of the asset table become posts to
that owner's connections only, through botocore's `apigatewaymanagementapi` client; gone connections are removed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from functions.common.models import AssetStatus
from functions.common.repository import AssetRepository
from functions.common.repository.connections import ConnectionRepository
from functions.realtime import authorizer, connections, notifier
from functions.realtime import handler as ticket_route
from functions.realtime.notify import COALESCE_ABOVE
from functions.system import REALTIME_TICKET_PARAMETER
from tests.api_events import FakeContext, decoded, http_event
from tests.builders import new_asset
from tests.conftest import CONNECTIONS_TABLE, NOW, TABLE, function_environment
from tests.realtime_support import Connections, StreamPoller, connections_endpoint, enable_stream

WSS = "wss://abc123.execute-api.us-east-1.amazonaws.com/live"
CONTEXT: Any = FakeContext()


@pytest.fixture
def realtime(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[StreamPoller, Connections]]:
    """The connections table, the asset table's stream, a loopback @connections, and the functions' environment."""
    ConnectionRepository(CONNECTIONS_TABLE).create_table()
    enable_stream(TABLE)
    with connections_endpoint() as (endpoint, state):
        yield from (
            (StreamPoller(TABLE), state)
            for _ in function_environment(
                monkeypatch,
                CONNECTIONS_TABLE_NAME=CONNECTIONS_TABLE,
                REALTIME_URL=WSS,
                AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI=endpoint,
            )
        )


def _ticket(owner: str) -> str:
    status, body = decoded(ticket_route.handler(http_event("POST", "/realtime/ticket", sub=owner), CONTEXT))
    assert status == 201
    assert body["url"].startswith(WSS + "?")
    return parse_qs(urlsplit(body["url"]).query)[REALTIME_TICKET_PARAMETER][0]


def _authorize(ticket: str, connection_id: str) -> dict[str, Any]:
    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/live/$connect",
        "headers": {},
        "queryStringParameters": {REALTIME_TICKET_PARAMETER: ticket},
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": connection_id},
    }
    return authorizer.handler(event, CONTEXT)


def _route(route: str, owner: str, connection_id: str) -> dict[str, Any]:
    event = {
        "requestContext": {
            "routeKey": route,
            "eventType": route.strip("$").upper(),
            "connectionId": connection_id,
            "connectedAt": int(time.time() * 1000),  # the notifier's clock is the real one
            "authorizer": {"owner": owner, "principalId": owner},
            "stage": "live",
            "apiId": "abc123",
        },
        "isBase64Encoded": False,
    }
    return connections.handler(event, CONTEXT)


def _connect(owner: str, connection_id: str) -> None:
    answer = _authorize(_ticket(owner), connection_id)
    assert answer["context"] == {"owner": owner}
    assert _route("$connect", answer["context"]["owner"], connection_id) == {"statusCode": 200}


def _deliver(poller: StreamPoller) -> dict[str, Any]:
    return notifier.handler(poller.next_event(), CONTEXT)


def test_a_ticket_connects_its_owner_once(realtime: tuple[StreamPoller, Connections]) -> None:
    # Given a ticket of alice
    ticket = _ticket("alice")
    # When $connect presents it twice
    first = _authorize(ticket, "c1")
    # Then the first is alice's, the replay is refused (API Gateway's 401)
    assert first["principalId"] == "alice"
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        _authorize(ticket, "c2")


def test_each_owner_hears_only_of_their_own_assets(
    realtime: tuple[StreamPoller, Connections], repository: AssetRepository
) -> None:
    # Given alice (two tabs) and bob connected
    poller, endpoint = realtime
    _connect("alice", "alice-1")
    _connect("alice", "alice-2")
    _connect("bob", "bob-1")
    # When alice's upload is created, then becomes ready; and bob's asset is deleted
    pending = new_asset(created_at=NOW, owner="alice", status=AssetStatus.PROCESSING)
    stored = repository.create(pending)
    repository.replace(stored, pending.model_copy(update={"status": AssetStatus.READY}))
    bobs = repository.create(new_asset(created_at=NOW, owner="bob"))
    repository.delete(bobs)
    # And the stream is delivered
    assert _deliver(poller) == {"batchItemFailures": []}
    # Then both of alice's tabs heard of her asset, ready, with signed URLs; bob only of his own
    for tab in ("alice-1", "alice-2"):
        [message] = endpoint.received[tab]
        assert message["type"] == "asset.created"
        assert (message["asset"]["id"], message["asset"]["status"]) == (pending.id, "ready")
        assert "X-Amz-Signature=" in message["asset"]["url"]
        assert "X-Amz-Signature=" in message["asset"]["thumbUrl"]
        assert int(message["version"]) > 0
    assert [m["type"] for m in endpoint.received["bob-1"]] == ["asset.deleted"]
    assert endpoint.received["bob-1"][0]["id"] == bobs.asset.id


def test_a_message_shows_the_asset_as_get_does(
    realtime: tuple[StreamPoller, Connections], repository: AssetRepository
) -> None:
    # Given alice connected and one of her assets starred
    from functions.gallery import handler as gallery

    poller, endpoint = realtime
    _connect("alice", "tab")
    stored = repository.create(new_asset(created_at=NOW, owner="alice", prompt="a fox"))
    _deliver(poller)
    repository.replace(stored, stored.asset.model_copy(update={"starred": True}))
    # When the change is delivered, and the asset read with GET
    _deliver(poller)
    _, shown = decoded(gallery.handler(http_event("GET", f"/assets/{stored.asset.id}", sub="alice"), CONTEXT))
    # Then the update holds the same asset (signed URLs aside: signed at another moment)
    update = endpoint.received["tab"][-1]
    assert update["type"] == "asset.updated"
    unsigned = {"url", "thumbUrl"}
    assert {k: v for k, v in update["asset"].items() if k not in unsigned} == {
        k: v for k, v in shown.items() if k not in unsigned
    }


def test_a_gone_connection_is_removed_and_a_disconnected_one_hears_nothing(
    realtime: tuple[StreamPoller, Connections], repository: AssetRepository
) -> None:
    # Given three of alice's connections: one API Gateway says is gone, one that disconnected, one open
    poller, endpoint = realtime
    for connection_id in ("gone", "left", "open"):
        _connect("alice", connection_id)
    endpoint.gone.add("gone")
    assert _route("$disconnect", "alice", "left") == {"statusCode": 200}
    # When one of her assets is created
    repository.create(new_asset(created_at=NOW, owner="alice"))
    assert _deliver(poller) == {"batchItemFailures": []}
    # Then only the open one heard it, and the gone one is forgotten
    assert set(endpoint.received) == {"open"}
    assert ConnectionRepository(CONNECTIONS_TABLE).connections_of("alice", now=int(time.time())) == ["open"]


def test_a_burst_is_one_message_and_internal_items_are_none(
    realtime: tuple[StreamPoller, Connections], repository: AssetRepository
) -> None:
    # Given alice connected
    poller, endpoint = realtime
    _connect("alice", "tab")
    # When more assets than the threshold are created at once, and her in-flight ingest item changes
    created = [repository.create(new_asset(created_at=NOW, owner="alice")) for _ in range(COALESCE_ABOVE + 2)]
    assert repository.take_ingest_slot("alice", created[0].asset.id, cap=5)
    assert _deliver(poller) == {"batchItemFailures": []}
    # Then one message lists them all, and nothing came of the internal item
    assert endpoint.received["tab"] == [{"type": "assets.changed", "ids": [s.asset.id for s in created]}]


def test_the_connections_table_is_created_as_the_stack_defines_it(realtime: tuple[StreamPoller, Connections]) -> None:
    import boto3

    from functions.common.repository.schema import CONNECTIONS_TABLE as SCHEMA
    from functions.common.repository.schema import CONNECTIONS_TTL_ATTRIBUTE
    from tests.table_support import assert_table_is_schema

    client = boto3.client("dynamodb")
    assert_table_is_schema(client.describe_table(TableName=CONNECTIONS_TABLE)["Table"], SCHEMA)
    ttl = client.describe_time_to_live(TableName=CONNECTIONS_TABLE)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", CONNECTIONS_TTL_ATTRIBUTE)


def test_deleting_forever_through_the_gallery_is_one_deleted_event(
    realtime: tuple[StreamPoller, Connections], repository: AssetRepository
) -> None:
    # Given alice connected, and one of her assets in the trash (its creation already delivered)
    from functions.gallery import handler as gallery

    poller, endpoint = realtime
    _connect("alice", "tab")
    trashed = repository.create(new_asset(created_at=NOW, owner="alice", trashed_at=NOW)).asset
    _deliver(poller)
    # When she deletes it forever (a deletion claim, then the record's removal)
    status, _ = decoded(gallery.handler(http_event("DELETE", f"/assets/{trashed.id}", sub="alice"), CONTEXT))
    assert status == 204
    assert _deliver(poller) == {"batchItemFailures": []}
    # Then the claim, which GET never shows, sent nothing, and the removal one asset.deleted
    assert [m["type"] for m in endpoint.received["tab"]] == ["asset.created", "asset.deleted"]
    assert endpoint.received["tab"][-1]["id"] == trashed.id
