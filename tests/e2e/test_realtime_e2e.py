"""Real-time push over real WebSockets: each user hears every change to their own assets, and nobody else's.

A ticket from `POST /realtime/ticket` opens the WebSocket; the asset table's stream reaches the notifier, which posts
to the owner's connections. The waits below bound how long a test waits for an event to arrive; they assert nothing
about speed (bench/ measures that).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from functions.system import REALTIME_PING_MESSAGE, REALTIME_TICKET_PARAMETER
from tests.e2e.conftest import start_server
from tests.e2e.targets import Target
from tests.imagegen import png_bytes

pytestmark = pytest.mark.e2e

WAIT_SECONDS = 30  # a loaded 2-core CI machine runs the server, its environments and the thumbnailer at once
Message = dict[str, Any]
SHOWN = ("asset.created", "asset.updated")


def ticket(client: httpx.Client) -> dict[str, Any]:
    issued = client.post("/realtime/ticket")
    assert issued.status_code == 201, issued.text
    body = dict(issued.json())
    assert body["url"].startswith(("ws://127.0.0.1:", "wss://"))
    return body


class Listener:
    """One open WebSocket of a user, its messages collected by a thread as they arrive."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.messages: list[Message] = []
        self._arrived = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for raw in self.socket:
                with self._arrived:
                    self.messages.append(json.loads(raw))
                    self._arrived.notify_all()
        except ConnectionClosed:
            pass

    def wait_for(self, matches: Callable[[Message], bool], what: str, since: int = 0) -> Message:
        """The first message (from the `since`-th on) that matches, waiting for it."""
        deadline = time.monotonic() + WAIT_SECONDS
        with self._arrived:
            while True:
                found = next((message for message in self.messages[since:] if matches(message)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no message {what} within {WAIT_SECONDS} s; got {self.messages}")
                self._arrived.wait(left)

    def about(self, asset_id: str) -> list[Message]:
        """Every message naming the asset: its own events, and bursts listing it."""
        with self._arrived:
            return [
                message
                for message in self.messages
                if asset_id in (message.get("id"), (message.get("asset") or {}).get("id"))
                or asset_id in message.get("ids", [])
            ]

    def wait_about(self, asset_id: str, matches: Callable[[Message], bool], what: str, since: int = 0) -> Message:
        def named(message: Message) -> bool:
            return message in self.about(asset_id) and matches(message)

        return self.wait_for(named, f"{what} about {asset_id}", since)


@pytest.fixture
def listen(server: Target) -> Iterator[Callable[[str], Listener]]:
    """Open a WebSocket for a user (closed after the test)."""
    opened: list[ClientConnection] = []

    def _listen(user: str) -> Listener:
        with server.client(user) as client:
            socket = connect(ticket(client)["url"], open_timeout=WAIT_SECONDS)
        opened.append(socket)
        return Listener(socket)

    yield _listen
    for socket in opened:
        socket.close()


@pytest.fixture(scope="module")
def local_server_env() -> dict[str, str]:
    """Locally, tickets live as long as a test waits for a connection instead of the deployed minute, so the expired
    ticket below has expired by the time the tests before it are done; a deployed stack keeps its minute."""
    return {"REALTIME_TICKET_TTL_SECONDS": str(WAIT_SECONDS)}


@pytest.fixture(scope="module", autouse=True)
def stale_ticket(server: Target) -> dict[str, Any]:
    """A ticket issued when the module starts (so the last test waits only what is left of its lifetime)."""
    with server.client("carol") as carol:
        return ticket(carol)


def sign(client: httpx.Client, data: bytes, filename: str) -> dict[str, Any]:
    signed = client.post("/uploads/sign", json={"contentType": "image/png", "size": len(data), "filename": filename})
    assert signed.status_code == 201, signed.text
    return dict(signed.json())


def upload(client: httpx.Client, filename: str) -> str:
    """Sign and send an image; answers its id (the test waits for its events, not by polling)."""
    data = png_bytes(48, 32)
    signed = sign(client, data, filename)
    slot = signed["upload"]
    posted = httpx.post(slot["url"], data=slot["fields"], files={"file": (filename, data, "image/png")})
    assert posted.status_code in (200, 201, 204), posted.text
    return str(signed["asset"]["id"])


def status_is(status: str) -> Callable[[Message], bool]:
    # Changes close together may come as one message with the latest state (`asset.created` already ready).
    return lambda message: message["type"] in SHOWN and message["asset"]["status"] == status


def trashed_is(trashed: bool) -> Callable[[Message], bool]:
    return lambda message: message["type"] in SHOWN and bool(message["asset"]["trashedAt"]) is trashed


def is_deleted(message: Message) -> bool:
    return message["type"] == "asset.deleted"


def ready(listener: Listener, client: httpx.Client, filename: str) -> str:
    asset_id = upload(client, filename)
    listener.wait_about(asset_id, status_is("ready"), "ready")
    return asset_id


def _unsigned(asset: dict[str, Any]) -> dict[str, Any]:
    """An asset without its signed URLs (signed anew on every read)."""
    return {key: value for key, value in asset.items() if not key.endswith(("url", "Url"))}


def test_alice_hears_her_upload_created_then_ready_and_bob_hears_none_of_it(
    server: Target, listen: Callable[[str], Listener]
) -> None:
    # Given alice and bob, each with an open WebSocket
    alice_events, bob_events = listen("alice"), listen("bob")
    with server.client("alice") as alice, server.client("bob") as bob:
        # When alice uploads an image
        asset_id = upload(alice, "live.png")

        # Then she hears it created first, then ready, the asset as GET /assets/{id} returns it, signed URLs included
        done = alice_events.wait_about(asset_id, status_is("ready"), "ready")
        assert alice_events.about(asset_id)[0]["type"] == "asset.created"
        assert done["asset"]["thumbUrl"] and done["asset"]["url"]
        assert httpx.get(done["asset"]["thumbUrl"]).status_code == 200
        assert _unsigned(done["asset"]) == _unsigned(alice.get(f"/assets/{asset_id}").json())
        # And versions only grow, so a client can drop what is stale or repeated
        versions = [int(message["version"]) for message in alice_events.about(asset_id) if "version" in message]
        assert versions == sorted(versions) and len(set(versions)) == len(versions)

        # When bob makes an asset of his own, he hears that one
        own = sign(bob, png_bytes(8, 8), "bob.png")["asset"]["id"]
        bob_events.wait_about(own, lambda message: message["type"] == "asset.created", "created")
    # Then bob heard nothing of alice's, and alice nothing of bob's
    assert bob_events.about(asset_id) == []
    assert alice_events.about(own) == []


def test_the_keep_alive_ping_gets_no_answer_and_keeps_the_connection(
    server: Target, listen: Callable[[str], Listener]
) -> None:
    # Given an open WebSocket
    events = listen("dave")
    # When the client sends the keep-alive ping, nothing answers it, and the connection still carries events
    events.socket.send(REALTIME_PING_MESSAGE)
    with server.client("dave") as dave:
        asset_id = sign(dave, png_bytes(8, 8), "dave.png")["asset"]["id"]
    created = events.wait_about(asset_id, lambda message: message["type"] == "asset.created", "created")
    assert events.messages == [created]


def _with_ticket(url: str, value: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode({REALTIME_TICKET_PARAMETER: value})))


def _refused(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused, connect(url, open_timeout=WAIT_SECONDS):
        pass
    return refused.value.response.status_code


def test_a_used_forged_or_missing_ticket_is_refused(server: Target) -> None:
    with server.client("erin") as erin:
        # Given a ticket that opened a connection once
        url = ticket(erin)["url"]
        with connect(url, open_timeout=WAIT_SECONDS):
            pass
        # When it is used again, altered, or left out, then the WebSocket API refuses the upgrade with 401
        forged = parse_qs(urlsplit(ticket(erin)["url"]).query)[REALTIME_TICKET_PARAMETER][0][::-1]
        assert _refused(url) == 401
        assert _refused(_with_ticket(url, forged)) == 401
        assert _refused(urlunsplit(urlsplit(url)._replace(query=""))) == 401
        # And a ticket route call without a token issues nothing
        assert httpx.post(f"{server.url}/realtime/ticket").status_code == 401


def test_trash_restore_delete_bulk_and_empty_trash_reach_her(server: Target, listen: Callable[[str], Listener]) -> None:
    # Given frank's open WebSocket and three ready images
    events = listen("frank")
    with server.client("frank") as frank:
        one, two, three = (ready(events, frank, f"{name}.png") for name in ("one", "two", "three"))

        # When he trashes one and restores it, he hears both
        assert frank.patch(f"/assets/{one}", json={"trashed": True}).status_code == 200
        events.wait_about(one, trashed_is(True), "trashed")
        assert frank.patch(f"/assets/{one}", json={"trashed": False}).status_code == 200
        events.wait_about(one, trashed_is(False), "restored")

        # When he trashes one and deletes it forever
        assert frank.patch(f"/assets/{one}", json={"trashed": True}).status_code == 200
        assert frank.delete(f"/assets/{one}").status_code == 204
        events.wait_about(one, is_deleted, "deleted")

        # When he moves two and three to the trash in one bulk action, he hears each
        bulk = frank.post("/assets/bulk", json={"action": "trash", "ids": [two, three]})
        assert bulk.status_code == 200, bulk.text
        for asset_id in (two, three):
            events.wait_about(asset_id, trashed_is(True), "trashed in bulk")

        # When he empties the trash, he hears both deleted
        emptied = frank.post("/trash/empty")
        assert emptied.status_code == 200, emptied.text
        for asset_id in (two, three):
            events.wait_about(asset_id, is_deleted, "deleted by emptying the trash")


def test_a_bulk_action_on_many_assets_names_every_one(server: Target, listen: Callable[[str], Listener]) -> None:
    # Given ivan's twelve new assets (more than the notifier sends one by one), each announced
    events = listen("ivan")
    with server.client("ivan") as ivan:
        ids = [sign(ivan, png_bytes(8, 8), f"many-{index}.png")["asset"]["id"] for index in range(12)]
        for asset_id in ids:
            events.wait_about(asset_id, lambda message: True, "created (or listed in a burst)")
        # When he moves all of them to the trash in one bulk action
        before = len(events.messages)
        bulk = ivan.post("/assets/bulk", json={"action": "trash", "ids": ids})
        assert bulk.status_code == 200, bulk.text
        # Then every one of them is named by a later message: its own event, or a burst's list of ids to refetch
        for asset_id in ids:
            events.wait_about(asset_id, lambda message: message["type"] != "asset.created", "trashed", since=before)
        for message in events.messages[before:]:
            assert message["type"] == "assets.changed" or message["asset"]["trashedAt"], message


@pytest.mark.local_only("runs the scheduled purge as of a chosen time through /__dev/purge")
def test_the_purge_reaches_the_owner_only(server: Target, listen: Callable[[str], Listener]) -> None:
    # Given grace's asset in the trash, and grace and heidi listening
    grace_events, heidi_events = listen("grace"), listen("heidi")
    with server.client("grace") as grace:
        asset_id = ready(grace_events, grace, "old.png")
        assert grace.patch(f"/assets/{asset_id}", json={"trashed": True}).status_code == 200
        grace_events.wait_about(asset_id, trashed_is(True), "trashed")
    # When the schedule runs past its retention
    later = (datetime.now(UTC) + timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = httpx.post(f"{server.url}/__dev/purge", params={"now": later}, timeout=120)
    assert report.status_code == 200, report.text
    # Then grace hears it deleted, and heidi hears nothing of it
    grace_events.wait_about(asset_id, is_deleted, "deleted by the purge")
    assert heidi_events.about(asset_id) == []


@pytest.mark.local_only("restarts the local server on its state folder")
def test_a_restart_keeps_the_gallery_but_no_connection_or_ticket(tmp_path: Path) -> None:
    # Given a local server with olivia's asset, an open connection of hers and an unused ticket
    first = start_server(tmp_path / "state")
    try:
        with first.client("olivia") as olivia:
            kept = sign(olivia, png_bytes(8, 8), "kept.png")["asset"]["id"]
            socket = connect(ticket(olivia)["url"], open_timeout=WAIT_SECONDS)
            unused = parse_qs(urlsplit(ticket(olivia)["url"]).query)[REALTIME_TICKET_PARAMETER][0]
    finally:
        # When the server stops (saving its state) and starts again on it
        first.stop()
    # Then the connection was closed
    with pytest.raises(ConnectionClosed):
        socket.recv(timeout=WAIT_SECONDS)
    second = start_server(tmp_path / "state")
    try:
        with second.client("olivia") as olivia:
            # And the asset is still there, but the ticket issued before is not
            assert olivia.get(f"/assets/{kept}").status_code == 200
            fresh = ticket(olivia)["url"]
            assert _refused(_with_ticket(fresh, unused)) == 401
            # And a new ticket opens a connection that hears her changes
            events = Listener(connect(fresh, open_timeout=WAIT_SECONDS))
            assert olivia.patch(f"/assets/{kept}", json={"starred": True}).status_code == 200
            events.wait_about(kept, lambda message: message["type"] in SHOWN, "starred")
            events.socket.close()
    finally:
        second.stop()


def test_an_expired_ticket_is_refused(server: Target, stale_ticket: dict[str, Any]) -> None:
    # Given a ticket issued when this module started, unused; once its expiry has passed (waiting what is left)
    expires = datetime.fromisoformat(stale_ticket["expiresAt"].replace("Z", "+00:00"))
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds() + 1.5))
    # When it is used, then the upgrade is refused
    assert _refused(stale_ticket["url"]) == 401
