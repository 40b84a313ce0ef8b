"""The S3 gate as WSGI middleware: what reaches moto, what is refused (with CORS), whose permission counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from werkzeug.test import Client

from devserver.aws import bucket_cors_rules
from devserver.s3gate import S3Gate, local_principals
from devserver.s3gate.postpolicy import parse_form
from functions.common.storage import ObjectStore
from tests.s3gate_support import BOUNDARY, BUCKET, CONTENT_TYPE, DATA, KEY, REGION, multipart, presign_post, s3_client

ORIGIN = "http://127.0.0.1:3001"
HOST = "127.0.0.1:9"  # the endpoint the support clients sign for


@dataclass
class Downstream:
    """Stands in for moto: records what reached it and answers with a fixed status."""

    status: str = "204 No Content"
    seen: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.seen.append({**environ, "body": environ["wsgi.input"].read(length)})
        start_response(self.status, [("Content-Type", "text/plain")])
        return [b"from moto"]


@dataclass
class Recorder:
    """An authorizer that answers from a set of allowed (function, action) pairs and records every question."""

    allowed: set[tuple[str, str]]
    asked: list[tuple[str, str, str]] = field(default_factory=list)

    def is_allowed(self, function: str, action: str, resource: str, context: dict[str, str]) -> bool:
        self.asked.append((function, action, resource))
        return (function, action) in self.allowed


def gate(downstream: Downstream, authorizer: Any) -> Client:
    app = S3Gate(
        downstream,
        buckets={BUCKET: bucket_cors_rules((ORIGIN,))},
        principals=local_principals(),
        authorizer=authorizer,
        region=REGION,
        clock=lambda: datetime.now(UTC),
    )
    return Client(app)


def post(client: Client, fields: dict[str, str], data: bytes = DATA, **extra: Any) -> Any:
    return client.post(
        f"/{BUCKET}",
        data=multipart(fields, data, extra.pop("after", None)),
        content_type=CONTENT_TYPE,
        headers={"Host": HOST, "Origin": ORIGIN, **extra},
    )


def test_a_valid_upload_reaches_moto_as_the_form_s3_acts_on() -> None:
    # Given the gate in front of moto, with the sign function allowed to put objects
    downstream, authorizer = Downstream(), Recorder({("sign", "s3:PutObject")})
    client = gate(downstream, authorizer)

    # When the browser posts a valid slot with a field after the file
    response = post(client, presign_post().fields, after={"x-amz-meta-owner": "mallory"})

    # Then moto answers it, sees every field before the file and nothing after, and the signer was asked
    assert response.status_code == 204
    forwarded = parse_form(downstream.seen[0]["body"], BOUNDARY)
    assert forwarded.file == DATA and forwarded.fields["key"] == KEY
    assert "x-amz-meta-owner" not in forwarded.fields
    assert authorizer.asked == [("sign", "s3:PutObject", f"arn:aws:s3:::{BUCKET}/{KEY}")]


def test_a_refused_upload_never_reaches_moto_and_carries_cors_headers() -> None:
    downstream = Downstream()
    client = gate(downstream, Recorder({("sign", "s3:PutObject")}))

    response = post(client, {**presign_post().fields, "key": "originals/bob/x"})

    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/xml"
    assert b"<Code>AccessDenied</Code>" in response.data
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert downstream.seen == []


def test_a_refusal_to_an_unknown_origin_has_no_cors_headers() -> None:
    client = gate(Downstream(), Recorder(set()))

    response = post(client, {**presign_post().fields, "key": "x"}, Origin="http://evil.example")

    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_upload_the_signers_policy_does_not_allow_is_access_denied() -> None:
    # Given a valid slot signed by a function whose policy lacks s3:PutObject
    downstream = Downstream()
    client = gate(downstream, Recorder(set()))

    # When it is used
    response = post(client, presign_post(s3_client("gallery")).fields)

    # Then S3 refuses it as that function, and moto never sees it
    assert response.status_code == 403
    assert b"<Code>AccessDenied</Code><Message>Access Denied</Message>" in response.data
    assert downstream.seen == []


def test_a_presigned_get_is_authorized_as_the_function_that_signed_it() -> None:
    # Given a URL the gallery signed
    url = (
        ObjectStore(BUCKET, client=s3_client("gallery")).presign_get(key=KEY, ttl_seconds=60, now=datetime.now(UTC)).url
    )
    parts = urlsplit(url)
    authorizer = Recorder({("gallery", "s3:GetObject")})
    downstream = Downstream(status="200 OK")

    # When a browser fetches it
    response = gate(downstream, authorizer).get(parts.path, query_string=parts.query, headers={"Host": HOST})

    # Then moto serves it, after the gallery's s3:GetObject on that key was checked
    assert response.status_code == 200
    assert authorizer.asked == [("gallery", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/{KEY}")]


def test_a_presigned_get_of_a_version_needs_get_object_version() -> None:
    # Given a URL the gallery signed pinned to a version of the original (#17)
    store = ObjectStore(BUCKET, client=s3_client("gallery"))
    parts = urlsplit(store.presign_get(key=KEY, ttl_seconds=60, now=datetime.now(UTC), version_id="v1").url)

    def fetch(allowed: set[tuple[str, str]]) -> int:
        client = gate(Downstream(status="200 OK"), Recorder(allowed))
        return int(client.get(parts.path, query_string=parts.query, headers={"Host": HOST}).status_code)

    # Then s3:GetObject alone does not serve it; s3:GetObjectVersion does
    assert fetch({("gallery", "s3:GetObject")}) == 403
    assert fetch({("gallery", "s3:GetObjectVersion")}) == 200


def test_a_missing_key_is_403_for_a_signer_that_may_not_list_the_bucket() -> None:
    url = (
        ObjectStore(BUCKET, client=s3_client("gallery")).presign_get(key=KEY, ttl_seconds=60, now=datetime.now(UTC)).url
    )
    parts = urlsplit(url)

    def fetch(allowed: set[tuple[str, str]]) -> int:
        client = gate(Downstream(status="404 Not Found"), Recorder(allowed))
        return int(client.get(parts.path, query_string=parts.query, headers={"Host": HOST}).status_code)

    assert fetch({("gallery", "s3:GetObject")}) == 403
    assert fetch({("gallery", "s3:GetObject"), ("gallery", "s3:ListBucket")}) == 404


def test_the_listing_check_of_a_miss_carries_the_key_as_prefix() -> None:
    # Given the deployed kind of grant: ListBucket only under a prefix
    class PrefixListing:
        def is_allowed(self, function: str, action: str, resource: str, context: dict[str, str]) -> bool:
            return action == "s3:GetObject" or context.get("s3:prefix", "").startswith("originals/")

    def fetch(key: str) -> int:
        url = (
            ObjectStore(BUCKET, client=s3_client("gallery"))
            .presign_get(key=key, ttl_seconds=60, now=datetime.now(UTC))
            .url
        )
        parts = urlsplit(url)
        client = gate(Downstream(status="404 Not Found"), PrefixListing())
        return int(client.get(parts.path, query_string=parts.query, headers={"Host": HOST}).status_code)

    # Then a miss inside the prefix is 404, outside it 403
    assert fetch(KEY) == 404
    assert fetch("thumbs/alice/01ABC.webp") == 403


def test_an_unsigned_read_of_the_bucket_is_denied() -> None:
    downstream = Downstream(status="200 OK")

    response = gate(downstream, Recorder(set())).get(f"/{BUCKET}/{KEY}", headers={"Host": HOST})

    assert response.status_code == 403
    assert downstream.seen == []


def test_signed_calls_other_services_and_preflights_pass_untouched() -> None:
    # Given the gate refusing everything it judges
    downstream = Downstream(status="200 OK")
    client = gate(downstream, Recorder(set()))
    dynamodb_body = b'{"TableName": "gallery-assets"}'

    # When botocore calls S3 with an Authorization header, DynamoDB posts to "/", and a browser sends a preflight
    signed = client.put(f"/{BUCKET}/{KEY}", data=b"bytes", headers={"Authorization": "AWS4-HMAC-SHA256 Credential=…"})
    other = client.post("/", data=dynamodb_body, headers={"X-Amz-Target": "DynamoDB_20120810.Scan"})
    preflight = client.options(f"/{BUCKET}", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})

    # Then all of them reach moto exactly as sent
    assert [signed.status_code, other.status_code, preflight.status_code] == [200, 200, 200]
    assert [seen["body"] for seen in downstream.seen] == [b"bytes", dynamodb_body, b""]


def test_every_function_has_its_own_key_and_the_server_its_own() -> None:
    from devserver.config import function_credentials
    from functions.system import FUNCTIONS

    principals = local_principals()

    assert principals["local"].function is None
    for function in FUNCTIONS:
        credentials = function_credentials(function)
        assert credentials["AWS_ACCESS_KEY_ID"].isalnum()
        assert principals[credentials["AWS_ACCESS_KEY_ID"]].function == function
        assert principals[credentials["AWS_ACCESS_KEY_ID"]].secret == credentials["AWS_SECRET_ACCESS_KEY"]
