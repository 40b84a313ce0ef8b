"""The same user storing the same bytes twice gets the existing asset back instead of a second copy."""

from __future__ import annotations

from functions.common.models import STORED_STATUSES, Asset
from functions.common.ports import BytesLookup

# The error code of an ingested asset whose bytes the owner already had (it points at the existing asset).
DUPLICATE_CODE = "duplicate"


def find_duplicate(repository: BytesLookup, owner: str, sha256: str) -> Asset | None:
    """The owner's oldest stored asset with these bytes that is not in the trash or being deleted."""
    for asset in repository.with_sha256(owner, sha256):
        if asset.status in STORED_STATUSES and not asset.in_trash and not asset.deleting:
            return asset
    return None
