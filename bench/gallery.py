"""GET /gallery: DynamoDB items read per page with a large trash, and warm latency relative to GET /health."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.in_process_aws import in_process_aws
from bench.interleave import interleaved, ratios, spread

TITLE = "Gallery listing (GET /gallery)"
ACTIVE, TRASHED, PAGE = 50, 10_000, 50


def _items_read_per_page() -> tuple[int, int]:
    """Items DynamoDB reads for one page of `all` and one of `trash`, with 50 active and 10,000 trashed items."""

    from functions.common.models import View
    from functions.common.repository import AssetRepository
    from functions.common.repository.tooling import dynamodb_client, put_all
    from tests.builders import new_asset

    with in_process_aws():
        repository = AssetRepository("bench-assets")
        repository.create_table()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        assets = []
        for index in range(ACTIVE + TRASHED):
            moment = start + timedelta(seconds=index)
            trashed = moment + timedelta(days=1) if index >= ACTIVE else None
            purge_at = trashed + timedelta(days=30) if trashed else None
            assets.append(new_asset(created_at=moment, trashed_at=trashed, purge_at=purge_at))
        put_all(repository, assets)
        scanned: list[int] = []

        def count(parsed: dict[str, Any], **_: Any) -> None:
            scanned.append(int(parsed.get("ScannedCount", 0)))

        client = dynamodb_client(repository)
        client.meta.events.register("after-call.dynamodb.Query", count)
        repository.page("alice", View.ALL, None, PAGE, None)
        all_read = sum(scanned)
        scanned.clear()
        repository.page("alice", View.TRASH, None, PAGE, None)
        trash_read = sum(scanned)
    return all_read, trash_read


def _latency(rounds: int = 60) -> dict[str, list[float]]:
    """Warm GET /gallery (50 ready items) and GET /health through the local server, one interleaved loop (wall
    clock: the latency through the server is the point)."""
    from tests.e2e.conftest import start_server

    with tempfile.TemporaryDirectory() as state:
        server = start_server(Path(state))
        try:
            client = server.client("bench")
            for _ in range(PAGE):
                client.post("/uploads/sign", json={"contentType": "image/png", "size": 100})

            def get(path: str) -> float:
                began = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - began
                assert response.status_code == 200
                return elapsed * 1000

            return interleaved(
                {"/gallery": partial(get, "/gallery"), "/health": partial(get, "/health")}, rounds=rounds, warmup=5
            )
        finally:
            server.stop()


def run() -> str:
    all_read, trash_read = _items_read_per_page()
    latency = _latency()
    gallery_ms, health_ms = spread(latency["/gallery"]), spread(latency["/health"])
    ratio = ratios(latency, "/gallery", "/health")
    return f"""
{ACTIVE} active items and {TRASHED:,} in the trash for one user; page size {PAGE}.

| measure | value | target |
|---|---|---|
| DynamoDB items read for one page of `all` | {all_read} | ≤ {PAGE + 1} |
| DynamoDB items read for one page of `trash` | {trash_read} | ≤ {PAGE + 1} |
| warm median `GET /gallery` (50 items, through the local server) | {gallery_ms.value(1, " ms")} | |
| warm median `GET /health` (baseline, same run) | {health_ms.value(1, " ms")} | |
| `GET /gallery` ÷ `GET /health` (median of {ratio.rounds} interleaved rounds) | {ratio.ratio()} | |

Items read are the `ScannedCount` of every Query the page made: each view is a sparse index, so a page reads
its items plus one that tells whether another page follows, whatever the size of the trash.
Locally the latency ratio is dominated by the emulator: profiling one 51-item Query shows about 90 % of its time
inside moto's response serializer, which real DynamoDB does not share.
"""
