"""Integration support for real time: the asset table's stream read as Lambda's event source mapping reads it, and a
loopback `@connections` endpoint that botocore's `apigatewaymanagementapi` client posts to."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.config import Config

from devserver.iam.principal import acting_as
from functions.system import ASSET_STREAM_VIEW_TYPE, REALTIME_STAGE


def enable_stream(table: str) -> None:
    """Turn on the asset table's stream as the stack does (set-up, unrestricted)."""
    boto3.client("dynamodb").update_table(
        TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": ASSET_STREAM_VIEW_TYPE}
    )


@dataclass
class StreamPoller:
    """Reads the stream with the notifier's role (Lambda's poller uses the function's role) into Lambda events."""

    table: str
    positions: dict[str, str] = field(default_factory=dict)

    def next_event(self) -> dict[str, Any]:
        """Every record since the last call, as the `Records` of one Lambda DynamoDB stream event."""
        records: list[dict[str, Any]] = []
        with acting_as("realtime_notifier"):
            # botocore's account-based endpoint (`{account}.streams-ddb…`) is one moto does not serve.
            streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
            [stream] = streams.list_streams(TableName=self.table)["Streams"]
            arn = stream["StreamArn"]
            for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                shard_id = shard["ShardId"]
                after = self.positions.get(shard_id)
                iterator = streams.get_shard_iterator(
                    StreamArn=arn,
                    ShardId=shard_id,
                    **(
                        {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
                        if after
                        else {"ShardIteratorType": "TRIM_HORIZON"}
                    ),
                )["ShardIterator"]
                for record in streams.get_records(ShardIterator=iterator)["Records"]:
                    records.append(_lambda_record(record, arn))
                    self.positions[shard_id] = record["dynamodb"]["SequenceNumber"]
        return {"Records": records}


def _lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if created is not None and not isinstance(created, int | float):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**{k: v for k, v in record.items() if k != "dynamodb"}, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


@dataclass
class Connections:
    """What the loopback endpoint received, and which connections it answers 410 Gone for."""

    gone: set[str] = field(default_factory=set)
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@contextmanager
def connections_endpoint() -> Iterator[tuple[str, Connections]]:
    """`POST /live/@connections/{id}` on loopback: 200 and recorded, or 410 `GoneException`; yields its base URL."""
    state = Connections()
    prefix = f"/{REALTIME_STAGE}/@connections/"

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            connection_id = unquote(self.path[len(prefix) :]) if self.path.startswith(prefix) else ""
            if not connection_id or connection_id in state.gone:
                self.send_response(410)
                self.send_header("x-amzn-ErrorType", "GoneException")
                payload = b'{"message": "gone"}'
            else:
                state.received.setdefault(connection_id, []).append(json.loads(body))
                self.send_response(200)
                payload = b"{}"
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{REALTIME_STAGE}", state
    finally:
        server.shutdown()
        server.server_close()
