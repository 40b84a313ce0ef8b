"""The asset table as created is exactly the data layer's `table_schema()`, which the stack deploys."""

from __future__ import annotations

import boto3

from functions.common.repository import table_schema
from tests.conftest import TABLE
from tests.table_support import assert_table_is_schema


def test_the_created_table_is_the_table_schema(aws: None) -> None:
    # Given the table the repository created (conftest's `aws`)
    schema = table_schema()
    # When DynamoDB describes it
    table = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]
    # Then keys, key types, indexes and projections are the schema's
    assert_table_is_schema(table, schema)
