"""Deletion claims: the conditional writes that start, release and finish every deletion."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import PynamoDBException, UpdateError
from pynamodb.models import Model

from functions.common.errors import Conflict
from functions.common.failures import PermanentError, TransientError
from functions.common.models import AssetStatus
from functions.common.ports import Candidate, StoredAsset
from functions.common.repository.errors import raise_domain
from functions.common.repository.folders import folder_updates
from functions.common.repository.mapping import to_asset
from functions.common.repository.usage import UsageTable

# A claimed record another writer touches between our read and delete is read again, this often.
_DELETE_ATTEMPTS = 3


class DeletionClaimsTable(UsageTable):
    """The claim, release and delete of `functions.common.deletion`, on the asset table."""

    _model: type[Model]
    # The records this repository claimed and has not deleted yet, as their claim returned them: what their delete is
    # conditioned on, so it needs no read first (a record changed since is read again).
    _claimed: dict[tuple[str, str], StoredAsset]

    def claim_for_deletion(self, candidate: Candidate, *, now_ms: int, lease_ms: int | None) -> StoredAsset:
        """Mark the asset as being deleted if it is still as selected (same trash or pending time), else `Conflict`.

        One conditional UpdateItem, no read: it bumps the version, so any write based on an earlier read fails,
        and a restore reads `deleting` and refuses. With `lease_ms`, a claim another deletion took less than
        `lease_ms` ago is also a `Conflict` (a claim of 0 is free to take over).
        """
        model = self._model
        marker = model.pending_ms if candidate.pending else model.trash_ms
        condition = marker == candidate.selected_ms
        if candidate.pending:  # `pending_ms` also times `processing`, which is never abandoned
            condition &= model.status == AssetStatus.PENDING.value
        if lease_ms is not None:
            condition &= model.deleting_ms.does_not_exist() | (model.deleting_ms < now_ms - lease_ms)
        try:
            data = model._get_connection().update_item(
                candidate.owner,
                range_key=candidate.asset_id,
                actions=[model.deleting_ms.set(now_ms), model.version.add(1)],
                condition=condition,
                return_values="ALL_NEW",
            )
        except UpdateError as error:
            raise_domain(error)
        claimed = to_asset(model.from_raw_data(data["Attributes"]))
        self._claimed[(candidate.owner, candidate.asset_id)] = claimed
        return claimed

    def release_claim(self, owner: str, asset_id: str) -> None:
        """Let the next deletion take over a claimed asset at once; it stays marked as being deleted."""
        self._claimed.pop((owner, asset_id), None)
        model = self._model
        try:
            model._get_connection().update_item(
                owner,
                range_key=asset_id,
                actions=[model.deleting_ms.set(0), model.version.add(1)],
                condition=model.deleting_ms.exists(),
            )
        except UpdateError as error:
            raise_domain(error)

    def delete_claimed(self, keys: Iterable[tuple[str, str]]) -> dict[str, str]:
        """Delete claimed records (owner, asset id) and uncount them; returns id -> why it was not deleted."""
        # Never BatchWriteItem: it takes no condition, and no role holds it since it could also put items.
        refused: dict[str, str] = {}
        for owner, asset_id in dict.fromkeys(keys):
            reason = self._delete_claimed_one(owner, asset_id)
            if reason is not None:
                refused[asset_id] = reason
        return refused

    def _delete_claimed_one(self, owner: str, asset_id: str) -> str | None:
        """Delete the record at the version its claim returned (else as read now) with its owner's counts, atomically.

        A missing record counts as deleted (an earlier run deleted and uncounted it); one no longer claimed is
        refused. Pinning the version makes the uncounted bytes exactly the record's, and a rerun a no-op.
        """
        model = self._model
        known = self._claimed.pop((owner, asset_id), None)
        for _ in range(_DELETE_ATTEMPTS):
            try:
                stored, known = known or self._read_claimed(owner, asset_id), None
                if stored is None:
                    return None
                if not stored.asset.deleting:
                    return "no longer claimed"
                record = model(owner=owner, asset_id=asset_id, version=stored.version)
                delete = record.get_delete_kwargs_from_instance()
                folders = folder_updates(model, stored.asset, None)
                self._counted(owner, ("delete", delete), assets=-1, bytes_=-stored.asset.stored_bytes, folders=folders)
                return None
            except Conflict:  # written since it was read (a release, a late worker): read again
                continue
            except (PynamoDBException, TransientError, PermanentError) as error:
                return str(error)
        return "the record kept changing"

    def _read_claimed(self, owner: str, asset_id: str) -> StoredAsset | None:
        """The record as it is now (a strongly consistent read), None if it is gone."""
        model = self._model
        data = model._get_connection().get_item(owner, range_key=asset_id, consistent_read=True)
        return to_asset(model.from_raw_data(data["Item"])) if "Item" in data else None
