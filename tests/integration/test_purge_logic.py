"""The purge on moto: the window, the index-only selection, claims against restores, failures and reruns."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from functions.common.deletion import claim, delete_claimed, object_keys
from functions.common.errors import Conflict
from functions.common.failures import TransientError
from functions.common.models import AssetStatus
from functions.common.objects import ObjectVersion
from functions.common.repository import AssetRepository, Candidate, StoredAsset
from functions.common.repository.tooling import dynamodb_client
from functions.common.storage import ObjectStore
from functions.gallery.logic import patch_asset
from functions.gallery.models import PatchRequest
from functions.purge.logic import cutoffs, purge
from tests.integration.purge_support import (
    bucket_keys,
    gallery_at,
    new_asset,
    purge_settings,
    record_ids,
    store_asset,
    unlimited_time,
)

DAY = timedelta(days=1)


def expired_candidates(repository: AssetRepository, now: Any) -> list[Candidate]:
    trash_cutoff, _ = cutoffs(now, purge_settings())
    return [candidate for shard in range(8) for candidate in repository.expired_trash(shard, trash_cutoff)]


def test_boundary_29_days_23_hours_stays_and_30_days_1_second_goes(repository, store, s3_client, now):
    # Given one asset trashed 29 d 23 h ago and one 30 d + 1 s ago
    stays = new_asset(created_at=now - 60 * DAY, trashed_at=now - timedelta(days=29, hours=23))
    goes = new_asset(created_at=now - 60 * DAY, trashed_at=now - timedelta(days=30, seconds=1))
    for asset in (stays, goes):
        store_asset(repository, store, asset)

    # When the purge runs as of now
    report = purge(now=now, settings=purge_settings(), repository=repository, store=store, time_left_ms=unlimited_time)

    # Then only the older one is gone, record and objects
    assert record_ids(repository) == {stays.id}
    assert bucket_keys(s3_client) == set(object_keys(stays))
    assert (report.examined, report.purged, report.failed) == (1, 1, 0)


def test_a_non_utc_clock_selects_the_same_items(repository, store, now):
    # Given an asset trashed 30 d + 1 s before `now`
    asset = new_asset(created_at=now - 60 * DAY, trashed_at=now - timedelta(days=30, seconds=1))
    store_asset(repository, store, asset)
    from zoneinfo import ZoneInfo

    # When the same instant is given in another timezone
    shifted = now.astimezone(ZoneInfo("Pacific/Kiritimati"))

    # Then the selection is the same
    assert [c.asset_id for c in expired_candidates(repository, shifted)] == [asset.id]


def test_selection_reads_only_the_expired_items(repository, store, now):
    # Given expired, recently trashed and active assets
    expired = [new_asset(created_at=now - 90 * DAY, trashed_at=now - (31 + n) * DAY) for n in range(5)]
    recent = [new_asset(created_at=now - 90 * DAY, trashed_at=now - n * DAY) for n in range(5)]
    active = [new_asset(created_at=now - n * DAY) for n in range(5)]
    for asset in expired + recent + active:
        store_asset(repository, store, asset, objects=False)
    calls: list[tuple[str, dict[str, Any]]] = []
    client = dynamodb_client(repository)
    client.meta.events.register("after-call.dynamodb", lambda model, parsed, **_: calls.append((model.name, parsed)))

    # When the purge runs
    purge(now=now, settings=purge_settings(), repository=repository, store=store, time_left_ms=unlimited_time)

    # Then no Scan ran and the Queries read exactly the expired items
    assert "Scan" not in [name for name, _ in calls]
    assert sum(parsed.get("ScannedCount", 0) for name, parsed in calls if name == "Query") == len(expired)
    assert record_ids(repository) == {asset.id for asset in recent + active}


def test_restore_between_selection_and_claim_wins(repository, store, s3_client, now):
    # Given an expired asset the purge has selected
    asset = new_asset(created_at=now - 90 * DAY, trashed_at=now - 31 * DAY)
    store_asset(repository, store, asset)
    [candidate] = expired_candidates(repository, now)

    # When the user restores it before the claim
    patch_asset(
        owner=asset.owner,
        asset_id=asset.id,
        request=PatchRequest(trashed=False),
        gallery=gallery_at(repository, store, now),
    )

    # Then the claim fails and the asset is intact, out of the trash
    with pytest.raises(Conflict):
        claim(candidate, repository=repository, now=now, lease_ms=0)
    restored = repository.get(asset.owner, asset.id).asset
    assert restored.trashed_at is None and restored.purge_at is None and not restored.deleting
    assert set(object_keys(asset)) <= bucket_keys(s3_client)


def test_restore_and_trash_again_between_selection_and_claim_wins(repository, store, now):
    # Given a selected expired asset that the user restores and trashes again
    asset = new_asset(created_at=now - 90 * DAY, trashed_at=now - 31 * DAY)
    stored = store_asset(repository, store, asset)
    [candidate] = expired_candidates(repository, now)
    repository.replace(stored, asset.model_copy(update={"trashed_at": now, "purge_at": now + 30 * DAY}))

    # When the purge claims it / Then the claim fails: it is a new trash time with a new 30 days
    with pytest.raises(Conflict):
        claim(candidate, repository=repository, now=now, lease_ms=0)


def test_restore_after_claim_is_refused_and_the_purge_finishes(repository, store, s3_client, now):
    # Given an expired asset the purge has claimed
    asset = new_asset(created_at=now - 90 * DAY, trashed_at=now - 31 * DAY)
    store_asset(repository, store, asset)
    [candidate] = expired_candidates(repository, now)
    claimed = claim(candidate, repository=repository, now=now, lease_ms=0)

    # When the user tries to restore it
    with pytest.raises(Conflict):
        patch_asset(
            owner=asset.owner,
            asset_id=asset.id,
            request=PatchRequest(trashed=False),
            gallery=gallery_at(repository, store, now),
        )

    # Then it stays in the trash, marked as being deleted, and the purge completes
    assert repository.get(asset.owner, asset.id).asset.deleting
    result = delete_claimed([claimed.asset], repository=repository, store=store)
    assert [deleted.id for deleted in result.deleted] == [asset.id]
    assert record_ids(repository) == set()
    assert bucket_keys(s3_client) == set()


def test_restore_read_before_claim_but_written_after_it_fails(repository, store, now):
    # Given a restore that read the asset before the purge claimed it
    asset = new_asset(created_at=now - 90 * DAY, trashed_at=now - 31 * DAY)
    read_before_claim = store_asset(repository, store, asset)
    [candidate] = expired_candidates(repository, now)
    claim(candidate, repository=repository, now=now, lease_ms=0)

    # When the restore writes / Then its version is stale and it cannot bring the asset back
    with pytest.raises(Conflict):
        repository.replace(read_before_claim, asset.model_copy(update={"trashed_at": None, "purge_at": None}))
    assert repository.get(asset.owner, asset.id).asset.in_trash


def test_two_purges_at_once_delete_each_item_once(repository, store, s3_client, now):
    # Given expired assets that two purge runs both selected
    assets = [new_asset(created_at=now - 90 * DAY, trashed_at=now - (31 + n) * DAY) for n in range(4)]
    for asset in assets:
        store_asset(repository, store, asset)
    lease_ms = purge_settings().claim_lease_seconds * 1000
    first_selection = expired_candidates(repository, now)
    second_selection = expired_candidates(repository, now)

    # When the first claims, the second tries to claim, then the first deletes and the second retries
    first_claims = [claim(c, repository=repository, now=now, lease_ms=lease_ms) for c in first_selection]
    second_conflicts = 0
    for candidate in second_selection:
        with pytest.raises(Conflict):
            claim(candidate, repository=repository, now=now, lease_ms=lease_ms)
        second_conflicts += 1
    result = delete_claimed([stored.asset for stored in first_claims], repository=repository, store=store)
    for candidate in second_selection:
        with pytest.raises(Conflict):
            claim(candidate, repository=repository, now=now, lease_ms=lease_ms)

    # Then each asset was deleted exactly once and nothing is left
    assert sorted(asset.id for asset in result.deleted) == sorted(asset.id for asset in assets)
    assert second_conflicts == len(assets)
    assert record_ids(repository) == set()
    assert bucket_keys(s3_client) == set()


class PurgeInsideFirstClaim(AssetRepository):
    """A repository on which a second, complete purge runs just before the first claim of this one."""

    def __init__(self, table: str, run_other: Any) -> None:
        super().__init__(table)
        self._run_other = run_other

    def claim_for_deletion(self, candidate: Candidate, *, now_ms: int, lease_ms: int | None) -> StoredAsset:
        if self._run_other is not None:
            run, self._run_other = self._run_other, None
            run()
        return super().claim_for_deletion(candidate, now_ms=now_ms, lease_ms=lease_ms)


def test_two_full_purge_runs_interleaved(repository, store, s3_client, now):
    # Given expired assets and a second run that goes entirely between the first run's selection and claim
    assets = [new_asset(created_at=now - 90 * DAY, trashed_at=now - (31 + n) * DAY) for n in range(3)]
    for asset in assets:
        store_asset(repository, store, asset)
    settings = purge_settings()
    reports = []

    def second_run() -> None:
        reports.append(
            purge(now=now, settings=settings, repository=repository, store=store, time_left_ms=unlimited_time)
        )

    first_repository = PurgeInsideFirstClaim(settings.asset_table_name, second_run)

    # When the first run claims after the second has finished
    first = purge(now=now, settings=settings, repository=first_repository, store=store, time_left_ms=unlimited_time)

    # Then the second purged everything, the first skipped what was gone, nothing failed or remains
    [second] = reports
    assert (second.purged, second.failed) == (3, 0)
    assert first.purged == 0 and first.failed == 0 and first.skipped_restored >= 1
    assert record_ids(repository) == set()
    assert bucket_keys(s3_client) == set()


class CrashingStore(ObjectStore):
    """Deletes the first half of the keys of its first DeleteObjects call, then fails: a crash half-way."""

    def __init__(self, store: ObjectStore, client: Any) -> None:
        super().__init__(store.bucket, client=client)
        self.crashed = False

    def delete_batch(self, versions: list[ObjectVersion]) -> set[str]:
        if not self.crashed:
            self.crashed = True
            super().delete_batch(versions[: len(versions) // 2])
            raise TransientError("connection reset")
        return super().delete_batch(versions)


def test_s3_delete_failing_half_way_then_a_rerun_finishes(repository, store, s3_client, now):
    # Given expired assets and an S3 that fails half-way through the first DeleteObjects
    assets = [new_asset(created_at=now - 90 * DAY, trashed_at=now - (31 + n) * DAY) for n in range(6)]
    for asset in assets:
        store_asset(repository, store, asset)
    settings = purge_settings()
    crashing = CrashingStore(store, s3_client)

    # When the purge runs
    first = purge(now=now, settings=settings, repository=repository, store=crashing, time_left_ms=unlimited_time)

    # Then every asset failed, some objects are gone, every record remains and refuses a restore
    assert (first.purged, first.failed) == (0, len(assets))
    assert record_ids(repository) == {asset.id for asset in assets}
    assert all(repository.get(asset.owner, asset.id).asset.deleting for asset in assets)
    assert 0 < len(bucket_keys(s3_client)) < 2 * len(assets)

    # When it runs again (missing objects count as deleted)
    second = purge(now=now, settings=settings, repository=repository, store=crashing, time_left_ms=unlimited_time)

    # Then it finishes: nothing left
    assert (second.purged, second.failed) == (len(assets), 0)
    assert record_ids(repository) == set()
    assert bucket_keys(s3_client) == set()


def test_a_crashed_claim_is_taken_over_after_its_lease(repository, store, s3_client, now):
    # Given an asset a crashed run claimed and never finished
    asset = new_asset(created_at=now - 90 * DAY, trashed_at=now - 31 * DAY)
    store_asset(repository, store, asset)
    [candidate] = expired_candidates(repository, now)
    settings = purge_settings()
    claim(candidate, repository=repository, now=now, lease_ms=settings.claim_lease_seconds * 1000)

    # When a run starts within the lease, then one after it
    within = purge(now=now, settings=settings, repository=repository, store=store, time_left_ms=unlimited_time)
    later = now + timedelta(seconds=settings.claim_lease_seconds + 1)
    after = purge(now=later, settings=settings, repository=repository, store=store, time_left_ms=unlimited_time)

    # Then the first leaves it to its owner and the second finishes it
    assert (within.purged, within.skipped_restored) == (0, 1)
    assert after.purged == 1
    assert record_ids(repository) == set() and bucket_keys(s3_client) == set()


class RefusingStore(ObjectStore):
    """S3 refuses to delete the keys of one asset (say an object lock); everything else deletes."""

    def __init__(self, store: ObjectStore, client: Any, refused: set[str]) -> None:
        super().__init__(store.bucket, client=client)
        self.refused = refused

    def delete_batch(self, versions: list[ObjectVersion]) -> set[str]:
        super().delete_batch([version for version in versions if version.key not in self.refused])
        return {version.key for version in versions if version.key in self.refused}


def test_one_failing_item_never_stops_the_others(repository, store, s3_client, now):
    # Given expired assets, one of whose objects S3 refuses to delete
    assets = [new_asset(created_at=now - 90 * DAY, trashed_at=now - (31 + n) * DAY) for n in range(5)]
    for asset in assets:
        store_asset(repository, store, asset)
    stuck = assets[2]
    refusing = RefusingStore(store, s3_client, {stuck.original_key})

    # When the purge runs
    report = purge(
        now=now, settings=purge_settings(), repository=repository, store=refusing, time_left_ms=unlimited_time
    )

    # Then only that one failed; it stays claimed (never restorable) and its record still points at its original
    assert (report.purged, report.failed) == (4, 1)
    assert report.failures[0].startswith(stuck.id)
    assert record_ids(repository) == {stuck.id}
    assert stuck.original_key in bucket_keys(s3_client)
    assert repository.get(stuck.owner, stuck.id).asset.deleting


class FailingClaimFor(AssetRepository):
    """DynamoDB fails the claim of one asset."""

    def __init__(self, table: str, failing_id: str) -> None:
        super().__init__(table)
        self.failing_id = failing_id

    def claim_for_deletion(self, candidate: Candidate, *, now_ms: int, lease_ms: int | None) -> StoredAsset:
        if candidate.asset_id == self.failing_id:
            raise TransientError("throttled")
        return super().claim_for_deletion(candidate, now_ms=now_ms, lease_ms=lease_ms)


def test_a_failing_claim_does_not_stop_the_others(repository, store, now):
    # Given expired assets and a DynamoDB that fails one claim
    assets = [new_asset(created_at=now - 90 * DAY, trashed_at=now - (31 + n) * DAY) for n in range(3)]
    for asset in assets:
        store_asset(repository, store, asset)
    settings = purge_settings()
    failing = FailingClaimFor(settings.asset_table_name, assets[0].id)

    # When the purge runs / Then the others are purged and the failing one remains, untouched
    report = purge(now=now, settings=settings, repository=failing, store=store, time_left_ms=unlimited_time)
    assert (report.purged, report.failed) == (2, 1)
    assert record_ids(repository) == {assets[0].id}
    assert not repository.get(assets[0].owner, assets[0].id).asset.deleting


def test_the_run_stops_claiming_when_time_runs_short_and_the_next_run_finishes(repository, store, s3_client, now):
    # Given expired assets and an invocation whose time runs below the margin after three items
    assets = [new_asset(created_at=now - 90 * DAY, trashed_at=now - (31 + n) * DAY) for n in range(6)]
    for asset in assets:
        store_asset(repository, store, asset)
    settings = purge_settings(PURGE_SAFETY_MARGIN_SECONDS="10")
    budget = iter([60_000, 60_000, 60_000])

    def time_left() -> int:
        return next(budget, 5_000)

    # When the run goes
    first = purge(now=now, settings=settings, repository=repository, store=store, time_left_ms=time_left)

    # Then it purged what it claimed, reported the rest as left over, and the next run takes the rest
    assert (first.purged, first.incomplete, first.failed) == (3, True, 0)
    assert len(record_ids(repository)) == 3
    second = purge(now=now, settings=settings, repository=repository, store=store, time_left_ms=unlimited_time)
    assert (second.purged, second.incomplete) == (3, False)
    assert record_ids(repository) == set() and bucket_keys(s3_client) == set()


def test_abandoned_uploads_older_than_24_hours_go_but_an_arrived_original_is_kept(repository, store, s3_client, now):
    # Given pending uploads 25 h old (one whose original did arrive), one 23 h old, and an old finished asset
    arrived = new_asset(created_at=now - timedelta(hours=25), status=AssetStatus.PENDING)
    abandoned = new_asset(created_at=now - timedelta(hours=25), status=AssetStatus.PENDING)
    recent = new_asset(created_at=now - timedelta(hours=23), status=AssetStatus.PENDING)
    finished = new_asset(created_at=now - 10 * DAY)
    store_asset(repository, store, arrived, objects=False)
    store.write(arrived.original_key, b"bytes", "image/png")
    store_asset(repository, store, abandoned, objects=False)
    store_asset(repository, store, recent, objects=False)
    store_asset(repository, store, finished)

    # When the purge runs
    report = purge(now=now, settings=purge_settings(), repository=repository, store=store, time_left_ms=unlimited_time)

    # Then only the upload that never arrived is removed; the arrived one is left for the sweep to finish
    assert report.abandoned_removed == 1
    assert report.kept_uploaded == 1
    assert record_ids(repository) == {arrived.id, recent.id, finished.id}
    assert bucket_keys(s3_client) == {arrived.original_key, *object_keys(finished)}


def test_an_upload_that_completed_after_selection_is_not_removed(repository, store, now):
    # Given an abandoned-looking pending upload the purge selected, which then completes
    asset = new_asset(created_at=now - timedelta(hours=25), status=AssetStatus.PENDING)
    stored = store_asset(repository, store, asset)
    _, pending_cutoff = cutoffs(now, purge_settings())
    [candidate] = [c for shard in range(8) for c in repository.abandoned_uploads(shard, pending_cutoff)]
    repository.replace(stored, asset.model_copy(update={"status": AssetStatus.PROCESSING}))

    # When it is claimed / Then the claim fails and the asset stays
    with pytest.raises(Conflict):
        claim(candidate, repository=repository, now=now, lease_ms=0)
    assert repository.get(asset.owner, asset.id).asset.status == AssetStatus.PROCESSING
