"""Read URLs of the media bucket: signed by our SigV4 query signer, stable for a window, asking for a Cache-Control.

The signing time is rounded down to `READ_URL_WINDOW_SECONDS`, so every listing in one window hands out the same URL
for the same object (while the credentials stay the same) and the browser's cache keeps answering it. The URL asks
S3 (`response-cache-control`) to let a cache keep the response as long as the shortest life any copy of the URL has
left; `immutable` only where the bytes behind the URL can never change (a random key, or a pinned version).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from functions.common.url_signing import ObjectUrls, QueryUrlSigner, stable_signing

# An object that may still be replaced under its key (an original with no recorded version): revalidated soon.
MUTABLE_MAX_AGE_SECONDS = 60


def cache_control(*, max_age_seconds: int, immutable: bool) -> str:
    """What the URL asks S3 to answer as `Cache-Control`."""
    if immutable:
        return f"private, max-age={max_age_seconds}, immutable"
    return f"private, max-age={min(max_age_seconds, MUTABLE_MAX_AGE_SECONDS)}"


class ReadUrls:
    """GET URLs of one bucket, signed with the botocore client's own (refreshable) credentials, built on first use."""

    def __init__(self, client: Any, bucket: str, *, window_seconds: int) -> None:
        self.client = client
        self.bucket = bucket
        self.window_seconds = window_seconds
        self._signer: QueryUrlSigner | None = None

    def _built(self, key: str) -> QueryUrlSigner:
        if self._signer is None:
            credentials = self.client._get_credentials()
            if credentials is None:
                raise RuntimeError("no AWS credentials to sign read URLs with")
            self._signer = QueryUrlSigner(
                # The first key signed is the probe: a key the function may read.
                urls=ObjectUrls.learned_from(self.client, self.bucket, key),
                region=self.client.meta.region_name,
                # Frozen per URL: a refreshable role's credentials are read as botocore reads them when it signs.
                credentials=credentials.get_frozen_credentials,
            )
        return self._signer

    def sign(
        self,
        key: str,
        *,
        ttl_seconds: int,
        now: datetime,
        query: dict[str, str],
        version_id: str | None = None,
        immutable: bool = False,
        stable: bool = True,
    ) -> tuple[str, datetime]:
        """The URL of `key` (at `version_id`) and its real expiry; `stable=False`: signed now, for exactly the TTL."""
        window = self.window_seconds if stable else 0
        timing = stable_signing(now.astimezone(UTC), ttl_seconds=ttl_seconds, window_seconds=window)
        pinned = immutable or version_id is not None
        control = cache_control(max_age_seconds=timing.max_age_seconds, immutable=pinned)
        signed_query = {"response-cache-control": control} | query
        if version_id is not None:
            signed_query["versionId"] = version_id
        url = self._built(key).sign_get(
            key, signed_at=timing.signed_at, expires_seconds=timing.expires_seconds, query=signed_query
        )
        return url, timing.expires_at
