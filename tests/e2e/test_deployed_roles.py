"""The deletes and the purge that AWS would refuse under moto's leniency, through the local server, where every
function's execution environments run with only the role the stack deploys for it (README, "Local and AWS")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.targets import Target
from tests.imagegen import png_bytes

pytestmark = pytest.mark.e2e


def uploaded(client: httpx.Client, name: str) -> dict[str, Any]:
    response = client.post("/uploads", files={"file": (name, png_bytes(24, 16), "image/png")})
    assert response.status_code == 201, response.text
    return dict(response.json())


def trashed(client: httpx.Client, name: str) -> dict[str, Any]:
    asset = uploaded(client, name)
    response = client.patch(f"/assets/{asset['id']}", json={"trashed": True})
    assert response.status_code == 200, response.text
    return asset


def test_delete_forever_bulk_delete_and_empty_trash_remove_the_records(server: Target) -> None:
    with server.client("alice") as alice:
        # Given three assets in alice's trash
        single, in_bulk, emptied = (trashed(alice, f"{name}.png") for name in ("single", "bulk", "empty"))

        # When she deletes one forever, one with a bulk delete, and then empties the trash
        deleted = alice.delete(f"/assets/{single['id']}")
        bulk = alice.post("/assets/bulk", json={"action": "delete", "ids": [in_bulk["id"]]})
        empty = alice.post("/trash/empty")

        # Then each answers success (the gallery's role may DeleteItem, not BatchWriteItem) ...
        assert deleted.status_code == 204, deleted.text
        assert [(result["id"], result["result"]) for result in bulk.json()["results"]] == [(in_bulk["id"], "ok")]
        assert empty.json() == {"deleted": 1}
        # ... and every record is gone: nothing left to show, to restore or to list
        for asset in (single, in_bulk, emptied):
            assert alice.get(f"/assets/{asset['id']}").status_code == 404
            assert alice.patch(f"/assets/{asset['id']}", json={"trashed": False}).status_code == 404
        assert alice.get("/gallery", params={"view": "trash"}).json()["items"] == []


@pytest.mark.local_only("runs the scheduled purge as of a chosen time through /__dev/purge")
def test_the_purge_runs_past_an_abandoned_upload(server: Target) -> None:
    with server.client("bob") as bob:
        # Given an upload that was signed and never sent, and an asset in the trash
        signed = bob.post("/uploads/sign", json={"contentType": "image/png", "size": 1234})
        assert signed.status_code == 201, signed.text
        abandoned = signed.json()["asset"]
        old = trashed(bob, "old.png")

        # When the schedule runs 31 days later (the sweep asks whether the abandoned original ever arrived)
        later = (datetime.now(UTC) + timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ")
        report = httpx.post(f"{server.url}/__dev/purge", params={"now": later}, timeout=60)

        # Then the run finishes without a failure, removing both
        assert report.status_code == 200, report.text
        assert report.json()["failures"] == []
        assert report.json()["abandoned_removed"] >= 1 and report.json()["purged"] >= 1
        assert bob.get(f"/assets/{abandoned['id']}").status_code == 404
        assert bob.get(f"/assets/{old['id']}").status_code == 404
