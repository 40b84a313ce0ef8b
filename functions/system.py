"""The one description of the system that the Lambda code, the CDK stack and the local server all read.

Routes, CORS, S3 prefixes, limit defaults and the purge schedule live here so that what runs locally and
what is deployed cannot drift. This module imports nothing but the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass

ORIGINALS_PREFIX = "originals/"
THUMBS_PREFIX = "thumbs/"
# Video originals (#16) live under their own prefix, so S3's ObjectCreated reaches the video function and not the
# thumbnail function (S3 filters notifications by prefix and suffix only, and two filters may not overlap). Which prefix
# a presigned upload writes to follows the declared type; the processing function then decides from the bytes.
VIDEO_ORIGINALS_PREFIX = "videos/"
# The cursors' HMAC key: an object in the media bucket, created by the first gallery function to start
# (functions/common/cursor_secret.py). Outside originals/ and thumbs/: no media grant, purge or notification reaches it.
CURSOR_SECRET_KEY = "system/cursor-secret"  # noqa: S105 - where the key is stored, not the key

# Daily at 03:00 UTC, as an EventBridge cron expression (minutes hours day-of-month month day-of-week year).
PURGE_SCHEDULE_CRON = "cron(0 3 * * ? *)"

# Items in the trash index are spread over this many partitions so that no single one is hot.
PURGE_SHARDS = 8
# Uploads left in `pending` longer than this are abandoned and removed by the purge.
ABANDONED_UPLOAD_HOURS = 24

DIRECT_UPLOAD_MAX_BYTES = 4 * 1024 * 1024
# Multipart uploads (#16): parts are at least 8 MiB (S3's floor is 5 MiB, except for the last part), at most 10,000 of
# them (S3's ceiling); one call presigns at most this many part URLs.
MULTIPART_MIN_PART_BYTES = 8 * 1024 * 1024
MULTIPART_MAX_PARTS = 10_000
MULTIPART_MAX_PART_URLS = 100
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
MAX_BULK_IDS = 100
# Folders (#15): at most this many per user, each name 1-100 characters after trimming.
MAX_FOLDERS = 1000
MAX_FOLDER_NAME = 100
MAX_INGEST_WAIT_SECONDS = 25

# Headers and methods the SPA needs; API Gateway answers preflight from this, and so does the local server.
CORS_ALLOW_METHODS = ("GET", "POST", "PATCH", "DELETE", "OPTIONS")
CORS_ALLOW_HEADERS = ("authorization", "content-type", "idempotency-key", "x-share-access")
CORS_EXPOSE_HEADERS = ("location",)
CORS_MAX_AGE_SECONDS = 600
# The local web app's origins (devserver/web.py): allowed, by the stack and the local server, when none are given.
LOCAL_WEB_ORIGINS = ("http://localhost:3001", "http://127.0.0.1:3001")


@dataclass(frozen=True)
class BucketCors:
    """One CORS rule of the media bucket, for the allowed origins: S3 answers with it, and so does the local S3 gate."""

    methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age_seconds: int


# The SPA's presigned POSTs (a multipart form; its preflight asks for no header), its multipart uploads' part PUTs
# (their ETag is not needed: the server lists the parts) and downloads; image and video tags need none.
MEDIA_BUCKET_CORS = BucketCors(
    methods=("GET", "HEAD", "POST", "PUT"),
    allow_headers=("content-type", "x-amz-checksum-sha256"),
    expose_headers=("etag",),
    max_age_seconds=CORS_MAX_AGE_SECONDS,
)

# Powertools' idempotency records (DynamoDBPersistenceLayer's defaults): the table's key and its TTL attribute.
IDEMPOTENCY_KEY_ATTRIBUTE = "id"
IDEMPOTENCY_EXPIRY_ATTRIBUTE = "expiration"

# Defaults of the limits that are configuration (environment variables of the same name).
LIMIT_DEFAULTS: dict[str, str] = {
    "ASSET_MAX_IMAGE_MB": "25",
    # Videos (#16): the largest original, and the largest a presigned POST takes (above it: POST /uploads/multipart).
    "ASSET_MAX_VIDEO_MB": "2048",
    "MULTIPART_THRESHOLD_MB": "100",
    # What the video function refuses from the container header, before decoding: displayed pixels and duration.
    "MAX_VIDEO_PIXELS": "35389440",
    "MAX_VIDEO_SECONDS": "14400",
    "TRASH_RETENTION_DAYS": "30",
    "THUMBNAIL_SIZE": "256",
    # The viewer's preview (#17): its longest side; never larger than the original.
    "PREVIEW_SIZE": "1440",
    "MAX_IMAGE_PIXELS": "50000000",
    "ASSET_HOST_ALLOWLIST": "",
    "READ_URL_TTL_SECONDS": "3600",
    # Read URLs are signed at the start of a window this long (0 = off), so a listing repeats the URLs the browser
    # has cached; each is then valid for the window plus the TTL (README, "Signed URLs").
    "READ_URL_WINDOW_SECONDS": "3600",
    "UPLOAD_URL_TTL_SECONDS": "300",
    "DOWNLOAD_URL_TTL_SECONDS": "300",
    "INGEST_DEADLINE_SECONDS": "120",
    "INGEST_MAX_IN_FLIGHT": "5",
    # Per user (0 = no limit): stored originals' bytes in MiB and assets, trash included (functions/common/quota.py).
    "USER_QUOTA_MB": "10240",
    "USER_QUOTA_ASSETS": "100000",
    # Where a share's link points (`{SHARE_BASE_URL}/g/{token}`); empty: the link is the path alone.
    "SHARE_BASE_URL": "",
}

# Share links (#15): a selection holds at most this many assets; a public page shows this many items.
MAX_SHARE_ASSETS = 500
PUBLIC_SHARE_PAGE_SIZE = 50
# Where the copies a share's downloads hand out live (random keys, no owner, no asset id).
PUBLIC_COPIES_PREFIX = "public/"
# The header (or, for a download link only, the `access` query parameter) carrying a password share's access token.
SHARE_ACCESS_HEADER = "x-share-access"


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function: its handler string (relative to the code asset's root) and what it is for."""

    name: str
    handler: str
    description: str


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        FunctionSpec("gallery", "functions.gallery.handler.handler", "Gallery listing and asset actions"),
        FunctionSpec("sign", "functions.sign.handler.handler", "Presigned uploads and read URLs"),
        FunctionSpec("docs", "functions.docs.handler.handler", "OpenAPI document and Swagger UI"),
        FunctionSpec("thumbnail", "functions.thumbnail.handler.handler", "Thumbnails for new originals"),
        FunctionSpec("video", "functions.video.handler.handler", "Posters and facts for new video originals"),
        FunctionSpec("multipart", "functions.multipart.handler.handler", "Multipart uploads of large files"),
        FunctionSpec("purge", "functions.purge.handler.handler", "Scheduled trash purge"),
        FunctionSpec("upload", "functions.upload.handler.handler", "Direct upload of small images"),
        FunctionSpec("ingest", "functions.ingest.handler.handler", "Starts the ingest of a remote image URL"),
        FunctionSpec("ingest_worker", "functions.ingest.worker.handler", "Fetches an ingested URL (async)"),
        FunctionSpec("realtime", "functions.realtime.handler.handler", "Tickets for the real-time WebSocket"),
        FunctionSpec("realtime_authorizer", "functions.realtime.authorizer.handler", "WebSocket $connect authorizer"),
        FunctionSpec("realtime_connections", "functions.realtime.connections.handler", "WebSocket connect/disconnect"),
        FunctionSpec("realtime_notifier", "functions.realtime.notifier.handler", "Pushes asset changes to sockets"),
        FunctionSpec("shares", "functions.shares.handler.handler", "The owner's share links"),
        FunctionSpec("public_shares", "functions.public_shares.handler.handler", "Public share pages (no sign-in)"),
    )
}

# Real-time push (#14): `POST /realtime/ticket` hands out a WebSocket URL carrying a single-use ticket (never the JWT)
# in this query parameter; the `$connect` REQUEST authorizer reads it (identity source
# `route.request.querystring.ticket`) and consumes it.
REALTIME_TICKET_PARAMETER = "ticket"
REALTIME_TICKET_TTL_SECONDS = 60
REALTIME_STAGE = "live"
# API Gateway's WebSocket limits: a connection lasts 2 hours at most, closes after 10 idle minutes; a frame is 128 KB.
REALTIME_CONNECTION_MAX_SECONDS = 7200
REALTIME_IDLE_SECONDS = 600
REALTIME_MAX_MESSAGE_BYTES = 128 * 1024
# What a client sends to keep its connection alive: it reaches `$default`, which no function answers (deployed a MOCK
# integration, locally the emulator itself).
REALTIME_PING_MESSAGE = '{"action": "ping"}'
# The asset table's DynamoDB stream: both images, so a REMOVE still names its owner and the notifier can tell an
# asset from internal items. The stack and the local table are created with it.
ASSET_STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"
# How the notifier reads that stream (the stack's event source mapping, and the local relay): up to this many records
# per invocation, without waiting to fill a batch (a window would delay every change by up to its length).
ASSET_STREAM_BATCH_SIZE = 100
ASSET_STREAM_BATCHING_WINDOW_SECONDS = 0
# Retries of a failing batch (bisected) before what still fails goes to the failure queue.
ASSET_STREAM_RETRY_ATTEMPTS = 3


@dataclass(frozen=True)
class Throttle:
    """API Gateway's token bucket for one route: `rate_per_second` refill, at most `burst` requests at once."""

    rate_per_second: float
    burst: int


# Every route's own bucket unless it names another (the stage's default route settings).
STAGE_THROTTLE = Throttle(rate_per_second=50, burst=100)
# The routes anyone can call get a smaller bucket of their own, so anonymous traffic cannot use up the signed-in one.
PUBLIC_THROTTLE = Throttle(rate_per_second=10, burst=20)


@dataclass(frozen=True)
class Route:
    """An HTTP API route: `method` and `path` as API Gateway spells them, the function, whether a JWT is needed, and
    its own throttle when it is not the stage's."""

    method: str
    path: str
    function: str
    auth: bool = True
    throttle: Throttle | None = None

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"

    @property
    def effective_throttle(self) -> Throttle:
        return self.throttle or STAGE_THROTTLE


# An authorized `$default` also catches OPTIONS, and a browser's CORS preflight carries no token: AWS's CORS guide for
# HTTP APIs adds an `OPTIONS /{proxy+}` route without authorization, which ranks above `$default`. API Gateway answers
# every preflight (`Origin` and `Access-Control-Request-Method`) itself from the CORS configuration, so the integration
# sees only an OPTIONS that is none: the docs function, the cheapest, answers it an empty 204 under the small bucket.
CORS_OPTIONS_ROUTE = Route("OPTIONS", "/{proxy+}", "docs", auth=False, throttle=PUBLIC_THROTTLE)

ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", "gallery", auth=False, throttle=PUBLIC_THROTTLE),
    Route("GET", "/openapi.json", "docs", auth=False, throttle=PUBLIC_THROTTLE),
    Route("GET", "/docs", "docs", auth=False, throttle=PUBLIC_THROTTLE),
    Route("POST", "/uploads/sign", "sign"),
    Route("POST", "/uploads", "upload"),
    Route("POST", "/uploads/multipart", "multipart"),
    Route("POST", "/uploads/multipart/{id}/parts", "multipart"),
    Route("POST", "/uploads/multipart/{id}/complete", "multipart"),
    Route("DELETE", "/uploads/multipart/{id}", "multipart"),
    Route("POST", "/ingest", "ingest"),
    Route("POST", "/assets/sign-read", "sign"),
    Route("GET", "/gallery", "gallery"),
    Route("POST", "/assets/bulk", "gallery"),
    Route("GET", "/assets/{id}", "gallery"),
    Route("PATCH", "/assets/{id}", "gallery"),
    Route("DELETE", "/assets/{id}", "gallery"),
    Route("GET", "/assets/{id}/download", "gallery"),
    Route("POST", "/trash/empty", "gallery"),
    Route("POST", "/assets/{id}/reprocess", "gallery"),
    Route("GET", "/usage", "gallery"),
    Route("POST", "/folders", "gallery"),
    Route("GET", "/folders", "gallery"),
    Route("PATCH", "/folders/{id}", "gallery"),
    Route("DELETE", "/folders/{id}", "gallery"),
    Route("POST", "/realtime/ticket", "realtime"),
    Route("POST", "/shares", "shares"),
    Route("GET", "/shares", "shares"),
    Route("PATCH", "/shares/{id}", "shares"),
    Route("DELETE", "/shares/{id}", "shares"),
    Route("POST", "/shares/{id}/rotate", "shares"),
    Route("GET", "/public/shares/{token}", "public_shares", auth=False, throttle=PUBLIC_THROTTLE),
    Route("POST", "/public/shares/{token}/unlock", "public_shares", auth=False, throttle=PUBLIC_THROTTLE),
    Route(
        "GET", "/public/shares/{token}/items/{alias}/download", "public_shares", auth=False, throttle=PUBLIC_THROTTLE
    ),
    CORS_OPTIONS_ROUTE,
    # Anything unmatched needs the JWT like every signed-in route: without one API Gateway's authorizer answers 401
    # and no function runs; with one the gallery function answers a problem+json 404 `not_found`. Unknown paths are
    # what scanners send: the small bucket, which API Gateway checks before the authorizer.
    Route("ANY", "$default", "gallery", throttle=PUBLIC_THROTTLE),
)
