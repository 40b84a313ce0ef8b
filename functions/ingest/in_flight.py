"""Fair ingest: each user has at most `cap` ingests in flight, so one user cannot hold every worker.

A place is taken (one conditional write) before the asset is created and freed once the worker is done with it,
whatever the outcome; freeing is idempotent. A place no one freed (a worker that crashed through its retries, a
request that died between its writes) is taken back when the cap refuses a request: then the held ids are checked
against their assets, so a crashed worker costs its user one place for at most `PLACE_LIFETIME`, never for ever.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from functions.common.clock import epoch_ms
from functions.common.errors import TooManyIngests
from functions.common.ids import is_ulid
from functions.common.models import AssetStatus
from functions.common.ports import AssetRecords

# Longer than any worker can hold an ingest: Lambda keeps the event up to 15 min and runs it twice (timeout 180 s).
PLACE_LIFETIME = timedelta(minutes=30)
# A held id whose asset does not exist yet may be a request between taking its place and creating the asset.
CREATION_GRACE = timedelta(minutes=1)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class IngestPlaces(Protocol):
    """An owner's in-flight ingests (the asset table's `IngestSlotsTable`)."""

    def take_ingest_slot(self, owner: str, asset_id: str, *, cap: int) -> bool: ...
    def ingest_slots(self, owner: str) -> set[str]: ...
    def free_ingest_slots(self, owner: str, asset_ids: Iterable[str]) -> None: ...


class IngestRecords(AssetRecords, IngestPlaces, Protocol):
    """What ingest reads and writes: single assets and the owner's in-flight places."""


def take_place(*, owner: str, asset_id: str, cap: int, records: IngestRecords, now: datetime) -> None:
    """Hold a place for `asset_id`, taking back places no worker will free; `TooManyIngests` when all are in use."""
    if cap == 0 or records.take_ingest_slot(owner, asset_id, cap=cap):
        return
    abandoned = _abandoned(owner, records.ingest_slots(owner), records, now)
    if abandoned:
        records.free_ingest_slots(owner, abandoned)
        if records.take_ingest_slot(owner, asset_id, cap=cap):
            return
    raise TooManyIngests(f"You already have {cap} ingests in flight; retry when one has finished.")


def _abandoned(owner: str, held: set[str], records: IngestRecords, now: datetime) -> set[str]:
    """The held ids whose ingest is over (asset gone or no longer `ingesting`) or older than any worker runs."""
    found = records.batch_get(owner, sorted(held))
    abandoned = set()
    for asset_id in held:
        age = timedelta(milliseconds=epoch_ms(now) - _ulid_ms(asset_id))
        stored = found.get(asset_id)
        if age > PLACE_LIFETIME:
            abandoned.add(asset_id)
        elif stored is None:
            if age > CREATION_GRACE:
                abandoned.add(asset_id)
        elif stored.asset.status != AssetStatus.INGESTING:
            abandoned.add(asset_id)
    return abandoned


def _ulid_ms(asset_id: str) -> int:
    """The creation time a ULID carries (its first 48 bits); anything else counts as created long ago."""
    if not is_ulid(asset_id):
        return 0
    value = 0
    for char in asset_id[:10]:
        value = value * 32 + _CROCKFORD.index(char)
    return value
