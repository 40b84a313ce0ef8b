"""Our SigV4 query signer against botocore's `generate_presigned_url`, byte for byte, at fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import botocore.auth
import pytest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.session import get_session

from functions.common.objects import attachment_disposition
from functions.common.url_signing import ObjectUrls, QueryUrlSigner, stable_signing

BUCKET = "gallery-media-123456789012"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
KEYS = [
    "originals/user-1/01JD4YQ7W0000000000000000",
    "thumbs/Zm9vYmFy-_x.webp",
    "videos/user%20with%20space/01JD4YQ7W0000000000000000",
    "originals/a b+c/d e",
    "originals/ünïcödé/日本語~x",
    "public/%2F/?q=1&a=b",
]
# Every variant we sign: an original, a thumbnail or poster, a download, a cache-stable URL pinned to a version.
VARIANTS = [
    {},
    {"ResponseContentDisposition": attachment_disposition("Ünïcode photo (1).PNG")},
    {"ResponseCacheControl": "private, max-age=3600, immutable"},
    {"ResponseCacheControl": "private, max-age=60", "VersionId": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"},
]
QUERY_NAMES = {
    "ResponseContentDisposition": "response-content-disposition",
    "ResponseCacheControl": "response-cache-control",
    "VersionId": "versionId",
}
ENDPOINTS = [None, "http://127.0.0.1:41234", "https://s3.eu-central-1.amazonaws.com"]
INSTANTS = [datetime(2026, 12, 2, 3, 4, 5), datetime(2026, 12, 31, 23, 59, 59), datetime(2027, 1, 1, 0, 0, 0)]


def _client(endpoint: str | None, token: str | None):
    session = get_session()
    session.set_credentials("ASIAEXAMPLE", SECRET, token)
    return session.create_client(
        "s3", region_name="eu-central-1", endpoint_url=endpoint, config=Config(signature_version="s3v4")
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("token", [None, "IQoJb3JpZ2luX2VjE/+token=="])
def test_every_key_and_variant_signs_exactly_as_botocore(monkeypatch, endpoint, token):
    # Given botocore and our signer with the same credentials, endpoint and clock
    client = _client(endpoint, token)
    credentials = Credentials("ASIAEXAMPLE", SECRET, token)
    signer = QueryUrlSigner(
        urls=ObjectUrls.learned_from(client, BUCKET), region="eu-central-1", credentials=lambda: credentials
    )
    for instant in INSTANTS:
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True, at=instant: at)
        for key in KEYS:
            for variant in VARIANTS:
                # When both sign the same GET
                expected = client.generate_presigned_url(
                    "get_object", Params={"Bucket": BUCKET, "Key": key, **variant}, ExpiresIn=900
                )
                query = {QUERY_NAMES[name]: value for name, value in variant.items()}
                ours = signer.sign_get(key, signed_at=instant, expires_seconds=900, query=query)
                # Then the URLs are identical
                assert ours == expected, (key, variant, instant)


def test_a_new_secret_or_day_signs_with_a_new_key(monkeypatch):
    # Given a signer whose credentials rotate
    client = _client(None, None)
    current = {"credentials": Credentials("ASIAEXAMPLE", SECRET, None)}
    signer = QueryUrlSigner(
        urls=ObjectUrls.learned_from(client, BUCKET), region="eu-central-1", credentials=lambda: current["credentials"]
    )
    instant = INSTANTS[0]
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: instant)
    first = signer.sign_get(KEYS[0], signed_at=instant, expires_seconds=60)
    # When the secret changes (a cached signing key would still sign with the old one)
    current["credentials"] = Credentials("ASIAOTHER", "another-secret", None)
    rotated = _client(None, None)
    rotated._request_signer._credentials = current["credentials"]
    # Then the URL follows the new credentials, as botocore's does
    second = signer.sign_get(KEYS[0], signed_at=instant, expires_seconds=60)
    assert second != first
    assert second == rotated.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": KEYS[0]}, ExpiresIn=60
    )


@pytest.mark.parametrize("offset", [0, 1, 1799, 3599])
def test_a_stable_url_is_the_same_all_window_and_outlives_its_ttl(offset):
    # Given instants across one hour-long window
    start = datetime(2026, 12, 2, 3, 0, 0, tzinfo=UTC)
    now = start + timedelta(seconds=offset)
    # When a URL valid for an hour is signed at any of them
    signing = stable_signing(now, ttl_seconds=3600, window_seconds=3600)
    # Then it is signed at the window's start, still lives at least the TTL, and a cache keeps it no longer than that
    assert signing.signed_at == start
    assert signing.expires_at - now >= timedelta(seconds=3600)
    assert now + timedelta(seconds=signing.max_age_seconds) <= signing.expires_at


def test_the_next_window_signs_anew_and_no_window_signs_at_the_second():
    # Given the last second of a window and the first of the next
    start = datetime(2026, 12, 2, 3, 0, 0, tzinfo=UTC)
    last, first = start + timedelta(seconds=899), start + timedelta(seconds=900)
    # Then they sign at different instants; without a window, each instant is its own
    assert stable_signing(last, ttl_seconds=300, window_seconds=900).signed_at == start
    assert stable_signing(first, ttl_seconds=300, window_seconds=900).signed_at == first
    plain = stable_signing(last + timedelta(microseconds=5), ttl_seconds=300, window_seconds=0)
    assert (plain.signed_at, plain.expires_seconds) == (last, 300)
