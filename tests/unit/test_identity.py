"""Identities inside keys: one encoding, exact parses, and keys that stay within S3's and DynamoDB's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote_plus

import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event

from devserver.dynamodb_limits import HASH_KEY_MAX_BYTES
from devserver.s3gate.errors import S3Error
from devserver.s3gate.postpolicy import check_post, parse_form
from functions.common.cursor import CursorCodec
from functions.common.identity import decode_owner, encode_owner, owner_key
from functions.common.models import AssetType, View
from functions.common.object_keys import legacy_thumb_key, original_key, parse_original_key
from functions.common.repository.mapping import sha256_partition, view_partition
from functions.thumbnail.logic import created_objects
from tests.s3gate_support import BOUNDARY, BUCKET, DATA, REGION, multipart, presign_post, secrets_of
from tests.thumbnail_support import created_event

ASSET_ID = "01JD0000000000000000000000"
SHA256 = "ab" * 32
S3_KEY_MAX_BYTES = 1024
GALLERY_CURSOR_MAX_LENGTH = 2048  # the `cursor` query parameter's limit (functions/gallery/handler.py)

# Subs an OIDC issuer may send: separators, escapes, spaces, `+`, non-ASCII, control characters, the longest.
HOSTILE_SUBS = [
    "team#alice",
    "team/alice",
    "team",
    "alice#",
    "#",
    "/",
    "a b",
    "a+b",
    "100%",
    "%23",
    "a%2Fb",
    "ünïcödé ☃",
    "😀",
    "tab\tnew\nline\x00",
    "${filename}",
    "*?[]",
    "x" * 255,
    "#" * 255,
    "é" * 127,  # 254 bytes of 2-byte characters
    "€" * 85,  # 255 bytes of 3-byte characters
    "😀" * 63,  # 252 bytes of 4-byte characters
    "\x01" * 255,  # JSON escapes each in 6 characters
]
# Cognito's and Keycloak's UUIDs, Google's digits, Auth0's `provider|id`, Kubernetes', e-mail-like, unreserved.
ORDINARY_SUBS = [
    "aeafdd75-db48-4354-9797-66a0f5587bab",  # fixed: every xdist worker must collect the same ids
    "1234567890",
    "auth0|5f7c8ec7c33c6c004bbafe82",
    "system:serviceaccount:ns:app",
    "user@example.com",
    "a-b_c.d~e",
]


@pytest.mark.parametrize("sub", ORDINARY_SUBS)
def test_ordinary_subs_are_unchanged_so_existing_keys_still_match(sub: str) -> None:
    assert encode_owner(sub) == sub


@pytest.mark.parametrize("sub", HOSTILE_SUBS)
def test_an_encoded_sub_holds_no_separator_and_decodes_back(sub: str) -> None:
    # When a sub is encoded
    encoded = encode_owner(sub)

    # Then what remains is printable ASCII with no separator, space or `+`, and it decodes to the same sub
    assert encoded.isascii() and encoded.isprintable()
    assert not set(encoded) & set("#/ +$*?{}[]")
    assert decode_owner(encoded) == sub


@pytest.mark.parametrize("encoded", ["", "a#b", "a/b", "a b", "%", "%2", "%zz", "%FF", "%2d", "%61", "%2f", "%C3"])
def test_only_the_exact_encoding_of_a_sub_decodes(encoded: str) -> None:
    # Non-canonical escapes (`%61` is `a`, lower-case hex), raw separators, broken escapes and invalid UTF-8
    assert decode_owner(encoded) is None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("team#alice", "k1"), ("team", "alice#k1")),  # the Idempotency-Key record
        (("team#all", SHA256), ("team", f"all#{SHA256}")),
        (("a#b", "c#d"), ("a", "b#c#d")),
    ],
)
def test_owners_whose_naive_joins_meet_get_different_keys(first: tuple[str, str], second: tuple[str, str]) -> None:
    # Given two owners whose `f"{owner}#{part}"` are the same string
    assert "#".join(first) == "#".join(second)
    # Then their keys differ
    assert owner_key(*first) != owner_key(*second)


@pytest.mark.parametrize("sub", HOSTILE_SUBS)
def test_every_composite_table_key_starts_with_the_owners_encoding(sub: str) -> None:
    # Given every partition that joins the owner with something else
    keys = [view_partition(sub, view, kind) for view in View for kind in (None, *AssetType)]
    keys.append(sha256_partition(sub, SHA256))

    # Then each one's owner is exactly what precedes its first `#`, so no other owner's key can equal it
    for key in keys:
        head, _, _ = key.partition("#")
        assert decode_owner(head) == sub, key
        assert len(key.encode()) <= HASH_KEY_MAX_BYTES


@pytest.mark.parametrize("sub", HOSTILE_SUBS)
def test_an_original_key_parses_back_to_its_owner_and_id_within_s3s_limit(sub: str) -> None:
    # Given an asset's object keys
    original, thumb = original_key(sub, ASSET_ID), legacy_thumb_key(sub, ASSET_ID)
    # Then they fit S3's limit, and the original's key parses back exactly
    assert len(original.encode()) <= S3_KEY_MAX_BYTES and len(thumb.encode()) <= S3_KEY_MAX_BYTES
    assert parse_original_key(original) == (sub, ASSET_ID)


@pytest.mark.parametrize("sub", HOSTILE_SUBS)
def test_an_s3_events_url_encoded_key_parses_to_the_owner(sub: str) -> None:
    # Given the ObjectCreated event of an original, its key URL-encoded as S3 sends it
    event = S3Event(created_event("media", original_key(sub, ASSET_ID), "etag"))
    assert event.record.s3.get_object.key == quote_plus(original_key(sub, ASSET_ID))

    # When the thumbnail function reads it
    (created,) = created_objects(event)

    # Then it finds the owner and the asset
    assert parse_original_key(created.key) == (sub, ASSET_ID)


@pytest.mark.parametrize(
    "key",
    [
        f"originals/team/alice/{ASSET_ID}",  # a raw `/` is never an owner's
        f"originals/team%2dx/{ASSET_ID}",  # not the canonical escape of `team-x`
        f"originals/%61lice/{ASSET_ID}",
        f"originals/%FF/{ASSET_ID}",
        f"originals//{ASSET_ID}",
        "originals/alice/",
        f"thumbs/alice/{ASSET_ID}.webp",
    ],
)
def test_a_key_no_owner_has_does_not_parse(key: str) -> None:
    assert parse_original_key(key) is None


@pytest.mark.parametrize("sub", HOSTILE_SUBS)
def test_a_gallery_cursor_fits_the_routes_limit_for_any_sub(sub: str) -> None:
    # Given the longest position a page can continue from
    codec = CursorCodec(b"k" * 32)
    trashed_at = datetime(2026, 12, 1, tzinfo=UTC)
    position = {"asset_id": {"S": ASSET_ID}, "view_sk": {"S": f"{int(trashed_at.timestamp() * 1000):015d}#{ASSET_ID}"}}

    # When it is encoded for the caller's longest query
    cursor = codec.encode(owner=sub, query="trash|reference", position=position)

    # Then the route accepts it back, and it is the caller's alone
    assert len(cursor) <= GALLERY_CURSOR_MAX_LENGTH
    assert codec.decode(cursor, owner=sub, query="trash|reference") == position


@pytest.mark.parametrize("sub", ["team#alice", "team/alice", "a b+c%2F", "ünïcödé ☃", "é" * 127])
def test_the_local_s3_gate_takes_an_upload_slot_at_an_encoded_key_and_no_other(sub: str) -> None:
    # Given the upload slot `/uploads/sign` makes for the owner's original
    fields = presign_post(key=original_key(sub, ASSET_ID)).fields

    def post(key: str) -> str:
        form = parse_form(multipart({**fields, "key": key}, DATA), BOUNDARY)
        return check_post(form, bucket=BUCKET, region=REGION, secrets=secrets_of("sign"), now=datetime.now(UTC)).key

    # When the browser posts it, Then S3 would store it where the thumbnail function finds its owner
    assert parse_original_key(post(fields["key"])) == (sub, ASSET_ID)
    # And the policy still pins the key: the sub joined as is, or another owner's key, fails its condition
    for other in (f"originals/{sub}/{ASSET_ID}", original_key("team", ASSET_ID)):
        with pytest.raises(S3Error, match="Policy Condition failed"):
            post(other)
