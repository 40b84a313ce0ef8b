"""Tickets and the `$connect` side: single use, expiry, bound to the caller; the authorizer allows or refuses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from functions.common.clock import fixed_clock
from functions.common.settings import RealtimeTicketSettings, load_settings
from functions.realtime import authorizer, authorizer_wiring, connections, connections_wiring, presence, tickets
from functions.realtime.tickets import Tickets, digest, issue_ticket, redeem_ticket
from functions.system import REALTIME_CONNECTION_MAX_SECONDS, REALTIME_TICKET_PARAMETER, REALTIME_TICKET_TTL_SECONDS
from tests.api_events import FakeContext
from tests.realtime_fakes import MemoryConnections

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
URL = "wss://abc.execute-api.us-east-1.amazonaws.com/live"


@pytest.fixture
def lambda_context() -> Iterator[FakeContext]:
    """A context for the handlers; the collaborators they were given are dropped afterwards."""
    yield FakeContext()
    for collaborators in (authorizer_wiring.collaborators, connections_wiring.collaborators):
        collaborators.reset()


def _tickets(store: MemoryConnections, moment: datetime = NOW) -> Tickets:
    return Tickets(tickets=store, clock=fixed_clock(moment), realtime_url=URL)


def _ticket_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)[REALTIME_TICKET_PARAMETER][0]


def test_a_ticket_is_a_url_of_the_websocket_api_valid_for_about_a_minute() -> None:
    # Given a store
    store = MemoryConnections()
    # When alice asks for a ticket
    issued = issue_ticket(owner="alice", tickets=_tickets(store))
    # Then the URL is the WebSocket API's with a long random ticket, stored only hashed, for alice
    assert issued.url.startswith(URL + "?ticket=")
    value = _ticket_of(issued.url)
    assert len(value) >= 43  # 256 bits
    assert value not in str(store.tickets)
    assert store.tickets[digest(value)][0] == "alice"
    assert issued.expires_at == NOW + timedelta(seconds=REALTIME_TICKET_TTL_SECONDS)
    assert issued.model_dump(mode="json", by_alias=True)["expiresAt"] == "2026-11-21T12:01:00.000Z"


def test_two_tickets_differ() -> None:
    store = MemoryConnections()
    first, second = (issue_ticket(owner="alice", tickets=_tickets(store)) for _ in range(2))
    assert _ticket_of(first.url) != _ticket_of(second.url)


def test_a_ticket_opens_one_connection_only_and_names_its_owner() -> None:
    # Given a ticket issued to alice
    store = MemoryConnections()
    value = _ticket_of(issue_ticket(owner="alice", tickets=_tickets(store)).url)
    # When it is redeemed twice
    first = redeem_ticket(ticket=value, tickets=_tickets(store))
    second = redeem_ticket(ticket=value, tickets=_tickets(store))
    # Then only the first gets alice
    assert (first, second) == ("alice", None)


def test_an_expired_ticket_is_refused() -> None:
    store = MemoryConnections()
    value = _ticket_of(issue_ticket(owner="alice", tickets=_tickets(store)).url)
    late = NOW + timedelta(seconds=REALTIME_TICKET_TTL_SECONDS)
    assert redeem_ticket(ticket=value, tickets=_tickets(store, late)) is None
    assert redeem_ticket(ticket=value, tickets=_tickets(store, late - timedelta(seconds=1))) == "alice"


def test_the_ticket_route_keeps_the_contract_minute_unless_its_environment_shortens_it() -> None:
    # Given the ticket route's environment as the stack and the local server give it (no lifetime variable)
    environ = {"ASSET_TABLE_NAME": "t", "MEDIA_BUCKET_NAME": "b", "CONNECTIONS_TABLE_NAME": "c", "REALTIME_URL": URL}
    # When its settings are read, then a ticket lives the contract's minute
    assert load_settings(RealtimeTicketSettings, environ).ticket_ttl_seconds == REALTIME_TICKET_TTL_SECONDS == 60
    # And a test's environment may shorten it, never lengthen it
    shorter = load_settings(RealtimeTicketSettings, {**environ, "REALTIME_TICKET_TTL_SECONDS": "5"})
    assert shorter.ticket_ttl_seconds == 5
    with pytest.raises(ValidationError):
        load_settings(RealtimeTicketSettings, {**environ, "REALTIME_TICKET_TTL_SECONDS": "61"})
    # And a ticket issued under the shorter lifetime expires after it
    store = MemoryConnections()
    short = Tickets(tickets=store, clock=fixed_clock(NOW), realtime_url=URL, ttl_seconds=shorter.ticket_ttl_seconds)
    value = _ticket_of(issue_ticket(owner="alice", tickets=short).url)
    assert redeem_ticket(ticket=value, tickets=_tickets(store, NOW + timedelta(seconds=5))) is None


@pytest.mark.parametrize("value", [None, "", "not-a-ticket", "x" * 5000])
def test_missing_unknown_or_oversized_tickets_are_refused(value: str | None) -> None:
    assert redeem_ticket(ticket=value, tickets=_tickets(MemoryConnections())) is None


def _authorizer_event(ticket: str | None) -> dict[str, Any]:
    arn = "arn:aws:execute-api:us-east-1:000000000000:abc/live/$connect"
    query = {} if ticket is None else {REALTIME_TICKET_PARAMETER: ticket}
    return {
        "type": "REQUEST",
        "methodArn": arn,
        "headers": {},
        "queryStringParameters": query or None,
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "c1", "apiId": "abc"},
    }


def test_the_authorizer_allows_a_valid_ticket_with_its_owner_in_the_context(lambda_context: Any) -> None:
    # Given a ticket of alice, and the authorizer using the same store
    store = MemoryConnections()
    authorizer_wiring.collaborators.use(_tickets(store))
    value = _ticket_of(issue_ticket(owner="alice", tickets=_tickets(store)).url)
    # When $connect presents it, then again
    event = _authorizer_event(value)
    answer = authorizer.handler(event, lambda_context)
    # Then the first is allowed for this connect only, with alice as context; the replay is Unauthorized (401)
    assert answer["principalId"] == "alice"
    assert answer["context"] == {"owner": "alice"}
    assert answer["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
    ]
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.handler(event, lambda_context)


@pytest.mark.parametrize("value", [None, "forged"])
def test_the_authorizer_refuses_without_a_valid_ticket(value: str | None, lambda_context: Any) -> None:
    authorizer_wiring.collaborators.use(_tickets(MemoryConnections()))
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.handler(_authorizer_event(value), lambda_context)


def _route_event(route: str, owner: str | None, connection_id: str = "c1") -> dict[str, Any]:
    context: dict[str, Any] = {
        "routeKey": route,
        "eventType": "CONNECT" if route == "$connect" else "DISCONNECT",
        "connectionId": connection_id,
        "connectedAt": 1_700_000_000_000,
        "stage": "live",
        "apiId": "abc",
    }
    if owner:
        context["authorizer"] = {"owner": owner, "principalId": owner}
    return {"requestContext": context, "isBase64Encoded": False}


def test_connect_remembers_the_connection_for_two_hours_and_disconnect_forgets_it(lambda_context: Any) -> None:
    # Given the connections handler over a store
    store = MemoryConnections()
    connections_wiring.collaborators.use(store)  # type: ignore[arg-type]
    # When alice connects
    assert connections.handler(_route_event("$connect", "alice"), lambda_context) == {"statusCode": 200}
    # Then the connection is hers until API Gateway's limit
    assert store.connections == {"alice": {"c1": 1_700_000_001 + REALTIME_CONNECTION_MAX_SECONDS}}
    assert store.connections_of("alice", now=1_700_000_000 + REALTIME_CONNECTION_MAX_SECONDS) == ["c1"]
    assert store.connections_of("alice", now=1_700_000_001 + REALTIME_CONNECTION_MAX_SECONDS) == []
    # When it disconnects (twice: harmless)
    for _ in range(2):
        assert connections.handler(_route_event("$disconnect", "alice"), lambda_context) == {"statusCode": 200}
    # Then it is forgotten
    assert store.connections == {"alice": {}}


def test_a_route_without_an_authorized_owner_is_refused(lambda_context: Any) -> None:
    store = MemoryConnections()
    connections_wiring.collaborators.use(store)  # type: ignore[arg-type]
    assert connections.handler(_route_event("$connect", None), lambda_context) == {"statusCode": 401}
    assert store.connections == {}


def test_presence_and_allow_policy_are_plain_logic() -> None:
    store = MemoryConnections()
    presence.connected(owner="bob", connection_id="x", connected_ms=999, connections=store)
    assert store.connections == {"bob": {"x": 1 + REALTIME_CONNECTION_MAX_SECONDS}}
    assert tickets.allow_policy("bob", "arn")["policyDocument"]["Statement"][0]["Effect"] == "Allow"
