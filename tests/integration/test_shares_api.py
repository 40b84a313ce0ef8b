"""Share links on moto, each function under its own role: the owner's routes, the public ones (a folder share and a
selection share), downloads as copies at random keys, revoke deleting them, and the public role's limits."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from devserver.iam.principal import acting_as
from functions.common.failures import PermanentError
from functions.common.ids import new_ulid
from functions.common.models import Folder, Placeholder
from functions.common.repository import AssetRepository
from functions.common.repository.shares import ShareRepository, token_partition
from functions.common.sharing import token_digest
from tests.api_events import FakeContext, http_event
from tests.builders import new_asset
from tests.conftest import BUCKET, TABLE
from tests.share_fakes import leaks

ALICE = "sub-alice-integration"
ORIGINAL = b"\xff\xd8 original bytes with Exif GPS\xff\xd9"


@pytest.fixture
def handlers(api_environment: None) -> tuple[Any, Any]:
    from functions.public_shares import handler as public
    from functions.shares import handler as shares

    return shares.handler, public.handler


def call(handler: Any, method: str, path: str, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
    body = kwargs.pop("json", None)
    event = http_event(method, path, sub=ALICE, body=None if body is None else json.dumps(body), **kwargs)
    if path.startswith("/public/"):
        event["requestContext"].pop("authorizer")
    response = handler(event, FakeContext())
    return response["statusCode"], json.loads(response["body"] or "null"), dict(response.get("headers") or {})


def _key_of(url: str) -> str:
    """The object key of a presigned URL, path-style or virtual-hosted."""
    return urlsplit(url).path.removeprefix(f"/{BUCKET}").removeprefix("/")


@pytest.fixture
def folder(repository: AssetRepository, now: datetime) -> tuple[str, list[str]]:
    """Alice's folder of two ready assets with random thumbnail keys and stored originals."""
    folder_id = new_ulid(now)
    repository.create_folder(
        Folder(owner=ALICE, id=folder_id, name="Trip", created_at=now, updated_at=now), max_folders=10
    )
    s3 = boto3.client("s3")
    ids = []
    for number in range(2):
        asset = new_asset(
            created_at=now - timedelta(minutes=number),
            owner=ALICE,
            filename=f"IMG_{number}.jpg",
            mime="image/jpeg",
            width=10,
            height=10,
            placeholder=Placeholder(blurhash="LEHV6nWB2yk8", color="#aabbcc"),
            thumb_key=f"thumbs/rand{number}.webp",
            folder_id=folder_id,
        )
        repository.create(asset)
        s3.put_object(Bucket=BUCKET, Key=asset.original_key, Body=ORIGINAL)
        s3.put_object(Bucket=BUCKET, Key=f"thumbs/rand{number}.webp", Body=b"webp")
        ids.append(asset.id)
    return folder_id, ids


def test_a_password_folder_share_from_creation_to_revoke(
    handlers: tuple[Any, Any], folder: tuple[str, list[str]]
) -> None:
    shares, public = handlers
    folder_id, ids = folder
    # Given alice's password share of her folder, with downloads and metadata
    options = {"folderId": folder_id, "password": "pw", "allowDownload": True, "showMetadata": True}
    status, created, _ = call(shares, "POST", "/shares", json=options)
    assert status == 201, created
    token, share_id = created["token"], created["share"]["id"]
    assert [item["id"] for item in call(shares, "GET", "/shares")[1]["items"]] == [share_id]
    # When a visitor unlocks it and opens the page
    assert call(public, "GET", f"/public/shares/{token}")[0] == 401
    status, unlocked, _ = call(public, "POST", f"/public/shares/{token}/unlock", json={"password": "pw"})
    assert status == 200, unlocked
    access = unlocked["accessToken"]
    status, page, headers = call(public, "GET", f"/public/shares/{token}", headers={"X-Share-Access": access})
    # Then it shows both assets by alias, with thumbnails at their random keys only
    assert status == 200, page
    assert headers["X-Robots-Tag"] == "noindex, nofollow, noimageindex"
    assert len(page["items"]) == 2 and leaks(json.dumps(page), ALICE, *ids, "IMG_") == []
    assert all(_key_of(item["thumbUrl"]).startswith("thumbs/rand") for item in page["items"])
    # And a download is a copy at a random key, named by its alias
    status, _, headers = call(public, "GET", page["items"][0]["downloadUrl"], query={"access": access})
    assert status == 302
    location = urlsplit(headers["Location"])
    copy_key = _key_of(headers["Location"])
    assert copy_key.startswith("public/") and leaks(headers["Location"], ALICE, *ids, "IMG_") == []
    disposition = parse_qs(location.query)["response-content-disposition"][0]
    assert f'filename="{page["items"][0]["alias"]}.jpg"' in disposition
    assert boto3.client("s3").get_object(Bucket=BUCKET, Key=copy_key)["Body"].read() == ORIGINAL
    # When alice changes, rotates and finally revokes it
    assert call(shares, "PATCH", f"/shares/{share_id}", json={"title": "Trip"})[1]["title"] == "Trip"
    status, rotated, _ = call(shares, "POST", f"/shares/{share_id}/rotate")
    assert status == 200 and call(public, "GET", f"/public/shares/{token}")[0] == 404
    assert call(shares, "DELETE", f"/shares/{share_id}")[0] == 204
    # Then the link is unknown and the copy is gone, every version of it
    assert call(public, "GET", f"/public/shares/{rotated['token']}")[0] == 404
    versions = boto3.client("s3").list_object_versions(Bucket=BUCKET, Prefix=copy_key)
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")
    assert call(shares, "GET", "/shares")[1] == {"items": []}


def test_a_selection_share_is_one_batch_read_and_counts_views(
    handlers: tuple[Any, Any], folder: tuple[str, list[str]]
) -> None:
    shares, public = handlers
    _, ids = folder
    # Given a selection share of two views at most
    status, created, _ = call(shares, "POST", "/shares", json={"assetIds": ids, "maxViews": 2})
    assert status == 201
    token = created["token"]
    # When it is opened three times
    answers = [call(public, "GET", f"/public/shares/{token}") for _ in range(3)]
    # Then two pages show both assets, and the third is a 404
    assert [answer[0] for answer in answers] == [200, 200, 404]
    assert [len(answer[1]["items"]) for answer in answers[:2]] == [2, 2]
    assert "prompt" not in answers[0][1]["items"][0] and "downloadUrl" not in answers[0][1]["items"][0]
    assert call(shares, "GET", "/shares")[1]["items"][0]["views"] == 2


def test_wrong_passwords_are_counted_in_the_table(handlers: tuple[Any, Any], folder: tuple[str, list[str]]) -> None:
    shares, public = handlers
    token = call(shares, "POST", "/shares", json={"folderId": folder[0], "password": "pw"})[1]["token"]
    codes = [call(public, "POST", f"/public/shares/{token}/unlock", json={"password": "no"})[0] for _ in range(6)]
    assert codes == [401] * 5 + [429]


def test_neither_share_role_writes_or_deletes_an_asset(
    handlers: tuple[Any, Any], folder: tuple[str, list[str]], repository: AssetRepository
) -> None:
    # Given an asset and a share's link item
    _, ids = folder
    stored = repository.get(ALICE, ids[0])
    shares, _ = handlers
    token = call(shares, "POST", "/shares", json={"assetIds": ids})[1]["token"]
    table = boto3.client("dynamodb")
    # When a share function tries to change or delete the asset, or the public one to write a link of its own
    for role in ("public_shares", "shares"):
        with acting_as(role), pytest.raises(PermanentError, match="AccessDeniedException"):
            repository.replace(stored, stored.asset.model_copy(update={"starred": True}))
    with acting_as("shares"), pytest.raises(ClientError) as delete_refused:
        table.delete_item(TableName=TABLE, Key={"owner": {"S": stored.asset.owner}, "asset_id": {"S": stored.asset.id}})
    assert delete_refused.value.response["Error"]["Code"] == "AccessDeniedException"
    with acting_as("public_shares"), pytest.raises(ClientError) as link_refused:
        table.put_item(TableName=TABLE, Item={"owner": {"S": token_partition("forged")}, "asset_id": {"S": "token"}})
    # Then IAM refuses each (their writes reach only share partitions), and the share still opens
    assert link_refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert ShareRepository(TABLE).share_by_token(token_digest(token)) is not None


def _jpeg_with_gps() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)}  # GPSInfo
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 40, 40)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_download_without_show_metadata_is_a_stripped_copy(
    handlers: tuple[Any, Any], folder: tuple[str, list[str]], repository: AssetRepository
) -> None:
    from PIL import Image

    # Given an original with GPS and a share that allows downloads but not metadata
    shares, public = handlers
    _, ids = folder
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    boto3.client("s3").put_object(Bucket=BUCKET, Key=repository.get(ALICE, ids[0]).asset.original_key, Body=original)
    token = call(shares, "POST", "/shares", json={"assetIds": ids[:1], "allowDownload": True})[1]["token"]
    item = call(public, "GET", f"/public/shares/{token}")[1]["items"][0]
    # When it is downloaded (twice: the copy is made once)
    first, second = (call(public, "GET", item["downloadUrl"])[2]["Location"] for _ in range(2))
    # Then the copy keeps the pixels but no EXIF, GPS or camera make
    assert _key_of(first) == _key_of(second)
    copy = boto3.client("s3").get_object(Bucket=BUCKET, Key=_key_of(first))["Body"].read()
    assert not Image.open(io.BytesIO(copy)).getexif() and b"SecretCam" not in copy and b"GPS" not in copy
    assert Image.open(io.BytesIO(copy)).size == (16, 12)
