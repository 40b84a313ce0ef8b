"""`AssetRepository`: single assets with optimistic concurrency, a view page by page, the owner's lookups."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, PynamoDBException
from pynamodb.models import Model

from functions.common.errors import NotFound
from functions.common.models import Asset, AssetType, View
from functions.common.ports import Page, StoredAsset
from functions.common.repository.claims import DeletionClaimsTable
from functions.common.repository.errors import raise_domain
from functions.common.repository.ingests import IngestSlotsTable
from functions.common.repository.mapping import sha256_partition, to_asset, to_attributes, view_partition
from functions.common.repository.model import asset_model
from functions.common.repository.sweeps import SweepQueries


class AssetRepository(DeletionClaimsTable, SweepQueries, IngestSlotsTable):
    """Reads and writes assets; every method speaks domain models."""

    def __init__(self, table_name: str) -> None:
        self._model = asset_model(table_name)

    def create_table(self) -> None:
        """Create the table with its indexes if it does not exist (local server and tests)."""
        if not self._model.exists():
            self._model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")

    def create(self, asset: Asset) -> StoredAsset:
        record = self._model(**to_attributes(asset))
        try:
            record.save(condition=self._model.asset_id.does_not_exist())
        except PutError as error:
            raise_domain(error)
        return StoredAsset(asset=asset, version=int(record.version))

    def get(self, owner: str, asset_id: str) -> StoredAsset:
        try:
            return to_asset(self._model.get(owner, asset_id))
        except DoesNotExist as error:
            raise NotFound("No such asset.") from error
        except PynamoDBException as error:
            raise_domain(error)

    def batch_get(self, owner: str, asset_ids: Iterable[str]) -> dict[str, StoredAsset]:
        keys = [(owner, asset_id) for asset_id in dict.fromkeys(asset_ids)]
        try:
            return {record.asset_id: to_asset(record) for record in self._model.batch_get(keys)}
        except PynamoDBException as error:
            raise_domain(error)

    def replace(self, stored: StoredAsset, asset: Asset) -> StoredAsset:
        """Write `asset` over `stored` unless someone else wrote in between (then `Conflict`)."""
        record = self._model(**to_attributes(asset), version=stored.version)
        try:
            record.save()
        except PutError as error:
            raise_domain(error)
        return StoredAsset(asset=asset, version=int(record.version))

    def delete(self, stored: StoredAsset) -> None:
        """Delete the record unless it changed since it was read (then `Conflict`)."""
        # pynamodb adds the `version == stored.version` condition itself for a model with a VersionAttribute.
        record = self._model(owner=stored.asset.owner, asset_id=stored.asset.id, version=stored.version)
        try:
            record.delete()
        except DeleteError as error:
            raise_domain(error)

    def page(
        self,
        owner: str,
        view: View,
        asset_type: AssetType | None,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Page:
        """One Query of `limit + 1` items on the view's index: the extra item only tells whether more follow."""
        model = self._model
        if view == View.STARRED:
            index = model.by_starred_type if asset_type else model.by_starred
        else:
            index = model.by_view_type if asset_type else model.by_view
        try:
            results = index.query(
                view_partition(owner, view, asset_type),
                scan_index_forward=False,
                limit=limit + 1,
                page_size=limit + 1,
                last_evaluated_key=start,
            )
            records = list(results)
        except PynamoDBException as error:
            raise_domain(error)
        assets = [to_asset(record).asset for record in records[:limit]]
        if len(records) <= limit:
            return Page(items=assets, next_position=None)
        return Page(items=assets, next_position=_position(records[limit - 1], view, asset_type))

    def all_trash(self, owner: str) -> Iterator[Asset]:
        try:
            for record in self._model.by_view.query(view_partition(owner, View.TRASH)):
                yield to_asset(record).asset
        except PynamoDBException as error:
            raise_domain(error)

    def with_sha256(self, owner: str, sha256: str) -> list[Asset]:
        """The owner's assets whose bytes have this sha256 (any status), oldest first."""
        try:
            return [to_asset(record).asset for record in self._model.by_sha256.query(sha256_partition(owner, sha256))]
        except PynamoDBException as error:
            raise_domain(error)


def _position(record: Model, view: View, asset_type: AssetType | None) -> dict[str, Any]:
    """The key a Query continues after: the table's key and the view index's key, as DynamoDB serializes them."""
    attrs = record.serialize()
    names = ["owner", "asset_id"]
    if view == View.STARRED:
        names.append("starred_type_pk" if asset_type else "starred_pk")
    else:
        names += ["view_type_pk" if asset_type else "view_pk", "view_sk"]
    return {name: attrs[name] for name in names}
