"""Alice and Bob drive the local server over HTTP: the whole gallery life cycle, isolation and bad input."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from PIL import Image

from tests.e2e.conftest import start_server
from tests.e2e.targets import Target
from tests.imagegen import jpeg_bytes, png_bytes

pytestmark = pytest.mark.e2e


def upload(client: httpx.Client, data: bytes, content_type: str, filename: str, **meta: Any) -> dict[str, Any]:
    """Sign, POST the bytes to the presigned URL, wait until the asset is ready."""
    signed = client.post(
        "/uploads/sign", json={"contentType": content_type, "size": len(data), "filename": filename, **meta}
    )
    assert signed.status_code == 201, signed.text
    slot = signed.json()["upload"]
    posted = httpx.post(slot["url"], data=slot["fields"], files={"file": (filename, data, content_type)})
    assert posted.status_code in (200, 201, 204), posted.text
    asset_id = signed.json()["asset"]["id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        asset = client.get(f"/assets/{asset_id}").json()
        if asset["status"] in ("ready", "failed"):
            return dict(asset)
        time.sleep(0.2)
    raise AssertionError(f"asset {asset_id} never became ready")


def ids(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    return [item["id"] for item in page.json()["items"]]


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["code"]
    if code:
        assert body["code"] == code


def test_alice_full_life_cycle_and_bob_sees_none_of_it(server: Target) -> None:
    # Given two users
    alice, bob = server.client("alice"), server.client("bob")

    # When alice uploads two images through presigned POSTs
    first = upload(alice, png_bytes(64, 48), "image/png", "first.png", prompt="a red square")
    second = upload(alice, jpeg_bytes(80, 60), "image/jpeg", "second.jpg", assetType="generated")

    # Then both are ready with their facts and signed URLs, newest first
    assert first["status"] == "ready" and (first["width"], first["height"]) == (64, 48)
    assert second["mime"] == "image/jpeg" and second["assetType"] == "generated"
    assert first["url"] and first["thumbUrl"]
    assert httpx.get(first["thumbUrl"]).content[:4] == b"RIFF"
    assert ids(alice.get("/gallery")) == [second["id"], first["id"]]
    assert ids(alice.get("/gallery", params={"assetType": "generated"})) == [second["id"]]

    # When alice stars the first one
    starred = alice.patch(f"/assets/{first['id']}", json={"starred": True})
    # Then it is in the starred view only
    assert starred.status_code == 200 and starred.json()["starred"] is True
    assert ids(alice.get("/gallery", params={"view": "starred"})) == [first["id"]]

    # When she trashes it
    trashed = alice.patch(f"/assets/{first['id']}", json={"trashed": True}).json()
    # Then it leaves all and starred and shows in trash with its purge date
    assert trashed["trashedAt"] and trashed["purgeAt"]
    assert ids(alice.get("/gallery")) == [second["id"]]
    assert ids(alice.get("/gallery", params={"view": "starred"})) == []
    assert ids(alice.get("/gallery", params={"view": "trash"})) == [first["id"]]

    # When she restores it
    restored = alice.patch(f"/assets/{first['id']}", json={"trashed": False}).json()
    # Then it is back, still starred
    assert restored["trashedAt"] is None and restored["purgeAt"] is None
    assert ids(alice.get("/gallery", params={"view": "starred"})) == [first["id"]]

    # When she runs a bulk trash over her ids, an unknown id and one of bob's ids
    bobs = upload(bob, png_bytes(10, 10, (0, 0, 0)), "image/png", "bob.png")
    bulk = alice.post("/assets/bulk", json={"action": "trash", "ids": [first["id"], "01UNKNOWN", bobs["id"]]})
    # Then each gets its own outcome and bob's item is untouched
    assert bulk.status_code == 200
    outcome = {result["id"]: result["result"] for result in bulk.json()["results"]}
    assert outcome == {first["id"]: "ok", "01UNKNOWN": "not_found", bobs["id"]: "not_found"}
    assert bob.get(f"/assets/{bobs['id']}").json()["trashedAt"] is None

    # When she re-signs read URLs
    signed = alice.post("/assets/sign-read", json={"ids": [second["id"], bobs["id"]], "variant": "thumb"})
    # Then only her own ids get URLs
    assert set(signed.json()["urls"]) == {second["id"]} and signed.json()["missing"] == [bobs["id"]]
    assert httpx.get(signed.json()["urls"][second["id"]]["url"]).status_code == 200

    # When she downloads the second one
    download = alice.get(f"/assets/{second['id']}/download", follow_redirects=False)
    # Then she is redirected to a short-lived attachment URL that serves the original bytes
    assert download.status_code == 302
    location = download.headers["location"]
    query = parse_qs(urlparse(location).query)
    assert "attachment" in query["response-content-disposition"][0]
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert httpx.get(location).content == jpeg_bytes(80, 60)

    # When she deletes the trashed one forever, and tries the same on one not in trash
    assert_problem(alice.delete(f"/assets/{second['id']}"), 409, "not_in_trash")
    deleted = alice.delete(f"/assets/{first['id']}")
    # Then it is gone everywhere, its objects too
    assert deleted.status_code == 204
    assert_problem(alice.get(f"/assets/{first['id']}"), 404, "not_found")
    assert httpx.get(first["url"]).status_code == 404
    assert ids(alice.get("/gallery", params={"view": "trash"})) == []

    # And bob gets 404 for every route on alice's remaining asset, and never sees it
    other = second["id"]
    for response in (
        bob.get(f"/assets/{other}"),
        bob.patch(f"/assets/{other}", json={"starred": True}),
        bob.delete(f"/assets/{other}"),
        bob.get(f"/assets/{other}/download"),
    ):
        assert_problem(response, 404, "not_found")
    assert ids(bob.get("/gallery")) == [bobs["id"]]
    assert ids(bob.get("/gallery", params={"view": "trash"})) == []
    assert alice.get(f"/assets/{other}").json()["starred"] is False


def test_empty_trash_removes_everything_in_it(server: Target) -> None:
    # Given carol with one trashed and one kept asset
    carol = server.client("carol")
    kept = upload(carol, png_bytes(), "image/png", "kept.png")
    gone = upload(carol, png_bytes(20, 20), "image/png", "gone.png")
    carol.patch(f"/assets/{gone['id']}", json={"trashed": True})

    # When she empties the trash
    emptied = carol.post("/trash/empty")

    # Then exactly the trashed one is deleted, with its original and thumbnail
    assert emptied.status_code == 200 and emptied.json() == {"deleted": 1}
    assert ids(carol.get("/gallery")) == [kept["id"]]
    assert httpx.get(gone["url"]).status_code == 404
    # Gone too; S3 says 404 only to a signer that may list the key, and the gallery may list originals/ only
    assert httpx.get(gone["thumbUrl"]).status_code == 403


def test_the_viewer_preview_is_a_webp_of_preview_size_and_goes_with_the_asset(server: Target) -> None:
    # Given dave's 2000x1200 JPEG, made ready by the thumbnail function
    dave = server.client("dave")
    shown = upload(dave, jpeg_bytes(2000, 1200), "image/jpeg", "wide.jpg")
    assert shown["status"] == "ready" and shown["previewUrl"]

    # When the browser fetches its preview, its thumbnail, and a fresh preview URL (sign-read `preview`)
    preview = httpx.get(shown["previewUrl"])
    thumb = httpx.get(shown["thumbUrl"])
    signed = dave.post("/assets/sign-read", json={"ids": [shown["id"]], "variant": "preview"})

    # Then the preview is a WebP 1440 px on its longest side (PREVIEW_SIZE), the thumbnail 256, both far smaller
    # than the original; the fresh URL reads the same bytes
    with Image.open(BytesIO(preview.content)) as picture:
        assert (picture.format, picture.size) == ("WEBP", (1440, 864))
    with Image.open(BytesIO(thumb.content)) as picture:
        assert (picture.format, picture.size) == ("WEBP", (256, 154))
    assert signed.status_code == 200, signed.text
    assert httpx.get(signed.json()["urls"][shown["id"]]["url"]).content == preview.content

    # When the asset is deleted forever / Then its preview is gone too
    dave.patch(f"/assets/{shown['id']}", json={"trashed": True})
    assert dave.delete(f"/assets/{shown['id']}").status_code == 204
    assert httpx.get(shown["previewUrl"]).status_code in (403, 404)


def test_cursor_pages_cover_everything_once_and_reject_tampering(server: Target) -> None:
    # Given dave with five assets (pending uploads are listed too)
    dave, erin = server.client("dave"), server.client("erin")
    made = [
        dave.post("/uploads/sign", json={"contentType": "image/png", "size": 100}).json()["asset"]["id"]
        for _ in range(5)
    ]

    # When he pages two at a time
    seen: list[str] = []
    cursor = None
    while True:
        page = dave.get("/gallery", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
        last_cursor = cursor

    # Then he sees every asset once, newest first
    assert seen == list(reversed(made))

    # And an edited, foreign or other-view cursor is refused
    edited = last_cursor[:-2] + ("AA" if not last_cursor.endswith("AA") else "BB")
    assert_problem(dave.get("/gallery", params={"cursor": edited}), 400, "invalid_cursor")
    assert_problem(erin.get("/gallery", params={"cursor": last_cursor}), 400, "invalid_cursor")
    assert_problem(dave.get("/gallery", params={"cursor": last_cursor, "view": "trash"}), 400, "invalid_cursor")
    assert_problem(dave.get("/gallery", params={"cursor": "not-a-cursor"}), 400, "invalid_cursor")


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/gallery", {"params": {"limit": 0}}, 422, "validation_error"),
        ("GET", "/gallery", {"params": {"limit": 101}}, 422, "validation_error"),
        ("GET", "/gallery", {"params": {"limit": "x"}}, 422, "validation_error"),
        ("GET", "/gallery", {"params": {"view": "everything"}}, 422, "validation_error"),
        ("POST", "/uploads/sign", {"json": {"contentType": "image/png", "size": 10, "owner": "x"}}, 422, None),
        ("POST", "/uploads/sign", {"json": {"contentType": "image/svg+xml", "size": 10}}, 422, None),
        ("POST", "/uploads/sign", {"json": {"contentType": "image/png", "size": 26 * 1024 * 1024}}, 422, None),
        (
            "POST",
            "/uploads/sign",
            {"content": b'{"contentType": ', "headers": {"content-type": "application/json"}},
            400,
            "malformed_json",
        ),
        ("POST", "/assets/bulk", {"json": {"action": "trash", "ids": [f"id{i}" for i in range(101)]}}, 422, None),
        ("POST", "/assets/bulk", {"json": {"action": "explode", "ids": ["a"]}}, 422, None),
        ("POST", "/assets/sign-read", {"json": {"ids": [], "variant": "thumb"}}, 422, None),
        ("PATCH", "/assets/whatever", {"json": {"starred": "very"}}, 422, None),
        ("GET", "/no/such/route", {}, 404, "not_found"),
    ],
)
def test_bad_input_is_a_problem_and_changes_nothing(
    server: Target, method: str, path: str, kwargs: dict[str, Any], status: int, code: str | None
) -> None:
    # Given frank's gallery as it is
    frank = server.client("frank")
    before = frank.get("/gallery").json()

    # When he sends bad input
    response = frank.request(method, path, **kwargs)

    # Then he gets a problem+json 4xx and nothing changed
    assert_problem(response, status, code)
    assert frank.get("/gallery").json() == before


@pytest.mark.parametrize("path", ["/gallery", "/no/such/route"], ids=["route", "unmatched"])
@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic abc", "Bearer eyJhbGciOiJub25lIn0.e30."])
def test_requests_without_a_valid_token_are_refused(server: Target, authorization: str | None, path: str) -> None:
    # Given no token, a malformed one, another scheme or an unsigned one
    headers = {"Authorization": authorization} if authorization else {}

    # When they call a protected route, or a path no route matches (`$default` is behind the authorizer too)
    response = httpx.get(f"{server.url}{path}", headers=headers)

    # Then API Gateway's authorizer answers 401 before any handler runs, with its own body (an HTTP API's
    # authorizer answer cannot be customized); the local server's problem+json carries the same `message`
    assert response.status_code == 401
    assert response.json()["message"] == "Unauthorized"
    if server.kind == "local":
        assert_problem(response, 401, "unauthorized")


def test_public_routes_need_no_token(server: Target) -> None:
    # When the public routes are called without a token
    health = httpx.get(f"{server.url}/health")
    spec = httpx.get(f"{server.url}/openapi.json")
    docs = httpx.get(f"{server.url}/docs")

    # Then they answer, and the spec documents the routes
    assert health.json() == {"status": "ok"}
    assert spec.json()["openapi"].startswith("3.1")
    paths = spec.json()["paths"]
    assert {"/gallery", "/uploads/sign", "/uploads", "/ingest", "/assets/{id}", "/assets/bulk"} <= set(paths)
    assert spec.json()["components"]["securitySchemes"]["bearerJwt"]["scheme"] == "bearer"
    assert paths["/health"]["get"]["security"] == []
    assert "security" not in paths["/gallery"]["get"]  # the global bearer requirement applies
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_docs_are_sent_compressed_and_a_repeat_visit_is_a_304(server: Target) -> None:
    # When the Swagger page is fetched by a client that accepts gzip (raw bytes: httpx would inflate them)
    with httpx.stream("GET", f"{server.url}/docs", headers={"Accept-Encoding": "gzip"}) as first:
        wire = b"".join(first.iter_raw())

    # Then the gzip bytes crossed the wire, with a strong ETag and a cache lifetime
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert wire[:2] == b"\x1f\x8b" and len(wire) < 1_000_000
    etag = first.headers["etag"]
    assert etag.startswith('"') and "max-age" in first.headers["cache-control"]

    # When the client revalidates with the ETag, Then it is a 304 with no body
    again = httpx.get(f"{server.url}/docs", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag


@pytest.mark.local_only("the /__dev routes and the Host guard are the local server's own")
def test_local_server_refuses_rebound_hosts_and_cross_site_dev_writes(server: Target) -> None:
    # When a rebound name asks for a token, and a foreign page and the web app POST to the purge
    rebound = httpx.get(f"{server.url}/__dev/token", params={"sub": "mallory"}, headers={"Host": "evil.example"})
    foreign = httpx.post(f"{server.url}/__dev/purge", headers={"Origin": "https://evil.example"})
    # (an invalid `now`: past the guard, the purge refuses it without running)
    own = httpx.post(f"{server.url}/__dev/purge", params={"now": "x"}, headers={"Origin": server.allowed_origin})

    # Then the rebound name is misdirected, the foreign page forbidden, and the web app's request gets through
    assert_problem(rebound, 421, "host_not_allowed")
    assert_problem(foreign, 403, "cross_site_request")
    assert_problem(own, 400, "invalid_time")


@pytest.mark.parametrize("path", ["/assets/x", "/no/such/route"], ids=["route", "unmatched"])
def test_cors_preflight_follows_allowed_origins(server: Target, path: str) -> None:
    # Given an allowed and a foreign origin
    preflight = {"Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization"}

    # When each sends a preflight (no token) to a route, and to a path only the authorized `$default` would match
    allowed = httpx.options(f"{server.url}{path}", headers={"Origin": server.allowed_origin, **preflight})
    foreign = httpx.options(f"{server.url}{path}", headers={"Origin": "https://evil.example", **preflight})

    # Then only the allowed origin is granted
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == server.allowed_origin
    assert "PATCH" in allowed.headers["access-control-allow-methods"]
    assert "access-control-allow-origin" not in foreign.headers


def test_an_options_that_is_no_preflight_gets_an_empty_204_without_a_token(server: Target) -> None:
    # When a client sends OPTIONS without the preflight's headers, to a route's path and to an unknown one
    answers = [httpx.options(f"{server.url}{path}") for path in ("/gallery", "/no/such/route")]

    # Then `OPTIONS /{proxy+}` (no authorizer) takes it, above `$default`, and its function answers an empty 204
    assert [(answer.status_code, answer.content) for answer in answers] == [(204, b""), (204, b"")]


@pytest.mark.local_only("restarts the local server on its state folder")
def test_state_survives_a_restart(tmp_path: Any) -> None:
    # Given a server where gina uploaded an image
    first = start_server(tmp_path)
    try:
        made = upload(first.client("gina"), png_bytes(30, 30), "image/png", "keep.png")
    finally:
        first.stop()

    # When the server starts again on the same state folder
    second = start_server(tmp_path)
    try:
        gina = second.client("gina")
        # Then her asset, its original and its thumbnail are all still there
        again = gina.get(f"/assets/{made['id']}").json()
        assert again["status"] == "ready"
        assert httpx.get(again["url"]).content == png_bytes(30, 30)
        assert httpx.get(again["thumbUrl"]).status_code == 200
    finally:
        second.stop()


@pytest.mark.local_only("starts a fresh local server to meet its cold execution environments")
def test_concurrent_requests_each_get_their_own_answer(tmp_path: Any) -> None:
    # Given a freshly started server, whose handlers are imported by the first requests
    fresh = start_server(tmp_path / "state")
    try:
        clients = {name: fresh.client(name) for name in ("ann", "ben", "cat", "dan")}

        def sign(owner: str, index: int) -> tuple[str, str, dict[str, Any]]:
            filename = f"{owner}-{index}.png"
            response = clients[owner].post(
                "/uploads/sign", json={"contentType": "image/png", "size": 100 + index, "filename": filename}
            )
            assert response.status_code == 201, response.text
            asset = response.json()["asset"]
            # Read back through another function while other users' requests run there and in sign
            read = clients[owner].get(f"/assets/{asset['id']}")
            assert read.status_code == 200, read.text
            return owner, filename, read.json()

        # When four users sign uploads and read them back at once, several rounds
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda job: sign(*job), [(o, i) for i in range(12) for o in clients]))

        # Then every answer belongs to the request that asked for it, as on Lambda
        mixed = [
            (owner, filename, asset["filename"]) for owner, filename, asset in answers if asset["filename"] != filename
        ]
        assert mixed == []
        for owner, client in clients.items():
            page = client.get("/gallery", params={"limit": 100}).json()["items"]
            assert sorted(item["filename"] for item in page) == sorted(f"{owner}-{i}.png" for i in range(12))
    finally:
        fresh.stop()
