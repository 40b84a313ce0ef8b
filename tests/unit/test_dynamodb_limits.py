"""DynamoDB's request limits as the local emulation enforces them (devserver/dynamodb_limits.py)."""

from __future__ import annotations

from typing import Any

import pytest

from devserver import dynamodb_limits as limits
from devserver.dynamodb_limits import (
    HASH_KEY_TOO_LONG,
    ITEM_MAX_BYTES,
    ITEM_TOO_LARGE,
    RANGE_KEY_TOO_LONG,
    UPDATE_TOO_LARGE,
    asset_table_schema,
    item_size,
    validation_error,
    value_size,
)

TABLE = "assets"
ULID = "01JD0000000000000000000000"


def s(text: str) -> dict[str, str]:
    return {"S": text}


def item(**attrs: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"owner": s("alice"), "asset_id": s(ULID), "view_pk": s("alice#all"), "doc": s("{}")}
    return base | {name: value if isinstance(value, dict) else s(value) for name, value in attrs.items()}


def put(**attrs: Any) -> str | None:
    return validation_error("PutItem", {"TableName": TABLE, "Item": item(**attrs)})


# The schema comes from the data layer's table schema


def test_the_schema_is_the_tables_keys_and_every_index() -> None:
    # Given / When
    schema = asset_table_schema()
    # Then
    from functions.common.repository import table_schema

    table = table_schema()
    assert (
        (schema.key.hash_key, schema.key.range_key)
        == ("owner", "asset_id")
        == (
            table.key.partition.name,
            table.key.sort.name if table.key.sort else None,
        )
    )
    assert set(schema.indexes) == {index.name for index in table.indexes}
    assert schema.indexes["by_view"] == limits.KeySchema("view_pk", "view_sk")
    assert schema.indexes["by_trash_time"] == limits.KeySchema("trash_pk", "trash_ms")


# Sizes as DynamoDB counts them


@pytest.mark.parametrize(
    ("value", "size"),
    [
        (s("abc"), 3),
        (s("é"), 2),
        ({"N": "12345"}, 4),
        ({"N": "-0.0012300"}, 3),
        ({"N": "0"}, 2),
        ({"B": b"\x00\x01"}, 2),
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"SS": ["a", "bc"]}, 3),
        ({"L": []}, 3),
        ({"L": [s("ab"), {"N": "1"}]}, 3 + (1 + 2) + (1 + 2)),
        ({"M": {"k": s("v")}}, 3 + 1 + 1 + 1),
    ],
)
def test_value_sizes_follow_dynamodbs_rules(value: dict[str, Any], size: int) -> None:
    # Given / When / Then
    assert value_size(value) == size


def test_an_items_size_counts_its_attribute_names() -> None:
    # Given / When / Then
    assert item_size({"owner": s("alice"), "n": {"N": "1"}}) == len("owner") + 5 + 1 + 2


# PutItem


def test_a_valid_item_passes() -> None:
    # Given / When / Then
    assert put() is None


def test_an_item_just_at_400_kb_passes_and_one_byte_more_fails() -> None:
    # Given an item exactly at the limit
    base = item_size(item(doc=""))
    filler = "x" * (ITEM_MAX_BYTES - base)
    # When / Then
    assert put(doc=filler) is None
    assert put(doc=filler + "x") == ITEM_TOO_LARGE


def test_an_empty_table_key_is_refused_naming_the_key() -> None:
    # Given / When
    message = put(owner="")
    # Then
    assert message == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
        "empty string value. Key: owner"
    )


def test_an_empty_index_key_is_refused_naming_index_and_key() -> None:
    # Given / When
    message = put(sha256_pk="")
    # Then
    assert message == (
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. "
        "The AttributeValue for a key attribute cannot contain an empty string value. "
        "IndexName: by_sha256, IndexKey: sha256_pk"
    )


def test_an_empty_binary_key_says_binary() -> None:
    # Given / When
    message = put(asset_id={"B": b""})
    # Then
    assert message is not None and "empty binary value. Key: asset_id" in message


def test_a_partition_key_over_2048_bytes_is_refused_and_2048_passes() -> None:
    # Given / When / Then
    assert put(owner="a" * 2048, view_pk="v") is None
    assert put(owner="a" * 2049, view_pk="v") == HASH_KEY_TOO_LONG
    # UTF-8 bytes count, not characters
    assert put(owner="é" * 1025, view_pk="v") == HASH_KEY_TOO_LONG


def test_a_sort_key_over_1024_bytes_is_refused_and_1024_passes() -> None:
    # Given / When / Then
    assert put(asset_id="a" * 1024) is None
    assert put(asset_id="a" * 1025) == RANGE_KEY_TOO_LONG


def test_an_index_key_over_its_limit_names_index_key_and_size() -> None:
    # Given / When
    partition = put(view_pk="v" * 2049)
    sort = put(view_sk="v" * 1025)
    # Then
    assert partition == (
        "One or more parameter values were invalid: Size limit exceeded for Index Key view_pk Actual Size: 2049 bytes"
        " Max Size: 2048 bytes IndexName: by_view"
    )
    assert sort is not None and "Index Key view_sk Actual Size: 1025 bytes Max Size: 1024 bytes" in sort


def test_an_empty_non_key_attribute_is_allowed() -> None:
    # Given / When / Then: since 2020 only key attributes refuse empty strings
    assert put(doc="", status="") is None


# Key-only operations


@pytest.mark.parametrize("operation", ["GetItem", "DeleteItem"])
def test_keyed_operations_check_the_key(operation: str) -> None:
    # Given
    def call(key: dict[str, Any]) -> str | None:
        return validation_error(operation, {"TableName": TABLE, "Key": key})

    # When / Then
    assert call({"owner": s("alice"), "asset_id": s(ULID)}) is None
    assert call({"owner": s("alice"), "asset_id": s("")}) is not None
    assert call({"owner": s("alice"), "asset_id": s("x" * 1025)}) == RANGE_KEY_TOO_LONG
    assert call({"owner": s("a" * 2049), "asset_id": s(ULID)}) == HASH_KEY_TOO_LONG


def test_batch_get_checks_every_key() -> None:
    # Given
    keys = [{"owner": s("alice"), "asset_id": s(ULID)}, {"owner": s("alice"), "asset_id": s("")}]
    # When
    message = validation_error("BatchGetItem", {"RequestItems": {TABLE: {"Keys": keys}}})
    # Then
    assert message is not None and message.endswith("Key: asset_id")
    assert validation_error("BatchGetItem", {"RequestItems": {TABLE: {"Keys": keys[:1]}}}) is None


def test_batch_write_checks_puts_and_deletes() -> None:
    # Given
    good_delete = {"DeleteRequest": {"Key": {"owner": s("alice"), "asset_id": s(ULID)}}}
    bad_delete = {"DeleteRequest": {"Key": {"owner": s(""), "asset_id": s(ULID)}}}
    big_put = {"PutRequest": {"Item": item(doc="x" * ITEM_MAX_BYTES)}}

    def call(*requests: dict[str, Any]) -> str | None:
        return validation_error("BatchWriteItem", {"RequestItems": {TABLE: list(requests)}})

    # When / Then
    assert call(good_delete, {"PutRequest": {"Item": item()}}) is None
    assert call(good_delete, bad_delete) is not None
    assert call(good_delete, big_put) == ITEM_TOO_LARGE


def test_transact_write_checks_each_kind_of_entry() -> None:
    # Given
    key = {"owner": s("alice"), "asset_id": s("")}

    def call(entry: dict[str, Any]) -> str | None:
        return validation_error("TransactWriteItems", {"TransactItems": [entry]})

    # When / Then
    assert call({"Put": {"TableName": TABLE, "Item": item()}}) is None
    assert call({"Put": {"TableName": TABLE, "Item": item(view_sk="")}}) is not None
    assert call({"Delete": {"TableName": TABLE, "Key": key}}) is not None
    assert call({"ConditionCheck": {"TableName": TABLE, "Key": key}}) is not None
    assert call({"Update": {"TableName": TABLE, "Key": key, "UpdateExpression": "SET a = :a"}}) is not None


# UpdateItem


def update(expression: str, values: dict[str, Any], names: dict[str, str] | None = None) -> str | None:
    params = {
        "TableName": TABLE,
        "Key": {"owner": s("alice"), "asset_id": s(ULID)},
        "UpdateExpression": expression,
        "ExpressionAttributeValues": values,
        "ExpressionAttributeNames": names or {},
    }
    return validation_error("UpdateItem", params)


def test_an_update_the_way_pynamodb_writes_it_passes() -> None:
    # Given / When / Then
    assert (
        update("SET #0 = :0 ADD #1 :1", {":0": {"N": "5"}, ":1": {"N": "1"}}, {"#0": "deleting_ms", "#1": "v"}) is None
    )


def test_an_update_setting_an_index_key_to_empty_is_refused() -> None:
    # Given / When
    message = update("SET #0 = :0, #1 = :1", {":0": s("ok"), ":1": s("")}, {"#0": "doc", "#1": "starred_pk"})
    # Then
    assert message == (
        "One or more parameter values are not valid. The update expression attempted to update a secondary index "
        "key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty "
        "string value."
    )


def test_an_update_writing_more_than_400_kb_is_refused() -> None:
    # Given / When / Then
    assert update("SET doc = :d", {":d": s("x" * ITEM_MAX_BYTES)}) == UPDATE_TOO_LARGE
    assert update("SET doc = :d", {":d": s("x" * 1000)}) is None


def test_an_update_counts_only_direct_assignments_of_top_level_attributes() -> None:
    # Given values that are not written as such: a condition value, an arithmetic operand, a nested path
    big = s("x" * ITEM_MAX_BYTES)
    # When / Then
    assert update("SET a = a + :n", {":n": big}) is None
    assert update("SET #m.#k = :v", {":v": s("")}, {"#m": "doc", "#k": "view_pk"}) is None
    assert update("SET a = :a REMOVE b", {":a": s("y")}) is None
    assert update("SET a = list_append(a, :l), b = :b", {":l": big, ":b": s("y")}) is None
    assert update("SET a = list_append(a, :l), b = :b", {":l": s("y"), ":b": big}) == UPDATE_TOO_LARGE


def test_an_update_with_an_empty_key_is_refused() -> None:
    # Given
    params = {"TableName": TABLE, "Key": {"owner": s(""), "asset_id": s(ULID)}, "UpdateExpression": "SET a = :a"}
    # When / Then
    assert validation_error("UpdateItem", params) is not None


# Query


def query(value: str, index: str | None = None) -> str | None:
    params: dict[str, Any] = {
        "TableName": TABLE,
        "KeyConditionExpression": "#0 = :0 AND #1 < :1",
        "ExpressionAttributeNames": {"#0": "view_pk" if index else "owner", "#1": "trash_ms"},
        "ExpressionAttributeValues": {":0": s(value), ":1": {"N": "5"}},
    }
    if index:
        params["IndexName"] = index
    return validation_error("Query", params)


def test_a_query_on_an_empty_partition_is_refused() -> None:
    # Given / When / Then
    assert query("alice#all", index="by_view") is None
    assert query("", index="by_view") is not None
    assert query("") is not None
    assert query("a" * 2049) == HASH_KEY_TOO_LONG


# Tables and operations it does not know


def test_the_idempotency_table_is_keyed_on_id(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", "idem")
    record = {"id": s(""), "owner": s("")}
    # When
    message = validation_error("PutItem", {"TableName": "idem", "Item": record})
    # Then: its `id` is its key, and the asset table's key names mean nothing there
    assert message is not None and message.endswith("Key: id")
    assert validation_error("PutItem", {"TableName": "idem", "Item": {"id": s("x"), "owner": s("")}}) is None


def test_operations_without_limits_pass() -> None:
    # Given / When / Then
    assert validation_error("DescribeTable", {"TableName": TABLE}) is None
    assert validation_error("Scan", {"TableName": TABLE}) is None
