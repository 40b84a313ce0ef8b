"""GetRecords' records as Lambda's DynamoDB event carries them (devserver/stream_relay.py `lambda_record`)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from devserver.stream_relay import StreamMapping, StreamRelay, lambda_record

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-12-01T00:00:00"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_binary_values_become_base64_at_any_depth_and_times_epoch_seconds() -> None:
    # Given a record as botocore parses GetRecords (binary values as bytes, the time as a datetime)
    record = {
        "eventID": "e1",
        "eventName": "MODIFY",
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC),
            "Keys": {"owner": {"S": "alice"}},
            "NewImage": {
                "owner": {"S": "alice"},
                "digest": {"B": b"\x00\x01"},
                "set": {"BS": [b"a", b"b"]},
                "nested": {"M": {"inner": {"L": [{"B": b"\xff"}, {"N": "1"}]}}},
            },
            "SequenceNumber": "100",
            "SizeBytes": 10,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    # When it is turned into Lambda's record
    event = lambda_record(record, ARN, "us-east-1")
    # Then it is what Lambda sends: its event version, the stream's ARN, JSON-safe values
    assert (event["eventVersion"], event["eventSourceARN"]) == ("1.1", ARN)
    stream = event["dynamodb"]
    assert stream["ApproximateCreationDateTime"] == int(datetime(2026, 12, 1, 12, tzinfo=UTC).timestamp())
    image = stream["NewImage"]
    assert image["digest"] == {"B": _b64(b"\x00\x01")}
    assert image["set"] == {"BS": [_b64(b"a"), _b64(b"b")]}
    assert image["nested"] == {"M": {"inner": {"L": [{"B": _b64(b"\xff")}, {"N": "1"}]}}}
    assert image["owner"] == {"S": "alice"} and stream["Keys"] == {"owner": {"S": "alice"}}


def _batch(*numbers: str) -> list[dict[str, object]]:
    return [{"dynamodb": {"SequenceNumber": number}} for number in numbers]


def test_the_records_to_retry_start_at_the_first_reported_failure() -> None:
    batch = _batch("1", "2", "3")
    unprocessed = StreamRelay._unprocessed
    assert unprocessed(batch, {"batchItemFailures": []}) == []
    assert unprocessed(batch, None) == []
    assert unprocessed(batch, {"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}) == batch[1:]
    # An identifier naming no record of the batch (or none at all) fails the whole batch, as Lambda treats it
    assert unprocessed(batch, {"batchItemFailures": [{"itemIdentifier": "9"}]}) == batch
    assert unprocessed(batch, {"batchItemFailures": [{"itemIdentifier": None}]}) == batch


def test_the_last_retry_delay_repeats() -> None:
    mapping = StreamMapping("realtime_notifier", retry_delays=(0.1, 0.4))
    assert [mapping.delay_before_retry(retry) for retry in (1, 2, 3, 4)] == [0.1, 0.4, 0.4, 0.4]
