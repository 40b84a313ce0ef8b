"""Comparing a DynamoDB table definition with the data layer's `table_schema()`."""

from __future__ import annotations

from typing import Any


def _key_types(key_schema: list[dict[str, str]]) -> dict[str, str]:
    return {item["KeyType"]: item["AttributeName"] for item in key_schema}


def _schema_key_types(key: Any) -> dict[str, str]:
    return {"HASH": key.partition.name} | ({"RANGE": key.sort.name} if key.sort else {})


def assert_table_is_schema(table: dict[str, Any], schema: Any) -> None:
    """`table` (DescribeTable's `Table` or a template's `Properties`: both spell the fields CreateTable's way)."""
    assert _key_types(table["KeySchema"]) == _schema_key_types(schema.key)
    types = {item["AttributeName"]: item["AttributeType"] for item in table["AttributeDefinitions"]}
    assert types == schema.key_attributes
    indexes = {index["IndexName"]: index for index in table.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {index.name for index in schema.indexes}
    for index in schema.indexes:
        assert _key_types(indexes[index.name]["KeySchema"]) == _schema_key_types(index.key)
        assert indexes[index.name]["Projection"]["ProjectionType"] == index.projection
