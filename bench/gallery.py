"""GET /gallery: DynamoDB items read per page with a large trash, and the handler's CPU per page against one item."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from bench.in_process_aws import in_process_aws
from bench.instructions import available, count_interleaved, counted_samples
from bench.interleave import cpu_seconds, in_fresh_processes, interleaved, pooled, ratios, spread

TITLE = "Gallery listing (GET /gallery)"
ACTIVE, TRASHED, PAGE = 50, 10_000, 50
PROCESSES, ROUNDS, SAMPLE_MS = 6, 5, 100  # ROUNDS per process, after two warm-up rounds (CPU time)
COUNTED_ROUNDS = 5  # of instructions, in one process under callgrind


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


@contextmanager
def _handler_calls() -> Iterator[dict[str, Callable[[], None]]]:
    """The gallery handler on moto in this process (50 ready items): one page of 50 and one `GET /assets/{id}`."""
    import boto3

    from functions.common.repository import AssetRepository
    from functions.common.repository.tooling import put_all
    from functions.common.storage import ObjectStore
    from functions.gallery import handler, wiring
    from tests.api_events import FakeContext, http_event
    from tests.builders import new_asset, new_gallery

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    with in_process_aws():
        repository = AssetRepository("bench-handler-assets")
        repository.create_table()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        assets = [
            new_asset(created_at=start + timedelta(seconds=index), thumb_key=f"thumbs/k/{index}-r1.webp")
            for index in range(ACTIVE)
        ]
        put_all(repository, assets)
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bench-handler-media")
        store = ObjectStore("bench-handler-media", client=s3)
        wiring.collaborators.use(new_gallery(repository, store, lambda: datetime.now(UTC)))
        context = FakeContext()
        events = {
            "page": http_event("GET", "/gallery", query={"limit": str(PAGE)}),
            "item": http_event("GET", f"/assets/{assets[0].id}"),
        }

        def call(name: str) -> None:
            response = handler.handler(events[name], context)
            assert response["statusCode"] == 200, response

        try:
            yield {name: partial(call, name) for name in events}
        finally:
            wiring.collaborators.reset()


def handler_cpu(rounds: int) -> dict[str, list[float]]:
    """CPU of each call, each sample repeated to last about SAMPLE_MS, in one interleaved loop."""
    with _handler_calls() as calls:
        contenders = {}
        for name, action in calls.items():
            repetitions = max(1, math.ceil(SAMPLE_MS / 1000 / max(cpu_seconds(action), 1e-6)))
            contenders[name] = partial(cpu_seconds, action, repetitions)
        return interleaved(contenders, rounds=rounds, warmup=2)


def handler_instructions(rounds: int) -> list[str]:
    """Under callgrind: each call counted once a round, interleaved after two warm-up rounds; the labels in order."""
    with _handler_calls() as calls:
        return count_interleaved(calls, rounds=rounds, warmup=2)


def run() -> str:
    all_read, trash_read = _items_read_per_page()
    samples = pooled(in_fresh_processes("bench.gallery:handler_cpu", processes=PROCESSES, rounds=ROUNDS))
    page_ms = spread([value * 1000 for value in samples["page"]])
    item_ms = spread([value * 1000 for value in samples["item"]])
    if available():
        counts = counted_samples("bench.gallery:handler_instructions", rounds=COUNTED_ROUNDS)
        ratio = ratios(counts, "page", "item")
        ratio_row = (
            f"| page ÷ one asset, instructions (median of {ratio.rounds} interleaved rounds) | {ratio.ratio()} | |"
        )
    else:
        ratio_row = "| page ÷ one asset, instructions | skipped: no `valgrind` on the PATH | |"
    return f"""
{ACTIVE} active items and {TRASHED:,} in the trash for one user; page size {PAGE}.

| measure | value | target |
|---|---|---|
| DynamoDB items read for one page of `all` | {all_read} | ≤ {PAGE + 1} |
| DynamoDB items read for one page of `trash` | {trash_read} | ≤ {PAGE + 1} |
| handler CPU, one `GET /gallery` page of 50 items | {page_ms.value(2, " ms")} | |
| handler CPU, one `GET /assets/{{id}}` (baseline, same run) | {item_ms.value(2, " ms")} | |
{ratio_row}

Items read are the `ScannedCount` of every Query the page made: each view is a sparse index, so a page reads
its items plus one that tells whether another page follows, whatever the size of the trash.
The handler CPU is the gallery function's own handler on an API Gateway event (routing, validation, the Query or
GetItem, the presenter, the signed URLs, the JSON) on moto in the same process, with 50 ready items, measured
with `time.process_time` in one interleaved loop in each of {PROCESSES} fresh interpreters (each sample repeated to
last about {SAMPLE_MS} ms). The ratio is one of instructions executed, counted by valgrind's callgrind
(`bench/instructions.py`) in one fresh interpreter, the calls interleaved after two warm-up rounds: CPU time on this
VM moved it 18 % between two runs, instructions do not move. Instructions are not time, so it need not equal the
ratio of the CPU times above. Most of either figure is moto's: profiling one 51-item Query shows about 90 % of its
time inside moto's response serializer, which real DynamoDB does not share.
"""
