"""Users whose subs hold separators, escapes, spaces and non-ASCII, up to 255 bytes, through the local server."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import jwt
import pytest

from tests.e2e.targets import Target
from tests.e2e.test_gallery_flow import assert_problem, ids, upload
from tests.imagegen import png_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.local_only("mints tokens for chosen subs from /__dev/token")]

# `team#alice` + key `k1` and `team` + key `alice#k1` shared an Idempotency-Key record; `team/alice` broke the
# parse of its originals' keys; the multi-byte ones made cursors too long for the route.
SUBS = ["team#alice", "team", "team/alice", "a b+c%2F", "ünïcödé ☃ 😀", "x" * 255, "é" * 127]


def client_for(server: Target, sub: str) -> httpx.Client:
    client = server.client(sub)
    token = client.headers["Authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == sub  # the token is for exactly this sub
    return client


def test_users_with_any_sub_upload_list_trash_and_delete_and_see_only_their_own(server: Target) -> None:
    # Given users whose subs collide or break when joined naively, each uploading the same two images
    clients = {sub: client_for(server, sub) for sub in SUBS}
    first_bytes, second_bytes = png_bytes(40, 30), png_bytes(30, 40, (0, 0, 255))
    assets: dict[str, list[dict[str, Any]]] = {}
    for sub, client in clients.items():
        first = upload(client, first_bytes, "image/png", "one.png", sha256=hashlib.sha256(first_bytes).hexdigest())
        second = upload(client, second_bytes, "image/png", "two.png")
        assets[sub] = [first, second]

    for sub, client in clients.items():
        first, second = assets[sub]
        # Then each user's uploads got their thumbnails, and both URLs serve the bytes
        assert (first["status"], second["status"]) == ("ready", "ready"), sub
        assert httpx.get(first["thumbUrl"]).content[:4] == b"RIFF"
        assert httpx.get(second["url"]).content == second_bytes
        # And the gallery pages through them one at a time (the cursor comes back accepted)
        page = client.get("/gallery", params={"limit": 1})
        assert ids(page) == [second["id"]]
        assert ids(client.get("/gallery", params={"limit": 1, "cursor": page.json()["nextCursor"]})) == [first["id"]]
        # And the same bytes declared again are the user's own asset, never another user's
        again = client.post(
            "/uploads/sign",
            json={
                "contentType": "image/png",
                "size": len(first_bytes),
                "sha256": hashlib.sha256(first_bytes).hexdigest(),
            },
        )
        assert (again.status_code, again.json()["asset"]["id"]) == (200, first["id"])

    # When each user trashes the first image and deletes it forever
    for sub, client in clients.items():
        first, second = assets[sub]
        assert client.patch(f"/assets/{first['id']}", json={"trashed": True}).status_code == 200
        assert ids(client.get("/gallery", params={"view": "trash"})) == [first["id"]]
        assert client.delete(f"/assets/{first['id']}").status_code == 204

    for sub, client in clients.items():
        first, second = assets[sub]
        # Then it is gone with its objects, the second stays
        assert_problem(client.get(f"/assets/{first['id']}"), 404, "not_found")
        assert httpx.get(first["url"]).status_code == 404
        assert ids(client.get("/gallery")) == [second["id"]]
        assert ids(client.get("/gallery", params={"view": "trash"})) == []
        # And no other user sees or reaches it
        for other, theirs in clients.items():
            if other != sub:
                assert_problem(theirs.get(f"/assets/{second['id']}"), 404, "not_found")
                assert second["id"] not in ids(theirs.get("/gallery"))


def test_a_sub_over_255_bytes_is_refused_as_unauthenticated(server: Target) -> None:
    # Given a token whose sub is one byte too long (128 two-byte characters)
    client = client_for(server, "é" * 128)
    # When it calls the API, Then it is a 401 problem, not a crash
    assert_problem(client.get("/gallery"), 401, "unauthorized")
