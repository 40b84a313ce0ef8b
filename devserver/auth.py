"""The local stand-in for API Gateway's JWT authorizer: tokens signed with a key kept in the state folder."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import jwt

ISSUER = "https://gallery.local/dev"
AUDIENCE = "gallery-local"
TOKEN_TTL_SECONDS = 3600


class LocalAuthority:
    """Issues and verifies HS256 tokens; what it refuses, API Gateway would answer with 401."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_state(cls, state_dir: Path) -> LocalAuthority:
        key_file = state_dir / "jwt.key"
        if not key_file.exists():
            state_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_bytes(secrets.token_bytes(32))
            key_file.chmod(0o600)
        return cls(key_file.read_bytes())

    def issue(self, sub: str, *, ttl_seconds: int = TOKEN_TTL_SECONDS, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "iat": issued, "exp": issued + ttl_seconds}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, authorization: str | None) -> dict[str, Any] | None:
        """The token's claims, or None when it is missing, malformed, forged, expired or for someone else."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        token = authorization[7:].strip()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["sub", "exp", "iat"]},
            )
        except jwt.PyJWTError:
            return None
        return claims
