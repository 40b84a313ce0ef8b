"""The cursors' HMAC key: one object in the media bucket, created by the first function to start, read once per start.

Why an S3 object, not Secrets Manager, KMS or the environment: a value in the function's environment (even one
CloudFormation resolves from Secrets Manager) is plain text to anyone allowed `lambda:GetFunctionConfiguration`.
Reading Secrets Manager or decrypting with KMS at run time would need an interface endpoint in the isolated subnets
(about $7 a month per AZ, idle or not), breaking the stack's near-zero idle cost. S3 is reached for free through the
gateway endpoint, encrypts the object at rest, and IAM lets only the role that signs cursors read it: exactly this
key, nothing under it. The value never passes through CloudFormation, the template or the environment.

The first start creates it with a conditional write (`If-None-Match: *`): of two concurrent first starts one writes,
the other gets 412 and reads the winner's key, so every function signs with the same key. Without `s3:ListBucket`, S3
answers a missing key with 403, not 404: a read that finds nothing is followed by the create, which either succeeds
(it was missing) or finds an object (then the next read must succeed, or the refusal was real and the start fails).
"""

from __future__ import annotations

import secrets
from typing import Protocol

from functions.common.failures import TransientError
from functions.system import CURSOR_SECRET_KEY

SECRET_BYTES = 32
_ATTEMPTS = 3


class SecretObjects(Protocol):
    """The two calls the key needs (functions.common.storage.ObjectStore)."""

    def read_if_readable(self, key: str) -> bytes | None: ...
    def create(self, key: str, body: bytes, content_type: str) -> bool: ...


def cursor_secret(store: SecretObjects, *, key: str = CURSOR_SECRET_KEY) -> bytes:
    """The key stored under `key`, created on first use; one GetObject when it exists (every start but the first)."""
    for _ in range(_ATTEMPTS):
        stored = store.read_if_readable(key)
        if stored is not None:
            if len(stored) < SECRET_BYTES:  # a truncated or foreign object would make cursors forgeable
                raise RuntimeError(f"the S3 object {key} is not a cursor key ({len(stored)} bytes)")
            return stored
        candidate = secrets.token_bytes(SECRET_BYTES)
        if store.create(key, candidate, "application/octet-stream"):
            return candidate
    raise TransientError(f"the cursor key {key} exists but cannot be read")
