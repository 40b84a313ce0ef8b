"""The S3 gate in front of a real moto server on loopback: presigned POSTs and GETs made by our ObjectStore."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

import boto3
import httpx
import pytest

from devserver.aws import bucket_cors_rules
from devserver.s3gate import GatedMotoServer, S3Gate, local_principals
from functions.common.storage import ObjectStore
from tests.s3gate_support import BUCKET, DATA, KEY, REGION, presign_post, s3_client

ORIGIN = "http://127.0.0.1:3001"


@dataclass
class Switches:
    """What the test changes while the server runs: the gate's clock offset and the functions denied everything."""

    offset: timedelta = timedelta(0)
    denied: set[str] = field(default_factory=set)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def is_allowed(self, function: str, action: str, resource: str, context: dict[str, str]) -> bool:
        return function not in self.denied


@dataclass
class Local:
    endpoint: str
    admin: Any
    switches: Switches
    queue_url: str

    def stored_keys(self) -> list[str]:
        return [entry["Key"] for entry in self.admin.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


@pytest.fixture(scope="module")
def local() -> Iterator[Local]:
    switches = Switches()

    def gate(app: Any) -> S3Gate:
        return S3Gate(
            app,
            buckets={BUCKET: bucket_cors_rules((ORIGIN,))},
            principals=local_principals(),
            authorizer=switches,
            region=REGION,
            clock=switches.now,
        )

    server = GatedMotoServer("127.0.0.1", 0, gate)
    server.start()
    endpoint = f"http://127.0.0.1:{server.port}"
    options: dict[str, Any] = {"endpoint_url": endpoint, "region_name": REGION}
    credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    admin = boto3.client("s3", **options, **credentials)
    sqs = boto3.client("sqs", **options, **credentials)
    admin.create_bucket(Bucket=BUCKET)
    queue_url = sqs.create_queue(QueueName="gate-created")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    admin.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    try:
        yield Local(endpoint=endpoint, admin=admin, switches=switches, queue_url=queue_url)
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def empty_bucket(local: Local) -> Iterator[None]:
    yield
    local.switches.offset, local.switches.denied = timedelta(0), set()
    for key in local.stored_keys():
        local.admin.delete_object(Bucket=BUCKET, Key=key)


def store(local: Local, function: str = "sign", **keys: str) -> ObjectStore:
    return ObjectStore(BUCKET, client=s3_client(function, endpoint=local.endpoint, **keys))


def upload(url: str, fields: dict[str, str], data: bytes = DATA) -> httpx.Response:
    return httpx.post(url, data=fields, files={"file": ("a.png", data, "image/png")}, headers={"Origin": ORIGIN})


def s3_error(response: httpx.Response) -> tuple[int, str, str]:
    root = ET.fromstring(response.text)  # noqa: S314 - our own server's XML
    return response.status_code, root.findtext("Code", ""), root.findtext("Message", "")


def test_a_valid_presigned_post_is_stored_and_notified(local: Local) -> None:
    # Given a slot made by ObjectStore.presign_post with the sign function's key
    post = presign_post(s3_client(endpoint=local.endpoint), key=KEY)
    sqs = boto3.client("sqs", endpoint_url=local.endpoint, region_name=REGION)
    sqs.purge_queue(QueueUrl=local.queue_url)

    # When the browser posts it
    response = upload(post.url, post.fields)

    # Then S3's 204, the bytes stored, CORS for the web app, and moto still emits the ObjectCreated event
    assert response.status_code == 204, response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    stored = local.admin.get_object(Bucket=BUCKET, Key=KEY)
    assert stored["Body"].read() == DATA
    assert stored["ContentType"] == "image/png"
    messages = sqs.receive_message(QueueUrl=local.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    bodies = [json.loads(message["Body"]) for message in messages.get("Messages", [])]
    created = [(r["eventName"], unquote_plus(r["s3"]["object"]["key"])) for b in bodies for r in b.get("Records", [])]
    assert created == [("ObjectCreated:Post", KEY)]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"key": "originals/bob/01XYZ"}, (403, "AccessDenied", "Invalid according to Policy: Policy Condition failed")),
        ({"Content-Type": "text/html"}, (403, "AccessDenied", "Invalid according to Policy: Policy Condition failed")),
        ({"x-amz-meta-owner": "x"}, (403, "AccessDenied", "Invalid according to Policy: Extra input fields: x-amz")),
        ({"x-amz-signature": "0" * 64}, (403, "SignatureDoesNotMatch", "The request signature we calculated")),
    ],
)
def test_a_tampered_post_is_refused_and_nothing_is_stored(
    local: Local, change: dict[str, str], expected: tuple[int, str, str]
) -> None:
    post = presign_post(s3_client(endpoint=local.endpoint))

    response = upload(post.url, {**post.fields, **change})

    status, code, message = s3_error(response)
    assert (status, code) == expected[:2] and message.startswith(expected[2])
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert local.stored_keys() == []


@pytest.mark.parametrize(
    ("data", "code"), [(DATA + b"!", "EntityTooLarge"), (DATA[1:], "EntityTooSmall"), (DATA[::-1], "BadDigest")]
)
def test_other_bytes_than_declared_are_refused(local: Local, data: bytes, code: str) -> None:
    post = presign_post(s3_client(endpoint=local.endpoint))

    response = upload(post.url, post.fields, data)

    assert s3_error(response)[:2] == (400, code)
    assert local.stored_keys() == []


def test_an_expired_post_is_refused(local: Local) -> None:
    post = presign_post(s3_client(endpoint=local.endpoint), ttl=300)
    local.switches.offset = timedelta(minutes=6)

    response = upload(post.url, post.fields)

    assert s3_error(response) == (403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    assert local.stored_keys() == []


def test_a_post_signed_with_an_unknown_key_is_refused(local: Local) -> None:
    post = presign_post(s3_client(endpoint=local.endpoint, access_key="AKIDSTRANGER", secret="s"))

    assert s3_error(upload(post.url, post.fields))[:2] == (403, "InvalidAccessKeyId")
    assert local.stored_keys() == []


def test_a_post_by_a_function_without_the_permission_is_denied(local: Local) -> None:
    post = presign_post(s3_client(endpoint=local.endpoint))
    local.switches.denied = {"sign"}

    assert s3_error(upload(post.url, post.fields)) == (403, "AccessDenied", "Access Denied")
    assert local.stored_keys() == []


def test_presigned_gets_are_served_until_they_expire_and_only_as_signed(local: Local) -> None:
    # Given a stored object and a download URL the gallery signed
    local.admin.put_object(Bucket=BUCKET, Key=KEY, Body=DATA, ContentType="image/png")
    url = store(local, "gallery").presign_get(key=KEY, ttl_seconds=60, now=datetime.now(UTC), download_name="a.png").url

    # Then it serves the bytes as an attachment; another key in the path, or a later time, is refused
    served = httpx.get(url, headers={"Origin": ORIGIN})
    assert served.status_code == 200 and served.content == DATA
    assert served.headers["content-disposition"].startswith('attachment; filename="a.png"')
    assert s3_error(httpx.get(url.replace("alice", "bobby")))[:2] == (403, "SignatureDoesNotMatch")
    local.switches.offset = timedelta(seconds=61)
    assert s3_error(httpx.get(url))[:3] == (403, "AccessDenied", "Request has expired")


def test_botocore_calls_pass_the_gate(local: Local) -> None:
    # Our functions' clients sign with an Authorization header: the IAM enforcement judges those, not the gate
    store(local).write(KEY, DATA, "image/png")

    assert store(local, "thumbnail").read(KEY) == DATA


def test_a_presigned_get_serves_byte_ranges_as_a_video_element_asks_for_them(local: Local) -> None:
    # Given a stored video and the URL a <video> element is given
    data = bytes(range(256)) * 64
    local.admin.put_object(Bucket=BUCKET, Key="videos/alice/01VID", Body=data, ContentType="video/mp4")
    url = store(local, "gallery").presign_get(key="videos/alice/01VID", ttl_seconds=60, now=datetime.now(UTC)).url

    # When the browser asks for the whole file as a range (its first request), then for a slice near the end
    opening = httpx.get(url, headers={"Range": "bytes=0-", "Origin": ORIGIN})
    seeking = httpx.get(url, headers={"Range": "bytes=16000-16383", "Origin": ORIGIN})

    # Then S3's 206 with the range it served, and only those bytes: the signature covers no Range header
    assert (opening.status_code, opening.headers["content-range"]) == (206, f"bytes 0-{len(data) - 1}/{len(data)}")
    assert opening.headers["accept-ranges"] == "bytes" and opening.content == data
    assert (seeking.status_code, seeking.headers["content-range"]) == (206, f"bytes 16000-16383/{len(data)}")
    assert seeking.content == data[16000:16384]
