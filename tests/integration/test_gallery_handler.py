"""The gallery and sign handlers on moto: contract defaults and limits that only the handler layer applies."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.common.repository import AssetRepository
from tests.api_events import FakeContext, http_event
from tests.builders import new_asset


@pytest.fixture
def handlers(api_environment: None) -> tuple[Any, Any]:
    from functions.gallery import handler as gallery
    from functions.sign import handler as sign

    return gallery.handler, sign.handler


def call(handler: Any, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    response = handler(http_event(method, path, **kwargs), FakeContext())
    return response["statusCode"], json.loads(response["body"] or "null")


def seed(repository: AssetRepository, now: datetime, count: int) -> list[str]:
    ids = []
    for index in range(count):
        moment = now + timedelta(seconds=index)
        asset = new_asset(owner="alice", created_at=moment)
        repository.create(asset)
        ids.append(asset.id)
    return ids


def test_gallery_pages_hold_50_items_by_default(
    handlers: tuple[Any, Any], repository: AssetRepository, now: datetime
) -> None:
    # Given 51 assets
    gallery, _ = handlers
    ids = seed(repository, now, 51)

    # When the gallery is listed without a limit
    status, page = call(gallery, "GET", "/gallery")

    # Then the page holds the 50 newest and a cursor to the last one
    assert status == 200
    assert [item["id"] for item in page["items"]] == list(reversed(ids))[:50]
    assert page["nextCursor"]


def test_patch_edits_prompt_and_asset_type(
    handlers: tuple[Any, Any], repository: AssetRepository, now: datetime
) -> None:
    # Given an uploaded asset
    gallery, _ = handlers
    (asset_id,) = seed(repository, now, 1)

    # When its prompt and type are edited
    status, shown = call(
        gallery,
        "PATCH",
        f"/assets/{asset_id}",
        body=json.dumps({"prompt": "a fox", "assetType": "edited"}),
        headers={"content-type": "application/json"},
    )

    # Then the asset shows them and moves to the edited type's listing
    assert status == 200
    assert (shown["prompt"], shown["assetType"]) == ("a fox", "edited")
    _, edited = call(gallery, "GET", "/gallery", query={"assetType": "edited"})
    _, uploaded = call(gallery, "GET", "/gallery", query={"assetType": "uploaded"})
    assert [item["id"] for item in edited["items"]] == [asset_id]
    assert uploaded["items"] == []


@pytest.mark.parametrize("count", [0, 101])
def test_sign_read_takes_1_to_100_ids(handlers: tuple[Any, Any], count: int) -> None:
    # When sign-read is asked for no ids or for more than 100
    _, sign = handlers
    body = json.dumps({"ids": [f"id{i}" for i in range(count)], "variant": "thumb"})
    status, problem = call(sign, "POST", "/assets/sign-read", body=body, headers={"content-type": "application/json"})

    # Then it is a validation problem
    assert status == 422
    assert problem["code"] == "validation_error"
