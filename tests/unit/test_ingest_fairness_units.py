"""Fair ingest over fakes: which held places are taken back, and when the worker frees its place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.common.errors import TooManyIngests
from functions.common.failures import TransientError
from functions.common.ids import new_ulid
from functions.common.models import AssetSource, AssetStatus
from functions.ingest.in_flight import CREATION_GRACE, PLACE_LIFETIME, take_place
from functions.ingest.worker_logic import IngestJob, run_ingest
from tests.builders import ingest_worker, new_asset
from tests.fakes import FakeTime, MemoryAssets, MemoryStore, ScriptedFetcher
from tests.imagegen import png_bytes

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def held_for(repository: MemoryAssets, created_at: datetime, status: AssetStatus | None) -> str:
    """A place held for an ingest created at `created_at`; its asset exists unless `status` is None."""
    asset_id = new_ulid(created_at)
    if status is not None:
        asset = new_asset(created_at=created_at, asset_id=asset_id, status=status, source=AssetSource.INGEST)
        repository.create(asset.model_copy(update={"source_url": "https://images.example.com/a.png"}))
    repository.take_ingest_slot("alice", asset_id, cap=100)
    return asset_id


@pytest.mark.parametrize(
    ("age", "status", "taken_back"),
    [
        (timedelta(seconds=5), AssetStatus.INGESTING, False),  # a worker is on it
        (timedelta(seconds=5), AssetStatus.PROCESSING, True),  # stored; its worker died before freeing
        (timedelta(seconds=5), AssetStatus.FAILED, True),
        (timedelta(seconds=5), None, False),  # a request between taking its place and creating the asset
        (CREATION_GRACE + timedelta(seconds=1), None, True),  # that request died
        (PLACE_LIFETIME + timedelta(seconds=1), AssetStatus.INGESTING, True),  # a worker crashed through retries
    ],
)
def test_a_full_cap_takes_back_only_places_no_worker_will_free(
    age: timedelta, status: AssetStatus | None, taken_back: bool
) -> None:
    # Given alice's one place is held
    repository = MemoryAssets()
    held = held_for(repository, NOW - age, status)
    new = new_ulid(NOW)
    # When she starts another ingest with a cap of one
    if taken_back:
        take_place(owner="alice", asset_id=new, cap=1, records=repository, now=NOW)
    else:
        with pytest.raises(TooManyIngests):
            take_place(owner="alice", asset_id=new, cap=1, records=repository, now=NOW)
    # Then the held place was taken back only when its ingest is over or can no longer be running
    assert repository.ingest_slots("alice") == ({new} if taken_back else {held})


def test_a_cap_of_zero_is_no_cap() -> None:
    # Given
    repository = MemoryAssets()
    # When / Then
    for _ in range(20):
        take_place(owner="alice", asset_id=new_ulid(NOW), cap=0, records=repository, now=NOW)
    assert repository.ingest_slots("alice") == set()


def test_the_cap_is_per_user() -> None:
    # Given alice is at the cap
    repository = MemoryAssets()
    take_place(owner="alice", asset_id=new_ulid(NOW), cap=1, records=repository, now=NOW)
    # When / Then bob is not
    take_place(owner="bob", asset_id=new_ulid(NOW), cap=1, records=repository, now=NOW)
    with pytest.raises(TooManyIngests) as refused:
        take_place(owner="alice", asset_id=new_ulid(NOW), cap=1, records=repository, now=NOW)
    assert (refused.value.status, refused.value.headers.get("Retry-After")) == (429, "5")


def test_the_worker_frees_its_place_on_every_outcome_but_an_error_lambda_retries() -> None:
    # Given two ingests in flight
    repository, store, time_ = MemoryAssets(), MemoryStore(), FakeTime(now=NOW)
    ids = [held_for(repository, NOW, AssetStatus.INGESTING) for _ in range(2)]
    # When one source is stored and the other's worker fails with an error Lambda retries the event for
    run_ingest(IngestJob(owner="alice", assetId=ids[0]), worker=ingest_worker(repository, store, time_, fetched()))
    crashing = ScriptedFetcher([TransientError("the network went away")])
    with pytest.raises(TransientError):
        run_ingest(IngestJob(owner="alice", assetId=ids[1]), worker=ingest_worker(repository, store, time_, crashing))
    # Then only the finished one's place is free; the retried one keeps its place
    assert repository.ingest_slots("alice") == {ids[1]}


def test_a_job_whose_asset_is_gone_frees_its_place() -> None:
    # Given a place whose asset was deleted before the worker ran
    repository, time_ = MemoryAssets(), FakeTime(now=NOW)
    held = held_for(repository, NOW, None)
    # When
    outcome = run_ingest(
        IngestJob(owner="alice", assetId=held), worker=ingest_worker(repository, MemoryStore(), time_, fetched())
    )
    # Then
    assert (outcome, repository.ingest_slots("alice")) == ("gone", set())


def fetched() -> ScriptedFetcher:
    return ScriptedFetcher([png_bytes()])
