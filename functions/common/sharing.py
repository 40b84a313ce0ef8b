"""Share links (#15): the stored share, its secrets (link token, password, access token, aliases) and its ports.

Both share functions use this module (a feature package never imports another). Nothing here does I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from functions.common.models import AssetType, View
from functions.common.ports import Page, StoredAsset

TOKEN_BYTES = 32  # 256 bits: a link can be neither guessed nor enumerated
MAX_TOKEN_CHARS = 64  # 43 characters are ours; anything much longer is refused before it is hashed
SCRYPT_N, SCRYPT_R, SCRYPT_P, SALT_BYTES = 2**14, 8, 1, 16
ACCESS_TTL_SECONDS = 3600
MAX_ATTEMPTS = 5  # wrong passwords per share and window
ATTEMPT_WINDOW_SECONDS = 900


class ShareRecord(BaseModel):
    """A share as stored; `owner` is the owner's `sub` and `secret` keys its aliases and access tokens."""

    model_config = ConfigDict(frozen=True)

    id: str
    owner: str
    token_hash: str
    secret: str
    title: str | None = None
    folder_id: str | None = None
    asset_ids: list[str] = Field(default_factory=list)
    expires_at: datetime | None = None
    password_hash: str | None = None
    allow_download: bool = False
    show_metadata: bool = False
    max_views: int | None = None
    views: int = 0
    created_at: datetime
    updated_at: datetime

    def live(self, now: datetime) -> bool:
        """Not expired and not over its views (a revoked share no longer exists)."""
        if self.expires_at is not None and now >= self.expires_at:
            return False
        return self.max_views is None or self.views < self.max_views


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What the table keeps of a link token: its SHA-256, so a read of the table opens no share."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_hex(32)


def hash_password(password: str) -> str:
    """`scrypt$salt$hash` (hex): a slow, salted hash."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    _, salt, expected = stored.split("$")
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return hmac.compare_digest(digest.hex(), expected)


def _mac(share: ShareRecord, message: str) -> bytes:
    return hmac.new(bytes.fromhex(share.secret), message.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        return None


def access_token(share: ShareRecord, expires: int) -> str:
    """Bound to this share, its current link and password: a rotate or a new password ends every access token."""
    return f"{expires}.{_b64(_mac(share, f'access|{share.token_hash}|{share.password_hash}|{expires}'))}"


def access_valid(share: ShareRecord, token: str | None, now: int) -> bool:
    if share.password_hash is None:
        return True
    if not token or len(token) > 128 or "." not in token:
        return False
    expires, _ = token.split(".", 1)
    if not expires.isdigit() or int(expires) <= now:
        return False
    return hmac.compare_digest(token, access_token(share, int(expires)))


# Aliases: a keyed pseudorandom permutation (a 4-round Feistel network on HMAC-SHA256, Luby-Rackoff) of the asset id's
# 16 ULID bytes. Stable for the share's life, reversible only with its secret, and no two shares alias an asset alike.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ulid_bytes(ulid: str) -> bytes:
    value = 0
    for char in ulid:
        value = value * 32 + _CROCKFORD.index(char)
    return value.to_bytes(16, "big")


def _ulid_text(raw: bytes) -> str:
    value = int.from_bytes(raw, "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def _feistel(share: ShareRecord, block: bytes, rounds: range) -> bytes:
    left, right = block[:8], block[8:]
    for number in rounds:
        mixed = _mac(share, f"alias|{number}|{right.hex()}")[:8]
        left, right = right, bytes(a ^ b for a, b in zip(left, mixed, strict=True))
    return right + left


def alias_of(share: ShareRecord, asset_id: str) -> str:
    return _b64(_feistel(share, _ulid_bytes(asset_id), range(4)))


def asset_of(share: ShareRecord, alias: str) -> str | None:
    """The asset id an alias of this share stands for; None if it is not one of its aliases' form."""
    raw = _unb64(alias) if len(alias) == 22 else None
    if raw is None or len(raw) != 16:
        return None
    return _ulid_text(_feistel(share, raw, range(3, -1, -1)))


def seal(share: ShareRecord, data: bytes) -> str:
    """`data` encrypted (HMAC-SHA256 in counter mode, random nonce) and authenticated: a cursor nobody can read."""
    nonce = secrets.token_bytes(12)
    sealed = bytes(a ^ b for a, b in zip(data, _keystream(share, nonce, len(data)), strict=True))
    return _b64(nonce + sealed + _mac(share, f"seal|{(nonce + sealed).hex()}")[:16])


def unseal(share: ShareRecord, text: str) -> bytes | None:
    raw = _unb64(text) if len(text) <= 2048 else None
    if raw is None or len(raw) < 28:
        return None
    body, tag = raw[:-16], raw[-16:]
    if not hmac.compare_digest(tag, _mac(share, f"seal|{body.hex()}")[:16]):
        return None
    nonce, sealed = body[:12], body[12:]
    return bytes(a ^ b for a, b in zip(sealed, _keystream(share, nonce, len(sealed)), strict=True))


def _keystream(share: ShareRecord, nonce: bytes, size: int) -> bytes:
    blocks = (_mac(share, f"stream|{nonce.hex()}|{counter}") for counter in range((size + 31) // 32))
    return b"".join(blocks)[:size]


@dataclass(frozen=True)
class ShareLink:
    """A share and the token of its link (shown once)."""

    share: ShareRecord
    token: str


class ShareStore(Protocol):
    """The shares in the asset table: by id for their owner, by link digest for anyone."""

    def create_share(self, share: ShareRecord) -> None: ...
    def get_share(self, share_id: str) -> ShareRecord | None: ...
    def shares_of(self, owner: str) -> list[ShareRecord]: ...
    def update_share(self, old: ShareRecord, new: ShareRecord) -> None: ...
    def rotate_share(self, old: ShareRecord, new: ShareRecord) -> None: ...
    def delete_share(self, share: ShareRecord) -> list[str]: ...
    def share_by_token(self, token_hash: str) -> ShareRecord | None: ...


class PublicShareStore(Protocol):
    """What the public function reads and writes: the share by link, its counters, its download copies."""

    def share_by_token(self, token_hash: str) -> ShareRecord | None: ...
    def count_view(self, share: ShareRecord) -> bool: ...
    def count_attempt(self, share: ShareRecord, window: int) -> bool: ...
    def copy_key(self, share: ShareRecord, alias: str) -> str | None: ...
    def remember_copy(self, share: ShareRecord, alias: str, key: str) -> None: ...


class SharedAssets(Protocol):
    """The shared assets: a selection's page (one BatchGetItem), a folder's page (one Query of `limit + 1`)."""

    def batch_get(self, owner: str, asset_ids: Iterable[str]) -> dict[str, StoredAsset]: ...
    def folder_page(
        self, owner: str, folder_id: str, view: View, asset_type: AssetType | None, limit: int, start: Any
    ) -> Page: ...
