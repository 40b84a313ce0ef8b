"""Embedded AWS emulation: moto's server on loopback, the resources the stack would create, and their state."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

from devserver.config import (
    ASSET_TABLE,
    CONNECTIONS_TABLE,
    IDEMPOTENCY_TABLE,
    MEDIA_BUCKET,
    REGION,
    THUMBNAIL_QUEUE,
    VIDEO_QUEUE,
)
from devserver.dynamodb_serial import OneDynamoDBRequestAtATime
from devserver.s3gate import Authorizer, GatedMotoServer, S3Gate, local_principals
from functions.common.repository import AssetRepository
from functions.common.repository.connections import ConnectionRepository
from functions.common.repository.tooling import backfill_kinds
from functions.system import (
    ASSET_STREAM_VIEW_TYPE,
    IDEMPOTENCY_KEY_ATTRIBUTE,
    MEDIA_BUCKET_CORS,
    ORIGINALS_PREFIX,
    VIDEO_ORIGINALS_PREFIX,
)


def bucket_cors_rules(origins: tuple[str, ...]) -> list[dict[str, Any]]:
    """The media bucket's CORS rules as deployed: moto's configuration, and what the gate's refusals carry."""
    if not origins:
        return []
    cors = MEDIA_BUCKET_CORS
    return [
        {
            "AllowedOrigins": list(origins),
            "AllowedMethods": list(cors.methods),
            "AllowedHeaders": list(cors.allow_headers),
            "ExposeHeaders": list(cors.expose_headers),
            "MaxAgeSeconds": cors.max_age_seconds,
        }
    ]


def deployed_policies_authorizer() -> Authorizer:
    """Each function's policy as the stack synthesizes it (devserver/iam), judging what its presigned requests do."""
    from devserver.s3gate.authorizers import deployed_policies

    return deployed_policies(ASSET_TABLE, IDEMPOTENCY_TABLE, MEDIA_BUCKET)


def _in_region(backend_dict: Any) -> Iterator[Any]:
    """A moto service's backend in our region, for each account it has one for (its in-process state)."""
    for backends in backend_dict.values():
        backend = backends.get(REGION) if hasattr(backends, "get") else None
        if backend is not None:
            yield backend


def forget_stream_records(table: str, through_sequence: str, *, lock: threading.Lock) -> None:
    """Drop a table's stream records up to `through_sequence` once they are read; the shard's start moves with them.

    moto keeps every record for good (AWS keeps them 24 hours) and copies the whole table, its stream included, for
    every TransactWriteItems, so kept records made each transaction slower than the last and the server's memory grow
    without end (1.6 GB after 175 uploads). Moving the first sequence number along keeps later numbers as they were,
    as AWS's trim horizon moves. Under the lock DynamoDB's requests take, so no write sees the stream half trimmed.
    """
    from moto.dynamodb.models import dynamodb_backends

    with lock:
        for backend in _in_region(dynamodb_backends):
            shard = getattr(backend.tables.get(table), "stream_shard", None)
            if shard is None:
                continue
            read = int(through_sequence) + 1 - shard.starting_sequence_number
            if read > 0:
                del shard.items[:read]
                shard.starting_sequence_number += read


class EmbeddedAws:
    """moto on 127.0.0.1 with the bucket, tables and the S3→SQS notification of the deployed stack.

    moto runs behind the S3 gate (devserver/s3gate): presigned URLs and browser-form POSTs to the media bucket are
    checked as S3 checks them (signature, expiry, POST policy) and authorized as the function that signed them.
    """

    def __init__(self, state_dir: Path, cors_origins: tuple[str, ...], authorizer: Authorizer | None = None) -> None:
        self._state_dir = state_dir
        self._cors_rules = bucket_cors_rules(cors_origins)
        chosen = authorizer or deployed_policies_authorizer()

        self._dynamodb_lock = threading.Lock()

        def gate(app: Any) -> S3Gate:
            return S3Gate(
                OneDynamoDBRequestAtATime(app, self._dynamodb_lock),
                buckets={MEDIA_BUCKET: self._cors_rules},
                principals=local_principals(),
                authorizer=chosen,
                region=REGION,
            )

        self._server = GatedMotoServer("127.0.0.1", 0, gate)
        self.port = self._server.port
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self.queue_url = ""
        self.video_queue_url = ""  # `videos/` (#16): the video function's notification queue

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the local emulator accepts any key
        )

    def start(self) -> None:
        self._server.start()
        self._create_resources()
        self.restore()

    def stop(self) -> None:
        self._server.stop()

    def _create_resources(self) -> None:
        s3, sqs, dynamodb = self.client("s3"), self.client("sqs"), self.client("dynamodb")
        s3.create_bucket(Bucket=MEDIA_BUCKET)
        # Versioned as deployed (infra/constructs/storage.py): deleting forever must remove every version here too.
        s3.put_bucket_versioning(Bucket=MEDIA_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        if self._cors_rules:
            s3.put_bucket_cors(Bucket=MEDIA_BUCKET, CORSConfiguration={"CORSRules": self._cors_rules})
        self.queue_url = sqs.create_queue(QueueName=THUMBNAIL_QUEUE)["QueueUrl"]
        self.video_queue_url = sqs.create_queue(QueueName=VIDEO_QUEUE)["QueueUrl"]
        # One notification per prefix, as the stack's triggers: images to the thumbnail, videos to the video function.
        routes = ((self.queue_url, ORIGINALS_PREFIX), (self.video_queue_url, VIDEO_ORIGINALS_PREFIX))
        s3.put_bucket_notification_configuration(
            Bucket=MEDIA_BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                            "QueueArn"
                        ],
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
                    }
                    for url, prefix in routes
                ]
            },
        )
        AssetRepository(ASSET_TABLE).create_table()
        # The stream the notifier reads (devserver/stream_relay.py), with the view type the stack gives the table.
        stream = dynamodb.describe_table(TableName=ASSET_TABLE)["Table"].get("StreamSpecification", {})
        if not stream.get("StreamEnabled"):
            dynamodb.update_table(
                TableName=ASSET_TABLE,
                StreamSpecification={"StreamEnabled": True, "StreamViewType": ASSET_STREAM_VIEW_TYPE},
            )
        # Not in the snapshot: connections do not outlive the server, and tickets live a minute.
        ConnectionRepository(CONNECTIONS_TABLE).create_table()
        dynamodb.create_table(
            TableName=IDEMPOTENCY_TABLE,
            AttributeDefinitions=[{"AttributeName": IDEMPOTENCY_KEY_ATTRIBUTE, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": IDEMPOTENCY_KEY_ATTRIBUTE, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )

    def forget_stream_iterator(self, iterator: str) -> None:
        """Drop a used shard iterator from moto, which keeps every one for good (AWS expires them after 15 minutes)."""
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        for backend in _in_region(dynamodbstreams_backends):
            backend.shard_iterators.pop(iterator, None)

    def forget_stream_records(self, through_sequence: str) -> None:
        """Drop the asset stream's records the relay has read (see `forget_stream_records`)."""
        forget_stream_records(ASSET_TABLE, through_sequence, lock=self._dynamodb_lock)

    # State across restarts: a snapshot of every table item and every object, written atomically.

    def snapshot(self) -> None:
        with self._lock:
            target = self._state_dir / "aws.tmp"
            shutil.rmtree(target, ignore_errors=True)
            (target / "s3").mkdir(parents=True)
            dynamodb, s3 = self.client("dynamodb"), self.client("s3")
            for table in (ASSET_TABLE, IDEMPOTENCY_TABLE):
                items = [
                    item for page in dynamodb.get_paginator("scan").paginate(TableName=table) for item in page["Items"]
                ]
                (target / f"{table}.json").write_text(json.dumps(items))
            objects: list[dict[str, str | None]] = []
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=MEDIA_BUCKET):
                for entry in page.get("Contents", []):
                    response = s3.get_object(Bucket=MEDIA_BUCKET, Key=entry["Key"])
                    name = f"{len(objects):08d}"
                    (target / "s3" / name).write_bytes(response["Body"].read())
                    objects.append({"key": entry["Key"], "file": name, "contentType": response.get("ContentType")})
            (target / "objects.json").write_text(json.dumps(objects))
            final = self._state_dir / "aws"
            previous = self._state_dir / "aws.old"
            shutil.rmtree(previous, ignore_errors=True)
            if final.exists():
                final.rename(previous)
            target.rename(final)
            shutil.rmtree(previous, ignore_errors=True)

    def restore(self) -> None:
        source = self._state_dir / "aws"
        if not (source / "objects.json").exists():
            return
        dynamodb, s3 = self.client("dynamodb"), self.client("s3")
        for table in (ASSET_TABLE, IDEMPOTENCY_TABLE):
            items = json.loads((source / f"{table}.json").read_text())
            for start in range(0, len(items), 25):
                requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
                dynamodb.batch_write_item(RequestItems={table: requests})
        # Items snapshotted before kinds (#16) get their per-kind index keys, as a deployed table's backfill does.
        backfill_kinds(AssetRepository(ASSET_TABLE))
        # The notification is paused while objects come back, so restoring never re-triggers thumbnails.
        notification = s3.get_bucket_notification_configuration(Bucket=MEDIA_BUCKET)
        notification.pop("ResponseMetadata", None)
        s3.put_bucket_notification_configuration(Bucket=MEDIA_BUCKET, NotificationConfiguration={})
        for entry in json.loads((source / "objects.json").read_text()):
            extra = {"ContentType": entry["contentType"]} if entry.get("contentType") else {}
            s3.put_object(
                Bucket=MEDIA_BUCKET, Key=entry["key"], Body=(source / "s3" / entry["file"]).read_bytes(), **extra
            )
        s3.put_bucket_notification_configuration(Bucket=MEDIA_BUCKET, NotificationConfiguration=notification)
