"""`AssetRepository`: single assets with optimistic concurrency, a view page by page, the owner's lookups."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, PynamoDBException
from pynamodb.models import Model

from functions.common.errors import NotFound
from functions.common.formats import AssetKind
from functions.common.models import Asset, AssetType, View
from functions.common.ports import Page, Quota, StoredAsset
from functions.common.repository.claims import DeletionClaimsTable
from functions.common.repository.errors import raise_domain
from functions.common.repository.folders import FolderTable, folder_updates
from functions.common.repository.ingests import IngestSlotsTable
from functions.common.repository.mapping import (
    kind_partition,
    sha256_partition,
    to_asset,
    to_attributes,
    view_partition,
)
from functions.common.repository.model import asset_model
from functions.common.repository.sweeps import SweepQueries
from functions.common.repository.usage import UsageTable


class AssetRepository(DeletionClaimsTable, SweepQueries, IngestSlotsTable, FolderTable, UsageTable):
    """Reads and writes assets; every method speaks domain models."""

    def __init__(self, table_name: str) -> None:
        self._model = asset_model(table_name)
        self._claimed = {}

    def create_table(self) -> None:
        """Create the table with its indexes if it does not exist (local server and tests)."""
        if not self._model.exists():
            self._model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")

    def create(self, asset: Asset, *, quota: Quota | None = None) -> StoredAsset:
        """Create and count the asset; `Conflict` if it exists, `QuotaExceeded` if its owner is at `quota`."""
        record = self._model(**to_attributes(asset))
        put = record.get_save_kwargs_from_instance(condition=self._model.asset_id.does_not_exist())
        folders = folder_updates(self._model, None, asset)
        self._counted(asset.owner, ("put", put), assets=1, bytes_=asset.stored_bytes, quota=quota, folders=folders)
        return StoredAsset(asset=asset, version=1)

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
        """Write `asset` over `stored` unless someone else wrote in between (then `Conflict`).

        A change of its stored bytes, or of what it counts in a folder, is counted in the same transaction; the version
        condition holds the record to what `stored` counted, so the difference is exact.
        """
        record = self._model(**to_attributes(asset), version=stored.version)
        grown = asset.stored_bytes - stored.asset.stored_bytes
        folders = folder_updates(self._model, stored.asset, asset)
        if grown or folders:
            put = ("put", record.get_save_kwargs_from_instance())
            self._counted(asset.owner, put, bytes_=grown, folders=folders)
            return StoredAsset(asset=asset, version=stored.version + 1)
        try:
            record.save()
        except PutError as error:
            raise_domain(error)
        return StoredAsset(asset=asset, version=int(record.version))

    def delete(self, stored: StoredAsset) -> None:
        """Delete and uncount the record unless it changed since it was read (then `Conflict`)."""
        # pynamodb adds the `version == stored.version` condition itself for a model with a VersionAttribute.
        record = self._model(owner=stored.asset.owner, asset_id=stored.asset.id, version=stored.version)
        delete = record.get_delete_kwargs_from_instance()
        folders = folder_updates(self._model, stored.asset, None)
        self._counted(
            stored.asset.owner, ("delete", delete), assets=-1, bytes_=-stored.asset.stored_bytes, folders=folders
        )

    def page(
        self,
        owner: str,
        view: View,
        asset_type: AssetType | None,
        limit: int,
        start: dict[str, Any] | None,
        kind: AssetKind | None = None,
    ) -> Page:
        """One Query of `limit + 1` items on the view's index: the extra item only tells whether more follow.

        `kind` (#16) pages the view's per-kind index; it does not combine with `asset_type` (no index has both)."""
        if kind is not None and asset_type is not None:
            raise ValueError("kind and asset_type do not combine")
        model = self._model
        if kind is not None:
            index = model.by_starred_kind if view == View.STARRED else model.by_view_kind
            partition = kind_partition(owner, view, kind)
        else:
            if view == View.STARRED:
                index = model.by_starred_type if asset_type else model.by_starred
            else:
                index = model.by_view_type if asset_type else model.by_view
            partition = view_partition(owner, view, asset_type)
        # The owner and the partition come from the caller, not the cursor: its size does not grow with the sub.
        caller = {"owner": {"S": owner}, _partition_of(view, asset_type, kind): {"S": partition}}
        try:
            results = index.query(
                partition,
                scan_index_forward=False,
                limit=limit + 1,
                page_size=limit + 1,
                last_evaluated_key=None if start is None else start | caller,
            )
            records = list(results)
        except PynamoDBException as error:
            raise_domain(error)
        assets = [to_asset(record).asset for record in records[:limit]]
        if len(records) <= limit:
            return Page(items=assets, next_position=None)
        return Page(items=assets, next_position=_position(records[limit - 1], view))

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


def _partition_of(view: View, asset_type: AssetType | None, kind: AssetKind | None = None) -> str:
    """The partition attribute of the view's index."""
    if kind is not None:
        return "starred_kind_pk" if view == View.STARRED else "view_kind_pk"
    if view == View.STARRED:
        return "starred_type_pk" if asset_type else "starred_pk"
    return "view_type_pk" if asset_type else "view_pk"


def _position(record: Model, view: View) -> dict[str, Any]:
    """Where a Query continues after, as DynamoDB serializes it: the item's sort keys (`page` adds the partitions)."""
    attrs = record.serialize()
    names = ["asset_id"] if view == View.STARRED else ["asset_id", "view_sk"]
    return {name: attrs[name] for name in names}
