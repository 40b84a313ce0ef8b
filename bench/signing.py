"""Signing cost: our SigV4 query signer against botocore's `generate_presigned_url`, per URL and per gallery page.

Both sign with the same temporary credentials (a session token, as on Lambda) for the same bucket and region. The
page is the gallery handler itself (Powertools routing, the logic, the presenter, JSON) on an API Gateway event for
50 ready items whose records are in memory; only the object store's presigning differs: the real `ObjectStore`
(our signer, cache-stable windows), or the same store presigning with botocore as it did before (`BotocoreStore`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from bench.interleave import cpu_seconds, in_fresh_processes, interleaved, pooled, ratios, spread
from functions.system import LIMIT_DEFAULTS

TITLE = "Signing cost (presigned GET URLs)"
BUCKET = "gallery-media-123456789012"
REGION = "us-east-1"
PROCESSES = 6
ROUNDS = 8
URLS_PER_SAMPLE = 400
PAGES_PER_SAMPLE = 10
PAGE = 50
URL_TARGET, PAGE_TARGET = 0.1, 0.3
WINDOW = int(LIMIT_DEFAULTS["READ_URL_WINDOW_SECONDS"])
KEYS = ("originals/user-1/01JD4YQ7W0000000000000000", "thumbs/dXNlci0x/01JD4YQ7W0000000000000000-r1.webp")


def _client() -> Any:
    from botocore.config import Config
    from botocore.session import get_session

    session = get_session()
    session.set_credentials("ASIABENCHEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjE" * 20)
    return session.create_client("s3", region_name=REGION, config=Config(signature_version="s3v4"))


def _signer(client: Any) -> Any:
    from functions.common.url_signing import ObjectUrls, QueryUrlSigner

    # The client's own credentials, frozen per call: what a refreshable Lambda role's credentials cost to read.
    return QueryUrlSigner(
        urls=ObjectUrls.learned_from(client, BUCKET),
        region=REGION,
        credentials=client._request_signer._credentials.get_frozen_credentials,
    )


def botocore_store(bucket: str, client: Any) -> Any:
    """The `ObjectStore` as it was before #17: each read URL from botocore's `generate_presigned_url`, with the same
    parameters ours signs (the window's signing time aside: botocore signs at the current instant)."""
    from functions.common.objects import PresignedGet, attachment_disposition
    from functions.common.read_urls import cache_control
    from functions.common.storage import ObjectStore

    class BotocoreStore(ObjectStore):
        def presign_get(
            self,
            *,
            key: str,
            ttl_seconds: int,
            now: datetime,
            download_name: str | None = None,
            version_id: str | None = None,
            immutable: bool = False,
        ) -> PresignedGet:
            control = cache_control(max_age_seconds=ttl_seconds, immutable=immutable or version_id is not None)
            params = {"Bucket": bucket, "Key": key, "ResponseCacheControl": control}
            if download_name is not None:
                params["ResponseContentDisposition"] = attachment_disposition(download_name)
            if version_id is not None:
                params["VersionId"] = version_id
            url = client.generate_presigned_url("get_object", Params=params, ExpiresIn=ttl_seconds)
            return PresignedGet(url=url, expires_at=now + timedelta(seconds=ttl_seconds))

    return BotocoreStore(bucket, client=client)


def per_url(rounds: int) -> dict[str, list[float]]:
    """CPU seconds per URL, botocore's and ours, over `rounds` interleaved rounds in this process."""
    client = _client()
    signer = _signer(client)
    now = datetime.now(UTC).replace(microsecond=0)

    def botocore_urls() -> None:
        for index in range(URLS_PER_SAMPLE):
            params = {"Bucket": BUCKET, "Key": KEYS[index % 2]}
            client.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)

    def our_urls() -> None:
        for index in range(URLS_PER_SAMPLE):
            signer.sign_get(KEYS[index % 2], signed_at=now, expires_seconds=3600)

    return interleaved(
        {
            "botocore": lambda: cpu_seconds(botocore_urls) / URLS_PER_SAMPLE,
            "ours": lambda: cpu_seconds(our_urls) / URLS_PER_SAMPLE,
        },
        rounds=rounds,
    )


def per_page(rounds: int) -> dict[str, list[float]]:
    """CPU seconds per handler page, presigning with botocore and with ours, over `rounds` interleaved rounds."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from functions.common.storage import ObjectStore
    from functions.gallery import handler, wiring
    from tests.api_events import FakeContext, http_event
    from tests.builders import new_asset, new_gallery
    from tests.fakes import MemoryAssets

    start = datetime(2026, 12, 1, tzinfo=UTC)
    assets = MemoryAssets(
        *(
            new_asset(
                created_at=start + timedelta(seconds=index),
                thumb_key=f"thumbs/k/{index}-r1.webp",
                original_version_id=f"3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbr{index:02d}",
            )
            for index in range(PAGE + 1)
        )
    )
    client = _client()
    galleries = {
        "botocore": new_gallery(assets, botocore_store(BUCKET, client), lambda: datetime.now(UTC)),
        "ours": new_gallery(
            assets, ObjectStore(BUCKET, client=client, read_url_window_seconds=WINDOW), lambda: datetime.now(UTC)
        ),
    }
    event = http_event("GET", "/gallery", query={"limit": str(PAGE)})
    context = FakeContext()

    def pages(name: str) -> float:
        wiring.collaborators.use(galleries[name])
        try:
            for _ in range(PAGES_PER_SAMPLE):
                response = handler.handler(event, context)
                assert response["statusCode"] == 200, response
        finally:
            wiring.collaborators.reset()
        return 0.0

    measures: dict[str, Callable[[], float]] = {
        name: partial(lambda name: cpu_seconds(partial(pages, name)) / PAGES_PER_SAMPLE, name) for name in galleries
    }
    return interleaved(measures, rounds=rounds)


def run() -> str:
    urls = pooled(in_fresh_processes("bench.signing:per_url", processes=PROCESSES, rounds=ROUNDS))
    pages = pooled(in_fresh_processes("bench.signing:per_page", processes=PROCESSES, rounds=ROUNDS))
    url_ratio, page_ratio = ratios(urls, "ours", "botocore"), ratios(pages, "ours", "botocore")

    def us(samples: list[float]) -> str:
        return spread([value * 1e6 for value in samples]).value(1, " µs")

    def ms(samples: list[float]) -> str:
        return spread([value * 1e3 for value in samples]).value(2, " ms")

    def met(ratio: float, target: float) -> str:
        return "yes" if ratio <= target else "**no**"

    return "\n".join(
        [
            "CPU time (`time.process_time`), botocore and our signer interleaved in one loop: "
            f"{ROUNDS} rounds after a warm-up in each of {PROCESSES} fresh interpreters run one after another, the "
            "order alternating, the ratio taken in each round and the rounds pooled; medians with their "
            "interquartile range. Same temporary credentials (with a session token), bucket and region.",
            "",
            "| measure | botocore | ours | ours ÷ botocore | target | met |",
            "|---|---:|---:|---:|---:|---|",
            f'| one presigned GET URL (`generate_presigned_url("get_object")` / `sign_get`), CPU per URL '
            f"| {us(urls['botocore'])} | {us(urls['ours'])} | {url_ratio.ratio(3)} | ≤ {URL_TARGET}× "
            f"| {met(url_ratio.median, URL_TARGET)} |",
            f"| `GET /gallery` handler, one {PAGE}-item page ({2 * PAGE} URLs), records in memory, CPU per page "
            f"| {ms(pages['botocore'])} | {ms(pages['ours'])} | {page_ratio.ratio()} | ≤ {PAGE_TARGET}× "
            f"| {met(page_ratio.median, PAGE_TARGET)} |",
            "",
            "The page is the whole handler on an API Gateway HTTP API event: Powertools' routing and validation, "
            "the cursor, the presenter and the JSON response, with the records answered by `tests.fakes.MemoryAssets`"
            " (no AWS call at all); only the object store's `presign_get` differs. Ours is the functions' own "
            f"`ObjectStore` (`QueryUrlSigner.sign_get` at the start of a {WINDOW} s window, the original pinned to "
            "its version, a `response-cache-control`); botocore's is the same store presigning each URL with "
            "`generate_presigned_url` and the same parameters, as the functions did before #17.",
        ]
    )


if __name__ == "__main__":
    print(run())
