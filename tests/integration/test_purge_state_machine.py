"""A hypothesis state machine over upload / trash / restore / empty / advance clock / purge on moto.

Invariants after every step: nothing is lost before its time, nothing trashed survives past its time once a
purge has run, no object without a record, no stored record without its objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from functions.common.deletion import object_keys
from functions.common.models import AssetStatus
from functions.common.repository import AssetRepository
from functions.common.repository.tooling import every_asset, remove_all
from functions.common.storage import ObjectStore
from functions.gallery.logic import empty_trash, patch_asset
from functions.gallery.models import PatchRequest
from functions.purge.logic import purge
from tests.conftest import BUCKET
from tests.integration.purge_support import (
    RETENTION_DAYS,
    bucket_keys,
    gallery_at,
    new_asset,
    purge_settings,
    record_ids,
    store_asset,
    unlimited_time,
)

OWNER = "alice"
STEPS = st.sampled_from(
    [
        timedelta(seconds=1),
        timedelta(hours=1),
        timedelta(hours=23),
        timedelta(days=1),
        timedelta(days=29, hours=23),
        timedelta(days=30),
    ]
)


@dataclass
class Expected:
    """What the model says about one asset."""

    pending: bool
    created_at: datetime
    trashed_at: datetime | None = None


def machine_for(repository: AssetRepository, store: ObjectStore, s3_client: Any, start: datetime) -> type:
    class PurgeMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.clock = start
            self.expected: dict[str, Expected] = {}

        @initialize()
        def wipe(self) -> None:
            """Each example starts from an empty table and bucket (moto is shared across examples for speed)."""
            remove_all(repository)
            keys = sorted(bucket_keys(s3_client))
            if keys:
                s3_client.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": key} for key in keys]})

        def gallery(self):  # type: ignore[no-untyped-def]
            return gallery_at(repository, store, self.clock)

        @rule()
        def upload(self) -> None:
            asset = new_asset(created_at=self.clock, owner=OWNER)
            store_asset(repository, store, asset)
            self.expected[asset.id] = Expected(pending=False, created_at=self.clock)

        @rule()
        def start_upload_and_abandon_it(self) -> None:
            asset = new_asset(created_at=self.clock, owner=OWNER, status=AssetStatus.PENDING)
            store_asset(repository, store, asset, objects=False)
            self.expected[asset.id] = Expected(pending=True, created_at=self.clock)

        def _ids(self, trashed: bool) -> list[str]:
            return sorted(i for i, e in self.expected.items() if (e.trashed_at is not None) == trashed)

        @precondition(lambda self: self._ids(trashed=False))
        @rule(data=st.data())
        def trash(self, data: st.DataObject) -> None:
            asset_id = data.draw(st.sampled_from(self._ids(trashed=False)))
            out = patch_asset(
                owner=OWNER, asset_id=asset_id, request=PatchRequest(trashed=True), gallery=self.gallery()
            )
            assert out.purge_at == self.clock + timedelta(days=RETENTION_DAYS)
            self.expected[asset_id].trashed_at = self.clock

        @precondition(lambda self: self._ids(trashed=True))
        @rule(data=st.data())
        def restore(self, data: st.DataObject) -> None:
            asset_id = data.draw(st.sampled_from(self._ids(trashed=True)))
            out = patch_asset(
                owner=OWNER, asset_id=asset_id, request=PatchRequest(trashed=False), gallery=self.gallery()
            )
            assert out.trashed_at is None and out.purge_at is None
            self.expected[asset_id].trashed_at = None

        @rule()
        def empty(self) -> None:
            trashed = self._ids(trashed=True)
            response = empty_trash(owner=OWNER, gallery=self.gallery())
            assert response.deleted == len(trashed)
            for asset_id in trashed:
                del self.expected[asset_id]

        @rule(step=STEPS)
        def advance_clock(self, step: timedelta) -> None:
            self.clock += step

        @rule()
        def run_purge(self) -> None:
            report = purge(
                now=self.clock,
                settings=purge_settings(),
                repository=repository,
                store=store,
                time_left_ms=unlimited_time,
            )
            assert report.failed == 0
            trash_cutoff = self.clock - timedelta(days=RETENTION_DAYS)
            pending_cutoff = self.clock - timedelta(hours=24)
            for asset_id, expected in list(self.expected.items()):
                expired = expected.trashed_at is not None and expected.trashed_at < trash_cutoff
                abandoned = expected.pending and expected.created_at < pending_cutoff
                if expired or abandoned:
                    del self.expected[asset_id]

        @invariant()
        def records_are_exactly_the_expected_ones(self) -> None:
            # Nothing lost before its time, nothing trashed or abandoned survives a purge past its time.
            assert record_ids(repository) == set(self.expected)

        @invariant()
        def objects_and_records_match(self) -> None:
            keys = bucket_keys(s3_client)
            stored = {asset.id for asset in every_asset(repository) if asset.status != AssetStatus.PENDING}
            wanted = {key for asset_id in stored for key in object_keys(new_asset_with_id(asset_id))}
            assert keys == wanted  # no orphan object, no stored record pointing at a missing object

    return PurgeMachine


def new_asset_with_id(asset_id: str):  # type: ignore[no-untyped-def]
    return new_asset(created_at=datetime.now(UTC), owner=OWNER).model_copy(update={"id": asset_id})


def test_purge_keeps_its_invariants(repository, store, s3_client, now):
    # Given moto and a state machine over the gallery and the purge / When hypothesis runs it / Then invariants hold
    machine = machine_for(repository, store, s3_client, now)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=8,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
