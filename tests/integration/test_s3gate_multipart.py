"""The S3 gate in front of moto enforcing multipart uploads' presigned part PUTs (#16) as S3 does: the signature
(which covers the part's Content-Length), expiry, the body's length, the signer's policy, and CORS for the browser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import boto3
import httpx
import pytest

from devserver.aws import bucket_cors_rules
from devserver.config import ASSET_TABLE, IDEMPOTENCY_TABLE
from devserver.s3gate import GatedMotoServer, S3Gate, local_principals
from devserver.s3gate.authorizers import deployed_policies
from functions.common.multipart_storage import MultipartStore
from tests.s3gate_support import BUCKET, REGION, s3_client

ORIGIN = "http://127.0.0.1:3001"
KEY = "videos/alice/01ABCDEFGHJKMNPQRSTVWXYZ00"
PART = 5 * 1024 * 1024


@dataclass
class Clock:
    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Local:
    endpoint: str
    admin: Any
    clock: Clock

    def uploads(self, function: str = "multipart") -> MultipartStore:
        return MultipartStore(BUCKET, client=s3_client(function, endpoint=self.endpoint))


@pytest.fixture(scope="module")
def local() -> Iterator[Local]:
    clock = Clock()
    # The functions' deployed policies: a part URL is authorized as the function that signed it.
    authorizer = deployed_policies(ASSET_TABLE, IDEMPOTENCY_TABLE, BUCKET)

    def gate(app: Any) -> S3Gate:
        return S3Gate(
            app,
            buckets={BUCKET: bucket_cors_rules((ORIGIN,))},
            principals=local_principals(),
            authorizer=authorizer,
            region=REGION,
            clock=clock.now,
        )

    server = GatedMotoServer("127.0.0.1", 0, gate)
    server.start()
    endpoint = f"http://127.0.0.1:{server.port}"
    admin = boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="local", aws_secret_access_key="local"
    )
    admin.create_bucket(Bucket=BUCKET)
    admin.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": bucket_cors_rules((ORIGIN,))})
    try:
        yield Local(endpoint=endpoint, admin=admin, clock=clock)
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def reset_clock(local: Local) -> Iterator[None]:
    yield
    local.clock.offset = timedelta(0)


def open_upload(local: Local) -> str:
    return local.uploads().create_upload(key=KEY, content_type="video/mp4")


def part_url(local: Local, upload_id: str, number: int = 1, size: int = PART, function: str = "multipart") -> str:
    now = datetime.now(UTC)
    return (
        local.uploads(function)
        .presign_part(key=KEY, upload_id=upload_id, number=number, size=size, ttl_seconds=300, now=now)
        .url
    )


def put(url: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.put(url, content=body, headers={"Origin": ORIGIN, **headers})


def s3_error(response: httpx.Response) -> tuple[int, str]:
    root = ET.fromstring(response.text)  # noqa: S314 - our own server's XML
    return response.status_code, root.findtext("Code", "")


def held_parts(local: Local, upload_id: str) -> list[tuple[int, int]]:
    parts = local.admin.list_parts(Bucket=BUCKET, Key=KEY, UploadId=upload_id).get("Parts", [])
    return [(part["PartNumber"], part["Size"]) for part in parts]


def test_parts_put_through_their_urls_are_stored_and_completed(local: Local) -> None:
    # Given an upload of two parts, each URL pinned to its part's size
    upload_id = open_upload(local)
    first, last = b"a" * PART, b"b" * 1000
    # When the browser PUTs each one
    responses = [put(part_url(local, upload_id, 1, PART), first), put(part_url(local, upload_id, 2, 1000), last)]
    # Then S3 takes them (with CORS for the web app), and the server can list and complete them
    assert [response.status_code for response in responses] == [200, 200], responses[0].text
    assert responses[0].headers["access-control-allow-origin"] == ORIGIN
    assert held_parts(local, upload_id) == [(1, PART), (2, 1000)]
    parts = local.uploads().uploaded_parts(key=KEY, upload_id=upload_id)
    assert parts is not None
    assert local.uploads().complete_upload(key=KEY, upload_id=upload_id, parts=parts)
    assert local.admin.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == first + last


def test_the_urls_sign_the_parts_size(local: Local) -> None:
    # When
    query = dict(parse_qsl(urlsplit(part_url(local, open_upload(local))).query))
    # Then
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-SignedHeaders"].split(";") == ["content-length", "host"]


@pytest.mark.parametrize("size", [PART - 1, PART + 1])
def test_a_part_of_another_size_is_refused(local: Local, size: int) -> None:
    # Given a URL for a part of PART bytes
    upload_id = open_upload(local)
    url = part_url(local, upload_id, 1, PART)
    # When a client sends another size (its Content-Length is what was signed, so the signature no longer matches)
    response = put(url, b"x" * size)
    # Then
    assert s3_error(response) == (403, "SignatureDoesNotMatch")
    assert held_parts(local, upload_id) == []


def test_a_body_shorter_than_its_declared_length_is_refused(local: Local) -> None:
    # Given a URL for a part of 10 bytes, sent with the signed Content-Length but only 4 bytes before the end
    from http.client import HTTPConnection

    upload_id = open_upload(local)
    url = urlsplit(part_url(local, upload_id, 1, 10))
    connection = HTTPConnection(url.hostname or "", url.port, timeout=10)
    connection.putrequest("PUT", f"{url.path}?{url.query}", skip_accept_encoding=True)
    connection.putheader("Content-Length", "10")
    connection.endheaders()
    connection.send(b"abcd")
    connection.sock.shutdown(1)  # the client is done: the server sees the end of the body early
    response = connection.getresponse()
    # Then
    assert response.status == 400
    assert b"IncompleteBody" in response.read()
    assert held_parts(local, upload_id) == []


def test_an_expired_part_url_is_refused(local: Local) -> None:
    # Given a URL that lived its five minutes
    upload_id = open_upload(local)
    url = part_url(local, upload_id)
    local.clock.offset = timedelta(minutes=5, seconds=1)
    # When / Then
    assert s3_error(put(url, b"x" * PART)) == (403, "AccessDenied")
    assert held_parts(local, upload_id) == []


def test_a_wrong_signature_is_refused(local: Local) -> None:
    # Given a URL whose signature was changed, or whose part number was
    upload_id = open_upload(local)
    parts = urlsplit(part_url(local, upload_id))
    query = dict(parse_qsl(parts.query))
    forged = query | {"X-Amz-Signature": "0" * 64}
    renumbered = query | {"partNumber": "2"}
    for changed in (forged, renumbered):
        url = urlunsplit(parts._replace(query=urlencode(changed)))
        # When / Then
        assert s3_error(put(url, b"x" * PART)) == (403, "SignatureDoesNotMatch")
    assert held_parts(local, upload_id) == []


def test_a_part_url_signed_by_a_function_without_put_is_denied(local: Local) -> None:
    # Given a part URL signed with the docs function's key (its role has no S3 permission)
    upload_id = open_upload(local)
    url = part_url(local, upload_id, function="docs")
    # When / Then
    assert s3_error(put(url, b"x" * PART)) == (403, "AccessDenied")


def test_a_part_url_that_does_not_pin_the_size_is_refused(local: Local) -> None:
    # Given a part URL presigned without ContentLength (S3 would take any size: ours never are)
    upload_id = open_upload(local)
    client = s3_client("multipart", endpoint=local.endpoint)
    params = {"Bucket": BUCKET, "Key": KEY, "UploadId": upload_id, "PartNumber": 1}
    url = client.generate_presigned_url("upload_part", Params=params, ExpiresIn=300)
    # When / Then
    assert s3_error(put(url, b"x" * 10)) == (403, "AccessDenied")


def test_the_browsers_preflight_for_a_part_put_is_answered(local: Local) -> None:
    # When the browser asks whether it may PUT a part
    upload_id = open_upload(local)
    response = httpx.options(
        part_url(local, upload_id),
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"},
    )
    # Then
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "PUT" in response.headers["access-control-allow-methods"]
