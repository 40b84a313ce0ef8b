"""Folders over HTTP: alice organises her images in a folder, its listing, count and cover follow trash and restore,
bob sees and changes none of it, and bad input gets problem+json."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.targets import Target
from tests.e2e.test_gallery_flow import assert_problem, ids, upload
from tests.imagegen import jpeg_bytes, png_bytes

pytestmark = pytest.mark.e2e


def folder_of(client: httpx.Client, folder_id: str) -> dict[str, object]:
    listing = client.get("/folders")
    assert listing.status_code == 200, listing.text
    return next(folder for folder in listing.json()["items"] if folder["id"] == folder_id)


def test_alice_files_images_in_a_folder_and_bob_sees_none_of_it(server: Target) -> None:
    # Given alice's two images
    alice, bob = server.client("alice"), server.client("bob")
    first = upload(alice, png_bytes(64, 48), "image/png", "first.png")
    second = upload(alice, jpeg_bytes(80, 60), "image/jpeg", "second.jpg")

    # When she creates a folder and moves one image in with a PATCH, the other with a bulk move
    created = alice.post("/folders", json={"name": "  Holidays "})
    assert created.status_code == 201, created.text
    folder = created.json()
    assert (folder["name"], folder["assetCount"], folder["coverThumbUrl"]) == ("Holidays", 0, None)
    patched = alice.patch(f"/assets/{first['id']}", json={"folderId": folder["id"]})
    assert patched.status_code == 200 and patched.json()["folderId"] == folder["id"]
    bulk = alice.post("/assets/bulk", json={"action": "move", "ids": [second["id"]], "folderId": folder["id"]})
    assert bulk.status_code == 200 and bulk.json()["results"][0]["result"] == "ok"

    # Then the folder counts both, its cover is the newest one's thumbnail, and it lists newest first
    shown = folder_of(alice, folder["id"])
    assert shown["assetCount"] == 2
    assert isinstance(shown["coverThumbUrl"], str) and httpx.get(shown["coverThumbUrl"]).content[:4] == b"RIFF"
    assert ids(alice.get("/gallery", params={"folderId": folder["id"]})) == [second["id"], first["id"]]
    assert alice.get(f"/assets/{second['id']}").json()["folderId"] == folder["id"]

    # When the newest is trashed, it leaves the folder's listing and count, and shows in the folder's trash
    assert alice.patch(f"/assets/{second['id']}", json={"trashed": True}).status_code == 200
    assert ids(alice.get("/gallery", params={"folderId": folder["id"]})) == [first["id"]]
    assert ids(alice.get("/gallery", params={"folderId": folder["id"], "view": "trash"})) == [second["id"]]
    assert folder_of(alice, folder["id"])["assetCount"] == 1
    # And restored, it comes back
    assert alice.patch(f"/assets/{second['id']}", json={"trashed": False}).status_code == 200
    assert folder_of(alice, folder["id"])["assetCount"] == 2

    # Then bob lists no folder, nothing in hers, and can neither rename, delete, nor move into it
    assert bob.get("/folders").json()["items"] == []
    assert ids(bob.get("/gallery", params={"folderId": folder["id"]})) == []
    assert_problem(bob.patch(f"/folders/{folder['id']}", json={"name": "mine"}), 404, "folder_not_found")
    assert_problem(bob.delete(f"/folders/{folder['id']}", params={"moveAssetsOut": "true"}), 404, "folder_not_found")
    moved = bob.post("/assets/bulk", json={"action": "move", "ids": [first["id"]], "folderId": None})
    assert moved.json()["results"][0]["result"] == "not_found"
    assert folder_of(alice, folder["id"])["name"] == "Holidays"

    # When alice renames it, then deletes it: only with its assets moved out
    renamed = alice.patch(f"/folders/{folder['id']}", json={"name": "Summer"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Summer"
    assert_problem(alice.delete(f"/folders/{folder['id']}"), 409, "folder_not_empty")
    assert alice.delete(f"/folders/{folder['id']}", params={"moveAssetsOut": "true"}).status_code == 204
    # Then the folder is gone and her images are in no folder
    assert all(item["id"] != folder["id"] for item in alice.get("/folders").json()["items"])
    assert [alice.get(f"/assets/{asset['id']}").json()["folderId"] for asset in (first, second)] == [None, None]


def test_bad_folder_input_is_problem_json(server: Target) -> None:
    # Given alice
    alice = server.client("alice")
    # Then
    assert_problem(alice.post("/folders", json={"name": "   "}), 422, "validation_error")
    assert_problem(alice.post("/folders", content=b"{", headers={"content-type": "application/json"}), 400)
    assert_problem(alice.patch("/folders/not-a-folder", json={"name": "x"}), 404, "folder_not_found")
    assert_problem(alice.post("/assets/bulk", json={"action": "move", "ids": ["x"]}), 422, "validation_error")
    unknown = "01KB0000000000000000000000"
    assert_problem(alice.patch(f"/assets/{unknown}", json={"folderId": unknown}), 404, "not_found")
