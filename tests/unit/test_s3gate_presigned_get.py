"""The local S3 gate's presigned-URL check: botocore's signature recomputed from what arrived, and the expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from devserver.s3gate.errors import S3Error
from devserver.s3gate.querysig import QueryRequest, check_presigned
from functions.common.storage import ObjectStore
from tests.s3gate_support import BUCKET, KEY, REGION, s3_client, secrets_of

SECRETS = secrets_of("gallery")


def presigned_url(ttl: int = 300, download_name: str | None = None, key: str = KEY, client: object = None) -> str:
    store = ObjectStore(BUCKET, client=client or s3_client("gallery"))
    return store.presign_get(key=key, ttl_seconds=ttl, now=datetime.now(UTC), download_name=download_name).url


def arrived(url: str, method: str = "GET", **headers: str) -> QueryRequest:
    """The request a browser sends for `url`: its Host, the path as written, the decoded query."""
    parts = urlsplit(url)
    return QueryRequest(
        method=method,
        host=parts.netloc,
        raw_path=parts.path,
        query=parse_qsl(parts.query, keep_blank_values=True),
        headers={"host": parts.netloc, **headers},
    )


def check(request: QueryRequest, now: datetime | None = None) -> str:
    return check_presigned(request, region=REGION, secrets=SECRETS, now=now or datetime.now(UTC)).access_key


def refusal(request: QueryRequest, now: datetime | None = None) -> S3Error:
    with pytest.raises(S3Error) as caught:
        check(request, now)
    return caught.value


def with_query(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    pairs = [(n, value if n == name else v) for n, v in parse_qsl(parts.query, keep_blank_values=True)]
    from urllib.parse import urlencode

    return parts._replace(query=urlencode(pairs)).geturl()


def test_a_url_the_gallery_signed_is_accepted_as_the_gallery() -> None:
    assert check(arrived(presigned_url())) == "LOCALGALLERY"


def test_a_download_url_with_a_unicode_attachment_name_is_accepted() -> None:
    # The response-content-disposition parameter is percent-encoded twice over: canonicalisation must match botocore's
    assert check(arrived(presigned_url(download_name="Été 2026 – “final”.png"))) == "LOCALGALLERY"


def test_a_key_with_spaces_and_unicode_is_accepted() -> None:
    assert check(arrived(presigned_url(key="originals/alice/ä b+c.png"))) == "LOCALGALLERY"


def test_an_expired_url_is_refused_and_a_live_one_is_not() -> None:
    # Given a five-minute URL
    request = arrived(presigned_url(ttl=300))

    # When it is used after five minutes
    error = refusal(request, now=datetime.now(UTC) + timedelta(seconds=302))

    # Then S3 says it expired, and names the limit
    assert (error.status, error.code, error.message) == (403, "AccessDenied", "Request has expired")
    assert error.details["X-Amz-Expires"] == "300"
    check(request, now=datetime.now(UTC) + timedelta(seconds=290))


def test_another_key_in_the_path_breaks_the_signature() -> None:
    url = presigned_url().replace("/originals/alice/", "/originals/bob/")

    error = refusal(arrived(url))

    assert (error.status, error.code) == (403, "SignatureDoesNotMatch")
    assert "/originals/bob/" in error.details["CanonicalRequest"]


def test_a_longer_expiry_breaks_the_signature() -> None:
    assert refusal(arrived(with_query(presigned_url(ttl=60), "X-Amz-Expires", "3600"))).code == "SignatureDoesNotMatch"


def test_an_added_parameter_breaks_the_signature() -> None:
    url = presigned_url() + "&response-content-type=text%2Fhtml"

    assert refusal(arrived(url)).code == "SignatureDoesNotMatch"


def test_another_method_breaks_the_signature() -> None:
    assert refusal(arrived(presigned_url(), method="DELETE")).code == "SignatureDoesNotMatch"


def test_a_forged_signature_is_refused() -> None:
    url = with_query(presigned_url(), "X-Amz-Signature", "0" * 64)

    assert refusal(arrived(url)).code == "SignatureDoesNotMatch"


def test_an_unknown_access_key_is_refused() -> None:
    error = refusal(arrived(presigned_url(client=s3_client(access_key="AKIDSTRANGER", secret="x"))))

    assert (error.status, error.code) == (403, "InvalidAccessKeyId")


def test_a_missing_parameter_is_refused() -> None:
    parts = urlsplit(presigned_url())
    pairs = [(n, v) for n, v in parse_qsl(parts.query) if n != "X-Amz-SignedHeaders"]
    request = QueryRequest("GET", parts.netloc, parts.path, pairs, {"host": parts.netloc})

    error = refusal(request)

    assert (error.status, error.code) == (400, "AuthorizationQueryParametersError")


def test_an_expiry_over_a_week_is_refused() -> None:
    error = refusal(arrived(presigned_url(ttl=604801)))

    assert error.code == "AuthorizationQueryParametersError"
    assert "604800" in error.message


def test_an_unsigned_amz_header_is_refused() -> None:
    error = refusal(arrived(presigned_url(), **{"x-amz-server-side-encryption": "aws:kms"}))

    assert (error.code, error.details["HeadersNotSigned"]) == ("AccessDenied", "x-amz-server-side-encryption")


def test_a_sigv2_url_is_refused() -> None:
    request = QueryRequest(
        "GET", "h", f"/{BUCKET}/{KEY}", [("AWSAccessKeyId", "LOCALGALLERY"), ("Signature", "x"), ("Expires", "1")], {}
    )

    assert refusal(request).code == "InvalidRequest"
