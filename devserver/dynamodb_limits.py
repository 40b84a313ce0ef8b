"""DynamoDB's own limits on what a request may carry, which moto enforces only in part.

`validation_error` answers, for one DynamoDB API call as botocore receives it (low-level AttributeValues), the
message of the `ValidationException` real DynamoDB would answer it with, or None. It checks what our code can
reach and moto lets through or checks only on some operations:

- an empty string or binary in a key attribute of the table or of any global secondary index;
- a partition key over 2,048 bytes, a sort key over 1,024 bytes (table and index keys alike);
- an item over 400 KB (sizes as DynamoDB counts them: attribute names plus values, 3 bytes per list or map and
  1 byte per element). For UpdateItem only what the request writes is known, so the key plus every attribute
  the update expression sets directly is a lower bound of the new item's size, and that bound is checked.

The asset table's key and index attributes come from its one definition, `functions.common.repository.table_schema`,
which the table is created from. The idempotency table (Powertools) is keyed on `id` alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from functions.system import IDEMPOTENCY_KEY_ATTRIBUTE

ITEM_MAX_BYTES = 400 * 1024
HASH_KEY_MAX_BYTES = 2048
RANGE_KEY_MAX_BYTES = 1024

_INVALID = "One or more parameter values are not valid."
_WERE_INVALID = "One or more parameter values were invalid:"
ITEM_TOO_LARGE = "Item size has exceeded the maximum allowed size"
UPDATE_TOO_LARGE = "Item size to update has exceeded the maximum allowed size"
HASH_KEY_TOO_LONG = f"{_WERE_INVALID} Size of hashkey has exceeded the maximum size limit of{HASH_KEY_MAX_BYTES} bytes"
RANGE_KEY_TOO_LONG = (
    f"{_WERE_INVALID} Aggregated size of all range keys has exceeded the size limit of {RANGE_KEY_MAX_BYTES} bytes"
)


@dataclass(frozen=True)
class KeySchema:
    hash_key: str
    range_key: str | None = None

    def attributes(self) -> Iterator[tuple[str, int]]:
        """Each key attribute with the most bytes its value may have."""
        yield self.hash_key, HASH_KEY_MAX_BYTES
        if self.range_key is not None:
            yield self.range_key, RANGE_KEY_MAX_BYTES


@dataclass(frozen=True)
class TableSchema:
    key: KeySchema
    indexes: dict[str, KeySchema] = field(default_factory=dict)


@cache
def asset_table_schema() -> TableSchema:
    """The asset table's keys and global secondary indexes, from the definition the table is created from."""
    from functions.common.repository import table_schema

    def key_schema(key: Any) -> KeySchema:
        return KeySchema(hash_key=key.partition.name, range_key=key.sort.name if key.sort else None)

    schema = table_schema()
    return TableSchema(
        key=key_schema(schema.key), indexes={index.name: key_schema(index.key) for index in schema.indexes}
    )


def schema_for(table_name: str) -> TableSchema:
    """The idempotency table is keyed on `id`; every other table our functions use is the asset table."""
    if table_name and table_name == os.environ.get("IDEMPOTENCY_TABLE_NAME"):
        return TableSchema(key=KeySchema(hash_key=IDEMPOTENCY_KEY_ATTRIBUTE))
    return asset_table_schema()


# Sizes, as DynamoDB counts them (developer guide, "DynamoDB item sizes and formats").


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _binary_size(value: bytes | bytearray | str) -> int:
    return len(value) if isinstance(value, bytes | bytearray) else _utf8_size(value)


def _number_size(text: str) -> int:
    """About one byte per two significant digits, plus one; leading and trailing zeros do not count."""
    try:
        digits = Decimal(text).normalize().as_tuple().digits
    except InvalidOperation:
        digits = tuple(int(char) for char in text if char.isdigit())
    significant = "".join(map(str, digits)).strip("0") or "0"
    return (len(significant) + 1) // 2 + 1


def value_size(value: dict[str, Any]) -> int:
    """The size of one AttributeValue (without its attribute name)."""
    ((kind, inner),) = value.items()
    sizes: dict[str, Callable[[Any], int]] = {
        "S": _utf8_size,
        "N": _number_size,
        "B": _binary_size,
        "BOOL": lambda _: 1,
        "NULL": lambda _: 1,
        "SS": lambda items: sum(map(_utf8_size, items)),
        "NS": lambda items: sum(map(_number_size, items)),
        "BS": lambda items: sum(map(_binary_size, items)),
        "L": lambda items: 3 + sum(1 + value_size(item) for item in items),
        "M": lambda attrs: 3 + sum(1 + _utf8_size(name) + value_size(item) for name, item in attrs.items()),
    }
    return sizes[kind](inner)


def item_size(item: dict[str, dict[str, Any]]) -> int:
    """The size of an item: every attribute name's UTF-8 bytes plus its value's size."""
    return sum(_utf8_size(name) + value_size(value) for name, value in item.items())


# Checks. Each returns DynamoDB's message, or None.


def _empty_kind(value: dict[str, Any]) -> str | None:
    if "S" in value and value["S"] == "":
        return "string"
    if "B" in value and len(value["B"]) == 0:
        return "binary"
    return None


def _key_error(key: KeySchema, values: dict[str, dict[str, Any]]) -> str | None:
    """The table's own key attributes present in `values`: never empty, never over their size."""
    for name, _ in key.attributes():
        kind = _empty_kind(values[name]) if name in values else None
        if kind is not None:
            return (
                f"{_INVALID} The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {name}"
            )
    for name, limit in key.attributes():
        if name in values and value_size(values[name]) > limit:
            return HASH_KEY_TOO_LONG if limit == HASH_KEY_MAX_BYTES else RANGE_KEY_TOO_LONG
    return None


def _index_error(schema: TableSchema, values: dict[str, dict[str, Any]], *, by_update: bool) -> str | None:
    """The index key attributes present in `values` (an item, or what an update sets), as DynamoDB checks them."""
    table_keys = {schema.key.hash_key, schema.key.range_key}
    for index_name, key in sorted(schema.indexes.items()):
        for name, _ in key.attributes():
            kind = _empty_kind(values[name]) if name in values and name not in table_keys else None
            if kind is None:
                continue
            if by_update:
                return (
                    f"{_INVALID} The update expression attempted to update a secondary index key to a value that is"
                    f" not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value."
                )
            return (
                f"{_INVALID} A value specified for a secondary index key is not supported. The AttributeValue for a"
                f" key attribute cannot contain an empty {kind} value. IndexName: {index_name}, IndexKey: {name}"
            )
    for index_name, key in sorted(schema.indexes.items()):
        for name, limit in key.attributes():
            size = value_size(values[name]) if name in values and name not in table_keys else 0
            if size > limit:
                return (
                    f"{_WERE_INVALID} Size limit exceeded for Index Key {name} Actual Size: {size} bytes"
                    f" Max Size: {limit} bytes IndexName: {index_name}"
                )
    return None


def _put_error(table_name: str, item: dict[str, dict[str, Any]]) -> str | None:
    schema = schema_for(table_name)
    error = _key_error(schema.key, item) or _index_error(schema, item, by_update=False)
    if error is None and item_size(item) > ITEM_MAX_BYTES:
        return ITEM_TOO_LARGE
    return error


def _keyed_error(table_name: str, key: dict[str, dict[str, Any]]) -> str | None:
    return _key_error(schema_for(table_name).key, key)


# `SET a = :v` / `SET #a = :v`: the direct assignments of an update expression (functions and arithmetic are
# skipped; they only make the new item larger, and the bound stays a lower bound).
_ASSIGNMENT = re.compile(r"^\s*([#\w.\[\]]+)\s*=\s*(:\w+)\s*$")
_SET_CLAUSE = re.compile(r"\bSET\b(.*?)(?=\b(?:REMOVE|ADD|DELETE)\b|$)", re.IGNORECASE | re.DOTALL)


def _assigned(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The top-level attributes an UpdateItem sets directly, with their new values."""
    names: dict[str, str] = params.get("ExpressionAttributeNames") or {}
    values: dict[str, dict[str, Any]] = params.get("ExpressionAttributeValues") or {}
    assigned: dict[str, dict[str, Any]] = {}
    for clause in _SET_CLAUSE.findall(params.get("UpdateExpression") or ""):
        # A piece of a function's arguments (`list_append(#a, :b)`) never matches a whole assignment.
        for piece in clause.split(","):
            match = _ASSIGNMENT.match(piece)
            if match is None or any(mark in match[1] for mark in ".["):
                continue
            if match[2] in values:
                assigned[names.get(match[1], match[1])] = values[match[2]]
    return assigned


def _update_error(table_name: str, params: dict[str, Any]) -> str | None:
    schema = schema_for(table_name)
    key: dict[str, dict[str, Any]] = params.get("Key") or {}
    assigned = _assigned(params)
    error = _key_error(schema.key, key) or _index_error(schema, assigned, by_update=True)
    if error is None and item_size({**assigned, **key}) > ITEM_MAX_BYTES:
        return UPDATE_TOO_LARGE
    return error


_KEY_CONDITION = re.compile(r"(#?\w+)\s*=\s*(:\w+)")


def _query_error(params: dict[str, Any]) -> str | None:
    """The partition key a Query names (of the table or of `IndexName`) must not be empty or over 2,048 bytes."""
    schema = schema_for(params.get("TableName", ""))
    index = params.get("IndexName")
    key = schema.indexes.get(index, schema.key) if index else schema.key
    names: dict[str, str] = params.get("ExpressionAttributeNames") or {}
    values: dict[str, dict[str, Any]] = params.get("ExpressionAttributeValues") or {}
    compared = {
        names.get(path, path): values[placeholder]
        for path, placeholder in _KEY_CONDITION.findall(params.get("KeyConditionExpression") or "")
        if placeholder in values
    }
    return _key_error(KeySchema(hash_key=key.hash_key), compared)


def _first(errors: Iterator[str | None]) -> str | None:
    return next((error for error in errors if error is not None), None)


def _batch_write_error(params: dict[str, Any]) -> str | None:
    def each() -> Iterator[str | None]:
        for table_name, requests in (params.get("RequestItems") or {}).items():
            for request in requests:
                if "PutRequest" in request:
                    yield _put_error(table_name, request["PutRequest"]["Item"])
                if "DeleteRequest" in request:
                    yield _keyed_error(table_name, request["DeleteRequest"]["Key"])

    return _first(each())


def _batch_get_error(params: dict[str, Any]) -> str | None:
    return _first(
        _keyed_error(table_name, key)
        for table_name, request in (params.get("RequestItems") or {}).items()
        for key in request.get("Keys", [])
    )


def _transact_write_error(params: dict[str, Any]) -> str | None:
    def each() -> Iterator[str | None]:
        for entry in params.get("TransactItems") or []:
            if "Put" in entry:
                yield _put_error(entry["Put"].get("TableName", ""), entry["Put"]["Item"])
            if "Update" in entry:
                yield _update_error(entry["Update"].get("TableName", ""), entry["Update"])
            for kind in ("Delete", "ConditionCheck"):
                if kind in entry:
                    yield _keyed_error(entry[kind].get("TableName", ""), entry[kind]["Key"])

    return _first(each())


def _transact_get_error(params: dict[str, Any]) -> str | None:
    return _first(
        _keyed_error(entry["Get"].get("TableName", ""), entry["Get"]["Key"])
        for entry in params.get("TransactItems") or []
        if "Get" in entry
    )


_CHECKS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "PutItem": lambda params: _put_error(params.get("TableName", ""), params.get("Item") or {}),
    "UpdateItem": lambda params: _update_error(params.get("TableName", ""), params),
    "GetItem": lambda params: _keyed_error(params.get("TableName", ""), params.get("Key") or {}),
    "DeleteItem": lambda params: _keyed_error(params.get("TableName", ""), params.get("Key") or {}),
    "Query": _query_error,
    "BatchWriteItem": _batch_write_error,
    "BatchGetItem": _batch_get_error,
    "TransactWriteItems": _transact_write_error,
    "TransactGetItems": _transact_get_error,
}


def validation_error(operation: str, params: dict[str, Any]) -> str | None:
    """The message of the ValidationException real DynamoDB would answer `operation` with, or None if it is valid."""
    check = _CHECKS.get(operation)
    return None if check is None else check(params)
