"""Deletion claims: the conditional writes that start, release and finish every deletion."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.models import Model

from functions.common.models import AssetStatus
from functions.common.ports import Candidate, StoredAsset
from functions.common.repository.errors import CONDITION_FAILED, error_code, raise_domain
from functions.common.repository.mapping import to_asset


class DeletionClaimsTable:
    """The claim, release and delete of `functions.common.deletion`, on the asset table."""

    _model: type[Model]

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
        return to_asset(model.from_raw_data(data["Attributes"]))

    def release_claim(self, owner: str, asset_id: str) -> None:
        """Let the next deletion take over a claimed asset at once; it stays marked as being deleted."""
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
        """Delete claimed records (owner, asset id), one DeleteItem each; returns id -> why it was not deleted."""
        # Holds while claimed (claims are never cleared) or gone, so a missing record counts as deleted. Never
        # BatchWriteItem: it takes no condition, and no role holds it since it could also put items.
        claimed_or_gone = self._model.asset_id.does_not_exist() | self._model.deleting_ms.exists()
        refused: dict[str, str] = {}
        for owner, asset_id in dict.fromkeys(keys):
            try:
                self._model._get_connection().delete_item(owner, range_key=asset_id, condition=claimed_or_gone)
            except DeleteError as error:
                refused[asset_id] = "no longer claimed" if error_code(error) == CONDITION_FAILED else str(error)
        return refused
