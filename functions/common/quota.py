"""Per-user quotas: what counts, the one check every way of creating an asset goes through, and `GET /usage`.

What counts: an asset counts from its creation (`pending` and `ingesting` included) until it is deleted forever
(the trash counts until then); its bytes, the size of its stored original, count from when they are stored (a
direct upload at once, an ingest when the worker stores it, a presigned upload when the thumbnail function records
it) and follow a replaced original. Thumbnails are not counted.

The counts are exact and never scanned for: the asset table keeps one `#usage` item per owner, and every write of an
asset record that changes what it counts updates that item in the same DynamoDB transaction (the repository does it,
so no writer can forget). The record's own condition (version, absence, claim) makes a repeated write fail as a
whole, so a redelivered event never counts twice.

The check: a user at or over either limit creates nothing (409 `quota_exceeded`). It is a condition of the creating
transaction, so concurrent requests can never exceed the asset limit; bytes are known only once stored, so concurrent
uploads that all started under the byte limit may each still store theirs: at most one in-flight upload each.
"""

from __future__ import annotations

from functions.common.errors import QuotaExceeded
from functions.common.models import Asset, CamelModel
from functions.common.ports import AssetRecords, Quota, StoredAsset, UsageLookup
from functions.common.settings import ApiSettings
from functions.system import LIMIT_DEFAULTS

MIB = 1024 * 1024


def quota_of(*, quota_mb: int, quota_assets: int) -> Quota:
    """The quota `USER_QUOTA_MB` and `USER_QUOTA_ASSETS` describe (0: no limit)."""
    return Quota(max_bytes=quota_mb * MIB, max_assets=quota_assets)


def quota_from(settings: ApiSettings) -> Quota:
    """The quota an API function's settings configure."""
    return quota_of(quota_mb=settings.user_quota_mb, quota_assets=settings.user_quota_assets)


DEFAULT_QUOTA = quota_of(
    quota_mb=int(LIMIT_DEFAULTS["USER_QUOTA_MB"]), quota_assets=int(LIMIT_DEFAULTS["USER_QUOTA_ASSETS"])
)


def create_within_quota(asset: Asset, *, records: AssetRecords, quota: Quota) -> StoredAsset:
    """Create and count `asset` unless its owner is at or over `quota` (`QuotaExceeded`): sign, upload, ingest and
    multipart all create through here."""
    try:
        return records.create(asset, quota=quota)
    except QuotaExceeded as error:
        limits = _describe(quota)
        raise QuotaExceeded(
            f"You are at or over your quota ({limits}); delete assets forever (empty the trash) to make room."
        ) from error


def _describe(quota: Quota) -> str:
    parts = []
    if quota.max_assets:
        parts.append(f"{quota.max_assets} assets")
    if quota.max_bytes:
        parts.append(f"{quota.max_bytes} bytes")
    return " or ".join(parts) or "none"


class UsageLimits(CamelModel):
    """The caller's limits; null is no limit."""

    bytes: int | None
    assets: int | None


class UsageOut(CamelModel):
    """`GET /usage`: what the caller's assets count (trash included) and its limits."""

    bytes: int
    assets: int
    limits: UsageLimits


def usage_report(owner: str, *, records: UsageLookup, quota: Quota) -> UsageOut:
    """The caller's counts (one strongly consistent read) with its limits."""
    usage = records.usage(owner)
    limits = UsageLimits(bytes=quota.max_bytes or None, assets=quota.max_assets or None)
    return UsageOut(bytes=usage.bytes, assets=usage.assets, limits=limits)
