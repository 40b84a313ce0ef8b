"""Thumbnail and preview keys on moto: no URL of them names its owner or asset; deleting removes every version."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

import pytest

from functions.common.identity import encode_owner
from functions.common.models import View
from functions.common.object_keys import legacy_thumb_key, new_thumb_key
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.purge.logic import purge
from tests.api_events import FakeContext, http_event
from tests.conftest import BUCKET
from tests.integration.purge_support import bucket_keys, new_asset, purge_settings, store_asset, unlimited_time
from tests.thumbnail_support import created_event, image_bytes, quadrants
from tests.thumbnail_support import new_asset as pending_asset

SUBS = ["team#alice", "a b+c%2F", "ünïcödé ☃"]
ASSET_ID = "01JD0000000000000000000000"


@pytest.fixture
def handlers(api_environment: None, idempotency_table: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The thumbnail, gallery and sign handlers with fresh settings and clients inside this test's moto."""
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", idempotency_table)
    from functions.gallery import handler as gallery
    from functions.sign import handler as sign
    from functions.thumbnail import handler as thumbnail

    return {"thumbnail": thumbnail.handler, "gallery": gallery.handler, "sign": sign.handler}


def call(handler: Any, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    response = handler(http_event(method, path, **kwargs), FakeContext())
    return response["statusCode"], json.loads(response["body"] or "null")


def ready_asset(handlers: dict[str, Any], repository: AssetRepository, s3_client: Any, sub: str, now: datetime) -> str:
    """An asset of `sub` made ready by the thumbnail function; returns the key it recorded."""
    asset = repository.create(pending_asset(sub, ASSET_ID, now=now)).asset
    etag = s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=image_bytes(quadrants(), "PNG"))["ETag"]
    assert handlers["thumbnail"](created_event(BUCKET, asset.original_key, etag), FakeContext()) == {
        "outcomes": {asset.original_key: "ready"}
    }
    key = repository.get(sub, ASSET_ID).asset.thumb_key
    assert key is not None
    return key


def revealing(sub: str) -> set[str]:
    """Every spelling of the owner and the asset id a URL could carry."""
    owner = encode_owner(sub)
    return {ASSET_ID, ASSET_ID.lower(), owner, quote(owner, safe=""), quote_plus(owner), sub, quote(sub, safe="")}


@pytest.mark.parametrize("sub", SUBS)
def test_no_thumbnail_url_the_api_hands_out_names_the_owner_or_the_asset(
    handlers: dict[str, Any], repository: AssetRepository, s3_client: Any, now: datetime, sub: str
) -> None:
    # Given an owner's ready asset
    key = ready_asset(handlers, repository, s3_client, sub, now)

    # When its thumbnail URL is handed out: a gallery page, the asset itself, a fresh signature
    page = call(handlers["gallery"], "GET", "/gallery", sub=sub)[1]
    shown = call(handlers["gallery"], "GET", f"/assets/{ASSET_ID}", sub=sub)[1]
    body = json.dumps({"ids": [ASSET_ID], "variant": "thumb"})
    signed = call(handlers["sign"], "POST", "/assets/sign-read", sub=sub, body=body)[1]
    urls = [page["items"][0]["thumbUrl"], shown["thumbUrl"], signed["urls"][ASSET_ID]["url"]]
    # And its preview's (#17), the same three ways
    preview_key = repository.get(sub, ASSET_ID).asset.preview_key
    assert preview_key is not None and preview_key.startswith("thumbs/") and preview_key != key
    body = json.dumps({"ids": [ASSET_ID], "variant": "preview"})
    signed = call(handlers["sign"], "POST", "/assets/sign-read", sub=sub, body=body)[1]
    previews = [page["items"][0]["previewUrl"], shown["previewUrl"], signed["urls"][ASSET_ID]["url"]]

    # Then each one signs the recorded key, and no part of it holds the owner or the asset id
    for url, signed_key in [*((url, key) for url in urls), *((url, preview_key) for url in previews)]:
        parts = urlsplit(url)
        assert unquote(parts.path).endswith(signed_key)
        for secret in revealing(sub):
            assert secret not in url and secret not in unquote(url), (secret, url)
    # And the keys themselves are never shown
    assert not {"thumbKey", "previewKey"} & (set(shown) | set(page["items"][0]))
    # And the signed URL really fetches the thumbnail
    assert s3_client.get_object(Bucket=BUCKET, Key=key)["ContentType"] == "image/webp"


def test_deleting_forever_removes_every_version_of_the_recorded_thumbnail_and_preview(
    handlers: dict[str, Any], repository: AssetRepository, s3_client: Any, now: datetime
) -> None:
    # Given a ready asset whose thumbnail and preview have an older version too, moved to the trash
    key = ready_asset(handlers, repository, s3_client, "alice", now)
    preview_key = repository.get("alice", ASSET_ID).asset.preview_key
    assert preview_key is not None
    for derivative in (key, preview_key):
        s3_client.put_object(Bucket=BUCKET, Key=derivative, Body=b"older", ContentType="image/webp")
    assert call(handlers["gallery"], "PATCH", f"/assets/{ASSET_ID}", body=json.dumps({"trashed": True}))[0] == 200

    # When it is deleted forever
    assert call(handlers["gallery"], "DELETE", f"/assets/{ASSET_ID}")[0] == 204

    # Then no version of its thumbnail, preview (nor its original) is left, and the record is gone
    for prefix in (key, preview_key, f"originals/{encode_owner('alice')}/{ASSET_ID}"):
        listed = s3_client.list_object_versions(Bucket=BUCKET, Prefix=prefix)
        assert not listed.get("Versions") and not listed.get("DeleteMarkers"), prefix
    assert repository.page("alice", View.ALL, None, 10, None).items == []


def test_the_purge_removes_the_recorded_thumbnail_and_the_owner_id_one_of_an_older_asset(
    repository: AssetRepository, store: ObjectStore, s3_client: Any, now: datetime
) -> None:
    # Given two expired assets in the trash: one with a recorded random key, one thumbnailed before keys were random
    trashed_at = now - timedelta(days=31)
    recorded = new_asset(created_at=now - timedelta(days=60), trashed_at=trashed_at)
    recorded = recorded.model_copy(update={"thumb_key": new_thumb_key(), "preview_key": new_thumb_key()})
    older = new_asset(created_at=now - timedelta(days=60), trashed_at=trashed_at)
    for asset in (recorded, older):
        store_asset(repository, store, asset)
    assert {recorded.thumb_key, recorded.preview_key} <= bucket_keys(s3_client)
    assert legacy_thumb_key(older.owner, older.id) in bucket_keys(s3_client)

    # When the purge runs
    report = purge(now=now, settings=purge_settings(), repository=repository, store=store, time_left_ms=unlimited_time)

    # Then both are gone, records and every object
    assert (report.purged, report.failed) == (2, 0)
    assert bucket_keys(s3_client) == set()


def _versions(s3_client: Any, key: str) -> list[Any]:
    listed = s3_client.list_object_versions(Bucket=BUCKET, Prefix=key)
    return [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]


def test_new_bytes_get_a_new_thumbnail_and_preview_and_the_replaced_ones_lose_every_version(
    handlers: dict[str, Any], repository: AssetRepository, s3_client: Any, now: datetime
) -> None:
    # Given a ready asset (the thumbnail function recorded both keys), whose preview has an older version too
    thumb_key = ready_asset(handlers, repository, s3_client, "alice", now)
    asset = repository.get("alice", ASSET_ID).asset
    preview_key = asset.preview_key
    assert preview_key is not None
    s3_client.put_object(Bucket=BUCKET, Key=preview_key, Body=b"older", ContentType="image/webp")
    s3_client.put_object(Bucket=BUCKET, Key=preview_key, Body=b"current", ContentType="image/webp")

    # When its original is replaced by other bytes and the thumbnail function runs again
    larger = image_bytes(quadrants(2000, 1000), "JPEG")
    etag = s3_client.put_object(Bucket=BUCKET, Key=asset.original_key, Body=larger)["ETag"]
    outcome = handlers["thumbnail"](created_event(BUCKET, asset.original_key, etag), FakeContext())

    # Then the asset records two new keys, both WebPs of the new picture
    assert outcome == {"outcomes": {asset.original_key: "ready"}}
    again = repository.get("alice", ASSET_ID).asset
    assert (
        again.thumb_key
        and again.preview_key
        and {again.thumb_key, again.preview_key}.isdisjoint({thumb_key, preview_key})
    )
    from PIL import Image

    with Image.open(BytesIO(s3_client.get_object(Bucket=BUCKET, Key=again.preview_key)["Body"].read())) as preview:
        assert (preview.format, preview.size) == ("WEBP", (1440, 720))
    # And no version of the replaced thumbnail or preview is left
    assert _versions(s3_client, thumb_key) == [] and _versions(s3_client, preview_key) == []
