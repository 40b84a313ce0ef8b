"""Each owner's usage: one item per owner counting its assets and their stored bytes (`functions.common.quota`).

Why counters in one transaction with the record rather than a query or a scan: the count must hold under concurrent
writers and be readable in one GetItem. A write of a record that changes what it counts (create, delete, a stored
original's size) is one TransactWriteItems of the record's own conditional write and an `ADD` to the owner's item:
both happen or neither, so the counters cannot drift from the records, and the record's condition (absent, same
version, still claimed) makes a write repeated by a redelivered event fail instead of counting twice. The quota is a
condition on the usage item in the creating transaction, so no two requests can both take the last asset.
"""

from __future__ import annotations

from typing import Any, NoReturn

from pynamodb.exceptions import GetError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from functions.common.errors import Conflict, FolderNotFound, QuotaExceeded
from functions.common.failures import TransientError
from functions.common.ports import Quota, Usage
from functions.common.repository.errors import raise_domain

# The sort key of an owner's usage item; never an asset id (a ULID has no `#`), so no view or index shows it.
USAGE_KEY = "#usage"
_CONDITION_FAILED = "ConditionalCheckFailed"
_TRANSIENT_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


class UsageTable:
    """Read an owner's usage, and write a record together with the change of its owner's counts."""

    _model: type[Model]

    def usage(self, owner: str) -> Usage:
        """The owner's counts (a strongly consistent read); nothing counted yet is zero."""
        try:
            data = self._model._get_connection().get_item(owner, range_key=USAGE_KEY, consistent_read=True)
        except GetError as error:
            raise_domain(error)
        item = data.get("Item", {})
        return Usage(
            bytes=int(item.get("usage_bytes", {}).get("N", 0)), assets=int(item.get("usage_assets", {}).get("N", 0))
        )

    def _counted(
        self,
        owner: str,
        record: tuple[str, dict[str, Any]],
        *,
        assets: int = 0,
        bytes_: int = 0,
        quota: Quota | None = None,
        folders: list[dict[str, Any]] | None = None,
    ) -> None:
        """Write `record` (`("put" | "delete", its operation kwargs)`) and add to the owner's counts, atomically.

        `folders`: the folder items' count updates of the same write (`folders.folder_updates`). The record's
        condition failing is a `Conflict`; a folder's, a `FolderNotFound`; the quota's, a `QuotaExceeded`.
        """
        model = self._model
        connection = model._get_connection()
        actions: list[Any] = []
        if bytes_:
            actions.append(model.usage_bytes.add(bytes_))  # type: ignore[attr-defined]
        if assets:
            actions.append(model.usage_assets.add(assets))  # type: ignore[attr-defined]
        condition = _within(model, quota) if quota else None
        # A write changing only folder counts leaves the usage item alone.
        counts = actions or condition is not None
        usage = [connection.get_operation_kwargs(owner, range_key=USAGE_KEY, actions=actions, condition=condition)]
        kind, kwargs = record
        try:
            connection.connection.transact_write_items(
                condition_check_items=[],
                delete_items=[kwargs] if kind == "delete" else [],
                put_items=[kwargs] if kind == "put" else [],
                update_items=[*(folders or []), *(usage if counts else [])],
            )
        except TransactWriteError as error:
            raise_cancelled(error, usage_last=bool(counts))


def _within(model: type[Model], quota: Quota) -> Condition | None:
    """The usage item's condition that one more asset fits the quota (absent counters are zero)."""
    condition: Condition | None = None
    counters = ((model.usage_bytes, quota.max_bytes), (model.usage_assets, quota.max_assets))  # type: ignore[attr-defined]
    for counter, limit in counters:
        if limit:
            fits = counter.does_not_exist() | (counter < limit)
            condition = fits if condition is None else condition & fits
    return condition


def raise_cancelled(error: TransactWriteError, *, usage_last: bool = True) -> NoReturn:
    """A cancelled transaction as a domain error: reasons are in item order, the record first, the usage item last
    (when `usage_last`), any folder items in between."""
    reasons = [reason.code if reason else None for reason in error.cancellation_reasons]
    if usage_last and reasons and reasons[-1] == _CONDITION_FAILED:
        raise QuotaExceeded("You are at or over your quota.") from error
    if _CONDITION_FAILED in reasons[1 : len(reasons) - usage_last]:
        raise FolderNotFound("No such folder.") from error
    if _CONDITION_FAILED in reasons:
        raise Conflict("The asset changed meanwhile.") from error
    if _TRANSIENT_REASONS.intersection(code for code in reasons if code):
        raise TransientError(f"DynamoDB cancelled the transaction: {reasons}") from error
    raise_domain(error)
