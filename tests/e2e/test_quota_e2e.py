"""Per-user quotas through the local server: a user at the limit is refused by sign, upload and ingest with 409
`quota_exceeded`, `GET /usage` shows what counts, and deleting forever makes room again."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.targets import Target
from tests.e2e.test_gallery_flow import upload
from tests.imagegen import png_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.local_only("sets the server's own USER_QUOTA_ASSETS")]

QUOTA_ASSETS = 3


@pytest.fixture(scope="module")
def local_server_env() -> dict[str, str]:
    return {"USER_QUOTA_ASSETS": str(QUOTA_ASSETS)}


def direct_upload(client: httpx.Client, data: bytes) -> httpx.Response:
    return client.post("/uploads", files={"file": ("b.png", data, "image/png")})


def assert_quota_exceeded(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "quota_exceeded"


def test_a_user_at_the_limit_is_refused_everywhere_until_a_delete_forever_makes_room(server: Target) -> None:
    alice = server.client("quota-alice")
    # Given alice fills her quota: one presigned upload (counted once its bytes are stored) and two direct ones
    presigned = png_bytes(64, 48)
    first = upload(alice, presigned, "image/png", "a.png")
    assert first["status"] == "ready"
    assert alice.get("/usage").json() == {
        "bytes": len(presigned),
        "assets": 1,
        "limits": {"bytes": 10240 * 1024 * 1024, "assets": QUOTA_ASSETS},
    }
    small = [png_bytes(20, 20), png_bytes(21, 21)]
    for data in small:
        assert direct_upload(alice, data).status_code == 201

    # When she signs, uploads and ingests once more
    refusals = [
        alice.post("/uploads/sign", json={"contentType": "image/png", "size": 100}),
        direct_upload(alice, png_bytes(22, 22)),
        alice.post("/ingest", json={"url": "https://images.example.com/cat.png"}),
    ]

    # Then each is a 409 `quota_exceeded` problem, nothing was created, and her usage says why
    for refused in refusals:
        assert_quota_exceeded(refused)
    usage = alice.get("/usage").json()
    assert (usage["assets"], usage["bytes"]) == (QUOTA_ASSETS, len(presigned) + sum(map(len, small)))
    assert len(alice.get("/gallery").json()["items"]) == QUOTA_ASSETS
    # And another user is not affected
    assert (
        server.client("quota-bob").post("/uploads/sign", json={"contentType": "image/png", "size": 9}).status_code
        == 201
    )

    # When she trashes one (the trash still counts), then deletes it forever
    assert alice.patch(f"/assets/{first['id']}", json={"trashed": True}).status_code == 200
    assert_quota_exceeded(alice.post("/uploads/sign", json={"contentType": "image/png", "size": 100}))
    assert alice.delete(f"/assets/{first['id']}").status_code == 204

    # Then it no longer counts, and she may upload again
    usage = alice.get("/usage").json()
    assert (usage["assets"], usage["bytes"]) == (QUOTA_ASSETS - 1, sum(map(len, small)))
    assert direct_upload(alice, png_bytes(23, 23)).status_code == 201


def test_concurrent_uploads_take_exactly_the_assets_left_and_usage_equals_the_gallery(server: Target) -> None:
    # Given carol, with no assets yet, and twelve different images
    carol = server.client("quota-carol")
    images = [png_bytes(30 + n, 30) for n in range(12)]

    # When she uploads them all at once
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda data: direct_upload(carol, data), images))

    # Then exactly her quota's worth were created and the others refused, and her usage is what her gallery holds
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * QUOTA_ASSETS + [409] * (len(images) - QUOTA_ASSETS), [a.text for a in answers]
    items = carol.get("/gallery").json()["items"]
    usage = carol.get("/usage").json()
    assert (usage["assets"], usage["bytes"]) == (len(items), sum(item["size"] for item in items))
