"""Random thumbnail keys: recorded with the write that marks an asset ready, and no thumbnail object left unrecorded."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.common.clock import fixed_clock
from functions.common.failures import TransientError
from functions.common.identity import encode_owner
from functions.common.models import Asset, AssetStatus
from functions.common.object_keys import legacy_thumb_key, new_thumb_key
from functions.common.ports import StoredAsset
from functions.common.presenter import present
from functions.thumbnail.imaging import Thumbnail, make_thumbnail
from functions.thumbnail.logic import CreatedObject, Thumbnailer, process_created
from tests.builders import new_asset
from tests.fakes import MemoryAssets, MemoryStore
from tests.thumbnail_support import image_bytes, quadrants

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
OWNER = "team#alice"
RED = image_bytes(quadrants(), "PNG")
BLUE = image_bytes(quadrants().rotate(180), "PNG")
NOT_AN_IMAGE = b"%PDF-1.7 not an image"


def thumbnailer(
    assets: MemoryAssets, store: MemoryStore, make: Any = make_thumbnail, preview_box: int | None = None
) -> Thumbnailer:
    return Thumbnailer(
        repository=assets,
        store=store,
        clock=fixed_clock(NOW),
        box=64,
        max_pixels=10**7,
        max_bytes=10**7,
        make=make,
        preview_box=preview_box,
    )


def arrival(store: MemoryStore, asset: Asset, data: bytes, delivery: str = "1") -> CreatedObject:
    """The original's bytes stored, and the record S3 announces them with."""
    store.write(asset.original_key, data, "image/png")
    info = store.stat(asset.original_key)
    assert info is not None
    return CreatedObject(store.bucket, asset.original_key, info.etag, None, delivery)


def thumbs(store: MemoryStore) -> set[str]:
    return {key for key in store.objects if key.startswith("thumbs/")}


class Shows:
    """What `present` needs: a signer, a clock and a TTL."""

    def __init__(self, store: MemoryStore) -> None:
        self.store, self.clock, self.read_ttl_seconds = store, fixed_clock(NOW), 60


def pending() -> Asset:
    return new_asset(created_at=NOW, owner=OWNER, status=AssetStatus.PENDING)


def test_new_keys_are_random_urlsafe_and_name_nothing() -> None:
    # Given many fresh keys
    keys = {new_thumb_key() for _ in range(1000)}
    # Then they are distinct, 128 bits of urlsafe base64 under thumbs/, and hold no owner or id
    assert len(keys) == 1000
    assert all(re.fullmatch(r"thumbs/[A-Za-z0-9_-]{22}\.webp", key) for key in keys)
    assert legacy_thumb_key(OWNER, "A1") == f"thumbs/{encode_owner(OWNER)}/A1.webp"


def test_the_thumbnail_is_written_at_the_key_the_ready_asset_records() -> None:
    # Given a pending asset whose original arrived
    assets, store = MemoryAssets(asset := pending()), MemoryStore()
    created = arrival(store, asset, RED)

    # When the thumbnail function handles its event
    assert process_created(created, thumbnailer=thumbnailer(assets, store)) == "ready"

    # Then the one thumbnail is at the recorded key, and the API view shows neither the key nor the owner or id in it
    ready = assets.get(OWNER, asset.id).asset
    assert ready.thumb_key is not None and thumbs(store) == {ready.thumb_key}
    assert encode_owner(OWNER) not in ready.thumb_key and asset.id not in ready.thumb_key
    shown = present(ready, by=Shows(store)).model_dump(by_alias=True)
    assert "thumbKey" not in shown and "thumb_key" not in shown
    assert shown["thumbUrl"].startswith(f"https://media.invalid/{ready.thumb_key}?")


def test_new_bytes_get_a_new_key_and_the_replaced_thumbnail_goes() -> None:
    # Given a ready asset, thumbnailed from red bytes
    assets, store = MemoryAssets(asset := pending()), MemoryStore()
    process_created(arrival(store, asset, RED), thumbnailer=thumbnailer(assets, store))
    red_key = assets.get(OWNER, asset.id).asset.thumb_key

    # When other bytes are posted onto it and their event arrives
    assert process_created(arrival(store, asset, BLUE, "2"), thumbnailer=thumbnailer(assets, store)) == "ready"

    # Then only the new thumbnail is left, at a new recorded key
    blue_key = assets.get(OWNER, asset.id).asset.thumb_key
    assert blue_key not in (None, red_key) and thumbs(store) == {blue_key}


def test_bytes_that_fail_drop_the_thumbnail_of_the_bytes_they_replace() -> None:
    # Given a ready asset
    assets, store = MemoryAssets(asset := pending()), MemoryStore()
    process_created(arrival(store, asset, RED), thumbnailer=thumbnailer(assets, store))

    # When bytes that are no image replace its original
    assert process_created(arrival(store, asset, NOT_AN_IMAGE, "2"), thumbnailer=thumbnailer(assets, store)) == "failed"

    # Then it records no thumbnail and none is stored
    assert assets.get(OWNER, asset.id).asset.thumb_key is None and thumbs(store) == set()


def test_an_asset_thumbnailed_before_keys_were_random_keeps_working_until_its_bytes_change() -> None:
    # Given a ready asset with no recorded key: its thumbnail at the owner/id key
    legacy = new_asset(created_at=NOW, owner=OWNER, original_etag="old")
    assets, store = MemoryAssets(legacy), MemoryStore({legacy_thumb_key(OWNER, legacy.id): b"old thumbnail"})
    # Then its owner is still shown that thumbnail
    assert legacy.thumb_object_key == legacy_thumb_key(OWNER, legacy.id)

    # When new bytes arrive for it
    assert process_created(arrival(store, legacy, RED), thumbnailer=thumbnailer(assets, store)) == "ready"

    # Then the new thumbnail has a random key and the old one is gone
    recorded = assets.get(OWNER, legacy.id).asset.thumb_key
    assert recorded is not None and thumbs(store) == {recorded}


def test_a_thumbnail_whose_write_lost_to_a_concurrent_delivery_is_deleted() -> None:
    # Given two deliveries of one original, the second finishing while the first is still rendering
    assets, store = MemoryAssets(asset := pending()), MemoryStore()
    created = arrival(store, asset, RED)
    outcomes: list[str] = []

    def make_while_another_finishes(data: bytes, **limits: Any) -> Thumbnail:
        if not outcomes:
            outcomes.append("first rendering")
            outcomes.append(process_created(created, thumbnailer=thumbnailer(assets, store)))
        return make_thumbnail(data, **limits)

    # When the first one's write comes second
    first = process_created(created, thumbnailer=thumbnailer(assets, store, make=make_while_another_finishes))

    # Then it is skipped, and the only thumbnail left is the one the asset records
    assert (outcomes[1], first) == ("ready", "skipped")
    assert thumbs(store) == {assets.get(OWNER, asset.id).asset.thumb_key}


def test_a_thumbnail_for_an_asset_deleted_meanwhile_is_deleted() -> None:
    # Given an asset deleted while its thumbnail renders
    assets, store = MemoryAssets(asset := pending()), MemoryStore()

    def make_then_delete(data: bytes, **limits: Any) -> Thumbnail:
        assets.delete(assets.get(OWNER, asset.id))
        return make_thumbnail(data, **limits)

    # When its event is handled
    outcome = process_created(arrival(store, asset, RED), thumbnailer=thumbnailer(assets, store, make=make_then_delete))

    # Then nothing is left under thumbs/
    assert outcome == "vanished" and thumbs(store) == set()


class FailingWrites(MemoryAssets):
    """Every `replace` fails, as DynamoDB throttling would."""

    def replace(self, stored: StoredAsset, asset: Asset) -> StoredAsset:
        raise TransientError("throttled")


def test_a_write_that_fails_takes_its_thumbnail_with_it_and_is_retried() -> None:
    # Given the asset table refusing writes
    assets, store = FailingWrites(asset := pending()), MemoryStore()

    # When the event is handled / Then the error propagates (Lambda retries) and no thumbnail is left behind
    with pytest.raises(TransientError):
        process_created(arrival(store, asset, RED), thumbnailer=thumbnailer(assets, store))
    assert thumbs(store) == set()


def with_previews(assets: MemoryAssets, store: MemoryStore, make: Any = make_thumbnail) -> Thumbnailer:
    return thumbnailer(assets, store, make, preview_box=100)


def test_the_preview_is_recorded_with_the_thumbnail_and_both_are_replaced_with_new_bytes() -> None:
    # Given a pending asset whose original arrived, thumbnailed with previews (#17)
    assets, store = MemoryAssets(asset := pending()), MemoryStore()
    assert process_created(arrival(store, asset, RED), thumbnailer=with_previews(assets, store)) == "ready"
    red = assets.get(OWNER, asset.id).asset
    assert red.thumb_key and red.preview_key and thumbs(store) == {red.thumb_key, red.preview_key}
    shown = present(red, by=Shows(store)).model_dump(by_alias=True)
    assert shown["previewUrl"].startswith(f"https://media.invalid/{red.preview_key}?") and "previewKey" not in shown

    # When other bytes are posted onto it and their event arrives
    assert process_created(arrival(store, asset, BLUE, "2"), thumbnailer=with_previews(assets, store)) == "ready"

    # Then only the new thumbnail and preview are left, at new recorded keys
    blue = assets.get(OWNER, asset.id).asset
    assert blue.thumb_key and blue.preview_key and thumbs(store) == {blue.thumb_key, blue.preview_key}
    assert {blue.thumb_key, blue.preview_key}.isdisjoint({red.thumb_key, red.preview_key})


def test_bytes_that_fail_drop_the_preview_too() -> None:
    # Given a ready asset with a preview
    assets, store = MemoryAssets(asset := pending()), MemoryStore()
    process_created(arrival(store, asset, RED), thumbnailer=with_previews(assets, store))

    # When bytes that are no image replace its original
    assert process_created(arrival(store, asset, NOT_AN_IMAGE, "2"), thumbnailer=with_previews(assets, store)) == (
        "failed"
    )

    # Then it records neither key, nothing is stored, and the API shows no preview
    failed = assets.get(OWNER, asset.id).asset
    assert (failed.thumb_key, failed.preview_key, thumbs(store)) == (None, None, set())
    assert present(failed, by=Shows(store)).preview_url is None


def test_a_preview_for_an_asset_deleted_meanwhile_is_deleted_and_a_failed_write_takes_both() -> None:
    # Given an asset deleted while it renders, and another whose record refuses writes
    assets, store = MemoryAssets(asset := pending()), MemoryStore()

    def make_then_delete(data: bytes, **limits: Any) -> Thumbnail:
        assets.delete(assets.get(OWNER, asset.id))
        return make_thumbnail(data, **limits)

    refusing, other_store = FailingWrites(other := pending()), MemoryStore()

    # When their events are handled
    outcome = process_created(arrival(store, asset, RED), thumbnailer=with_previews(assets, store, make_then_delete))
    with pytest.raises(TransientError):
        process_created(arrival(other_store, other, RED), thumbnailer=with_previews(refusing, other_store))

    # Then nothing is left under thumbs/ in either case
    assert outcome == "vanished" and thumbs(store) == set() and thumbs(other_store) == set()
