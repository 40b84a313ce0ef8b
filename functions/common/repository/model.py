"""The pynamodb model of the asset table, its keys and indexes built from `schema.ASSET_TABLE`."""

from __future__ import annotations

from functools import cache
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from functions.common.repository.schema import ASSET_TABLE, Index, KeyAttribute


def _key_attribute(
    attribute: KeyAttribute, *, hash_key: bool = False, range_key: bool = False, null: bool = False
) -> UnicodeAttribute | NumberAttribute:
    kind = NumberAttribute if attribute.type == "N" else UnicodeAttribute
    return kind(hash_key=hash_key, range_key=range_key, null=null)


def _index(index: Index) -> type[GlobalSecondaryIndex[Any]]:
    class _Meta:
        index_name = index.name
        projection = KeysOnlyProjection() if index.projection == "KEYS_ONLY" else AllProjection()

    attrs: dict[str, Any] = {
        "Meta": _Meta,
        index.key.partition.name: _key_attribute(index.key.partition, hash_key=True),
    }
    if index.key.sort is not None:
        attrs[index.key.sort.name] = _key_attribute(index.key.sort, range_key=True)
    return type(f"Index_{index.name}", (GlobalSecondaryIndex,), attrs)


@cache
def asset_model(table_name: str) -> type[Model]:
    """The pynamodb model bound to `table_name`, built once per name (indexes included)."""

    class Meta:
        pass

    Meta.table_name = table_name  # type: ignore[attr-defined]
    Meta.billing_mode = "PAY_PER_REQUEST"  # type: ignore[attr-defined]

    key = ASSET_TABLE.key
    attrs: dict[str, Any] = {
        "Meta": Meta,
        "version": VersionAttribute(),
        "status": UnicodeAttribute(),
        "source": UnicodeAttribute(),
        "asset_type": UnicodeAttribute(),
        # `image` or `video` (#16); absent on items written before: images.
        "kind": UnicodeAttribute(null=True),
        "doc": UnicodeAttribute(),  # the rest of the asset as JSON: never queried, read whole
        "starred": BooleanAttribute(default=False),
        "created_at": UnicodeAttribute(),
        "updated_at": UnicodeAttribute(),
        "trashed_at": UnicodeAttribute(null=True),
        "sha256": UnicodeAttribute(null=True),
        # Set by a deletion claim (epoch ms of the claim; 0 = claim free to take over); never cleared.
        "deleting_ms": NumberAttribute(null=True),
        "source_asset_ids": ListAttribute(of=UnicodeAttribute, null=True),
        "folder_id": UnicodeAttribute(null=True),
        # Only on a folder item (`folders.FOLDER_PREFIX`): its name and counts (not in trash; all members).
        "folder_name": UnicodeAttribute(null=True),
        "folder_assets": NumberAttribute(null=True),
        "folder_members": NumberAttribute(null=True),
        # Only on an owner's in-flight item (`ingests.IN_FLIGHT_KEY`): the ids of its running ingests.
        "ingest_slots": UnicodeSetAttribute(null=True),
        # Only on an owner's usage item (`usage.USAGE_KEY`): what its assets count towards its quota.
        "usage_bytes": NumberAttribute(null=True),
        "usage_assets": NumberAttribute(null=True),
        "usage_folders": NumberAttribute(null=True),
    }
    # Index keys are item attributes too; every view's partition and sort are always set, the rest are sparse.
    always_set = {"view_pk", "view_sk", "view_type_pk"}
    for name, kind in ASSET_TABLE.key_attributes.items():
        attrs[name] = _key_attribute(KeyAttribute(name, kind), null=name not in always_set)
    attrs[key.partition.name] = _key_attribute(key.partition, hash_key=True)
    if key.sort is not None:
        attrs[key.sort.name] = _key_attribute(key.sort, range_key=True)
    for index in ASSET_TABLE.indexes:
        attrs[index.name] = _index(index)()
    return type("AssetRecord", (Model,), attrs)
