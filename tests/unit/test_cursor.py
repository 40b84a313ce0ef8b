from __future__ import annotations

import base64
import json

import pytest

from functions.common.cursor import CursorCodec
from functions.common.errors import InvalidCursor

codec = CursorCodec(b"k" * 32)
POSITION = {"owner": "alice", "asset_id": "01ABC", "view_pk": "alice#all", "view_sk": "01ABC"}


def test_round_trip_returns_the_position() -> None:
    # Given a cursor for alice's "all" query
    cursor = codec.encode(owner="alice", query="all|", position=POSITION)
    # When alice sends it back with the same query
    decoded = codec.decode(cursor, owner="alice", query="all|")
    # Then she continues from the same position
    assert decoded == POSITION


@pytest.mark.parametrize(("owner", "query"), [("bob", "all|"), ("alice", "trash|"), ("alice", "all|generated")])
def test_cursor_is_bound_to_caller_and_query(owner: str, query: str) -> None:
    # Given alice's cursor
    cursor = codec.encode(owner="alice", query="all|", position=POSITION)
    # When another caller or another query uses it, Then it is refused
    with pytest.raises(InvalidCursor):
        codec.decode(cursor, owner=owner, query=query)


def test_edited_payload_with_the_old_signature_is_refused() -> None:
    # Given a cursor whose payload is rewritten to point at bob's partition
    raw = base64.urlsafe_b64decode(codec.encode(owner="alice", query="all|", position=POSITION) + "==")
    payload, signature = raw[:-16], raw[-16:]
    data = json.loads(payload)
    data["p"]["view_pk"] = "bob#all"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode() + signature).decode().rstrip("=")
    # When it is decoded, Then the signature check refuses it
    with pytest.raises(InvalidCursor):
        codec.decode(forged, owner="alice", query="all|")


@pytest.mark.parametrize("garbage", ["", "x", "!!!!", "AAAA" * 10, base64.urlsafe_b64encode(b"{}" * 20).decode()])
def test_random_strings_are_refused(garbage: str) -> None:
    with pytest.raises(InvalidCursor):
        codec.decode(garbage, owner="alice", query="all|")


def test_a_cursor_signed_with_another_key_is_refused() -> None:
    # Given a cursor from a deployment with another secret
    other = CursorCodec(b"z" * 32).encode(owner="alice", query="all|", position=POSITION)
    # Then this deployment refuses it
    with pytest.raises(InvalidCursor):
        codec.decode(other, owner="alice", query="all|")
