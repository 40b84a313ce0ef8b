"""Lambda's event source mapping for the asset table's DynamoDB stream, locally: moto's stream to the real notifier.

Lambda polls each shard about four times a second, gathers up to `batch_size` records (waiting at most
`batching_window_seconds` for a fuller batch), and invokes the function synchronously with the stream event. With
ReportBatchItemFailures the function answers `{"batchItemFailures": [{"itemIdentifier": SequenceNumber}]}`: the
batch is retried from the first failed record (a function error, or an identifier that names no record, retries the
whole batch; a function error splits a batch of several in two first, with `bisect_on_error`); after
`retry_attempts` retries, or once its oldest record is older than `max_record_age_seconds`, the batch is given up,
its description goes to the failure destination (the function's on-failure queue) and the shard moves on. While a
batch is retried the shard waits, as it does on AWS, so changes stay in order.

The relay starts at the stream's end (`LATEST`) when the server starts: restoring the saved state writes every item
again, and those writes are no changes anybody should hear about. Lambda reads the stream with the function's own
role (ListStreams, DescribeStream, GetShardIterator, GetRecords); given `role`, the relay's calls run as it does, so a
missing grant fails here as it fails deployed.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devserver.async_invocations import function_arn
from devserver.environments import FunctionError, invoke
from devserver.iam.principal import acting_as

log = logging.getLogger("devserver")
Invoke = Callable[[str, dict[str, Any]], Any]
Deliver = Callable[[str, dict[str, Any]], None]
POLL_INTERVAL_SECONDS = 0.25  # Lambda polls a stream's shards four times a second


@dataclass(frozen=True)
class StreamMapping:
    """The stack's event source mapping: which function, and how it batches and retries."""

    function: str
    batch_size: int = 100
    batching_window_seconds: float = 0.0
    retry_attempts: int = 2
    max_record_age_seconds: float = 600.0
    # BisectBatchOnFunctionError: a batch whose invocation fails is split in two, each half retried on its own.
    bisect_on_error: bool = True
    retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0)

    def delay_before_retry(self, retry: int) -> float:
        return self.retry_delays[min(retry, len(self.retry_delays)) - 1] if self.retry_delays else 0.0


def _wire_attribute(value: Any) -> Any:
    """An attribute value as the Lambda event carries it: botocore hands binary values back as bytes."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for kind, inner in value.items():
            if kind == "B" and isinstance(inner, bytes | bytearray):
                out[kind] = base64.b64encode(inner).decode()
            elif kind == "BS":
                out[kind] = [base64.b64encode(item).decode() for item in inner]
            elif kind == "M":
                out[kind] = {name: _wire_attribute(item) for name, item in inner.items()}
            elif kind == "L":
                out[kind] = [_wire_attribute(item) for item in inner]
            else:
                out[kind] = inner
        return out
    return value


def _epoch_seconds(value: Any) -> Any:
    return int(value.timestamp()) if isinstance(value, datetime) else value


def lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record as Lambda's DynamoDB event gives it to the function."""
    stream = dict(record["dynamodb"])
    stream["ApproximateCreationDateTime"] = _epoch_seconds(stream.get("ApproximateCreationDateTime"))
    for image in ("Keys", "NewImage", "OldImage"):
        if image in stream:
            stream[image] = {name: _wire_attribute(value) for name, value in stream[image].items()}
    event = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion") or region,
        "dynamodb": stream,
        "eventSourceARN": stream_arn,
    }
    if record.get("userIdentity"):
        event["userIdentity"] = record["userIdentity"]
    return event


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def failure_record(
    batch: list[dict[str, Any]], shard_id: str, relay: StreamRelay, attempts: int, error: Any, condition: str
) -> dict[str, Any]:
    """What Lambda sends the mapping's on-failure destination for a stream batch it gave up on."""
    arrivals = [float(record["dynamodb"].get("ApproximateCreationDateTime") or time.time()) for record in batch]
    stream_arn = relay.stream_arn
    record: dict[str, Any] = {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn(relay.mapping.function),
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "version": "1.0",
        "timestamp": _iso(time.time()),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(min(arrivals)),
            "approximateArrivalOfLastRecord": _iso(max(arrivals)),
            "batchSize": len(batch),
            "streamArn": stream_arn,
        },
    }
    if isinstance(error, FunctionError):
        record["responseContext"]["functionError"] = "Unhandled"
    return record


@dataclass
class _Shard:
    shard_id: str
    # The last record read: each poll asks for an iterator after it (see `_poll`); None: from the shard's start.
    last_sequence: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    first_seen: float = 0.0
    forgotten: str | None = None  # the last record moto was told to drop


class StreamRelay:
    """Polls one table's stream and invokes the mapping's function with each batch."""

    def __init__(
        self,
        *,
        streams: Any,
        table: str,
        mapping: StreamMapping,
        deliver_failure: Deliver,
        invoke: Invoke = invoke,
        region: str = "us-east-1",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_batch: Callable[[], None] = lambda: None,
        forget_iterator: Callable[[str], None] = lambda iterator: None,
        forget_records: Callable[[str], None] = lambda through_sequence: None,
        role: str | None = None,
    ) -> None:
        self._streams = streams
        self._role = role
        self._table = table
        self.mapping = mapping
        self._deliver = deliver_failure
        self._invoke = invoke
        self._region = region
        self._sleep = sleep
        self._clock = clock
        self._on_batch = on_batch
        self._forget_iterator = forget_iterator
        self._forget_records = forget_records
        self.stream_arn = ""
        self._shards: dict[str, _Shard] = {}

    @contextlib.contextmanager
    def _as_role(self) -> Iterator[None]:
        if self._role is None:
            yield
            return
        with acting_as(self._role):
            yield

    def start(self, position: str = "LATEST") -> StreamRelay:
        """Find the table's stream and place an iterator on each shard (`LATEST`, or `TRIM_HORIZON`)."""
        with self._as_role():
            streams = self._streams.list_streams(TableName=self._table)["Streams"]
            if not streams:
                raise LookupError(f"the table {self._table} has no stream")
            self.stream_arn = streams[0]["StreamArn"]
            self._discover(position)
        return self

    def _discover(self, position: str) -> None:
        shards = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for described in shards:
            if described["ShardId"] in self._shards:
                continue
            shard = _Shard(described["ShardId"])
            if position == "LATEST":  # read past what is there: its last sequence number is where to start
                while records := self._read(shard, 1000)[0]:
                    shard.last_sequence = records[-1]["dynamodb"]["SequenceNumber"]
            self._shards[shard.shard_id] = shard
            self._forget_read(shard)

    def _forget_read(self, shard: _Shard) -> None:
        """Let moto drop what was read, after any delivery (never read again: a batch is retried from `pending`)."""
        if shard.last_sequence is not None and shard.last_sequence != shard.forgotten:
            self._forget_records(shard.last_sequence)
            shard.forgotten = shard.last_sequence

    def _read(self, shard: _Shard, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` records after the shard's last one, and whether the shard is still open.

        A fresh iterator every time, placed after the last record read, rather than GetRecords' next iterator: moto
        replaces a table with a copy made before a TransactWriteItems that fails, and an iterator kept from before
        would go on reading the dropped copy's stream, missing every later change.
        """
        position: dict[str, str] = (
            {"ShardIteratorType": "TRIM_HORIZON"}
            if shard.last_sequence is None
            else {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.last_sequence}
        )
        with self._as_role():
            iterator = self._streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard.shard_id, **position)
            answer = self._streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=limit)
        for used in (iterator["ShardIterator"], answer.get("NextShardIterator")):
            if used:
                self._forget_iterator(used)
        return list(answer.get("Records", [])), answer.get("NextShardIterator") is not None

    def step(self) -> None:
        """One poll of every shard; a batch that is full, or waited its window, is delivered (and retried) now."""
        for shard in list(self._shards.values()):
            self._poll(shard)
            self._forget_read(shard)

    def _poll(self, shard: _Shard) -> None:
        room = self.mapping.batch_size - len(shard.pending)
        is_open = True
        if room > 0:
            read, is_open = self._read(shard, room)
            if read:
                shard.last_sequence = read[-1]["dynamodb"]["SequenceNumber"]
                if not shard.pending:
                    shard.first_seen = self._clock()
                shard.pending.extend(lambda_record(record, self.stream_arn, self._region) for record in read)
        if not shard.pending:
            if not is_open:  # a closed shard, read to its end
                del self._shards[shard.shard_id]
            return
        full = len(shard.pending) >= self.mapping.batch_size
        if full or self._clock() - shard.first_seen >= self.mapping.batching_window_seconds:
            batch, shard.pending = shard.pending, []
            self._deliver_batch(shard, batch)

    def _deliver_batch(self, shard: _Shard, batch: list[dict[str, Any]], attempts: int = 0) -> None:
        while True:
            attempts += 1
            error: Any = None
            try:
                result = self._invoke(self.mapping.function, {"Records": batch})
                remaining = self._unprocessed(batch, result)
            except FunctionError as failure:
                log.error("%s failed on a stream batch of %d: %s", self.mapping.function, len(batch), failure)
                error, remaining = failure, batch
            finally:
                self._on_batch()
            if not remaining:
                return
            if error is not None and self.mapping.bisect_on_error and len(remaining) > 1:
                half = len(remaining) // 2
                self._deliver_batch(shard, remaining[:half], attempts)
                self._deliver_batch(shard, remaining[half:], attempts)
                return
            oldest = min(float(record["dynamodb"]["ApproximateCreationDateTime"]) for record in remaining)
            if attempts > self.mapping.retry_attempts:
                condition = "RetryAttemptsExhausted"
            elif time.time() - oldest >= self.mapping.max_record_age_seconds:
                condition = "RecordAgeExceeded"
            else:
                batch = remaining
                self._sleep(self.mapping.delay_before_retry(attempts))
                continue
            log.error("%s: stream batch given up after %d attempts (%s)", self.mapping.function, attempts, condition)
            record = failure_record(remaining, shard.shard_id, self, attempts, error, condition)
            try:
                self._deliver(self.mapping.function, record)
            except Exception:  # the batch is skipped either way, as on AWS
                log.exception("could not deliver the failure record of %s", self.mapping.function)
            return

    @staticmethod
    def _unprocessed(batch: list[dict[str, Any]], result: Any) -> list[dict[str, Any]]:
        """The records to retry: from the first failed one on (the whole batch if a failure names no record)."""
        failures = (result or {}).get("batchItemFailures") if isinstance(result, dict) else None
        if not failures:
            return []
        sequence = [record["dynamodb"]["SequenceNumber"] for record in batch]
        positions = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier not in sequence:
                return batch
            positions.append(sequence.index(identifier))
        return batch[min(positions) :]


def notifier_mapping() -> StreamMapping:
    """The asset stream's mapping to the notifier, as the stack configures it (functions.system, its profile)."""
    from functions.system import ASSET_STREAM_BATCH_SIZE, ASSET_STREAM_BATCHING_WINDOW_SECONDS
    from infra.capabilities import PROFILES

    profile = PROFILES["realtime_notifier"]
    return StreamMapping(
        function="realtime_notifier",
        batch_size=ASSET_STREAM_BATCH_SIZE,
        batching_window_seconds=ASSET_STREAM_BATCHING_WINDOW_SECONDS,
        retry_attempts=profile.retry_attempts,
        max_record_age_seconds=profile.max_event_age_seconds,
    )
