"""Share links through the server: a password folder share opened signed out, every byte and URL it hands out free of
the asset ids, filenames and the owner's sub; downloads without EXIF/GPS; revoke, rotate, maxViews, unlock limits, and
nobody managing another user's shares."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.targets import Target
from tests.e2e.test_gallery_flow import assert_problem, upload
from tests.share_fakes import leaks

pytestmark = pytest.mark.e2e

SUB = "share-e2e-owner-5c1d"
PUBLIC_HEADERS = {
    "x-robots-tag": "noindex, nofollow, noimageindex",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)}  # GPSInfo
    exif[0x010F] = "SecretCam"
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 160, 90)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _public(server: Target) -> httpx.Client:
    return server.client(None)


def _checked(response: httpx.Response, secrets: list[str]) -> httpx.Response:
    """Every public answer: the three headers, and no secret in its body or its headers."""
    for name, value in PUBLIC_HEADERS.items():
        assert response.headers.get(name) == value, (response.url, name)
    text = response.text + " ".join(response.headers.values())
    assert leaks(text, *secrets) == [], text
    return response


def _urls(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [url for item in value.values() for url in _urls(item)]
    if isinstance(value, list):
        return [url for item in value for url in _urls(item)]
    return [value] if isinstance(value, str) and "/" in value else []


def test_a_password_folder_share_opened_signed_out_leaks_nothing(server: Target) -> None:
    # Given alice's folder of two images, one with GPS in its EXIF, and bob
    alice, bob, visitor = server.client(SUB), server.client("share-e2e-bob"), _public(server)
    folder = alice.post("/folders", json={"name": "Trip"})
    assert folder.status_code == 201, folder.text
    folder_id = folder.json()["id"]
    assets = [upload(alice, _jpeg_with_gps(), "image/jpeg", "IMG_20261201_120000.jpg", prompt="secret prompt")]
    assets.append(upload(alice, _jpeg_with_gps(), "image/jpeg", "IMG_20261201_120500.jpg"))
    for asset in assets:
        assert alice.patch(f"/assets/{asset['id']}", json={"folderId": folder_id}).status_code == 200
    secrets = [SUB, *(asset["id"] for asset in assets), "IMG_2026", "originals/"]
    # When she shares it with a password and downloads, without metadata
    created = alice.post("/shares", json={"folderId": folder_id, "password": "hunter22", "allowDownload": True})
    assert created.status_code == 201, created.text
    token, share_id = created.json()["token"], created.json()["share"]["id"]
    assert created.json()["url"].endswith(f"/g/{token}")
    if server.kind == "local":  # the local server points links at its web app
        assert created.json()["url"].startswith("http://127.0.0.1:")
    # Then bob neither lists nor manages it
    assert bob.get("/shares").json() == {"items": []}
    assert_problem(bob.delete(f"/shares/{share_id}"), 404, "not_found")
    # And signed out, the share answers "password required" until unlocked
    locked = _checked(visitor.get(f"/public/shares/{token}"), secrets)
    assert_problem(locked, 401, "password_required")
    assert_problem(_checked(visitor.post(f"/public/shares/{token}/unlock", json={"password": "no"}), secrets), 401)
    unlocked = _checked(visitor.post(f"/public/shares/{token}/unlock", json={"password": "hunter22"}), secrets)
    access = {"X-Share-Access": unlocked.json()["accessToken"]}
    page = _checked(visitor.get(f"/public/shares/{token}", headers=access), secrets)
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert len(items) == 2 and all("prompt" not in item for item in items)
    # And every URL it hands out is free of ids, names and the sub; thumbnails load, downloads carry no EXIF/GPS
    for url in _urls(page.json()):
        assert leaks(url, *secrets) == [], url
    for item in items:
        if item["thumbUrl"] is not None:
            assert httpx.get(item["thumbUrl"]).status_code == 200
        refused = _checked(visitor.get(item["downloadUrl"]), secrets)
        assert_problem(refused, 401, "password_required")
        redirect = _checked(visitor.get(item["downloadUrl"], params={"access": access["X-Share-Access"]}), secrets)
        assert redirect.status_code == 302, redirect.text
        copy = httpx.get(redirect.headers["location"])
        assert copy.status_code == 200 and f'filename="{item["alias"]}.jpg"' in copy.headers["content-disposition"]
        assert not Image.open(io.BytesIO(copy.content)).getexif() and b"SecretCam" not in copy.content
    # When alice rotates, then revokes it
    rotated = alice.post(f"/shares/{share_id}/rotate").json()
    assert_problem(_checked(visitor.get(f"/public/shares/{token}", headers=access), secrets), 404, "not_found")
    assert alice.delete(f"/shares/{share_id}").status_code == 204
    # Then the new link is as unknown as one that never was
    gone = _checked(visitor.get(f"/public/shares/{rotated['token']}"), secrets)
    never = _checked(visitor.get(f"/public/shares/{'n' * 43}"), secrets)
    assert (gone.status_code, gone.json()) == (never.status_code, never.json()) == (404, never.json())


def test_max_views_unlock_limits_and_bad_input(server: Target) -> None:
    # Given a selection share of one view with a password
    alice, visitor = server.client(SUB), _public(server)
    asset = upload(alice, _jpeg_with_gps(), "image/jpeg", "x.jpg")
    token = alice.post("/shares", json={"assetIds": [asset["id"]], "maxViews": 1}).json()["token"]
    # When it is opened twice: the second is a 404
    assert visitor.get(f"/public/shares/{token}").status_code == 200
    assert_problem(visitor.get(f"/public/shares/{token}"), 404, "not_found")
    # And five wrong passwords lock the unlock
    locked = alice.post("/shares", json={"assetIds": [asset["id"]], "password": "pw"}).json()["token"]
    codes = [visitor.post(f"/public/shares/{locked}/unlock", json={"password": "x"}).status_code for _ in range(5)]
    limited = visitor.post(f"/public/shares/{locked}/unlock", json={"password": "pw"})
    assert codes == [401] * 5 and int(limited.headers["retry-after"]) > 0
    assert_problem(limited, 429, "too_many_attempts")
    # And bad input is a problem, never a 500
    assert_problem(alice.post("/shares", json={"assetIds": []}), 422, "validation_error")
    assert_problem(alice.post("/shares", content=b"{", headers={"content-type": "application/json"}), 400)
    assert_problem(visitor.get(f"/public/shares/{token}", params={"cursor": "x"}), 404, "not_found")
    assert json.loads(alice.get("/shares").text)["items"][0]["views"] in (0, 1)
