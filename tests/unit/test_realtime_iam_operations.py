"""The real-time calls in the operation table: the stream Lambda's poller reads, and the @connections API."""

from __future__ import annotations

import pytest

from devserver.iam.operations import Arns, requests_for
from devserver.iam.policies import LocalNames
from devserver.iam.policy import Request, allowing_statement
from infra.capabilities import policy_statements

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/assets"
STREAM_ARN = f"{TABLE_ARN}/stream/2026-12-01T00:00:00.000"


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("DescribeStream", {"StreamArn": STREAM_ARN}),
        ("GetShardIterator", {"StreamArn": STREAM_ARN, "ShardId": "s", "ShardIteratorType": "LATEST"}),
        # moto's iterators begin with the stream's ARN
        ("GetRecords", {"ShardIterator": f"{STREAM_ARN}|1|opaque"}),
    ],
)
def test_stream_reads_are_on_the_stream(operation: str, params: dict[str, str]) -> None:
    assert requests_for("dynamodbstreams", operation, params, Arns("us-east-1")) == [
        Request(f"dynamodb:{operation}", STREAM_ARN)
    ]


def test_listing_a_tables_streams_is_on_its_streams() -> None:
    requests = requests_for("dynamodbstreams", "ListStreams", {"TableName": "assets"}, Arns("us-east-1"))
    assert requests == [Request("dynamodb:ListStreams", f"{TABLE_ARN}/stream/*")]


@pytest.mark.parametrize(
    ("endpoint", "api_id"),
    [
        ("https://abc123.execute-api.eu-west-1.amazonaws.com/live", "abc123"),
        ("http://127.0.0.1:3002/live", "local"),
    ],
)
@pytest.mark.parametrize(("operation", "method"), [("PostToConnection", "POST"), ("DeleteConnection", "DELETE")])
def test_connection_calls_are_manage_connections_on_the_stage_method_and_connection(
    endpoint: str, api_id: str, operation: str, method: str
) -> None:
    # When the management API is called at the endpoint
    requests = requests_for(
        "apigatewaymanagementapi", operation, {"ConnectionId": "c1="}, Arns("eu-west-1", endpoint=endpoint)
    )
    # Then it needs ManageConnections on that API's stage, method and connection
    assert requests == [
        Request(
            "execute-api:ManageConnections",
            f"arn:aws:execute-api:eu-west-1:123456789012:{api_id}/live/{method}/@connections/c1=",
        )
    ]


def test_only_the_notifiers_local_policy_allows_posting_to_the_local_api() -> None:
    # Given the local policies, and a post to the local API's live stage
    names = LocalNames(table="assets", idempotency_table="idem", bucket="media").resource_names()
    [post] = requests_for(
        "apigatewaymanagementapi",
        "PostToConnection",
        {"ConnectionId": "c1"},
        Arns("us-east-1", endpoint="http://127.0.0.1:1/live"),
    )
    # Then the notifier may, no other function may, and the notifier may not delete connections through the API
    allowed = {
        name
        for name in ("realtime_notifier", "realtime", "realtime_connections", "gallery")
        if allowing_statement(policy_statements(name, names), post)
    }
    assert allowed == {"realtime_notifier"}
    [delete] = requests_for(
        "apigatewaymanagementapi",
        "DeleteConnection",
        {"ConnectionId": "c1"},
        Arns("us-east-1", endpoint="http://127.0.0.1:1/live"),
    )
    assert allowing_statement(policy_statements("realtime_notifier", names), delete) is None
