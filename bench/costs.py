"""The cost per image: the AWS calls of the real flows counted, then priced per 1,000 images and per month.

In-process on moto: the sign, thumbnail, gallery and purge handlers themselves, on the events API Gateway, S3 and
EventBridge send, with every AWS call seen by `bench.aws_meter` (DynamoDB units computed from item sizes and index
projections). `BENCH_COST_IMAGES` images (default 100) go through sign → upload (the browser's presigned POST) →
thumbnail → listing (one 100-item page per 100 images, i.e. 10 pages per 1,000) → trash → purge; the counts are
scaled linearly to 1,000.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.aws_meter import Meter, metering
from bench.in_process_aws import in_process_aws

TITLE = "The cost per image"
IMAGES = int(os.environ.get("BENCH_COST_IMAGES", "100"))
PER = 1000
PAGE = 100
TABLE, BUCKET, IDEMPOTENCY = "bench-assets", "bench-media", "bench-idempotency"
OWNER = "alice"
CORPUS = Path(__file__).resolve().parent / ".work" / "thumbnail-corpus" / "12mp-baseline.jpg"
PHASES = ("sign", "upload", "thumbnail", "list", "trash", "purge")
FUNCTION_OF = {"sign": "sign", "thumbnail": "thumbnail", "list": "gallery", "trash": "gallery", "purge": "purge"}
UPLOADS_PER_MINUTE = 10_000
PARTITION_WRITE_LIMIT, PARTITION_READ_LIMIT = 1000, 3000

# Inputs. List prices for us-east-1 as the author knew them; the date they were read is the date they were written
# down here from memory of the public price pages, not fetched: re-check them before relying on a figure.
PRICES_READ = "2025-06 (from AWS's public price pages as last known; re-check)"
PRICES = {
    "lambda_gb_second": 0.0000133334,  # arm64, first 7.5 B GB-s
    "lambda_request": 0.20 / 1e6,
    "dynamodb_write_unit": 0.625 / 1e6,  # on-demand write request unit (after the Nov 2024 price cut)
    "dynamodb_read_unit": 0.125 / 1e6,
    "dynamodb_storage_gb_month": 0.25,
    "s3_tier1_request": 0.005 / 1000,  # PUT, COPY, POST, LIST
    "s3_tier2_request": 0.0004 / 1000,  # GET, HEAD and the rest (DELETE is free)
    "s3_storage_gb_month": 0.023,  # S3 Standard, first 50 TB
    "http_api_request": 1.00 / 1e6,  # HTTP API, first 300 M a month
    "transfer_out_gb": 0.09,  # to the internet, first 10 TB (after the free 100 GB)
}
PRICE_NAMES = {
    "lambda_gb_second": "Lambda arm64, per GB-second",
    "lambda_request": "Lambda, per request",
    "dynamodb_write_unit": "DynamoDB on-demand, per write request unit",
    "dynamodb_read_unit": "DynamoDB on-demand, per read request unit",
    "dynamodb_storage_gb_month": "DynamoDB Standard storage, per GB-month",
    "s3_tier1_request": "S3 Standard PUT/COPY/POST/LIST, per request",
    "s3_tier2_request": "S3 Standard GET/HEAD, per request",
    "s3_storage_gb_month": "S3 Standard storage, per GB-month",
    "http_api_request": "API Gateway HTTP API, per request",
    "transfer_out_gb": "Data transfer out to the internet, per GB",
}
# Latency of one AWS call, added to a function's own time for its billed duration (moto answers in-process, so
# the measured time inside a call is moto's, not the network's). Assumed, not measured.
CALL_LATENCY_S = {"dynamodb": 0.005, "s3": 0.020, "lambda": 0.020}
S3_READ_BYTES_PER_S = 100e6
LAMBDA_FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB, proportionally less below

# The monthly usage profile for 1 M stored images.
STORED = 1_000_000
PROFILE = {
    "new_images": 100_000,  # uploads a month (10 % of the library)
    "trashed_and_purged": 50_000,  # images deleted a month
    "listing_pages": 1_000_000,  # GET /gallery pages of 100 a month (about 33 a user a day for 1,000 users)
    "thumbnail_views_uncached": 20_000_000,  # thumbnails the browsers fetch from S3 (cache misses)
    "previews_or_originals_viewed": 1_000_000,  # full-screen views
}
ORIGINAL_MB, THUMB_KB, VIEWED_MB = 3.0, 15.0, 3.0  # the corpus photo; a full-screen view of the original
PREVIEW_MB = 0.3  # a 1440 px WebP preview (#17), assumed: what a full-screen view would fetch instead


def _unique_jpeg(base: bytes, index: int) -> bytes:
    """The corpus photo with a trailer after its end marker: still the same picture, other bytes (no duplicates)."""
    return base + b"bench-cost-" + str(index).encode()


def _photo() -> bytes:
    if not CORPUS.exists():
        from bench.thumbnails import _corpus

        _corpus()
    return CORPUS.read_bytes()


@dataclass
class Run:
    meter: Meter
    images: int
    pages: int
    api_requests: Counter[str]
    browser_s3: Counter[str]  # the browser's own S3 requests (the presigned POST)
    purge_idle: Meter | None = None


def _environment() -> None:
    os.environ.update(
        {
            "ASSET_TABLE_NAME": TABLE,
            "MEDIA_BUCKET_NAME": BUCKET,
            "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY,
            "TRASH_RETENTION_DAYS": "30",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "BenchCosts",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )


def _shrink_objects() -> None:
    """Empty every stored version in moto's backend (no API call, no new version): moto deep-copies every version
    of the bucket, bytes included, on each ListObjectVersions, which the purge makes per object. Its calls and their
    counts are unchanged."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_bucket(BUCKET)
    for _, versions in bucket.keys.iterlists():
        for version in versions:
            if hasattr(version, "value"):
                version.value = b"x"


def _flows() -> Run:
    import boto3
    from botocore.config import Config

    from functions.common.repository import AssetRepository
    from functions.common.settings import settings_for
    from functions.system import IDEMPOTENCY_KEY_ATTRIBUTE
    from tests.api_events import FakeContext, http_event
    from tests.thumbnail_support import created_event

    _environment()
    photo = _photo()
    with in_process_aws():
        settings_for.cache_clear()
        from functions.gallery import handler as gallery
        from functions.gallery import wiring as gallery_wiring
        from functions.purge import handler as purge
        from functions.purge import wiring as purge_wiring
        from functions.sign import handler as sign
        from functions.sign import wiring as sign_wiring
        from functions.thumbnail import handler as thumbnail
        from functions.thumbnail import wiring as thumbnail_wiring

        for wiring in (gallery_wiring, purge_wiring, sign_wiring, thumbnail_wiring):
            wiring.collaborators.reset()
        AssetRepository(TABLE).create_table()
        s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        boto3.client("dynamodb").create_table(
            TableName=IDEMPOTENCY,
            AttributeDefinitions=[{"AttributeName": IDEMPOTENCY_KEY_ATTRIBUTE, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": IDEMPOTENCY_KEY_ATTRIBUTE, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        meter = Meter(peek=boto3.client("dynamodb"))
        context = FakeContext()
        api: Counter[str] = Counter()
        browser: Counter[str] = Counter()

        def call_api(function: str, handler: Callable[..., Any], method: str, path: str, **kwargs: Any) -> Any:
            api[f"{method} {path.split('/')[1]}"] += 1
            with meter.invocation(function):
                response = handler(http_event(method, path, **kwargs), context)
            assert response["statusCode"] < 300, response
            return json.loads(response.get("body") or "{}")

        with metering(meter):
            # A first listing builds the gallery's collaborators (the cursor secret: one S3 read per cold start),
            # uncounted: not a per-image cost.
            call_api("gallery", gallery.handler, "GET", "/gallery")
            api.clear()
            ids: list[str] = []
            for index in range(IMAGES):
                data = _unique_jpeg(photo, index)
                meter.phase = "sign"
                body = json.dumps({"contentType": "image/jpeg", "size": len(data), "filename": f"photo-{index}.jpg"})
                signed = call_api("sign", sign.handler, "POST", "/uploads/sign", body=body)
                slot, asset_id = signed["upload"], signed["asset"]["id"]
                ids.append(asset_id)
                meter.phase = "upload"
                # The browser's POST to the presigned URL: one S3 POST request, made outside any function.
                browser["POST (presigned, by the browser)"] += 1
                with meter._uncounted():
                    put = s3.put_object(Bucket=BUCKET, Key=slot["fields"]["key"], Body=data, ContentType="image/jpeg")
                meter.phase = "thumbnail"
                with meter.invocation("thumbnail"):
                    thumbnail.handler(created_event(BUCKET, slot["fields"]["key"], put["ETag"]), context)
            meter.phase = "list"
            pages, cursor = 0, None
            for _ in range(math.ceil(IMAGES / PAGE)):
                query = {"limit": str(PAGE)} | ({"cursor": cursor} if cursor else {})
                page = call_api("gallery", gallery.handler, "GET", "/gallery", query=query)
                assert all(item["status"] == "ready" for item in page["items"]), page["items"][:1]
                pages, cursor = pages + 1, page.get("nextCursor")
            meter.phase = "trash"
            for asset_id in ids:
                call_api("gallery", gallery.handler, "PATCH", f"/assets/{asset_id}", body='{"trashed": true}')
            _shrink_objects()
            meter.phase = "purge"
            later = datetime.now(UTC) + timedelta(days=31)
            event = {
                "version": "0",
                "id": "bench",
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "000000000000",
                "time": later.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": "us-east-1",
                "resources": [],
                "detail": {},
            }
            with meter.invocation("purge"):
                report = purge.handler(event, context)
            assert report["purged"] == IMAGES, report
            # The same schedule again with nothing left to do: what every daily run costs whatever the images.
            meter.phase = "purge idle"
            with meter.invocation("purge idle"):
                purge.handler(event | {"time": (later + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}, context)
        for wiring in (gallery_wiring, purge_wiring, sign_wiring, thumbnail_wiring):
            wiring.collaborators.reset()
        settings_for.cache_clear()
    return Run(meter, IMAGES, pages, api, browser)


S3_TIER1 = {"PutObject", "CopyObject", "PostObject", "ListObjectsV2", "ListObjects", "ListObjectVersions"}
S3_TIER1 |= {"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "DeleteObjects", "ListParts"}
S3_FREE = {"DeleteObject", "AbortMultipartUpload"}


@dataclass(frozen=True)
class FunctionCost:
    function: str
    memory_mb: int
    invocations: float  # per 1,000 images
    own_cpu_ms: float  # median per invocation
    duration_ms: float  # estimated billed duration per invocation

    @property
    def gb_seconds(self) -> float:
        return self.invocations * self.duration_ms / 1000 * self.memory_mb / 1024


def _memory_mb(function: str) -> int:
    from infra.capabilities import PROFILES

    return int(PROFILES[function].memory_mb)


def _function_costs(run: Run, scale: float) -> list[FunctionCost]:
    import statistics

    costs = []
    for phase in PHASES:
        invocations = [item for item in run.meter.invocations if item.phase == phase]
        if not invocations:
            continue
        function = FUNCTION_OF[phase]
        memory = _memory_mb(function)
        share = min(1.0, memory / LAMBDA_FULL_VCPU_MB)
        durations = []
        for item in invocations:
            waits = (
                sum(CALL_LATENCY_S.get(name.split(".")[0], 0.01) * count for name, count in item.calls.items())
                + item.bytes_read / S3_READ_BYTES_PER_S
            )
            durations.append(item.own_cpu_seconds / share + waits)
        costs.append(
            FunctionCost(
                f"{function} ({phase})",
                memory,
                len(invocations) * scale,
                statistics.median(item.own_cpu_seconds for item in invocations) * 1000,
                statistics.median(durations) * 1000,
            )
        )
    return costs


def _s3_requests(run: Run, scale: float) -> dict[str, float]:
    counts: dict[str, float] = defaultdict(float)
    for (phase, service, operation), count in run.meter.calls.items():
        if service == "s3" and phase in PHASES:
            counts[operation] += count * scale
    for name, count in run.browser_s3.items():
        counts[name] += count * scale
    return counts


def _s3_price(operation: str) -> float:
    if operation in S3_FREE:
        return 0.0
    if operation in S3_TIER1 or operation.startswith("POST"):
        return PRICES["s3_tier1_request"]
    return PRICES["s3_tier2_request"]


def _money(value: float) -> str:
    return f"${value:,.4f}" if value < 10 else f"${value:,.2f}"


def run() -> str:
    started = time.perf_counter()
    measured = _flows()
    seconds = time.perf_counter() - started
    meter, scale = measured.meter, PER / measured.images
    pages_word = "page" if measured.pages == 1 else "pages"
    lines = [
        f"Measured by running the real flows in-process on moto: {measured.images} images (a {ORIGINAL_MB:.0f} MB "
        f"12 MP JPEG, each with other bytes) through `POST /uploads/sign` (the sign handler) → the browser's "
        "presigned POST → the S3 event into the thumbnail handler → `GET /gallery` pages of 100 (the gallery "
        f"handler; {measured.pages} {pages_word}, i.e. 10 per 1,000 images) → `PATCH /assets/{{id}}` `trashed` → the "
        "scheduled purge handler 31 days later. Every AWS call is seen by a botocore hook (`bench/aws_meter.py`); "
        f"the figures are scaled linearly from {measured.images} to {PER:,} images (a run took {seconds:.0f} s; "
        "`BENCH_COST_IMAGES=1000` measures 1,000). DynamoDB read and write units are computed from the items' "
        "sizes before and after each write and the table's key schema and index projections, as DynamoDB bills "
        "them (moto does not report consumed capacity), index writes included.",
        "",
        f"### Per {PER:,} images",
        "",
        "| step | API requests | Lambda invocations | DynamoDB WRU (table + indexes) | DynamoDB RRU | S3 requests |",
        "|---|---:|---:|---:|---:|---|",
    ]
    api_by_phase = {"sign": "POST uploads", "list": "GET gallery", "trash": "PATCH assets"}
    for phase in PHASES:
        s3_calls = ", ".join(
            f"{operation} {count * scale:,.0f}"
            for (written_in, service, operation), count in sorted(meter.calls.items())
            if written_in == phase and service == "s3"
        )
        if phase == "upload":
            s3_calls = ", ".join(f"{name} {count * scale:,.0f}" for name, count in measured.browser_s3.items())
        api = measured.api_requests.get(api_by_phase.get(phase, ""), 0) * scale
        invocations = sum(1 for item in meter.invocations if item.phase == phase) * scale
        table = meter.table_write_units[phase] * scale
        indexes = sum(units for (written_in, _), units in meter.index_write_units.items() if written_in == phase)
        lines.append(
            f"| {phase} | {api:,.0f} | {invocations:,.0f} | {(table + indexes * scale):,.0f} "
            f"({table:,.0f} + {indexes * scale:,.0f}) | {meter.read_units[phase] * scale:,.0f} | {s3_calls or '–'} |"
        )
    total_wru = sum(meter.write_units[phase] for phase in PHASES) * scale
    total_rru = sum(meter.read_units[phase] for phase in PHASES) * scale
    index_wru = sum(units for (phase, _), units in meter.index_write_units.items() if phase in PHASES) * scale
    by_index: dict[str, float] = defaultdict(float)
    for (phase, index), units in meter.index_write_units.items():
        if phase in PHASES:
            by_index[index] += units * scale
    api_total = sum(measured.api_requests.values()) * scale
    stream_records = sum(n for (phase, table), n in meter.stream_records.items() if phase in PHASES and table == TABLE)
    s3 = _s3_requests(measured, scale)
    lines += [
        f"| **total** | {api_total:,.0f} | "
        f"{sum(1 for item in meter.invocations if item.phase in PHASES) * scale:,.0f} | {total_wru:,.0f} | "
        f"{total_rru:,.0f} | {sum(s3.values()):,.0f} |",
        "",
        f"Index writes are **{index_wru / total_wru:.0%}** of the write units ({index_wru:,.0f} of {total_wru:,.0f}): "
        + ", ".join(f"`{index}` {units:,.0f}" for index, units in sorted(by_index.items(), key=lambda kv: -kv[1]))
        + ". Thumbnail writes include Powertools idempotency records (their own table). Each change of the asset "
        f"table is also a stream record for the real-time notifier "
        f"({stream_records * scale:,.0f}"
        " per 1,000 images; the notifier's invocations and its reads of the connections table are not counted "
        "here: they depend on how many of the owner's browsers are connected).",
        "",
    ]
    functions = _function_costs(measured, scale)
    lines += [
        "Lambda, at each function's configured memory (`infra/capabilities.py` PROFILES). Duration per invocation "
        "is measured, not guessed, for the function's own work: its median CPU time outside the AWS calls, divided "
        f"by the share of a vCPU Lambda gives at that memory (memory ÷ {LAMBDA_FULL_VCPU_MB} MB, at most 1); to it "
        "are added an assumed round trip per AWS call (DynamoDB "
        f"{CALL_LATENCY_S['dynamodb'] * 1000:.0f} ms, S3 {CALL_LATENCY_S['s3'] * 1000:.0f} ms, plus the bytes read "
        f"at {S3_READ_BYTES_PER_S / 1e6:.0f} MB/s), since moto answers in-process. This machine's x86 core is taken "
        "as fast as a Graviton one.",
        "",
        "| function (step) | memory | invocations | own CPU ms (median) | est. duration ms | GB-s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for cost in functions:
        lines.append(
            f"| {cost.function} | {cost.memory_mb} MB | {cost.invocations:,.0f} | {cost.own_cpu_ms:.1f} | "
            f"{cost.duration_ms:.0f} | {cost.gb_seconds:,.1f} |"
        )
    gb_seconds = sum(cost.gb_seconds for cost in functions)
    invocations = sum(cost.invocations for cost in functions)
    idle = [item for item in meter.invocations if item.phase == "purge idle"]
    idle_rru = meter.read_units["purge idle"]
    lines += [
        f"| **total** | | {invocations:,.0f} | | | {gb_seconds:,.1f} |",
        "",
        "The purge runs once a day whatever the number of images; a run with nothing to purge made "
        f"{sum(idle[0].calls.values()) if idle else 0} calls ({idle_rru:.1f} RRU): its sweeps of every shard. Its "
        "invocations above are scaled like the rest; its GB-seconds grow with the items it purges, its "
        "invocations do not (30 a month).",
        "",
        "### Prices (inputs)",
        "",
        f"us-east-1 list prices, read {PRICES_READ}. They are inputs: change them in `bench/costs.py` `PRICES`.",
        "",
        "| item | price |",
        "|---|---:|",
        *(f"| {PRICE_NAMES[name]} | ${price:.10g} |" for name, price in PRICES.items()),
        "",
    ]
    cost_lambda = gb_seconds * PRICES["lambda_gb_second"] + invocations * PRICES["lambda_request"]
    cost_dynamodb = total_wru * PRICES["dynamodb_write_unit"] + total_rru * PRICES["dynamodb_read_unit"]
    cost_s3 = sum(count * _s3_price(operation) for operation, count in s3.items())
    cost_api = api_total * PRICES["http_api_request"]
    per_thousand = {"Lambda": cost_lambda, "DynamoDB": cost_dynamodb, "S3 requests": cost_s3, "API Gateway": cost_api}
    total = sum(per_thousand.values())
    lines += [
        f"Requests for {PER:,} images taken through the whole flow (storage and transfer aside): "
        + ", ".join(f"{name} {_money(value)} ({value / total:.0%})" for name, value in per_thousand.items())
        + f"; **{_money(total)}** per {PER:,}, {_money(total / PER * 1e6)} per million images.",
        "",
    ]
    facets = by_index.get("by_view_type", 0) + by_index.get("by_view_kind", 0)
    versions = s3.get("ListObjectVersions", 0) * _s3_price("ListObjectVersions")
    stats = s3.get("ListObjectsV2", 0) * _s3_price("ListObjectsV2")
    lines += [
        "Where the request cost goes, and the cuts (described, not made: each changes code other parts of #16 "
        "and #17 are changing now):",
        "",
        f"- **Index writes** are {index_wru / total_wru:.0%} of the DynamoDB write units. Every asset is in "
        "`by_view`, `by_view_type` and `by_view_kind` (projection ALL), so each change of a listed asset is "
        f"written three times more, six when it moves between views (trash, restore): `by_view_type` and "
        f"`by_view_kind` alone are {facets:,.0f} WRU, {facets / total_wru:.0%} of all. A projection of keys only "
        "would not help (an item under 1 KB is one unit either way); fewer entries would: a `by_view_kind` that "
        "holds only videos (sparse) with `kind=image` served from `by_view` filtering videos out saves the "
        f"images' share of its {by_index.get('by_view_kind', 0):,.0f} WRU per 1,000 (all of it here), for reads "
        "of the videos a filtered image page skips.",
        f"- **S3 listings**: the purge lists each object's versions before deleting them "
        f"(ListObjectVersions, {s3.get('ListObjectVersions', 0):,.0f} per 1,000 images, a PUT-priced request: "
        f"{_money(versions)}, {versions / cost_s3:.0%} of the S3 request cost), and the thumbnail function "
        f"checks the original with a ListObjectsV2 ({_money(stats)}, {stats / cost_s3:.0%}). Recording each "
        "object's version id on the record when it is written (the S3 event carries the original's, PutObject "
        "returns the thumbnail's) lets the purge delete those versions in its one DeleteObjects per 1,000 "
        "without listing, listing only for a record without them.",
        "- **The usage counter**: sign and thumbnail each update the owner's counter in a transaction (twice "
        "the units); it is also the one item that bounds a single user's upload rate (below).",
        "- **Listing CPU** is mostly presigning (two botocore URLs per item): the signer of #17 takes the page's "
        'handler CPU to a fifth or less (section "Signing cost"), a small share of the bill but the page\'s '
        "latency.",
        "",
    ]
    lines += _monthly(measured, scale, functions)
    lines += _partitions(measured)
    return "\n".join(lines)


def _per_step_costs(measured: Run, scale: float, functions: list[FunctionCost]) -> dict[str, float]:
    """The request cost of one image's pass through each step (one page for `list`)."""
    meter = measured.meter
    costs = {}
    for phase in PHASES:
        per = measured.pages * scale / PER if phase == "list" else 1.0
        dynamodb = (
            meter.write_units[phase] * PRICES["dynamodb_write_unit"]
            + meter.read_units[phase] * PRICES["dynamodb_read_unit"]
        )
        s3 = sum(
            count * _s3_price(operation)
            for (written_in, service, operation), count in meter.calls.items()
            if written_in == phase and service == "s3"
        )
        if phase == "upload":
            s3 += sum(measured.browser_s3.values()) * PRICES["s3_tier1_request"]
        lambdas = (
            sum(
                (cost.gb_seconds * PRICES["lambda_gb_second"] + cost.invocations * PRICES["lambda_request"])
                for cost in functions
                if cost.function.endswith(f"({phase})")
            )
            / scale
        )
        api = {"sign": 1, "list": 1, "trash": 1}.get(phase, 0) * PRICES["http_api_request"]
        count = measured.pages if phase == "list" else measured.images
        costs[phase] = (dynamodb + s3 + lambdas) / count + api
        del per
    return costs


def _monthly(measured: Run, scale: float, functions: list[FunctionCost]) -> list[str]:
    step = _per_step_costs(measured, scale, functions)
    profile = PROFILE
    item_bytes = 1200  # an asset item with its index copies is billed as stored per copy; see below
    rows = {
        "S3 storage (originals + thumbnails)": STORED
        * (ORIGINAL_MB * 1e6 + THUMB_KB * 1e3)
        / 1e9
        * PRICES["s3_storage_gb_month"],
        "DynamoDB storage (item + ~4 index copies)": STORED
        * item_bytes
        * 5
        / 1e9
        * PRICES["dynamodb_storage_gb_month"],
        "uploads (sign, POST, thumbnail)": profile["new_images"] * (step["sign"] + step["upload"] + step["thumbnail"]),
        "listing pages": profile["listing_pages"] * step["list"],
        "trash + purge": profile["trashed_and_purged"] * (step["trash"] + step["purge"]),
        "thumbnail GETs from S3": profile["thumbnail_views_uncached"] * PRICES["s3_tier2_request"],
        "full-screen views (S3 GET)": profile["previews_or_originals_viewed"] * PRICES["s3_tier2_request"],
        "transfer out (thumbnails + views)": (
            profile["thumbnail_views_uncached"] * THUMB_KB * 1e3
            + profile["previews_or_originals_viewed"] * VIEWED_MB * 1e6
        )
        / 1e9
        * PRICES["transfer_out_gb"],
    }
    total = sum(rows.values())
    transfer_preview = (
        (
            profile["thumbnail_views_uncached"] * THUMB_KB * 1e3
            + profile["previews_or_originals_viewed"] * PREVIEW_MB * 1e6
        )
        / 1e9
        * PRICES["transfer_out_gb"]
    )
    preview_storage = STORED * PREVIEW_MB * 1e6 / 1e9 * PRICES["s3_storage_gb_month"]
    after = total - rows["transfer out (thumbnails + views)"] + transfer_preview + preview_storage
    lines = [
        f"### A month with {STORED:,} stored images",
        "",
        "Usage profile (an assumption, change `PROFILE`): "
        + f"{profile['new_images']:,} uploads, {profile['trashed_and_purged']:,} images trashed and purged, "
        + f"{profile['listing_pages']:,} listing pages of 100, {profile['thumbnail_views_uncached']:,} thumbnail "
        + f"fetches that miss the browser's cache, {profile['previews_or_originals_viewed']:,} full-screen views of "
        + f"the {VIEWED_MB:.0f} MB original; originals {ORIGINAL_MB:.0f} MB, thumbnails {THUMB_KB:.0f} KB. Each "
        + "step's request cost is the measured one above, per image (per page for listings).",
        "",
        "| cost | per month | share |",
        "|---|---:|---:|",
        *(f"| {name} | {_money(value)} | {value / total:.1%} |" for name, value in rows.items()),
        f"| **total** | **{_money(total)}** | |",
        f"| *after the cut:* full-screen views fetch a {PREVIEW_MB * 1000:.0f} KB preview (#17) instead of the "
        f"original, and the previews are stored | **{_money(after)}** | {after / total:.0%} of before |",
        "",
        "The bytes sent to browsers dominate, then the storage of the originals; all the requests together are a "
        "few per cent. The full-screen view of the original is most of the transfer, so the preview rendition of "
        f"#17 is the cut that matters: transfer {_money(rows['transfer out (thumbnails + views)'])} → "
        f"{_money(transfer_preview)} a month, for {_money(preview_storage)} of preview storage (the preview's size "
        "is assumed here; the thumbnail section measures it over the corpus). Cache-stable thumbnail URLs (#17) "
        "cut the thumbnail GETs and their transfer further, by the share of fetches the browser's cache then "
        "answers.",
        "",
    ]
    return lines


def _item_name(key: str) -> str:
    """`owner` `alice`, `asset_id` `#usage` from the key's JSON."""
    return ", ".join(f"`{name}` `{next(iter(value.values()))}`" for name, value in json.loads(key).items())


def meter_table_units(meter: Meter, measured: Run) -> float:
    """WRU on the asset table's hottest partition key value over an upload (sign and thumbnail)."""
    return sum(meter.hottest(phase).get(TABLE, ("", 0, 0))[1] for phase in ("sign", "thumbnail"))


def _partitions(measured: Run) -> list[str]:
    meter = measured.meter
    per_second = UPLOADS_PER_MINUTE / 60
    lines = [
        f"### {UPLOADS_PER_MINUTE:,} uploads a minute",
        "",
        f"{per_second:.0f} uploads a second, each through sign and thumbnail. Per table and index, the write units "
        "one upload puts on the hottest partition key value of the run (one user uploads everything: the worst "
        "case for the keys that start with the owner), and the rate that makes against DynamoDB's per-partition "
        f"limit of {PARTITION_WRITE_LIMIT:,} WCU/s. A single partition key value lives in one partition: with "
        "ULID sort keys every write lands at its end, so adaptive capacity's split for heat does not help.",
        "",
        "| table or index | partition key values written | WRU per upload on the hottest | WCU/s at "
        f"{UPLOADS_PER_MINUTE:,}/min | share of the limit |",
        "|---|---:|---:|---:|---:|",
    ]
    hottest: dict[str, tuple[float, int]] = {}
    for phase in ("sign", "thumbnail"):
        for name, (_, hot_units, values) in meter.hottest(phase).items():
            before = hottest.get(name, (0.0, 0))
            hottest[name] = (before[0] + hot_units, max(before[1], values))
    for name, (units, values) in sorted(hottest.items(), key=lambda entry: -entry[1][0]):
        per_upload = units / measured.images
        rate = per_upload * per_second
        lines.append(
            f"| `{name}` | {values} | {per_upload:.2f} | {rate:,.0f} | "
            f"{'**' if rate > PARTITION_WRITE_LIMIT else ''}{rate / PARTITION_WRITE_LIMIT:.0%}"
            f"{'**' if rate > PARTITION_WRITE_LIMIT else ''} |"
        )
    list_rru = meter.read_units["list"] / max(1, measured.pages)
    hot_key, hot_units = meter.hottest_item(("sign", "thumbnail"), TABLE)
    hot_rate = hot_units / measured.images * per_second
    lines += [
        "",
        f"The hottest single item of the table is {_item_name(hot_key)}, {hot_units / measured.images:.2f} WRU per "
        f"upload: {hot_rate:,.0f} WCU/s at this rate, {hot_rate / PARTITION_WRITE_LIMIT:.0%} of the 1,000 WCU/s "
        "one item can take. It is the owner's usage counter, changed in the sign's and in the thumbnail's "
        "transaction (a transactional write counts twice). The table's row above is the owner's whole item "
        "collection; DynamoDB may split a collection between partitions by sort key (the counter on one side, "
        "the new ULIDs on the other), never one item. So one user alone can sustain about "
        f"{PARTITION_WRITE_LIMIT / (meter_table_units(meter, measured) / measured.images) * 60:,.0f} uploads a "
        f"minute before such a split and about {PARTITION_WRITE_LIMIT / (hot_units / measured.images) * 60:,.0f} "
        f"after it; many users uploading {UPLOADS_PER_MINUTE:,} a minute together are far from every limit.",
        "",
        "Keys that start with the owner (the table, every view index, `by_sha256`) take one user's whole upload "
        "rate; spread over many users they divide by the number of users uploading at once. The shard keys "
        "(`by_pending`'s `pending#{shard}`, and in the purge `trash#{shard}`) are shared by all users and spread "
        "over the shards whoever uploads. Reads: a listing page costs "
        f"{list_rru:.1f} RRU; at the same pace (one page per 100 uploads) that is "
        f"{list_rru * per_second / 100:.1f} RRU/s against {PARTITION_READ_LIMIT:,} per partition.",
    ]
    return lines


if __name__ == "__main__":
    print(run())
