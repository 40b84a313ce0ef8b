"""The local WebSocket API (devserver/websocket_api.py) and its `@connections` endpoint, with real sockets on loopback.

The route functions are stand-ins given to the emulator (`invoke`): these tests are about API Gateway's semantics
(who runs when, with which event, what the client sees), not about the real handlers, which tests/e2e exercises.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from devserver.connections_api import ConnectionsApi
from devserver.environments import FunctionError
from devserver.websocket_api import WebSocketApi
from functions.system import REALTIME_MAX_MESSAGE_BYTES, REALTIME_PING_MESSAGE


class Routes:
    """Stand-ins for the authorizer and the connections function; every event they get, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.connect_answer: dict[str, Any] = {"statusCode": 200}
        self.changed = threading.Condition()

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        with self.changed:
            self.events.append((function, event))
            self.changed.notify_all()
        if function == "realtime_authorizer":
            ticket = event["queryStringParameters"]["ticket"]
            if ticket == "forged":
                raise FunctionError(function, {"type": "Exception", "message": "Unauthorized"})
            if ticket == "broken":
                raise FunctionError(function, {"type": "KeyError", "message": "'owner'"})
            effect = "Deny" if ticket == "denied" else "Allow"
            statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
            return {
                "principalId": "alice",
                "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
                "context": {"owner": "alice"},
            }
        return self.connect_answer

    def routes(self) -> list[str]:
        return [event.get("requestContext", {}).get("routeKey", "") + f"@{function}" for function, event in self.events]

    def wait_for(self, route_key: str, timeout: float = 10) -> dict[str, Any]:
        """The first event of `route_key`, waiting for it ($disconnect runs after the socket closed)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for function, event in self.events:
                    if function == "realtime_connections" and event["requestContext"]["routeKey"] == route_key:
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {route_key} event; saw {self.routes()}")
                self.changed.wait(left)


@pytest.fixture
def routes() -> Routes:
    return Routes()


Start = Callable[..., tuple[WebSocketApi, str]]


@pytest.fixture
def start(routes: Routes) -> Iterator[Start]:
    """Start an emulator with `routes` as its functions (and given limits); answers it and its management endpoint."""
    running: list[tuple[WebSocketApi, ConnectionsApi]] = []

    def _start(**limits: float) -> tuple[WebSocketApi, str]:
        api = WebSocketApi(invoke=routes, **limits)  # type: ignore[arg-type]
        api.start()
        management = ConnectionsApi(api)
        endpoint = management.start()
        running.append((api, management))
        return api, endpoint

    yield _start
    for api, management in running:
        management.stop()
        api.stop()


def _management(endpoint: str) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _refusal(url: str, **options: Any) -> int:
    with pytest.raises(InvalidStatus) as refused, connect(url, **options):
        pass
    return refused.value.response.status_code


def _raw_upgrade_status(port: int, host: str) -> int:
    """The status of an upgrade request sent with `host` as its Host (a client library always names the URL's)."""
    request = (
        f"GET /live?ticket=good HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(request.encode())
        return int(raw.recv(1024).split(b" ", 2)[1])


def _connection_id(routes: Routes) -> str:
    return str(routes.wait_for("$connect")["requestContext"]["connectionId"])


def _closed(ws: ClientConnection) -> ConnectionClosed:
    """How the server closed the connection, once the client has read everything before the close."""
    while True:
        try:
            ws.recv(timeout=10)
        except ConnectionClosed as closed:
            return closed


def test_an_upgrade_without_a_ticket_is_refused_before_the_authorizer_runs(start: Start, routes: Routes) -> None:
    # Given the WebSocket API
    api, _ = start()
    # When a client connects without the identity source (the ticket), or with an empty one
    statuses = [_refusal(api.url), _refusal(f"{api.url}?ticket=")]
    # Then API Gateway answers 401 on its own: no function ran
    assert statuses == [401, 401]
    assert routes.events == []


@pytest.mark.parametrize(("ticket", "status"), [("forged", 401), ("denied", 403), ("broken", 500)])
def test_the_authorizers_refusal_refuses_the_upgrade_and_connect_never_runs(
    start: Start, routes: Routes, ticket: str, status: int
) -> None:
    # Given the WebSocket API
    api, _ = start()
    # When the authorizer raises Unauthorized, answers a Deny policy, or fails otherwise
    answered = _refusal(f"{api.url}?ticket={ticket}")
    # Then the upgrade is refused with API Gateway's status and `$connect` never ran
    assert answered == status
    assert [function for function, _ in routes.events] == ["realtime_authorizer"]


def test_the_authorizer_gets_the_request_event_and_connect_gets_its_context(start: Start, routes: Routes) -> None:
    # Given the WebSocket API
    api, _ = start()
    # When a client connects with a ticket the authorizer allows
    with connect(f"{api.url}?ticket=good", user_agent_header="gallery-test"):
        connect_event = routes.wait_for("$connect")
    # Then the authorizer got API Gateway's REQUEST event for `$connect`
    function, authorizer = routes.events[0]
    assert function == "realtime_authorizer"
    assert authorizer["type"] == "REQUEST"
    assert authorizer["methodArn"] == "arn:aws:execute-api:us-east-1:000000000000:local/live/$connect"
    assert authorizer["queryStringParameters"] == {"ticket": "good"}
    assert authorizer["multiValueQueryStringParameters"] == {"ticket": ["good"]}
    context = authorizer["requestContext"]
    assert (context["routeKey"], context["eventType"], context["stage"], context["apiId"]) == (
        "$connect",
        "CONNECT",
        "live",
        "local",
    )
    assert context["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "gallery-test"}
    # And `$connect` got the same connection with the authorizer's context and principal
    assert connect_event["requestContext"]["connectionId"] == context["connectionId"]
    assert connect_event["requestContext"]["authorizer"]["owner"] == "alice"
    assert connect_event["requestContext"]["authorizer"]["principalId"] == "alice"
    assert connect_event["queryStringParameters"] == {"ticket": "good"}
    assert connect_event["isBase64Encoded"] is False


def test_a_non_2xx_answer_of_connect_refuses_the_connection(start: Start, routes: Routes) -> None:
    # Given `$connect` answers 403
    api, _ = start()
    routes.connect_answer = {"statusCode": 403}
    # When a client connects with an allowed ticket, then the upgrade is refused with that status
    assert _refusal(f"{api.url}?ticket=good") == 403
    assert [function for function, _ in routes.events] == ["realtime_authorizer", "realtime_connections"]


def test_messages_reach_no_function_and_closing_runs_disconnect_with_the_context(start: Start, routes: Routes) -> None:
    # Given an open connection
    api, _ = start()
    with connect(f"{api.url}?ticket=good") as ws:
        connection_id = _connection_id(routes)
        # When the client sends the keep-alive ping, then nothing answers it and the connection stays open
        ws.send(REALTIME_PING_MESSAGE)
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.3)
        assert [live.handshake.connection_id for live in api.connections()] == [connection_id]
    # When the client closes it, `$disconnect` runs with the authorizer's context and the client's close code
    event = routes.wait_for("$disconnect")
    context = event["requestContext"]
    assert (context["connectionId"], context["eventType"]) == (connection_id, "DISCONNECT")
    assert context["authorizer"]["owner"] == "alice"
    assert context["disconnectStatusCode"] == 1000
    assert [function for function, _ in routes.events] == ["realtime_authorizer"] + ["realtime_connections"] * 2


def test_post_get_and_delete_to_a_connection_then_gone(start: Start, routes: Routes) -> None:
    # Given an open connection and the management client the notifier uses
    api, endpoint = start()
    management = _management(endpoint)
    with connect(f"{api.url}?ticket=good", user_agent_header="gallery-test") as ws:
        connection_id = _connection_id(routes)
        # When the backend posts to it, the client receives the raw body as a text message
        management.post_to_connection(ConnectionId=connection_id, Data=b'{"type": "asset.created"}')
        assert ws.recv(timeout=10) == '{"type": "asset.created"}'
        # And GetConnection describes it
        described = management.get_connection(ConnectionId=connection_id)
        assert described["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "gallery-test"}
        assert described["ConnectedAt"] <= described["LastActiveAt"]
        # When the backend deletes it, the client is closed and `$disconnect` runs
        management.delete_connection(ConnectionId=connection_id)
        _closed(ws)
    assert routes.wait_for("$disconnect")["requestContext"]["connectionId"] == connection_id
    # Then the connection is gone for every call, as is one that never existed (botocore's GoneException)
    for call in (
        lambda: management.post_to_connection(ConnectionId=connection_id, Data=b"{}"),
        lambda: management.get_connection(ConnectionId=connection_id),
        lambda: management.delete_connection(ConnectionId="bm90LWEtY29ubj0="),
    ):
        with pytest.raises(management.exceptions.GoneException):
            call()


def test_a_post_over_the_frame_limit_is_payload_too_large(start: Start, routes: Routes) -> None:
    # Given an open connection
    api, endpoint = start()
    management = _management(endpoint)
    with connect(f"{api.url}?ticket=good", max_size=None) as ws:
        connection_id = _connection_id(routes)
        # When the backend posts one byte over 128 KB, it is refused as API Gateway refuses it
        with pytest.raises(management.exceptions.PayloadTooLargeException):
            management.post_to_connection(ConnectionId=connection_id, Data=b"x" * (REALTIME_MAX_MESSAGE_BYTES + 1))
        # And exactly 128 KB is delivered
        management.post_to_connection(ConnectionId=connection_id, Data=b"x" * REALTIME_MAX_MESSAGE_BYTES)
        assert len(ws.recv(timeout=10)) == REALTIME_MAX_MESSAGE_BYTES


def test_an_idle_connection_is_closed_and_the_ping_keeps_one_open(start: Start, routes: Routes) -> None:
    # Given a WebSocket API whose idle timeout is 1 s (10 minutes on AWS)
    api, _ = start(idle_seconds=1.0)
    with connect(f"{api.url}?ticket=good") as pinging, connect(f"{api.url}?ticket=good") as quiet:
        # When one client pings every 0.2 s for 2 s and the other says nothing
        for _ in range(10):
            pinging.send(REALTIME_PING_MESSAGE)
            time.sleep(0.2)
        # Then the quiet one was closed as going away, and the pinging one is still open
        closed = _closed(quiet)
        assert closed.rcvd is not None and closed.rcvd.code == 1001
        pinging.send(REALTIME_PING_MESSAGE)
        assert len(api.connections()) == 1
    assert routes.wait_for("$disconnect")["requestContext"]["disconnectStatusCode"] == 1001


def test_a_connection_is_closed_at_its_lifetime_limit_even_while_active(start: Start, routes: Routes) -> None:
    # Given a WebSocket API whose connections last at most 0.8 s (2 hours on AWS)
    api, _ = start(max_seconds=0.8)
    with connect(f"{api.url}?ticket=good") as ws:
        # When the client keeps pinging
        deadline = time.monotonic() + 10
        closed = None
        while closed is None and time.monotonic() < deadline:
            try:
                ws.send(REALTIME_PING_MESSAGE)
                time.sleep(0.1)
            except ConnectionClosed as error:
                closed = error
        # Then it is closed anyway, and `$disconnect` runs
        assert closed is not None
    assert routes.wait_for("$disconnect")["requestContext"]["disconnectStatusCode"] == 1001


def test_the_subprotocol_connect_names_is_echoed_only_when_offered(start: Start, routes: Routes) -> None:
    # Given `$connect` names the subprotocol it accepts, as API Gateway requires when a client offers one
    api, _ = start()
    routes.connect_answer = {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "gallery.v1"}}
    # When a client offers it, the handshake selects it; a client that offers none gets none
    with connect(f"{api.url}?ticket=good", subprotocols=["gallery.v1", "other"]) as offered:  # type: ignore[list-item]
        assert offered.subprotocol == "gallery.v1"
    with connect(f"{api.url}?ticket=good") as plain:
        assert plain.subprotocol is None


def test_foreign_host_names_and_other_paths_are_refused(start: Start, routes: Routes) -> None:
    # Given the WebSocket API on loopback
    api, _ = start()
    # When a page reaches it under a rebound name, or on a path that is not the stage
    rebound = _raw_upgrade_status(api.port, "evil.example")
    other_path = _refusal(api.url.replace("/live", "/other") + "?ticket=good")
    # Then neither is served and no function ran
    assert (rebound, other_path) == (421, 403)
    assert routes.events == []
