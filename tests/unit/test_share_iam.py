"""The share roles' table writes (#15): `dynamodb:LeadingKeys` from each item's key, and the conditions that keep
the shares and public_shares functions off every asset."""

from __future__ import annotations

import pytest

from devserver.iam.operations import Arns, requests_for
from devserver.iam.policy import allowing_statement
from functions.common.repository.shares import owner_shares_partition, share_partition, token_partition
from infra.capabilities import ResourceNames, policy_statements

ARNS = Arns("us-east-1")
SHARE, TOKEN, OWNER_SHARES = share_partition("01J"), token_partition("ab"), owner_shares_partition("alice")
NAMES = ResourceNames(
    table_arn="arn:aws:dynamodb:us-east-1:123456789012:table/assets",
    idempotency_table_arn="arn:aws:dynamodb:us-east-1:123456789012:table/idem",
    bucket_arn="arn:aws:s3:::media",
    bucket_name="media",
)


def _key(partition: str) -> dict[str, dict[str, str]]:
    return {"owner": {"S": partition}, "asset_id": {"S": "x"}}


@pytest.mark.parametrize("operation", ["PutItem", "UpdateItem", "DeleteItem"])
def test_an_item_write_carries_its_partition_as_leading_key(operation: str) -> None:
    field = "Item" if operation == "PutItem" else "Key"
    (request,) = requests_for("dynamodb", operation, {"TableName": "assets", field: _key(SHARE)}, ARNS)
    assert request.context == {"dynamodb:LeadingKeys": SHARE}
    items = [{"Delete": {"TableName": "assets", "Key": _key(TOKEN)}}]
    (transacted,) = requests_for("dynamodb", "TransactWriteItems", {"TransactItems": items}, ARNS)
    assert transacted.context == {"dynamodb:LeadingKeys": TOKEN}


@pytest.mark.parametrize(
    ("function", "partition", "allowed"),
    [
        ("public_shares", SHARE, True),
        ("public_shares", OWNER_SHARES, False),
        ("public_shares", TOKEN, False),
        ("public_shares", "alice", False),
        ("shares", SHARE, True),
        ("shares", OWNER_SHARES, True),
        ("shares", TOKEN, True),
        ("shares", "alice", False),
    ],
)
def test_share_roles_write_only_share_partitions(function: str, partition: str, allowed: bool) -> None:
    statements = policy_statements(function, NAMES)
    for operation in ("UpdateItem", "DeleteItem"):
        (request,) = requests_for("dynamodb", operation, {"TableName": "assets", "Key": _key(partition)}, ARNS)
        expected = allowed and not (function == "public_shares" and operation == "DeleteItem")
        assert (allowing_statement(statements, request) is not None) is expected, (operation, partition)
