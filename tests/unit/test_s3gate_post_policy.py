"""The local S3 gate's POST policy check: each rule S3 applies to a browser-form upload, one test per rule."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from devserver.s3gate.errors import S3Error
from devserver.s3gate.postpolicy import PostForm, check_checksum, check_post, parse_form
from tests.s3gate_support import BOUNDARY, BUCKET, DATA, KEY, REGION, multipart, presign_post, s3_client, secrets_of

SECRETS = secrets_of("sign")


def form(fields: dict[str, str], data: bytes | None = DATA, after: dict[str, str] | None = None) -> PostForm:
    return parse_form(multipart(fields, data, after), BOUNDARY)


def check(post_form: PostForm, now: datetime | None = None, bucket: str = BUCKET) -> None:
    check_post(post_form, bucket=bucket, region=REGION, secrets=SECRETS, now=now or datetime.now(UTC))


def refusal(post_form: PostForm, now: datetime | None = None, bucket: str = BUCKET) -> S3Error:
    with pytest.raises(S3Error) as caught:
        check(post_form, now, bucket)
    return caught.value


def test_the_slot_sign_makes_is_accepted_as_its_signer() -> None:
    # Given a slot made by ObjectStore.presign_post with the sign function's key
    fields = presign_post().fields

    # When the browser posts its fields, then the declared bytes
    accepted = check_post(form(fields), bucket=BUCKET, region=REGION, secrets=SECRETS, now=datetime.now(UTC))

    # Then S3 would take it, as written by the sign function's key, at the pinned key
    assert accepted.access_key == "LOCALSIGN"
    assert accepted.key == KEY
    check_checksum(form(fields))


def test_another_key_fails_the_key_condition() -> None:
    # Given a valid slot whose key the client changed
    fields = {**presign_post().fields, "key": "originals/bob/01XYZ"}

    # When it is checked, Then the key condition fails as S3 words it
    error = refusal(form(fields))
    assert (error.status, error.code) == (403, "AccessDenied")
    assert error.message == f'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "{KEY}"]'


def test_another_content_type_fails_its_condition() -> None:
    fields = {**presign_post().fields, "Content-Type": "text/html"}

    error = refusal(form(fields))

    assert error.code == "AccessDenied"
    assert error.message.endswith('Policy Condition failed: ["eq", "$Content-Type", "image/png"]')


@pytest.mark.parametrize(
    ("data", "code", "limit"),
    [(DATA + b"x", "EntityTooLarge", "MaxSizeAllowed"), (DATA[:-1], "EntityTooSmall", "MinSizeAllowed")],
)
def test_a_file_outside_the_content_length_range_is_refused(data: bytes, code: str, limit: str) -> None:
    # Given a slot for exactly len(DATA) bytes (without checksum, so only the size can fail)
    fields = presign_post(with_checksum=False).fields

    # When one byte more or less is posted
    error = refusal(form(fields, data))

    # Then S3's 400 names the proposed size and the limit
    assert (error.status, error.code) == (400, code)
    assert error.details["ProposedSize"] == str(len(data))
    assert error.details[limit] == str(len(DATA))


def test_an_expired_policy_is_refused() -> None:
    # Given a five-minute slot
    fields = presign_post(ttl=300).fields

    # When it is used six minutes later
    error = refusal(form(fields), now=datetime.now(UTC) + timedelta(minutes=6))

    # Then S3 refuses it as expired (and took it while it was valid)
    assert (error.status, error.code, error.message) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
    )
    check(form(fields), now=datetime.now(UTC) + timedelta(minutes=4))


def test_a_wrong_signature_is_refused() -> None:
    fields = presign_post().fields
    fields["x-amz-signature"] = fields["x-amz-signature"][::-1]

    error = refusal(form(fields))

    assert (error.status, error.code) == (403, "SignatureDoesNotMatch")
    assert error.details["StringToSign"] == fields["policy"]


def test_a_rewritten_policy_no_longer_matches_its_signature() -> None:
    # Given a slot whose policy the client rewrote to allow any key
    fields = presign_post().fields
    policy = json.loads(base64.b64decode(fields["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if "$key" not in c and "key" not in c]
    policy["conditions"].append(["starts-with", "$key", ""])
    fields["policy"] = base64.b64encode(json.dumps(policy).encode()).decode()

    # Then the signature (over the policy) no longer matches
    assert refusal(form({**fields, "key": "originals/bob/x"})).code == "SignatureDoesNotMatch"


def test_a_key_signed_with_another_secret_is_refused() -> None:
    client = s3_client(access_key="LOCALSIGN", secret="not-the-secret")

    assert refusal(form(presign_post(client).fields)).code == "SignatureDoesNotMatch"


def test_an_unknown_access_key_is_refused() -> None:
    fields = presign_post(s3_client(access_key="AKIDSTRANGER", secret="whatever")).fields

    error = refusal(form(fields))

    assert (error.status, error.code, error.details["AWSAccessKeyId"]) == (403, "InvalidAccessKeyId", "AKIDSTRANGER")


def test_a_credential_for_another_region_is_refused() -> None:
    fields = presign_post(s3_client(region="eu-west-1")).fields

    error = refusal(form(fields))

    assert (error.status, error.code) == (400, "InvalidArgument")
    assert "the region 'eu-west-1' is wrong; expecting 'us-east-1'" in error.message


def test_another_algorithm_is_refused() -> None:
    fields = {**presign_post().fields, "x-amz-algorithm": "AWS4-HMAC-SHA1"}

    assert refusal(form(fields)).code == "InvalidArgument"


def test_a_post_to_another_bucket_fails_the_bucket_condition() -> None:
    error = refusal(form(presign_post().fields), bucket="other-bucket")

    assert error.message == f'Invalid according to Policy: Policy Condition failed: {{"bucket": "{BUCKET}"}}'


def test_a_field_no_condition_names_is_an_extra_input_field() -> None:
    # Given a valid slot plus a metadata field the policy does not mention
    fields = {**presign_post().fields, "x-amz-meta-owner": "mallory"}

    # Then S3 refuses the whole upload
    error = refusal(form(fields))
    assert (error.code, error.message) == (
        "AccessDenied",
        "Invalid according to Policy: Extra input fields: x-amz-meta-owner",
    )


def test_x_ignore_fields_need_no_condition() -> None:
    check(form({**presign_post().fields, "x-ignore-progress": "1"}))


def test_fields_after_the_file_are_ignored_and_not_forwarded() -> None:
    # Given a valid form with an uncovered field after the file
    post_form = form(presign_post().fields, after={"x-amz-meta-owner": "mallory"})

    # Then S3 ignores it: accepted, and the form handed on does not carry it
    check(post_form)
    assert b"mallory" not in post_form.encode(BOUNDARY)
    assert parse_form(post_form.encode(BOUNDARY), BOUNDARY) == post_form


def test_the_key_must_come_before_the_file() -> None:
    fields = presign_post().fields
    key = fields.pop("key")

    error = refusal(form(fields, after={"key": key}))

    assert (error.status, error.code, error.details["ArgumentName"]) == (400, "InvalidArgument", "key")


def test_a_post_without_a_file_is_refused() -> None:
    assert refusal(form(presign_post().fields, data=None)).details["ArgumentName"] == "file"


def test_an_unsigned_post_is_anonymous_and_denied() -> None:
    error = refusal(form({"key": KEY, "Content-Type": "image/png"}))

    assert (error.status, error.code, error.message) == (403, "AccessDenied", "Access Denied")


def test_a_signed_post_missing_a_signature_field_is_refused() -> None:
    fields = presign_post().fields
    del fields["x-amz-date"]

    error = refusal(form(fields))

    assert (error.code, error.details["ArgumentName"]) == ("InvalidArgument", "X-Amz-Date")


def test_a_changed_checksum_field_fails_its_condition() -> None:
    fields = {**presign_post().fields, "x-amz-checksum-sha256": base64.b64encode(b"\0" * 32).decode()}

    assert "$x-amz-checksum-sha256" in refusal(form(fields)).message


def test_bytes_other_than_the_declared_checksum_are_a_bad_digest() -> None:
    # Given a slot declaring DATA's sha256, and other bytes of the same size
    fields = presign_post().fields
    other = bytes(reversed(DATA))
    post_form = form(fields, other)

    # When the policy passes (same size, same type)
    check(post_form)

    # Then S3's own checksum of the bytes refuses them
    with pytest.raises(S3Error) as caught:
        check_checksum(post_form)
    assert (caught.value.status, caught.value.code) == (400, "BadDigest")
    assert caught.value.message == "The sha256 you specified did not match the calculated checksum."


def test_a_checksum_that_is_not_a_sha256_is_invalid() -> None:
    post_form = form({"key": KEY, "x-amz-checksum-sha256": base64.b64encode(hashlib.md5(DATA).digest()).decode()})  # noqa: S324

    with pytest.raises(S3Error) as caught:
        check_checksum(post_form)
    assert caught.value.code == "InvalidRequest"


def test_a_body_that_is_not_multipart_is_malformed() -> None:
    with pytest.raises(S3Error) as caught:
        parse_form(b"--other\r\nno headers here", BOUNDARY)
    assert caught.value.code == "MalformedPOSTRequest"
