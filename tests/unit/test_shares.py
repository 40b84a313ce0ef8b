"""Share links over fakes, through both handlers: the leak matrix, expiry, revoke, rotate, maxViews, unlock limits,
two users, bad input."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from functions.common.formats import AssetKind
from functions.common.ids import new_ulid
from functions.common.metadata_strip import Stripped
from functions.common.models import Asset, AssetStatus, Folder, Placeholder
from functions.public_shares import handler as public_handler
from functions.public_shares import wiring as public_wiring
from functions.public_shares.logic import PublicShares
from functions.shares import handler as shares_handler
from functions.shares import wiring as shares_wiring
from functions.shares.logic import Shares
from tests.api_events import FakeContext, http_event
from tests.builders import new_asset
from tests.fakes import MemoryAssets, MemoryStore
from tests.share_fakes import MemoryShares, Now, leaks

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ALICE, BOB = "sub-alice-7f3a9c", "sub-bob-51d2e8"
ORIGINAL = b"\xff\xd8JPEG-BYTES Exif GPS 48.85N 2.35E XMP\xff\xd9"
PUBLIC_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow, noimageindex",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _strip(body: bytes) -> Stripped:
    return Stripped(data=b"\xff\xd8STRIPPED\xff\xd9", mime="image/jpeg", extension="jpg")


@dataclass
class World:
    now: Now
    assets: MemoryAssets
    store: MemoryStore
    shares: MemoryShares
    shown: list[Asset]  # alice's ready assets in her folder (or selected)
    hidden: list[Asset]  # in the trash, not ready
    folder_id: str

    def call(
        self, method: str, path: str, *, sub: str | None = ALICE, **kwargs: Any
    ) -> tuple[int, Any, dict[str, str]]:
        body = kwargs.pop("json", None)
        event = http_event(method, path, sub=sub or "", body=None if body is None else json.dumps(body), **kwargs)
        public = path.startswith("/public/")
        if public or sub is None:
            event["requestContext"].pop("authorizer")
        module = public_handler if public else shares_handler
        result = module.handler(event, FakeContext())
        raw = result.get("body") or ""
        return int(result["statusCode"]), (json.loads(raw) if raw else None), dict(result.get("headers") or {})

    def create(self, **options: Any) -> dict[str, Any]:
        status, body, _ = self.call("POST", "/shares", json=options)
        assert status == 201, body
        return dict(body)

    def secrets(self) -> list[str]:
        every = [*self.shown, *self.hidden]
        return [ALICE, *(asset.id for asset in every), *(asset.filename or "" for asset in every), "originals/"]


@pytest.fixture
def world() -> Iterator[World]:
    now = Now(NOW)
    folder_id = new_ulid(NOW)
    assets = MemoryAssets()
    assets.folder_items[(ALICE, folder_id)] = Folder(
        owner=ALICE, id=folder_id, name="Trip", created_at=NOW, updated_at=NOW
    )
    store = MemoryStore()
    shown, hidden = [], []
    for number in range(3):
        asset = new_asset(
            created_at=NOW - timedelta(minutes=10 - number),
            owner=ALICE,
            filename=f"IMG_20261201_1200{number}.jpg",
            mime="image/jpeg",
            width=640,
            height=480,
            prompt=f"secret prompt {number}",
            model="secret-model",
            params={"seed": 4242},
            placeholder=Placeholder(blurhash="LEHV6nWB2yk8", color="#aabbcc"),
            thumb_key=f"thumbs/RandomThumbKey{number}.webp",
            preview_key=f"thumbs/RandomPreviewKey{number}.webp",
            folder_id=folder_id,
        )
        shown.append(asset)
    hidden.append(shown[0].model_copy(update={"id": new_ulid(NOW - timedelta(minutes=20)), "trashed_at": NOW}))
    hidden.append(
        shown[0].model_copy(update={"id": new_ulid(NOW - timedelta(minutes=30)), "status": AssetStatus.PENDING})
    )
    for asset in [*shown, *hidden]:
        assets.create(asset)
        store.objects[asset.original_key] = ORIGINAL
    shares = MemoryShares()
    shares_wiring.collaborators.use(
        Shares(shares=shares, assets=assets, store=store, clock=now, base_url="https://app.example")
    )
    public_wiring.collaborators.use(PublicShares(shares=shares, assets=assets, store=store, clock=now, strip=_strip))
    yield World(now, assets, store, shares, shown, hidden, folder_id)
    shares_wiring.collaborators.reset()
    public_wiring.collaborators.reset()


def _token(created: dict[str, Any]) -> str:
    return str(created["token"])


def _urls(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [url for item in value.values() for url in _urls(item)]
    if isinstance(value, list):
        return [url for item in value for url in _urls(item)]
    return [value] if isinstance(value, str) and ("/" in value) else []


def _target(world: World, kind: str) -> dict[str, Any]:
    if kind == "folder":
        return {"folderId": world.folder_id}
    return {"assetIds": [asset.id for asset in [*world.shown, *world.hidden]]}


MATRIX = list(itertools.product(("folder", "selection"), (None, "correct horse"), (False, True), (False, True)))


@pytest.mark.parametrize(("kind", "password", "allow_download", "show_metadata"), MATRIX)
def test_leak_matrix(world: World, kind: str, password: str | None, allow_download: bool, show_metadata: bool) -> None:
    # Given a share of alice's folder or selection with these options
    options = {"allowDownload": allow_download, "showMetadata": show_metadata, "title": "Holiday"}
    created = world.create(**_target(world, kind), **options, **({"password": password} if password else {}))
    token, secrets = _token(created), world.secrets()
    assert created["url"] == f"https://app.example/g/{token}" and "token" not in json.dumps(created["share"])
    answers: list[tuple[int, Any, dict[str, str]]] = []
    access: dict[str, str] = {}
    if password:
        # Then a locked share answers "password required" and nothing else, to every public call
        locked = world.call("GET", f"/public/shares/{token}")
        assert locked[0] == 401 and locked[1]["code"] == "password_required"
        assert set(locked[1]) == {"type", "title", "status", "detail", "code"}
        answers.append(locked)
        answers.append(world.call("POST", f"/public/shares/{token}/unlock", json={"password": "wrong"}))
        assert answers[-1][0] == 401 and answers[-1][1]["code"] == "wrong_password"
        unlocked = world.call("POST", f"/public/shares/{token}/unlock", json={"password": password})
        assert unlocked[0] == 200
        answers.append(unlocked)
        access = {"X-Share-Access": unlocked[1]["accessToken"]}
    # When a visitor opens the page
    page = world.call("GET", f"/public/shares/{token}", headers=access)
    answers.append(page)
    status, body, _ = page
    assert status == 200, body
    # Then it shows the ready assets not in the trash, by alias, with metadata only when allowed
    assert body["title"] == "Holiday" and body["allowDownload"] is allow_download
    assert body["showMetadata"] is show_metadata
    items = body["items"]
    assert len(items) == len(world.shown)
    for item in items:
        assert item["width"] == 640 and item["placeholder"]["blurhash"] == "LEHV6nWB2yk8"
        assert item["thumbUrl"].startswith("https://media.invalid/thumbs/RandomThumbKey")
        assert item["previewUrl"].startswith("https://media.invalid/thumbs/RandomPreviewKey")
        assert ("prompt" in item) is show_metadata and ("params" in item) is show_metadata
        assert ("downloadUrl" in item) is allow_download
    if not show_metadata:
        assert "secret prompt" not in json.dumps(body) and "secret-model" not in json.dumps(body)
    for item in items if allow_download else []:
        # A download without the access token is refused on a password share; with it, a 302 to a named copy
        if password:
            refused = world.call("GET", item["downloadUrl"])
            assert refused[0] == 401 and refused[1]["code"] == "password_required"
            answers.append(refused)
        got = world.call("GET", item["downloadUrl"], query={"access": access["X-Share-Access"]} if access else None)
        answers.append(got)
        assert got[0] == 302
        location = got[2]["Location"]
        assert location.startswith("https://media.invalid/public/") and f"download={item['alias']}.jpg" in location
        copy = world.store.objects[urlsplit(location).path.removeprefix("/")]
        assert (copy == ORIGINAL) is show_metadata and (b"GPS" in copy) is show_metadata
    # And no answer nor any URL it hands out names an asset, a file or the owner; every answer has the headers
    for _, answer, headers in answers:
        text = json.dumps(answer) + " ".join(headers.values())
        assert leaks(text, *secrets) == [], text
        for url in [*_urls(answer), headers.get("Location", "")]:
            assert leaks(url, *secrets) == []
        for name, value in PUBLIC_HEADERS.items():
            assert headers[name] == value


def test_an_old_thumbnail_at_its_owner_and_id_key_is_never_handed_out(world: World) -> None:
    # Given an asset whose thumbnail predates random keys
    legacy = world.shown[0].model_copy(update={"thumb_key": None})
    world.assets.replace(world.assets.get(ALICE, legacy.id), legacy)
    token = _token(world.create(folderId=world.folder_id))
    # When the page is shown
    _, body, _ = world.call("GET", f"/public/shares/{token}")
    # Then that item has no thumbnail URL (and none names the owner)
    assert sorted(item["thumbUrl"] is None for item in body["items"]) == [False, False, True]
    assert leaks(json.dumps(body), *world.secrets()) == []


def _not_found(world: World, token: str) -> tuple[int, Any]:
    status, body, headers = world.call("GET", f"/public/shares/{token}")
    assert headers["X-Robots-Tag"] == PUBLIC_HEADERS["X-Robots-Tag"]
    return status, body


def test_unknown_expired_revoked_and_used_up_links_get_the_same_404(world: World) -> None:
    # Given an expiring share, one to revoke and one of two views
    expiring = _token(world.create(folderId=world.folder_id, expiresAt="2026-12-01T13:00:00Z"))
    revoked = world.create(folderId=world.folder_id)
    limited = _token(world.create(folderId=world.folder_id, maxViews=2))
    assert world.call("GET", f"/public/shares/{expiring}")[0] == 200
    # When time passes the expiry, the owner revokes, and the views are used up
    world.call("DELETE", f"/shares/{revoked['share']['id']}")
    assert [world.call("GET", f"/public/shares/{limited}")[0] for _ in range(2)] == [200, 200]
    assert world.call("GET", f"/public/shares/{limited}", query={"cursor": "forged"})[0] == 404
    world.now.moment = NOW + timedelta(hours=1)
    # Then each answers exactly what an unknown link does
    unknown = _not_found(world, "x" * 43)
    assert unknown[0] == 404 and unknown[1]["code"] == "not_found"
    for token in (expiring, _token(revoked), limited, "y" * 500):
        assert _not_found(world, token) == unknown


def test_rotate_kills_the_old_link_and_its_access_tokens(world: World) -> None:
    # Given a password share unlocked by a visitor
    created = world.create(assetIds=[world.shown[0].id], password="pw")
    old = _token(created)
    access = world.call("POST", f"/public/shares/{old}/unlock", json={"password": "pw"})[1]["accessToken"]
    # When the owner rotates it
    status, rotated, _ = world.call("POST", f"/shares/{created['share']['id']}/rotate")
    # Then the old link is unknown, the new one needs unlocking again (the old access token is void)
    assert status == 200 and rotated["token"] != old and rotated["share"]["id"] == created["share"]["id"]
    assert world.call("GET", f"/public/shares/{old}", headers={"X-Share-Access": access})[0] == 404
    again = world.call("GET", f"/public/shares/{rotated['token']}", headers={"X-Share-Access": access})
    assert again[0] == 401 and again[1]["code"] == "password_required"


def test_unlock_is_limited_per_share_with_retry_after(world: World) -> None:
    # Given a password share
    token = _token(world.create(folderId=world.folder_id, password="right"))
    # When five wrong passwords are tried
    wrong = [world.call("POST", f"/public/shares/{token}/unlock", json={"password": f"guess{n}"}) for n in range(5)]
    # Then the next attempt is refused, even with the right password, until the window passes
    assert [answer[0] for answer in wrong] == [401] * 5
    status, body, headers = world.call("POST", f"/public/shares/{token}/unlock", json={"password": "right"})
    assert status == 429 and body["code"] == "too_many_attempts" and int(headers["Retry-After"]) > 0
    world.now.moment = NOW + timedelta(minutes=16)
    assert world.call("POST", f"/public/shares/{token}/unlock", json={"password": "right"})[0] == 200


def test_an_access_token_expires_and_cannot_be_forged(world: World) -> None:
    token = _token(world.create(folderId=world.folder_id, password="pw"))
    access = world.call("POST", f"/public/shares/{token}/unlock", json={"password": "pw"})[1]["accessToken"]
    forged = access[:-2] + ("AA" if not access.endswith("AA") else "BB")
    assert world.call("GET", f"/public/shares/{token}", headers={"X-Share-Access": forged})[0] == 401
    world.now.moment = NOW + timedelta(hours=2)
    assert world.call("GET", f"/public/shares/{token}", headers={"X-Share-Access": access})[0] == 401


def test_nobody_manages_or_lists_another_users_shares(world: World) -> None:
    # Given alice's share
    share_id = world.create(folderId=world.folder_id)["share"]["id"]
    # When bob lists, changes, rotates or revokes it, or shares alice's assets or folder
    assert world.call("GET", "/shares", sub=BOB)[1] == {"items": []}
    answers = [
        world.call("PATCH", f"/shares/{share_id}", sub=BOB, json={"title": "mine"}),
        world.call("POST", f"/shares/{share_id}/rotate", sub=BOB),
        world.call("DELETE", f"/shares/{share_id}", sub=BOB),
        world.call("POST", "/shares", sub=BOB, json={"assetIds": [world.shown[0].id]}),
    ]
    folder = world.call("POST", "/shares", sub=BOB, json={"folderId": world.folder_id})
    # Then each is a 404, and alice's share is unchanged
    assert [answer[0] for answer in answers] == [404] * 4 and {answer[1]["code"] for answer in answers} == {"not_found"}
    assert folder[0] == 404 and folder[1]["code"] == "folder_not_found"
    assert [share["id"] for share in world.call("GET", "/shares")[1]["items"]] == [share_id]
    assert world.shares.shares[share_id].title is None


def test_patch_changes_options_and_removes_a_password(world: World) -> None:
    created = world.create(assetIds=[world.shown[0].id], password="pw")
    share_id = created["share"]["id"]
    status, body, _ = world.call("PATCH", f"/shares/{share_id}", json={"password": None, "allowDownload": True})
    assert status == 200 and body["hasPassword"] is False and body["allowDownload"] is True and body["assetCount"] == 1
    assert world.call("GET", f"/public/shares/{_token(created)}")[0] == 200
    assert world.call("GET", "/shares")[1]["items"][0]["views"] == 1


BAD_BODIES = [
    {},
    {"folderId": "01J00000000000000000000000", "assetIds": ["01J00000000000000000000000"]},
    {"assetIds": []},
    {"assetIds": ["01J00000000000000000000000"] * 501},
    {"folderId": "x" * 26, "maxViews": 0},
    {"assetIds": ["01J00000000000000000000000"], "expiresAt": "2020-01-01T00:00:00Z"},
    {"assetIds": ["01J00000000000000000000000"], "surprise": True},
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_input_is_a_problem(world: World, body: dict[str, Any]) -> None:
    status, answer, headers = world.call("POST", "/shares", json=body)
    assert status == 422 and answer["code"] == "validation_error"
    assert headers["Content-Type"] == "application/problem+json"


def test_bad_public_input_is_a_problem_with_the_public_headers(world: World) -> None:
    token = _token(world.create(folderId=world.folder_id))
    cursor = world.call("GET", f"/public/shares/{token}", query={"cursor": "not-ours"})
    unlock = world.call("POST", f"/public/shares/{token}/unlock", json={"password": ""})
    alias = world.call("GET", f"/public/shares/{token}/items/{'A' * 22}/download")
    assert (cursor[0], cursor[1]["code"]) == (400, "invalid_cursor")
    assert (unlock[0], unlock[1]["code"]) == (422, "validation_error")
    assert (alias[0], alias[1]["code"]) == (404, "not_found")
    for answer in (cursor, unlock, alias):
        assert answer[2]["Content-Type"] == "application/problem+json" and answer[2]["Cache-Control"] == "no-store"


def test_a_long_selection_pages_with_sealed_cursors(world: World) -> None:
    # Given 120 of alice's assets shared as a selection
    many = [
        new_asset(created_at=NOW - timedelta(seconds=n), owner=ALICE, thumb_key=f"thumbs/k{n}.webp") for n in range(120)
    ]
    for asset in many:
        world.assets.create(asset)
    token = _token(world.create(assetIds=[asset.id for asset in many]))
    # When a visitor pages through it
    seen: list[str] = []
    cursor: str | None = None
    reads_before = len(world.assets.batch_gets)
    while True:
        status, body, _ = world.call("GET", f"/public/shares/{token}", query={"cursor": cursor} if cursor else None)
        assert status == 200
        seen += [item["alias"] for item in body["items"]]
        cursor = body["nextCursor"]
        assert cursor is None or leaks(cursor, *(asset.id for asset in many)) == []
        if cursor is None:
            break
    # Then every item shows once, a page is one batch read of at most a page, and only the first page is a view
    assert len(seen) == len(set(seen)) == 120
    assert [len(ids) for ids in world.assets.batch_gets[reads_before:]] == [50, 50, 20]
    assert world.call("GET", "/shares")[1]["items"][0]["views"] == 1


@pytest.mark.parametrize("show_metadata", [False, True])
def test_a_shared_video_shows_its_poster_and_its_download_is_the_404_of_a_disallowed_one(
    world: World, show_metadata: bool
) -> None:
    # Given a ready video (its poster recorded as a thumbnail) in alice's folder beside her images, shared with
    # downloads allowed, and the same folder shared without
    clip = world.shown[0].model_copy(
        update={"id": new_ulid(NOW), "kind": AssetKind.VIDEO, "mime": "video/mp4", "thumb_key": "thumbs/Poster.webp"}
    )
    world.assets.create(clip)
    world.store.objects[clip.original_key] = b"MP4-BYTES"
    allowed = _token(world.create(folderId=world.folder_id, allowDownload=True, showMetadata=show_metadata))
    disallowed = _token(world.create(folderId=world.folder_id, allowDownload=False))
    # When a visitor opens the page
    _, body, _ = world.call("GET", f"/public/shares/{allowed}")
    (item,) = [item for item in body["items"] if item["thumbUrl"].endswith("/thumbs/Poster.webp?ttl=3600")]
    # Then the video shows its poster and no download, while the images keep theirs
    assert "downloadUrl" not in item
    assert sum("downloadUrl" in other for other in body["items"]) == len(world.shown)
    # And asking for its download anyway answers exactly what a share without downloads does, copying nothing
    refused = world.call("GET", f"/public/shares/{allowed}/items/{item['alias']}/download")
    alias = next(other["alias"] for other in world.call("GET", f"/public/shares/{disallowed}")[1]["items"])
    not_allowed = world.call("GET", f"/public/shares/{disallowed}/items/{alias}/download")
    assert refused[0] == not_allowed[0] == 404 and refused[1] == not_allowed[1]
    assert not any(key.startswith("public/") for key in world.store.objects)
