"""Deleting assets forever: the one code path for DELETE, bulk delete, emptying the trash and the purge.

Every deletion is claim, objects, record:

1. Claim: one conditional write that holds only if the asset is still as it was selected (same trash time,
   or still pending since the same creation time). A restore that happened first wins (`Conflict`); once
   claimed, the asset is marked `deleting`, its version is bumped and a restore is refused.
2. Objects: every version (delete markers included) of the original and of every derivative, listed with
   ListObjectVersions and deleted by version id with S3 DeleteObjects, up to 1,000 per call across many
   assets: the bucket is versioned, and a plain delete would keep the bytes as a noncurrent version. A
   missing object counts as deleted.
3. Record: only after all of its objects are gone, so a crash leaves a claimed record that a rerun
   finishes, never an orphan object. One conditional delete per record, holding only while it is still
   claimed; a record that is not is reported as that asset's failure, and a missing one counts as deleted.
   The same transaction uncounts it from its owner's usage (`functions/common/quota.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from functions.common.bucket_ports import ObjectDeleter
from functions.common.clock import epoch_ms
from functions.common.errors import NotInTrash
from functions.common.failures import TransientError
from functions.common.models import Asset
from functions.common.ports import Candidate, DeletionClaims, StoredAsset, candidate_for

if TYPE_CHECKING:
    from functions.common.objects import ObjectVersion

MAX_KEYS_PER_CALL = 1000


class DeletionFailed(TransientError):
    """Objects or record could not be deleted; the asset stays claimed (refusing restores) and a retry finishes it."""


def object_keys(asset: Asset) -> list[str]:
    """Every object an asset may own: the original and each derivative."""
    return [asset.original_key, asset.thumb_object_key, *([asset.preview_key] if asset.preview_key else [])]


def delete_objects_forever(keys: Iterable[str], *, store: ObjectDeleter) -> None:
    """Every version of each key, with no record involved (a thumbnail superseded, or written for a lost write)."""
    versions = [version for key in dict.fromkeys(keys) for version in store.versions(key)]
    for start in range(0, len(versions), MAX_KEYS_PER_CALL):
        if store.delete_batch(versions[start : start + MAX_KEYS_PER_CALL]):
            raise DeletionFailed("S3 refused to delete an object")


@dataclass
class DeletionResult:
    """What a batch of deletions achieved."""

    deleted: list[Asset] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # asset id -> reason
    s3_calls: int = 0

    def extend(self, other: DeletionResult) -> None:
        self.deleted += other.deleted
        self.failed.update(other.failed)
        self.s3_calls += other.s3_calls


@dataclass
class _Pending:
    asset: Asset
    unsent: list[ObjectVersion]
    failure: str | None = None


class BatchDeleter:
    """Deletes the objects, then the records, of claimed assets, filling each DeleteObjects call to 1,000 keys.

    An asset's keys may span two calls; its record goes only once every key is deleted. A failed call or
    a refused key fails only the assets it touched; they stay claimed and are released for the next run.
    """

    def __init__(self, *, repository: DeletionClaims, store: ObjectDeleter, keys_per_call: int = MAX_KEYS_PER_CALL):
        self._repository = repository
        self._store = store
        self._keys_per_call = keys_per_call
        self._queue: list[_Pending] = []
        self._queued_keys = 0

    def add(self, claimed: Asset) -> DeletionResult:
        """Queue every version of a claimed asset's objects; sends every full call that is ready."""
        result = DeletionResult()
        try:
            versions = [version for key in dict.fromkeys(object_keys(claimed)) for version in self._store.versions(key)]
        except Exception as error:  # its versions cannot be listed: it fails alone, released for the next run
            result.failed[claimed.id] = f"S3 ListObjectVersions failed: {error}"
            self._release(claimed)
            return result
        self._queue.append(_Pending(asset=claimed, unsent=versions))
        self._queued_keys += len(versions)
        while self._queued_keys >= self._keys_per_call:
            result.extend(self._send_one_call())
        return result

    def flush(self) -> DeletionResult:
        """Send whatever is queued."""
        result = DeletionResult()
        while self._queue:
            result.extend(self._send_one_call())
        return result

    def _send_one_call(self) -> DeletionResult:
        chunk: list[ObjectVersion] = []
        touched: list[_Pending] = []
        while self._queue and len(chunk) < self._keys_per_call:
            item = self._queue[0]
            take = item.unsent[: self._keys_per_call - len(chunk)]
            item.unsent = item.unsent[len(take) :]
            chunk += take
            touched.append(item)
            if not item.unsent:
                self._queue.pop(0)
        self._queued_keys -= len(chunk)
        result = DeletionResult()
        try:
            refused = self._store.delete_batch(chunk) if chunk else set()
            result.s3_calls += 1 if chunk else 0
        except Exception as error:  # the whole call failed: every asset in it fails, the others go on
            refused = {version.key for version in chunk}
            reason = f"S3 DeleteObjects failed: {error}"
            for item in touched:
                item.failure = item.failure or reason
        for item in touched:
            if refused.intersection(object_keys(item.asset)):
                item.failure = item.failure or "S3 refused to delete an object"
        for item in touched:
            if item.failure and item.unsent:  # drop what is left of a failed asset that spans the next call
                self._queue.remove(item)
                self._queued_keys -= len(item.unsent)
                item.unsent = []
        finished = [item for item in touched if not item.unsent]
        failed = [item for item in finished if item.failure]
        done = [item for item in finished if not item.failure]
        if done:
            try:
                refused_records = self._repository.delete_claimed((item.asset.owner, item.asset.id) for item in done)
            except Exception as error:  # records stay claimed; their objects are gone, so a rerun only deletes them
                refused_records = {item.asset.id: str(error) for item in done}
            for item in done:
                if item.asset.id in refused_records:
                    item.failure = f"record delete failed: {refused_records[item.asset.id]}"
                    failed.append(item)
                else:
                    result.deleted.append(item.asset)
        for item in failed:
            result.failed[item.asset.id] = item.failure or "failed"
            self._release(item.asset)
        return result

    def _release(self, asset: Asset) -> None:
        try:
            self._repository.release_claim(asset.owner, asset.id)
        except Exception:  # the claim's lease expires by itself
            return


def claim(
    candidate: Candidate, *, repository: DeletionClaims, now: datetime, lease_ms: int | None = None
) -> StoredAsset:
    """Claim one asset for deletion (see the module docstring); `Conflict` if it changed since it was selected."""
    return repository.claim_for_deletion(candidate, now_ms=epoch_ms(now), lease_ms=lease_ms)


def delete_claimed(assets: Iterable[Asset], *, repository: DeletionClaims, store: ObjectDeleter) -> DeletionResult:
    """Delete the objects, then the records, of assets already claimed."""
    deleter = BatchDeleter(repository=repository, store=store)
    result = DeletionResult()
    for asset in assets:
        result.extend(deleter.add(asset))
    result.extend(deleter.flush())
    return result


def delete_forever(stored: StoredAsset, *, repository: DeletionClaims, store: ObjectDeleter, now: datetime) -> None:
    """Delete one trashed asset forever (DELETE, bulk delete, empty trash): claim, objects, record.

    Raises `NotInTrash` if it is not in the trash and `Conflict` if it was restored (or changed trash time)
    since `stored` was read. An earlier claim (say a crashed purge) is taken over: deleting twice is harmless.
    """
    if not stored.asset.in_trash:
        raise NotInTrash("Only assets in the trash can be deleted forever; move it to the trash first.")
    claimed = claim(candidate_for(stored.asset), repository=repository, now=now)
    result = delete_claimed([claimed.asset], repository=repository, store=store)
    if result.failed:
        raise DeletionFailed(result.failed[claimed.asset.id])
