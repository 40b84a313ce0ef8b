"""The purge's pure parts: UTC epoch cutoffs, DeleteObjects batching across assets, the report."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from functions.common.clock import epoch_ms
from functions.common.deletion import BatchDeleter, DeletionResult, object_keys
from functions.common.failures import TransientError
from functions.common.models import Asset, AssetStatus
from functions.common.objects import ObjectVersion
from functions.common.settings import PurgeSettings, load_settings
from functions.purge.logic import PurgeReport, cutoffs
from tests.builders import new_asset

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


def settings() -> PurgeSettings:
    return load_settings(PurgeSettings, {"ASSET_TABLE_NAME": "t", "MEDIA_BUCKET_NAME": "b"})


def asset(n: int) -> Asset:
    return new_asset(asset_id=f"id{n:04d}", created_at=NOW, trashed_at=NOW)


class FakeStore:
    """Records every DeleteObjects call; fails the calls whose number is in `failing_calls`."""

    def __init__(self, failing_calls: Iterable[int] = (), unlistable: Iterable[str] = ()) -> None:
        self.calls: list[list[str]] = []
        self.failing_calls = set(failing_calls)
        self.unlistable = set(unlistable)

    def versions(self, key: str) -> list[ObjectVersion]:
        if key in self.unlistable:
            raise TransientError("ListObjectVersions: slow down")
        return [ObjectVersion(key, "v1")]

    def delete_batch(self, versions: list[ObjectVersion]) -> set[str]:
        self.calls.append([version.key for version in versions])
        if len(self.calls) in self.failing_calls:
            raise TransientError("boom")
        return set()


class FakeRepository:
    """Records deleted and released records, and which keys were gone when each record was deleted."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.deleted: list[str] = []
        self.released: list[str] = []
        self.keys_sent_before_record: dict[str, set[str]] = {}

    def delete_claimed(self, keys: Iterable[tuple[str, str]]) -> dict[str, str]:
        sent = {key for call in self.store.calls for key in call}
        for _owner, asset_id in keys:
            self.deleted.append(asset_id)
            self.keys_sent_before_record[asset_id] = sent
        return {}

    def release_claim(self, owner: str, asset_id: str) -> None:
        self.released.append(asset_id)


def deleter(store: FakeStore, repository: FakeRepository, keys_per_call: int) -> Any:
    return BatchDeleter(repository=repository, store=store, keys_per_call=keys_per_call)  # type: ignore[arg-type]


def run(batch: Any, assets: list[Asset]) -> DeletionResult:
    result = DeletionResult()
    for item in assets:
        result.extend(batch.add(item))
    result.extend(batch.flush())
    return result


@pytest.mark.parametrize(("count", "keys_per_call"), [(1, 1000), (500, 1000), (501, 1000), (10, 7), (10, 3)])
def test_delete_calls_are_ceil_of_keys_over_the_batch_and_each_is_full(count, keys_per_call):
    # Given `count` claimed assets of two objects each
    store = FakeStore()
    repository = FakeRepository(store)
    assets = [asset(n) for n in range(count)]

    # When they are deleted in batches
    result = run(deleter(store, repository, keys_per_call), assets)

    # Then the calls are ceil(keys / batch), all but the last full, and every key went exactly once
    keys = [key for item in assets for key in object_keys(item)]
    assert len(store.calls) == result.s3_calls == math.ceil(len(keys) / keys_per_call)
    assert all(len(call) == keys_per_call for call in store.calls[:-1])
    assert sorted(key for call in store.calls for key in call) == sorted(keys)
    assert sorted(repository.deleted) == sorted(item.id for item in assets)


def test_a_record_goes_only_after_all_of_its_objects():
    # Given assets whose keys span calls of 3
    store = FakeStore()
    repository = FakeRepository(store)
    assets = [asset(n) for n in range(5)]

    # When they are deleted
    run(deleter(store, repository, 3), assets)

    # Then each record was deleted after every one of its keys was sent
    for item in assets:
        assert set(object_keys(item)) <= repository.keys_sent_before_record[item.id]


def test_a_failed_call_fails_only_the_assets_it_touched_and_releases_them():
    # Given calls of 3 keys (assets 0,1 in call 1; asset 1 and 2 span into call 2; ...) and call 2 failing
    store = FakeStore(failing_calls={2})
    repository = FakeRepository(store)
    assets = [asset(n) for n in range(6)]

    # When they are deleted
    result = run(deleter(store, repository, 3), assets)

    # Then the assets whose keys were in call 2 failed and were released; the others were deleted
    in_failed_call = {item.id for item in assets if set(object_keys(item)) & set(store.calls[1])}
    assert set(result.failed) == in_failed_call
    assert set(repository.released) == in_failed_call
    assert set(repository.deleted) == {item.id for item in assets} - in_failed_call


def test_an_asset_whose_versions_cannot_be_listed_fails_alone_and_is_released():
    # Given three claimed assets, the second's thumbnail versions unlistable
    assets = [asset(n) for n in range(3)]
    store = FakeStore(unlistable={assets[1].thumb_object_key})
    repository = FakeRepository(store)

    # When they are deleted
    result = run(deleter(store, repository, 1000), assets)

    # Then only that one failed, was released and had none of its objects deleted; the others went
    assert set(result.failed) == {assets[1].id} and repository.released == [assets[1].id]
    assert sorted(repository.deleted) == sorted([assets[0].id, assets[2].id])
    assert not set(object_keys(assets[1])) & {key for call in store.calls for key in call}


def test_cutoffs_are_epoch_ms_whatever_the_timezone():
    # Given the same instant in UTC and in UTC-10
    other = NOW.astimezone(timezone(timedelta(hours=-10)))

    # When the cutoffs are computed / Then they are identical and exactly 30 days / 24 hours back
    assert cutoffs(NOW, settings()) == cutoffs(other, settings())
    trash, pending = cutoffs(NOW, settings())
    assert trash == epoch_ms(NOW) - 30 * 86_400_000
    assert pending == epoch_ms(NOW) - 24 * 3_600_000


def test_naive_times_are_refused():
    # Given a time without a timezone / When it is turned into epoch ms / Then it is refused
    with pytest.raises(ValueError, match="timezone"):
        epoch_ms(datetime(2026, 1, 1))


def test_report_counts_trash_and_abandoned_uploads_apart():
    # Given a result with one trashed and one pending asset deleted and one failure
    pending = asset(2).model_copy(update={"trashed_at": None, "status": AssetStatus.PENDING})
    result = DeletionResult(deleted=[asset(1), pending], failed={"id0003": "refused"}, s3_calls=1)
    report = PurgeReport()

    # When recorded
    report.record(result)

    # Then each lands in its own metric
    assert report.metrics() == {
        "Examined": 0,
        "Purged": 1,
        "AbandonedRemoved": 1,
        "SkippedRestored": 0,
        "KeptUploaded": 0,
        "Swept": 0,
        "Failed": 1,
        "S3DeleteCalls": 1,
        "Incomplete": 0,
    }
    assert report.failures == ["id0003: refused"]
