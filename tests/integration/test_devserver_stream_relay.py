"""The local event source mapping (devserver/stream_relay.py): moto's table stream → Lambda's DynamoDB event.

The function is a stand-in (`invoke`) that records each batch and answers what the test says, so these tests are about
Lambda's side: the event's shape, batching, ReportBatchItemFailures retries and the failure destination.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from devserver.aws import forget_stream_records
from devserver.environments import FunctionError
from devserver.iam.enforce import enforcing
from devserver.stream_relay import StreamMapping, StreamRelay, notifier_mapping
from functions.system import ASSET_STREAM_VIEW_TYPE
from tests.conftest import iam_names

TABLE = "test-assets"  # the name the functions' policies in tests point at (tests/conftest.py)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's server on loopback, as the local server runs it (moto's in-process mock does not route DescribeStream)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    yield f"http://127.0.0.1:{server._server.server_port}"  # type: ignore[union-attr]
    server.stop()


@pytest.fixture
def streams(moto_endpoint: str) -> Any:
    return _client("dynamodbstreams", moto_endpoint)


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture
def dynamodb(moto_endpoint: str) -> Iterator[Any]:
    """A table streaming both images, as the stack's asset table does, with the functions' IAM enforced."""
    client = _client("dynamodb", moto_endpoint)
    client.create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "asset_id", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "asset_id", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": ASSET_STREAM_VIEW_TYPE},
    )
    with enforcing(iam_names()):
        yield client
    client.delete_table(TableName=TABLE)


class Function:
    """A stand-in for the notifier: records every event; `answers` says what each call answers (or raises)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.answers: list[Callable[[dict[str, Any]], Any]] = []

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        assert function == "realtime_notifier"
        self.events.append(event)
        return self.answers.pop(0)(event) if self.answers else {"batchItemFailures": []}

    def sequence_numbers(self, call: int) -> list[str]:
        return [record["dynamodb"]["SequenceNumber"] for record in self.events[call]["Records"]]


def _relay(
    streams: Any,
    function: Function,
    failures: list[dict[str, Any]],
    mapping: StreamMapping | None = None,
    forget_records: Callable[[str], None] = lambda through_sequence: None,
) -> StreamRelay:
    return StreamRelay(
        streams=streams,
        table=TABLE,
        mapping=mapping or StreamMapping("realtime_notifier", retry_delays=()),
        deliver_failure=lambda name, record: failures.append({"function": name, **record}),
        invoke=function,
        forget_records=forget_records,
        role="realtime_notifier",
    )


def _records_moto_holds() -> int:
    from moto.dynamodb.models import dynamodb_backends

    held = 0
    for backends in dynamodb_backends.values():
        table = backends["us-east-1"].tables.get(TABLE)
        shard = table.stream_shard if table is not None else None
        held += len(shard.items) if shard is not None else 0
    return held


def _put(client: Any, asset_id: str, **attributes: dict[str, Any]) -> None:
    client.put_item(TableName=TABLE, Item={"owner": {"S": "alice"}, "asset_id": {"S": asset_id}, **attributes})


def _fail_a_transaction(client: Any, existing_id: str) -> None:
    """A TransactWriteItems whose condition fails: moto then puts back a copy of the table made before it."""
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"owner": {"S": "alice"}, "asset_id": {"S": existing_id}},
                        "ConditionExpression": "attribute_not_exists(asset_id)",
                    }
                }
            ]
        )


def test_inserts_modifies_and_removes_arrive_as_lambdas_dynamodb_event(dynamodb: Any, streams: Any) -> None:
    # Given the relay started at the stream's end (writes before it are not relayed)
    _put(dynamodb, "before")
    function, failures = Function(), []  # type: ignore[var-annotated]
    relay = _relay(streams, function, failures).start()
    # When an item is created, changed (with a binary attribute) and deleted
    _put(dynamodb, "a1", status={"S": "pending"})
    _put(dynamodb, "a1", status={"S": "ready"}, digest={"B": b"\x00\xff"})
    dynamodb.delete_item(TableName=TABLE, Key={"owner": {"S": "alice"}, "asset_id": {"S": "a1"}})
    relay.step()
    # Then the notifier got one batch, in order, shaped as Lambda shapes stream records
    assert len(function.events) == 1
    records = function.events[0]["Records"]
    assert [record["eventName"] for record in records] == ["INSERT", "MODIFY", "REMOVE"]
    for record in records:
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventVersion"] == "1.1"
        assert record["eventSourceARN"] == relay.stream_arn
        assert record["eventSourceARN"].startswith("arn:aws:dynamodb:us-east-1:")
        assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert record["dynamodb"]["Keys"] == {"owner": {"S": "alice"}, "asset_id": {"S": "a1"}}
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    insert, modify, remove = records
    assert "OldImage" not in insert["dynamodb"] and insert["dynamodb"]["NewImage"]["status"] == {"S": "pending"}
    assert modify["dynamodb"]["OldImage"]["status"] == {"S": "pending"}
    assert modify["dynamodb"]["NewImage"]["digest"] == {"B": base64.b64encode(b"\x00\xff").decode()}
    assert "NewImage" not in remove["dynamodb"] and remove["dynamodb"]["OldImage"]["status"] == {"S": "ready"}
    assert [int(number) for number in function.sequence_numbers(0)] == sorted(
        int(number) for number in function.sequence_numbers(0)
    )
    # And nothing is relayed twice
    relay.step()
    assert len(function.events) == 1 and failures == []


def test_batches_hold_at_most_the_mappings_batch_size(dynamodb: Any, streams: Any) -> None:
    # Given a mapping of batch size 2
    function, failures = Function(), []  # type: ignore[var-annotated]
    relay = _relay(streams, function, failures, StreamMapping("realtime_notifier", batch_size=2)).start()
    # When five items are written, then they arrive in batches of 2, 2 and 1, in order
    for index in range(5):
        _put(dynamodb, f"a{index}")
    for _ in range(3):
        relay.step()
    assert [len(event["Records"]) for event in function.events] == [2, 2, 1]
    keys = [record["dynamodb"]["Keys"]["asset_id"]["S"] for event in function.events for record in event["Records"]]
    assert keys == ["a0", "a1", "a2", "a3", "a4"]


def test_a_reported_item_failure_retries_the_batch_from_that_record(dynamodb: Any, streams: Any) -> None:
    # Given a notifier that fails the second of three records once
    function, failures = Function(), []  # type: ignore[var-annotated]
    relay = _relay(streams, function, failures).start()
    for index in range(3):
        _put(dynamodb, f"a{index}")
    function.answers = [_failing(1)]
    # When the relay delivers the batch
    relay.step()
    # Then the retry starts at the failed record, and then the shard moves on
    assert len(function.events) == 2
    assert function.sequence_numbers(1) == function.sequence_numbers(0)[1:]
    assert failures == []


def _failing(index: int) -> Callable[[dict[str, Any]], Any]:
    """An answer reporting the batch's record at `index` as failed."""

    def answer(event: dict[str, Any]) -> Any:
        return {"batchItemFailures": [{"itemIdentifier": event["Records"][index]["dynamodb"]["SequenceNumber"]}]}

    return answer


def _raise_error(event: dict[str, Any]) -> Any:
    raise FunctionError("realtime_notifier", {"type": "RuntimeError", "message": "boom"})


def test_a_function_error_or_an_unknown_identifier_retries_the_whole_batch(dynamodb: Any, streams: Any) -> None:
    # Given a mapping that does not bisect, and a notifier that first raises, then names a record not in the batch
    function, failures = Function(), []  # type: ignore[var-annotated]
    mapping = StreamMapping("realtime_notifier", bisect_on_error=False, retry_delays=())
    relay = _relay(streams, function, failures, mapping).start()
    _put(dynamodb, "a0")
    _put(dynamodb, "a1")
    function.answers = [_raise_error, lambda event: {"batchItemFailures": [{"itemIdentifier": "0"}]}]
    # When the relay delivers the batch, then each retry gets every record again
    relay.step()
    assert len(function.events) == 3
    assert function.sequence_numbers(0) == function.sequence_numbers(1) == function.sequence_numbers(2)
    assert failures == []


def test_a_function_error_splits_the_batch_in_two_and_each_half_is_retried_alone(dynamodb: Any, streams: Any) -> None:
    # Given the mapping's BisectBatchOnFunctionError, and a notifier that raises on the first batch only
    function, failures = Function(), []  # type: ignore[var-annotated]
    relay = _relay(streams, function, failures).start()
    for index in range(4):
        _put(dynamodb, f"a{index}")
    function.answers = [_raise_error]
    # When the relay delivers the batch
    relay.step()
    # Then the four records come again as two halves, in order
    assert [len(event["Records"]) for event in function.events] == [4, 2, 2]
    assert function.sequence_numbers(1) + function.sequence_numbers(2) == function.sequence_numbers(0)
    assert failures == []


def test_records_older_than_the_maximum_age_are_given_up(dynamodb: Any, streams: Any) -> None:
    # Given a mapping whose records may be no older than 0 s, and a notifier that fails once
    function, failures = Function(), []  # type: ignore[var-annotated]
    mapping = StreamMapping("realtime_notifier", max_record_age_seconds=0, retry_delays=())
    relay = _relay(streams, function, failures, mapping).start()
    _put(dynamodb, "a0")
    function.answers = [_raise_error]
    # When the relay delivers it, then it is not retried: it goes to the failure destination as too old
    relay.step()
    assert len(function.events) == 1
    (failure,) = failures
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["responseContext"]["functionError"] == "Unhandled"


def test_a_batch_that_keeps_failing_goes_to_the_failure_destination_and_the_shard_moves_on(
    dynamodb: Any, streams: Any
) -> None:
    # Given a mapping with 2 retries and a notifier that always fails the last record
    function, failures = Function(), []  # type: ignore[var-annotated]
    relay = _relay(
        streams, function, failures, StreamMapping("realtime_notifier", retry_attempts=2, retry_delays=())
    ).start()
    _put(dynamodb, "a0")
    _put(dynamodb, "a1")
    function.answers = [_failing(-1)] * 3
    # When the relay delivers it
    relay.step()
    # Then it tried three times (the first attempt and two retries), then gave the failed record up
    assert len(function.events) == 3
    (failure,) = failures
    info = failure["DDBStreamBatchInfo"]
    assert failure["function"] == "realtime_notifier"
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert info["streamArn"] == relay.stream_arn
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == function.sequence_numbers(0)[-1]
    # And the next change is delivered as usual
    _put(dynamodb, "a2")
    relay.step()
    assert [record["dynamodb"]["Keys"]["asset_id"]["S"] for record in function.events[-1]["Records"]] == ["a2"]


def test_the_relay_reads_the_stream_with_the_notifiers_role(dynamodb: Any, streams: Any) -> None:
    # Given the notifier's policy without its stream grants (as LOCAL_IAM_REVOKE removes statements)
    function, failures = Function(), []  # type: ignore[var-annotated]
    relay = _relay(streams, function, failures).start()
    # When the relay reads as another function's role, then AWS's refusal is what it gets
    refused = StreamRelay(
        streams=streams,
        table=TABLE,
        mapping=notifier_mapping(),
        deliver_failure=lambda name, record: None,
        invoke=function,
        role="gallery",
    )
    with pytest.raises(Exception, match="AccessDenied"):
        refused.start()
    # And as the notifier's own role it reads (the relay above started)
    assert relay.stream_arn


def test_changes_after_a_failed_transaction_still_arrive(dynamodb: Any, streams: Any) -> None:
    # Given the relay running, and a transaction on the table that fails its condition (moto then puts back a copy
    # of the table made before it, with a copy of its stream)
    function, failures = Function(), []  # type: ignore[var-annotated]
    relay = _relay(streams, function, failures).start()
    _put(dynamodb, "a0")
    relay.step()
    _fail_a_transaction(dynamodb, "a0")
    # When the table changes afterwards, then the change still reaches the notifier
    _put(dynamodb, "a1")
    relay.step()
    keys = [record["dynamodb"]["Keys"]["asset_id"]["S"] for event in function.events for record in event["Records"]]
    assert keys == ["a0", "a1"]


def test_records_once_read_are_dropped_from_moto_and_the_next_ones_follow_on(dynamodb: Any, streams: Any) -> None:
    # Given the relay forgetting what it has read, as the local server's does (moto would keep every record for good
    # and copy them all with the table on every transaction)
    function, failures = Function(), []  # type: ignore[var-annotated]
    forget = lambda through_sequence: forget_stream_records(TABLE, through_sequence, lock=threading.Lock())  # noqa: E731
    relay = _relay(streams, function, failures, forget_records=forget).start()
    for index in range(5):
        _put(dynamodb, f"a{index}")
    # When it has relayed them
    relay.step()
    # Then moto holds none of them any more
    assert _records_moto_holds() == 0
    # When more changes follow, one of them a transaction that fails (moto puts back a copy of the table)
    _put(dynamodb, "a5")
    _fail_a_transaction(dynamodb, "a5")
    _put(dynamodb, "a6")
    relay.step()
    relay.step()
    # Then each arrives once, in order, numbered on from the dropped ones, and moto is left holding nothing again
    keys = [record["dynamodb"]["Keys"]["asset_id"]["S"] for event in function.events for record in event["Records"]]
    assert keys == ["a0", "a1", "a2", "a3", "a4", "a5", "a6"]
    numbers = [int(number) for call in range(len(function.events)) for number in function.sequence_numbers(call)]
    assert numbers == list(range(numbers[0], numbers[0] + 7))
    assert _records_moto_holds() == 0 and failures == []
