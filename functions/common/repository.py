"""The asset table. The only module that knows pynamodb: it takes and returns domain models.

Keys: `owner` (the verified `sub`) + `asset_id` (a ULID). Every gallery view is its own sparse index, so a
page is one Query that reads only the items it returns:

- `by_view`:        `{owner}#all` (sorted by id) or `{owner}#trash` (sorted by trash time, then id)
- `by_view_type`:   the same per asset type (`{owner}#all#generated`, ...)
- `by_starred`:     `{owner}#starred` (starred and not in trash), and `by_starred_type` per asset type
- `by_trash_time`:  `trash#{shard}` sorted by trash epoch ms, across users, keys only: what the purge reads
- `by_pending`:     `pending#{shard}` sorted by creation epoch ms (abandoned uploads, lost S3 events) and
                    `processing#{shard}` sorted by the epoch ms it was set (a reprocess whose S3 event was lost)
- `by_sha256`:      `{owner}#{sha256}` (assets whose bytes are known): the same bytes stored twice
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, PynamoDBException, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from functions.common.errors import Conflict, NotFound, PermanentError, TransientError, is_retryable
from functions.common.models import Asset, AssetError, AssetSource, AssetStatus, AssetType, Placeholder, View
from functions.system import PURGE_SHARDS


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _from_iso(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _from_optional_iso(value: str | None) -> datetime | None:
    return None if value is None else _from_iso(value)


def _shard(asset_id: str) -> int:
    return zlib.crc32(asset_id.encode()) % PURGE_SHARDS


@dataclass(frozen=True)
class Page:
    """One page of a query: the assets and, when more follow, the position to continue from."""

    items: list[Asset]
    next_position: dict[str, Any] | None


@dataclass(frozen=True)
class Candidate:
    """An asset a deletion selected: its key and the trash (or pending) epoch ms it was selected at."""

    owner: str
    asset_id: str
    selected_ms: int
    pending: bool = False


def candidate_for(asset: Asset) -> Candidate:
    """The deletion candidate of an asset read whole: keyed on its trash time, or its creation time if pending."""
    if asset.trashed_at is not None:
        return Candidate(owner=asset.owner, asset_id=asset.id, selected_ms=_epoch_ms(asset.trashed_at))
    return Candidate(owner=asset.owner, asset_id=asset.id, selected_ms=_epoch_ms(asset.created_at), pending=True)


@dataclass(frozen=True)
class StoredAsset:
    """An asset with the optimistic-concurrency version it was read at."""

    asset: Asset
    version: int


def _index(name: str, hash_attr: str, range_attr: str, keys_only: bool = False) -> type[GlobalSecondaryIndex[Any]]:
    class _Meta:
        index_name = name
        projection = KeysOnlyProjection() if keys_only else AllProjection()

    attrs: dict[str, Any] = {"Meta": _Meta, hash_attr: UnicodeAttribute(hash_key=True)}
    attrs[range_attr] = (
        NumberAttribute(range_key=True) if range_attr.endswith("_ms") else UnicodeAttribute(range_key=True)
    )
    return type(f"Index_{name}", (GlobalSecondaryIndex,), attrs)


@cache
def asset_model(table_name: str) -> type[Model]:
    """The pynamodb model bound to `table_name`, built once per name (indexes included)."""

    class Meta:
        pass

    Meta.table_name = table_name  # type: ignore[attr-defined]
    Meta.billing_mode = "PAY_PER_REQUEST"  # type: ignore[attr-defined]

    attrs: dict[str, Any] = {
        "Meta": Meta,
        "owner": UnicodeAttribute(hash_key=True),
        "asset_id": UnicodeAttribute(range_key=True),
        "version": VersionAttribute(),
        "status": UnicodeAttribute(),
        "source": UnicodeAttribute(),
        "asset_type": UnicodeAttribute(),
        "doc": UnicodeAttribute(),  # the rest of the asset as JSON: never queried, read whole
        "starred": BooleanAttribute(default=False),
        "created_at": UnicodeAttribute(),
        "updated_at": UnicodeAttribute(),
        "trashed_at": UnicodeAttribute(null=True),
        "sha256": UnicodeAttribute(null=True),
        "view_pk": UnicodeAttribute(),
        "view_sk": UnicodeAttribute(),
        "view_type_pk": UnicodeAttribute(),
        "starred_pk": UnicodeAttribute(null=True),
        "starred_type_pk": UnicodeAttribute(null=True),
        "trash_pk": UnicodeAttribute(null=True),
        "trash_ms": NumberAttribute(null=True),
        "pending_pk": UnicodeAttribute(null=True),
        "pending_ms": NumberAttribute(null=True),
        # Set by a deletion claim (epoch ms of the claim; 0 = claim free to take over); never cleared.
        "deleting_ms": NumberAttribute(null=True),
        "source_asset_ids": ListAttribute(of=UnicodeAttribute, null=True),
        "sha256_pk": UnicodeAttribute(null=True),
    }
    indexes = {
        "by_view": _index("by_view", "view_pk", "view_sk"),
        "by_view_type": _index("by_view_type", "view_type_pk", "view_sk"),
        "by_starred": _index("by_starred", "starred_pk", "asset_id"),
        "by_starred_type": _index("by_starred_type", "starred_type_pk", "asset_id"),
        # Keys only: the purge needs nothing else to claim an item, and the index stays small.
        "by_trash_time": _index("by_trash_time", "trash_pk", "trash_ms", keys_only=True),
        "by_pending": _index("by_pending", "pending_pk", "pending_ms"),
        "by_sha256": _index("by_sha256", "sha256_pk", "asset_id"),
    }
    for name, index_cls in indexes.items():
        attrs[name] = index_cls()
    return type("AssetRecord", (Model,), attrs)


_DOC_FIELDS = (
    "mime",
    "size",
    "width",
    "height",
    "filename",
    "prompt",
    "model",
    "params",
    "source_url",
    "purge_at",
    "placeholder",
    "error",
    "deleting",
    "original_etag",
)


def _to_attributes(asset: Asset) -> dict[str, Any]:
    dumped = asset.model_dump(mode="json")
    doc = {name: dumped[name] for name in _DOC_FIELDS if dumped.get(name) not in (None, {}, [])}
    view = View.TRASH.value if asset.in_trash else View.ALL.value
    view_sk = f"{_epoch_ms(asset.trashed_at):015d}#{asset.id}" if asset.trashed_at else asset.id
    starred_visible = asset.starred and not asset.in_trash
    pending = asset.status == AssetStatus.PENDING
    processing = asset.status == AssetStatus.PROCESSING
    unfinished_since = asset.created_at if pending else asset.updated_at
    return {
        "owner": asset.owner,
        "asset_id": asset.id,
        "status": asset.status.value,
        "source": asset.source.value,
        "asset_type": asset.asset_type.value,
        "doc": json.dumps(doc, separators=(",", ":")),
        "starred": asset.starred,
        "created_at": dumped["created_at"],
        "updated_at": dumped["updated_at"],
        "trashed_at": dumped["trashed_at"],
        "sha256": asset.sha256,
        "source_asset_ids": list(asset.source_asset_ids) or None,
        "view_pk": f"{asset.owner}#{view}",
        "view_sk": view_sk,
        "view_type_pk": f"{asset.owner}#{view}#{asset.asset_type.value}",
        "starred_pk": f"{asset.owner}#starred" if starred_visible else None,
        "starred_type_pk": f"{asset.owner}#starred#{asset.asset_type.value}" if starred_visible else None,
        "trash_pk": f"trash#{_shard(asset.id)}" if asset.trashed_at else None,
        "trash_ms": _epoch_ms(asset.trashed_at) if asset.trashed_at else None,
        "pending_pk": f"{asset.status.value}#{_shard(asset.id)}" if pending or processing else None,
        "pending_ms": _epoch_ms(unfinished_since) if pending or processing else None,
        "sha256_pk": f"{asset.owner}#{asset.sha256}" if asset.sha256 else None,
        "deleting_ms": 0 if asset.deleting else None,
    }


def _to_asset(record: Model) -> StoredAsset:
    doc = json.loads(record.doc)
    asset = Asset(
        owner=record.owner,
        id=record.asset_id,
        status=AssetStatus(record.status),
        source=AssetSource(record.source),
        asset_type=AssetType(record.asset_type),
        mime=doc.get("mime"),
        size=doc.get("size"),
        width=doc.get("width"),
        height=doc.get("height"),
        sha256=record.sha256,
        filename=doc.get("filename"),
        prompt=doc.get("prompt"),
        model=doc.get("model"),
        params=doc.get("params") or {},
        source_asset_ids=list(record.source_asset_ids or []),
        source_url=doc.get("source_url"),
        starred=bool(record.starred),
        created_at=_from_iso(record.created_at),
        updated_at=_from_iso(record.updated_at),
        trashed_at=_from_optional_iso(record.trashed_at),
        purge_at=_from_optional_iso(doc.get("purge_at")),
        placeholder=Placeholder.model_validate(doc["placeholder"]) if doc.get("placeholder") else None,
        error=AssetError.model_validate(doc["error"]) if doc.get("error") else None,
        deleting=bool(doc.get("deleting", False)) or record.deleting_ms is not None,
        original_etag=doc.get("original_etag"),
    )
    return StoredAsset(asset=asset, version=int(record.version or 0))


def _raise_domain(error: PynamoDBException) -> None:
    """Turn a pynamodb failure into a domain exception: a failed condition is a conflict; throttling, DynamoDB's
    own 5xx and no answer at all (connection, timeout: no code) are transient; any other code refuses the
    request itself (ValidationException, AccessDeniedException, ResourceNotFoundException, ...), which the
    same request can never get past, so it is permanent, never retried as if DynamoDB were busy.
    """
    code = getattr(error, "cause_response_code", None)
    if code == "ConditionalCheckFailedException":
        raise Conflict("The asset changed meanwhile.") from error
    if is_retryable(code):
        raise TransientError(f"DynamoDB failed: {error}") from error
    message = getattr(error, "cause_response_message", None) or str(error)
    raise PermanentError(f"DynamoDB refused the request ({code}): {message}") from error


class AssetRepository:
    """Reads and writes assets; every method speaks domain models."""

    def __init__(self, table_name: str) -> None:
        self._model = asset_model(table_name)

    @property
    def model(self) -> type[Model]:
        return self._model

    def create_table(self) -> None:
        """Create the table with its indexes if it does not exist (local server and tests)."""
        if not self._model.exists():
            self._model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")

    def create(self, asset: Asset) -> StoredAsset:
        record = self._model(**_to_attributes(asset))
        try:
            record.save(condition=self._model.asset_id.does_not_exist())
        except PutError as error:
            _raise_domain(error)
        return StoredAsset(asset=asset, version=int(record.version))

    def get(self, owner: str, asset_id: str) -> StoredAsset:
        try:
            return _to_asset(self._model.get(owner, asset_id))
        except DoesNotExist as error:
            raise NotFound("No such asset.") from error
        except PynamoDBException as error:
            _raise_domain(error)
            raise

    def batch_get(self, owner: str, asset_ids: Iterable[str]) -> dict[str, StoredAsset]:
        keys = [(owner, asset_id) for asset_id in dict.fromkeys(asset_ids)]
        try:
            return {record.asset_id: _to_asset(record) for record in self._model.batch_get(keys)}
        except PynamoDBException as error:
            _raise_domain(error)
            raise

    def replace(self, stored: StoredAsset, asset: Asset) -> StoredAsset:
        """Write `asset` over `stored` unless someone else wrote in between (then `Conflict`)."""
        record = self._model(**_to_attributes(asset), version=stored.version)
        try:
            record.save()
        except PutError as error:
            _raise_domain(error)
        return StoredAsset(asset=asset, version=int(record.version))

    def delete(self, stored: StoredAsset) -> None:
        """Delete the record unless it changed since it was read (then `Conflict`)."""
        # pynamodb adds the `version == stored.version` condition itself for a model with a VersionAttribute.
        record = self._model(owner=stored.asset.owner, asset_id=stored.asset.id, version=stored.version)
        try:
            record.delete()
        except DeleteError as error:
            _raise_domain(error)

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
            partition = f"{owner}#starred" + (f"#{asset_type.value}" if asset_type else "")
        else:
            index = model.by_view_type if asset_type else model.by_view
            partition = f"{owner}#{view.value}" + (f"#{asset_type.value}" if asset_type else "")
        try:
            results = index.query(
                partition,
                scan_index_forward=False,
                limit=limit + 1,
                page_size=limit + 1,
                last_evaluated_key=start,
            )
            records = list(results)
        except PynamoDBException as error:
            _raise_domain(error)
            raise
        assets = [_to_asset(record).asset for record in records[:limit]]
        if len(records) <= limit:
            return Page(items=assets, next_position=None)
        last = records[limit - 1]
        position = {key: value for key, value in self._key_of(last, view, asset_type).items()}
        return Page(items=assets, next_position=position)

    def _key_of(self, record: Model, view: View, asset_type: AssetType | None) -> dict[str, Any]:
        attrs = record.serialize()
        names = ["owner", "asset_id"]
        if view == View.STARRED:
            names.append("starred_type_pk" if asset_type else "starred_pk")
        else:
            names += ["view_type_pk" if asset_type else "view_pk", "view_sk"]
        return {name: attrs[name] for name in names}

    def expired_trash(self, shard: int, cutoff_ms: int, page_size: int = 500) -> Iterator[Candidate]:
        """Keys of one trash shard trashed strictly before `cutoff_ms`, oldest first: reads nothing newer."""
        model = self._model
        try:
            for record in model.by_trash_time.query(f"trash#{shard}", model.trash_ms < cutoff_ms, page_size=page_size):
                yield Candidate(owner=record.owner, asset_id=record.asset_id, selected_ms=int(record.trash_ms))
        except PynamoDBException as error:
            _raise_domain(error)

    def abandoned_uploads(self, shard: int, cutoff_ms: int, page_size: int = 500) -> Iterator[Candidate]:
        """Keys of one pending shard created strictly before `cutoff_ms` and still `pending`, oldest first."""
        model = self._model
        try:
            for record in model.by_pending.query(
                f"pending#{shard}",
                model.pending_ms < cutoff_ms,
                page_size=page_size,
                attributes_to_get=["owner", "asset_id", "pending_ms"],
            ):
                yield Candidate(
                    owner=record.owner, asset_id=record.asset_id, selected_ms=int(record.pending_ms), pending=True
                )
        except PynamoDBException as error:
            _raise_domain(error)

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
            _raise_domain(error)
            raise
        return _to_asset(model.from_raw_data(data["Attributes"]))

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
            _raise_domain(error)

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
                code = getattr(error, "cause_response_code", None)
                refused[asset_id] = "no longer claimed" if code == "ConditionalCheckFailedException" else str(error)
        return refused

    def all_trash(self, owner: str) -> Iterator[Asset]:
        try:
            for record in self._model.by_view.query(f"{owner}#trash"):
                yield _to_asset(record).asset
        except PynamoDBException as error:
            _raise_domain(error)

    def with_sha256(self, owner: str, sha256: str) -> list[Asset]:
        """The owner's assets whose bytes have this sha256 (any status), oldest first."""
        try:
            return [_to_asset(record).asset for record in self._model.by_sha256.query(f"{owner}#{sha256}")]
        except PynamoDBException as error:
            _raise_domain(error)
            raise

    def unfinished_before(self, shard: int, cutoff: datetime) -> Iterator[tuple[str, str]]:
        """(owner, asset id) of one shard `pending` since creation, or `processing` since set, before `cutoff`."""
        model = self._model
        try:
            for status in (AssetStatus.PENDING, AssetStatus.PROCESSING):
                for record in model.by_pending.query(
                    f"{status.value}#{shard}",
                    model.pending_ms < _epoch_ms(cutoff),
                    attributes_to_get=["owner", "asset_id"],
                ):
                    yield record.owner, record.asset_id
        except PynamoDBException as error:
            _raise_domain(error)
