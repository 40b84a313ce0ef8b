"""moto checks no policy or signature, so the policy and URLs we generate are checked structurally here."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import boto3
from botocore.config import Config

from functions.common.storage import ObjectStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def store() -> ObjectStore:
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(signature_version="s3v4"),
    )
    return ObjectStore("media", client=client)


def test_presigned_post_policy_pins_key_type_and_size() -> None:
    # When an upload slot is made for a 1234-byte PNG
    post = store().presign_post(
        key="originals/alice/01ABC", content_type="image/png", size=1234, ttl_seconds=300, now=NOW
    )
    policy = json.loads(base64.b64decode(post.fields["policy"]))

    # Then the policy pins the key, the type and the exact size, and is SigV4
    assert ["eq", "$key", "originals/alice/01ABC"] in policy["conditions"]
    assert ["eq", "$Content-Type", "image/png"] in policy["conditions"]
    assert ["content-length-range", 1234, 1234] in policy["conditions"]
    assert post.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert post.fields["key"] == "originals/alice/01ABC"
    assert "starts-with" not in json.dumps(policy)
    # And it expires within five minutes
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 0 < (expiration - datetime.now(UTC)).total_seconds() <= 300
    assert (post.expires_at - NOW).total_seconds() == 300


def test_presigned_post_requires_the_declared_checksum() -> None:
    digest = "ab" * 32
    post = store().presign_post(
        key="originals/a/b", content_type="image/jpeg", size=5, ttl_seconds=60, now=NOW, sha256_hex=digest
    )
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    expected = base64.b64encode(bytes.fromhex(digest)).decode()
    assert ["eq", "$x-amz-checksum-sha256", expected] in policy["conditions"]
    assert post.fields["x-amz-checksum-sha256"] == expected


def test_download_url_is_sigv4_short_lived_and_an_attachment() -> None:
    # When a download URL is made
    signed = store().presign_get(key="originals/alice/01ABC", ttl_seconds=300, now=NOW, download_name='a"b.jpg')
    query = parse_qs(urlparse(signed.url).query)

    # Then it is SigV4, lives at most 5 minutes and forces an attachment
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) == 300
    assert query["response-content-disposition"][0].startswith('attachment; filename="a_b.jpg"')
