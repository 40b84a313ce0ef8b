"""Each owner's in-flight ingests: one small item per owner holding the ids of the ingests it has running.

Why a set of ids on one item rather than a counter or a query of an index of `ingesting` assets: taking a place
is one conditional UpdateItem (`ADD` the id if the set holds fewer than the cap), so two requests at once can
never both take the last place, which a query-then-create could (and a GSI is only eventually consistent).
Unlike a counter, freeing a place is `DELETE` of that id: idempotent, so a worker that runs twice, or the API and
the worker both freeing it, never drifts below the truth; and a place a crashed worker never freed is named by its
asset id, so the ingest logic can check that asset and take the place back.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import GetError, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.models import Model

from functions.common.repository.errors import CONDITION_FAILED, error_code, raise_domain

# The sort key of an owner's in-flight item; never an asset id (a ULID has no `#`), so no view or index shows it.
IN_FLIGHT_KEY = "#ingests"


class IngestSlotsTable:
    """Take, list and free an owner's in-flight ingest places."""

    _model: type[Model]

    def take_ingest_slot(self, owner: str, asset_id: str, *, cap: int) -> bool:
        """Record `asset_id` as in flight unless the owner already has `cap` (then False); no read first."""
        model = self._model
        slots = model.ingest_slots  # type: ignore[attr-defined]
        try:
            model._get_connection().update_item(
                owner,
                range_key=IN_FLIGHT_KEY,
                actions=[slots.add({asset_id})],
                condition=slots.does_not_exist() | (size(slots) < cap),
            )
        except UpdateError as error:
            if error_code(error) == CONDITION_FAILED:
                return False
            raise_domain(error)
        return True

    def ingest_slots(self, owner: str) -> set[str]:
        """The asset ids the owner has in flight (a strongly consistent read)."""
        try:
            data = self._model._get_connection().get_item(owner, range_key=IN_FLIGHT_KEY, consistent_read=True)
        except GetError as error:
            raise_domain(error)
        return set(data.get("Item", {}).get("ingest_slots", {}).get("SS", []))

    def free_ingest_slots(self, owner: str, asset_ids: Iterable[str]) -> None:
        """Forget these in-flight ids; an id already freed is left alone (so freeing twice is harmless)."""
        ids = set(asset_ids)
        if not ids:
            return
        model = self._model
        try:
            model._get_connection().update_item(
                owner,
                range_key=IN_FLIGHT_KEY,
                actions=[model.ingest_slots.delete(ids)],  # type: ignore[attr-defined]
                # Never create the item just to delete from it.
                condition=model.owner.exists(),
            )
        except UpdateError as error:
            if error_code(error) != CONDITION_FAILED:
                raise_domain(error)
