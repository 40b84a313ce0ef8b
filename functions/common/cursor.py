"""Opaque, tamper-proof pagination cursors: HMAC-signed and bound to the caller and the query."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from functions.common.errors import InvalidCursor
from functions.common.identity import encode_owner


class CursorCodec:
    """Encodes a DynamoDB start key with the caller and query it belongs to; refuses anything else."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]

    def encode(self, *, owner: str, query: str, position: dict[str, Any]) -> str:
        # The owner's key encoding: at most 3 characters a byte, where JSON escapes a control character in 6.
        bound = {"o": encode_owner(owner), "q": query, "p": position}
        payload = json.dumps(bound, separators=(",", ":"), sort_keys=True).encode()
        token = payload + self._sign(payload)
        return base64.urlsafe_b64encode(token).decode().rstrip("=")

    def decode(self, cursor: str, *, owner: str, query: str) -> dict[str, Any]:
        try:
            token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (ValueError, TypeError) as error:
            raise InvalidCursor("The cursor is not one this API issued.") from error
        payload, signature = token[:-16], token[-16:]
        if len(token) <= 16 or not hmac.compare_digest(signature, self._sign(payload)):
            raise InvalidCursor("The cursor is not one this API issued.")
        data = json.loads(payload)
        if data.get("o") != encode_owner(owner) or data.get("q") != query or not isinstance(data.get("p"), dict):
            raise InvalidCursor("The cursor belongs to another user or another query.")
        position: dict[str, Any] = data["p"]
        return position
