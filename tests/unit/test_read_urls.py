"""Cache-stable read URLs through `ObjectStore.presign_get` at fixed instants: the window, the expiry, Cache-Control."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.config import Config
from botocore.session import get_session

from functions.common.clock import fixed_clock
from functions.common.models import AssetStatus
from functions.common.presenter import present
from functions.common.storage import ObjectStore
from functions.common.url_signing import MAX_EXPIRES_SECONDS
from functions.sign.logic import ReadVariant, Signer, SignReadRequest, sign_read
from functions.thumbnail.logic import CreatedObject, process_created
from tests.builders import new_asset
from tests.fakes import MemoryAssets, MemoryStore
from tests.thumbnail_support import image_bytes, quadrants
from tests.unit.test_thumbnail_keys import thumbnailer

RED = image_bytes(quadrants(), "PNG")

WINDOW, TTL = 3600, 3600
START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a window's start (epoch seconds divisible by 3600)


def store(window: int = WINDOW) -> ObjectStore:
    session = get_session()
    session.set_credentials("ASIAEXAMPLE", "secret/key+example", "session-token")
    client = session.create_client("s3", region_name="eu-west-1", config=Config(signature_version="s3v4"))
    return ObjectStore("media", client=client, read_url_window_seconds=window)


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_the_same_key_gets_the_same_url_all_window_long() -> None:
    # Given a store signing in one-hour windows
    media = store()

    # When a thumbnail is signed at the window's start and again 59 minutes later
    early = media.presign_get(key="thumbs/k/1-r1.webp", ttl_seconds=TTL, now=START + timedelta(seconds=1))
    late = media.presign_get(key="thumbs/k/1-r1.webp", ttl_seconds=TTL, now=START + timedelta(minutes=59, seconds=59))

    # Then both are the same URL, signed at the window's start, expiring one window plus the TTL after it
    assert early == late
    assert query(early.url)["X-Amz-Date"] == "20261202T100000Z"
    assert query(early.url)["X-Amz-Expires"] == str(WINDOW + TTL)
    assert early.expires_at == START + timedelta(seconds=WINDOW + TTL)


def test_every_url_handed_out_still_lives_at_least_the_ttl() -> None:
    # Given a store signing in one-hour windows
    media = store()
    for offset in (0, 1, 1800, 3599):
        now = START + timedelta(seconds=offset)

        # When a URL is handed out at any moment of the window
        signed = media.presign_get(key="originals/alice/01ABC", ttl_seconds=TTL, now=now)

        # Then it expires no sooner than the TTL from now (and the reported expiry is what the URL says)
        assert signed.expires_at >= now + timedelta(seconds=TTL)
        signed_at = datetime.strptime(query(signed.url)["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        assert signed.expires_at == signed_at + timedelta(seconds=int(query(signed.url)["X-Amz-Expires"]))


def test_a_new_window_gets_a_new_url() -> None:
    # Given a store signing in one-hour windows
    media = store()

    # When the same key is signed in two consecutive windows
    before = media.presign_get(key="thumbs/k/1-r1.webp", ttl_seconds=TTL, now=START + timedelta(minutes=59))
    after = media.presign_get(key="thumbs/k/1-r1.webp", ttl_seconds=TTL, now=START + timedelta(minutes=61))

    # Then the URLs differ, the second signed at its own window's start
    assert before.url != after.url
    assert query(after.url)["X-Amz-Date"] == "20261202T110000Z"


def test_with_the_window_off_urls_are_signed_now_for_the_ttl() -> None:
    # Given a store with no window
    media = store(window=0)
    now = START + timedelta(minutes=17, seconds=3, microseconds=500)

    # When a URL is signed
    signed = media.presign_get(key="thumbs/k/1-r1.webp", ttl_seconds=TTL, now=now)

    # Then it is signed at that second, for exactly the TTL
    assert query(signed.url)["X-Amz-Date"] == "20261202T101703Z"
    assert query(signed.url)["X-Amz-Expires"] == str(TTL)
    assert signed.expires_at == now.replace(microsecond=0) + timedelta(seconds=TTL)


def test_a_window_never_makes_a_url_outlive_what_s3_accepts() -> None:
    # Given a window of a day
    media = store(window=86400)

    # When a URL is signed
    signed = media.presign_get(key="thumbs/k/1-r1.webp", ttl_seconds=TTL, now=START)

    # Then it is valid for the day plus the TTL, within S3's seven days
    assert int(query(signed.url)["X-Amz-Expires"]) == 86400 + TTL <= MAX_EXPIRES_SECONDS


def test_the_url_asks_for_a_cache_control_matching_what_can_change() -> None:
    # Given a store
    media = store()

    # When an immutable key, a pinned version and a replaceable original are signed
    thumb = query(media.presign_get(key="thumbs/k/1-r1.webp", ttl_seconds=TTL, now=START, immutable=True).url)
    pinned = query(media.presign_get(key="originals/a/1", ttl_seconds=TTL, now=START, version_id="v1.x").url)
    loose = query(media.presign_get(key="originals/a/1", ttl_seconds=TTL, now=START).url)

    # Then the first two may be kept for the TTL and never revalidated; the third only briefly
    assert thumb["response-cache-control"] == f"private, max-age={TTL}, immutable"
    assert pinned["response-cache-control"] == f"private, max-age={TTL}, immutable"
    assert pinned["versionId"] == "v1.x"
    assert loose["response-cache-control"] == "private, max-age=60"
    assert "versionId" not in loose


@dataclass
class Presenting:
    store: ObjectStore
    read_ttl_seconds: int = TTL

    def clock(self) -> datetime:
        return START + timedelta(minutes=5)


def test_an_asset_s_original_url_is_pinned_to_its_recorded_version() -> None:
    # Given a ready asset whose record names its original's version, and an older one that names none
    pinned = new_asset(created_at=START, original_version_id="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", thumb_key="thumbs/r")
    older = new_asset(created_at=START)

    # When both are presented
    shown, legacy = present(pinned, by=Presenting(store())), present(older, by=Presenting(store()))

    # Then the first's original URL asks for that version, immutable; its thumbnail's too; the older one's neither
    assert pinned.original_version_id
    assert query(shown.url or "")["versionId"] == pinned.original_version_id
    assert query(shown.url or "")["response-cache-control"].endswith("immutable")
    assert query(shown.thumb_url or "")["response-cache-control"].endswith("immutable")
    assert "versionId" not in query(legacy.url or "")
    assert not query(legacy.thumb_url or "")["response-cache-control"].endswith("immutable")


def test_sign_read_pins_originals_and_marks_random_keys_immutable() -> None:
    # Given a ready asset with a recorded version, thumbnail and preview, and one with an owner/id thumbnail
    pinned = new_asset(created_at=START, original_version_id="v1", thumb_key="thumbs/T", preview_key="thumbs/P")
    older = new_asset(created_at=START + timedelta(seconds=1))
    memory = MemoryStore()
    signer = Signer(
        repository=MemoryAssets(pinned, older),
        store=memory,
        clock=fixed_clock(START),
        max_image_bytes=1000,
        upload_ttl_seconds=300,
        read_ttl_seconds=TTL,
    )

    # When every variant of both is signed
    for variant in ReadVariant:
        sign_read(owner="alice", request=SignReadRequest(ids=[pinned.id, older.id], variant=variant), signer=signer)

    # Then the original is pinned to its version, the random keys are immutable, the older keys neither
    assert set(memory.read_signings) == {
        (pinned.original_key, "v1", False),
        ("thumbs/T", None, True),
        ("thumbs/P", None, True),
        (older.original_key, None, False),
        (older.thumb_object_key, None, False),
    }


@pytest.mark.parametrize("data", [RED, b"%PDF-1.7 not an image"], ids=["ready", "failed"])
def test_the_thumbnail_function_records_the_version_it_described(data: bytes) -> None:
    # Given a pending asset whose original arrived as a version S3 announces
    asset = new_asset(created_at=START, status=AssetStatus.PENDING)
    assets, memory = MemoryAssets(asset), MemoryStore()
    memory.write(asset.original_key, data, "image/png")
    info = memory.stat(asset.original_key)
    assert info is not None
    created = CreatedObject(memory.bucket, asset.original_key, info.etag, "3sL4kqtJlcpXroDTDmJ", "1")

    # When the thumbnail function processes it
    process_created(created, thumbnailer=thumbnailer(assets, memory))

    # Then the record names that version next to the eTag, whatever the outcome
    recorded = assets.get(asset.owner, asset.id).asset
    assert (recorded.original_etag, recorded.original_version_id) == (info.etag, "3sL4kqtJlcpXroDTDmJ")


def test_a_download_is_signed_now_for_exactly_its_ttl() -> None:
    # Given a store signing in one-hour windows
    now = START + timedelta(minutes=20)

    # When a download (an attachment) is signed
    signed = store().presign_get(key="originals/a/1", ttl_seconds=300, now=now, download_name="a.jpg", version_id="v")

    # Then it is no window's URL: the contract keeps download URLs within five minutes
    assert query(signed.url)["X-Amz-Date"] == "20261202T102000Z"
    assert query(signed.url)["X-Amz-Expires"] == "300"
    assert signed.expires_at == now + timedelta(seconds=300)
    assert query(signed.url)["response-cache-control"] == "private, max-age=300, immutable"


def test_the_same_bytes_stored_again_repin_the_record_once_they_are_current() -> None:
    # Given a ready asset pinned to version v1 of its original
    asset = new_asset(created_at=START, status=AssetStatus.PENDING)
    assets, memory = MemoryAssets(asset), MemoryStore()
    memory.write(asset.original_key, RED, "image/png")
    info = memory.stat(asset.original_key)
    assert info is not None
    process_created(
        CreatedObject(memory.bucket, asset.original_key, info.etag, "v1", "1"), thumbnailer=thumbnailer(assets, memory)
    )

    # When the same bytes arrive again as v2 (a retried upload), first announced while v3 is already current, then as
    # the current version
    memory.current_versions[asset.original_key] = "v3"
    early = CreatedObject(memory.bucket, asset.original_key, info.etag, "v2", "2")
    outcomes = [process_created(early, thumbnailer=thumbnailer(assets, memory))]
    memory.current_versions[asset.original_key] = "v2"
    outcomes.append(process_created(early, thumbnailer=thumbnailer(assets, memory)))

    # Then only the current version is recorded, without redoing the thumbnail
    assert outcomes == ["skipped", "repinned"]
    recorded = assets.get(asset.owner, asset.id).asset
    assert (recorded.status, recorded.original_version_id) == (AssetStatus.READY, "v2")
