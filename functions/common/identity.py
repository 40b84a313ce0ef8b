"""The owner (the token's `sub`) inside keys: one encoding, so no two users' keys can meet whatever their subs hold.

Every key that joins the owner with something else (S3 keys, index partitions, idempotency keys, and any new
per-user key) takes the owner from here. The encoding is UTF-8 percent-encoding of everything but RFC 3986's
unreserved characters and `:@|`: UUIDs, numeric ids and most issuers' subs (`auth0|…`, `system:serviceaccount:…`)
are unchanged, so keys written before it still match. What remains holds no separator (`#`, `/`), no `%` of its
own, no space, `+` or control character, and nothing S3 (`${filename}`), IAM (`*`, `?`, `${…}`) or XML reads
specially. Worst case (255 bytes, each escaped) it is 765 characters: an S3 key stays under 1,024 bytes, an index
partition under 2,048.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

SEPARATOR = "#"
# OpenID Connect caps `sub` at 255 ASCII characters; in bytes, so a sub always fits a DynamoDB key and an S3 key.
MAX_SUB_BYTES = 255
# The asset table's own partition of an owner is its sub as given, at most MAX_SUB_BYTES: a partition key that starts
# with these 256 bytes is nobody's, whatever an issuer puts in a sub. Items that belong to no owner (share links)
# live under it.
SYSTEM_PARTITION = "system".ljust(MAX_SUB_BYTES + 1, "~")
# The partitions of share links under it (functions/common/repository/shares.py), which IAM conditions name too.
SHARE_PREFIX, TOKEN_PREFIX, OWNER_SHARES_PREFIX = (
    f"{SYSTEM_PARTITION}{name}#" for name in ("share", "token", "shares")
)
# Printable, none of them a separator of ours, an escape, or special to S3, IAM, XML or a URL's path.
_KEPT = ":@|"


def encode_owner(owner: str) -> str:
    """The owner as it appears inside a key (raises `UnicodeEncodeError` for a string that is not valid text)."""
    return quote(owner, safe=_KEPT)


def decode_owner(encoded: str) -> str | None:
    """The owner `encoded` is the encoding of; None unless it is exactly what `encode_owner` writes for one."""
    try:
        owner = unquote(encoded, errors="strict")
    except UnicodeDecodeError:
        return None
    return owner if owner and encode_owner(owner) == encoded else None


def owner_key(owner: str, *parts: str) -> str:
    """`{encoded owner}#{part}#…`: a key led by its owner, never equal to another owner's whatever the parts hold."""
    return SEPARATOR.join((encode_owner(owner), *parts))


def is_encodable(owner: str) -> bool:
    """Whether the string is valid text (JSON can carry lone surrogates, which no key can hold)."""
    try:
        owner.encode()
    except UnicodeEncodeError:
        return False
    return True
