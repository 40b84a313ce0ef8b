"""The scheduled purge: 2,000 expired items among 20,000; items read but not purged, S3 calls, time vs a naive loop."""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.in_process_aws import in_process_aws

TITLE = "Trash purge (scheduled)"
# The size: 20,000 items, 10 % expired, 20 % recently trashed, 70 % active. moto is slow (several minutes at
# this size); BENCH_PURGE_TOTAL=4000 runs the same mix smaller for a quick look.
TOTAL = int(os.environ.get("BENCH_PURGE_TOTAL", "20000"))
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def _assets() -> list[Any]:
    """Expired trash (31-90 days), recent trash (0-29 days) and active assets, interleaved in creation order."""
    from functions.common.ids import new_ulid
    from functions.common.models import Asset, AssetSource, AssetStatus, AssetType

    assets = []
    for index in range(TOTAL):
        created = NOW - timedelta(days=120) + timedelta(seconds=index * 37)
        if index % 10 == 0:
            trashed: datetime | None = NOW - timedelta(days=31 + index % 60, minutes=index % 1440)
        elif index % 10 in (1, 2):
            trashed = NOW - timedelta(days=index % 29, minutes=index % 1440)
        else:
            trashed = None
        assets.append(
            Asset(
                owner=f"user{index % 50}",
                id=new_ulid(created),
                status=AssetStatus.READY,
                source=AssetSource.UPLOAD,
                asset_type=AssetType.UPLOADED,
                mime="image/png",
                created_at=created,
                updated_at=trashed or created,
                trashed_at=trashed,
                purge_at=trashed + timedelta(days=30) if trashed else None,
            )
        )
    return assets


def _expired(asset: Any) -> bool:
    return asset.trashed_at is not None and asset.trashed_at < NOW - timedelta(days=30)


def _seed(repository: Any, bucket: str, assets: list[Any], s3: Any) -> None:
    """Put the assets; objects only for the expired ones (the only ones either loop deletes)."""
    from functions.common.deletion import object_keys
    from functions.common.repository.tooling import put_all

    put_all(repository, assets, version=1)
    for asset in assets:
        if _expired(asset):
            for key in object_keys(asset):
                s3.put_object(Bucket=bucket, Key=key, Body=b"x")


def _count_calls(client: Any, service: str, counts: Counter[str]) -> None:
    def hook(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        counts[f"{model.name}.calls"] += 1
        counts[f"{model.name}.scanned"] += int(parsed.get("ScannedCount", 0))

    client.meta.events.register(f"after-call.{service}", hook)


def _naive(table: str, bucket: str, s3: Any, dynamodb: Any) -> tuple[float, Counter[str]]:
    """Scan the whole table, then one DeleteObject per object and one DeleteItem per expired item."""
    counts: Counter[str] = Counter()
    _count_calls(s3, "s3", counts)
    _count_calls(dynamodb, "dynamodb", counts)
    from functions.common.clock import epoch_ms

    cutoff_ms = epoch_ms(NOW - timedelta(days=30))
    started = time.perf_counter()
    purged = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            if "trash_ms" not in item or int(item["trash_ms"]["N"]) >= cutoff_ms:
                continue
            owner, asset_id = item["owner"]["S"], item["asset_id"]["S"]
            for key in (f"originals/{owner}/{asset_id}", f"thumbs/{owner}/{asset_id}.webp"):
                s3.delete_object(Bucket=bucket, Key=key)
            dynamodb.delete_item(TableName=table, Key={"owner": {"S": owner}, "asset_id": {"S": asset_id}})
            purged += 1
    counts["purged"] = purged
    return time.perf_counter() - started, Counter(counts)  # a copy: the hooks keep counting later calls


def _ours(table: str, bucket: str, repository: Any, s3: Any) -> tuple[float, Counter[str]]:
    from functions.common.repository.tooling import dynamodb_client
    from functions.common.settings import PurgeSettings, load_settings
    from functions.common.storage import ObjectStore
    from functions.purge.logic import purge

    counts: Counter[str] = Counter()
    _count_calls(s3, "s3", counts)
    _count_calls(dynamodb_client(repository), "dynamodb", counts)
    settings = load_settings(PurgeSettings, {"ASSET_TABLE_NAME": table, "MEDIA_BUCKET_NAME": bucket})
    started = time.perf_counter()
    report = purge(
        now=NOW,
        settings=settings,
        repository=repository,
        store=ObjectStore(bucket, client=s3),
        time_left_ms=lambda: 900_000,
    )
    elapsed = time.perf_counter() - started
    counts["purged"] = report.purged
    counts["failed"] = report.failed
    return elapsed, Counter(counts)  # a copy: the hooks keep counting later calls


def run() -> str:
    import boto3
    from botocore.config import Config

    from functions.common.repository import AssetRepository

    with in_process_aws():
        assets = _assets()
        expired_assets = [asset for asset in assets if _expired(asset)]
        expired = len(expired_assets)
        table, bucket = "bench-purge", "bench-purge"
        repository = AssetRepository(table)
        repository.create_table()
        ours_s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
        naive_s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
        ours_s3.create_bucket(Bucket=bucket)
        # Both loops run on the same table: the purge first, then the expired items are put back for the naive one.
        _seed(repository, bucket, assets, ours_s3)
        our_seconds, ours = _ours(table, bucket, repository, ours_s3)
        _seed(repository, bucket, expired_assets, naive_s3)
        naive_seconds, naive = _naive(table, bucket, naive_s3, boto3.client("dynamodb"))

    objects = 2 * expired
    # Items DynamoDB read: those the Queries (or the Scan) returned, plus those the claims wrote back.
    our_read = ours["Query.scanned"] + ours["UpdateItem.calls"]
    naive_read = naive["Scan.scanned"]
    rows = [
        "| | naive loop (Scan, one delete per object) | purge |",
        "|---|---|---|",
        f"| items purged | {naive['purged']:,} | {ours['purged']:,} (failed {ours['failed']}) |",
        f"| DynamoDB items read but not purged (target 0) | {naive_read - naive['purged']:,} | "
        f"{our_read - 2 * ours['purged']:,} |",
        f"| DynamoDB calls (Scan/Query + writes) | {naive['Scan.calls'] + naive['DeleteItem.calls']:,} | "
        f"{ours['Query.calls'] + ours['UpdateItem.calls'] + ours['DeleteItem.calls']:,} |",
        f"| S3 delete calls (target ⌈{objects:,} / 1000⌉ = {math.ceil(objects / 1000)}) | "
        f"{naive['DeleteObject.calls']:,} | {ours['DeleteObjects.calls']:,} |",
        # Deleting forever lists each object's versions (the bucket is versioned); a plain delete keeps them.
        f"| S3 version listings (one per object) | 0 | {ours['ListObjectVersions.calls']:,} |",
        f"| wall time relative to the naive loop | 1.00 | {our_seconds / naive_seconds:.2f} |",
    ]
    return "\n".join(
        [
            f"{expired:,} expired items among {TOTAL:,} (20 % recently trashed, the rest active), "
            f"2 objects each, on moto in-process. Each purged item is read once by its index Query and once by "
            'its claim (UpdateItem returning the item), so "read but not purged" subtracts both.',
            "",
            *rows,
            "",
            "moto evaluates a GSI Query by walking the table, so on AWS the purge's Queries cost far less than here; "
            "the Scan's cost grows with the whole table on both.",
        ]
    )
