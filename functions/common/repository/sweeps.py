"""The queries the scheduled runs select with: expired trash, abandoned uploads, unfinished assets (keys only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model

from functions.common.clock import epoch_ms
from functions.common.formats import AssetKind
from functions.common.models import AssetStatus
from functions.common.ports import Candidate
from functions.common.repository.errors import raise_domain
from functions.common.repository.mapping import trash_partition, unfinished_partition


class SweepQueries:
    """Cross-user selections, one shard of one sparse index per Query, oldest first."""

    _model: type[Model]

    def expired_trash(self, shard: int, cutoff_ms: int, page_size: int = 500) -> Iterator[Candidate]:
        """Keys of one trash shard trashed strictly before `cutoff_ms`, oldest first: reads nothing newer."""
        model = self._model
        try:
            for record in model.by_trash_time.query(
                trash_partition(shard), model.trash_ms < cutoff_ms, page_size=page_size
            ):
                yield Candidate(owner=record.owner, asset_id=record.asset_id, selected_ms=int(record.trash_ms))
        except PynamoDBException as error:
            raise_domain(error)

    def abandoned_uploads(self, shard: int, cutoff_ms: int, page_size: int = 500) -> Iterator[Candidate]:
        """Keys of one pending shard created strictly before `cutoff_ms` and still `pending`, oldest first."""
        model = self._model
        try:
            for record in model.by_pending.query(
                unfinished_partition(AssetStatus.PENDING, shard),
                model.pending_ms < cutoff_ms,
                page_size=page_size,
                attributes_to_get=["owner", "asset_id", "pending_ms", "kind"],
            ):
                yield Candidate(
                    owner=record.owner,
                    asset_id=record.asset_id,
                    selected_ms=int(record.pending_ms),
                    pending=True,
                    kind=AssetKind(record.kind or AssetKind.IMAGE),
                )
        except PynamoDBException as error:
            raise_domain(error)

    def unfinished_before(self, shard: int, cutoff: datetime) -> Iterator[tuple[str, str]]:
        """(owner, asset id) of one shard `pending` since creation, or `processing` since set, before `cutoff`."""
        model = self._model
        try:
            for status in (AssetStatus.PENDING, AssetStatus.PROCESSING):
                for record in model.by_pending.query(
                    unfinished_partition(status, shard),
                    model.pending_ms < epoch_ms(cutoff),
                    attributes_to_get=["owner", "asset_id"],
                ):
                    yield record.owner, record.asset_id
        except PynamoDBException as error:
            raise_domain(error)
