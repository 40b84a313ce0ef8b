"""What each Lambda function may do, how big it is and how it is invoked: the one table the stack builds roles from.

Every function in `functions.system.FUNCTIONS` must have a profile here (a test fails otherwise), so nothing ships
with default permissions or without its environment. Profiles for functions not (yet) in FUNCTIONS are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from functions.common.identity import OWNER_SHARES_PREFIX, SHARE_PREFIX, TOKEN_PREFIX
from functions.system import (
    ASSET_STREAM_RETRY_ATTEMPTS,
    CURSOR_SECRET_KEY,
    ORIGINALS_PREFIX,
    PUBLIC_COPIES_PREFIX,
    REALTIME_STAGE,
    THUMBS_PREFIX,
    VIDEO_ORIGINALS_PREFIX,
)


class Grant(StrEnum):
    """One permission a function can hold; the stack turns each into a least-privilege IAM statement."""

    TABLE_READ = "table:read"  # GetItem, BatchGetItem, Query on the asset table and its indexes
    TABLE_WRITE = "table:write"  # PutItem, UpdateItem, ConditionCheckItem (never BatchWriteItem: it can delete)
    TABLE_DELETE = "table:delete"  # DeleteItem: purge and the gallery's delete path only
    IDEMPOTENCY = "idempotency:use"  # Powertools idempotency records (it deletes its own record on failure)
    # Every ORIGINALS_* grant covers the originals of both kinds (#16): `originals/*` (images) and `videos/*`, and
    # MEDIA_LIST_VERSIONS / ORIGINALS_LIST the prefixes of both, so no path that handles an original by
    # `asset.original_key` needs to know its kind.
    # GetObject(Version) on originals/*; also what a presigned GET of an original needs (pinned to its version, #17)
    ORIGINALS_READ = "originals:read"
    ORIGINALS_WRITE = "originals:write"  # PutObject on originals/*; also what a presigned POST needs
    # PutObject on originals/* only as a copy of an object under originals/ (CopyObject onto itself, so S3
    # announces the original again): can re-trigger the pipeline, cannot store new bytes.
    ORIGINALS_RECOPY = "originals:recopy"
    # Multipart uploads (#16; Create, UploadPart and Complete are s3:PutObject, i.e. ORIGINALS_WRITE): ListParts
    # (s3:ListMultipartUploadParts) to check the parts before completing, and AbortMultipartUpload, on originals.
    ORIGINALS_MULTIPART = "originals:multipart"
    # AbortMultipartUpload alone on originals: the purge drops an abandoned upload's parts, and lists nothing.
    ORIGINALS_ABORT_MULTIPART = "originals:abort-multipart"
    THUMBS_READ = "thumbs:read"  # GetObject on thumbs/*; also what a presigned GET of a thumbnail needs
    THUMBS_WRITE = "thumbs:write"  # PutObject on thumbs/*
    ORIGINALS_DELETE = "originals:delete"  # DeleteObject on originals/* (in the versioned bucket: a delete marker)
    # Deleting forever in the versioned bucket: every version of a key by its id (delete markers too), found with
    # ListObjectVersions limited to the media prefixes. Without them a delete leaves the bytes as noncurrent versions.
    ORIGINALS_DELETE_VERSIONS = "originals:delete-versions"  # DeleteObjectVersion on originals/*
    THUMBS_DELETE_VERSIONS = "thumbs:delete-versions"  # DeleteObjectVersion on thumbs/*
    MEDIA_LIST_VERSIONS = "media:list-versions"  # ListBucketVersions with s3:prefix under originals/ or thumbs/
    # ListBucket limited to keys under originals/: tells a missing original (S3 answers 404 only to a caller that may
    # list; without it HeadObject and GetObject of a missing key are 403) through ListObjectsV2 with the key as prefix.
    ORIGINALS_LIST = "originals:list"
    # The video function's own (#16): it reads video originals only, through ranged GetObject calls, and removes
    # a video original nobody asked for; never an image's original.
    VIDEOS_READ = "videos:read"  # GetObject on videos/*
    VIDEOS_DELETE = "videos:delete"  # DeleteObject on videos/* (in the versioned bucket: a delete marker)
    # The cursors' HMAC key, one object (functions/common/cursor_secret.py): GetObject of exactly that key, and
    # PutObject of it only with `If-None-Match: *`, so a role can create the key once and never overwrite it.
    CURSOR_KEY_READ = "cursor-key:read"
    CURSOR_KEY_CREATE = "cursor-key:create"
    # Real time (#14), on the connections table: tickets and connections are items, each function only its own step.
    CONNECTIONS_READ = "connections:read"  # Query of an owner's connections (the notifier)
    CONNECTIONS_WRITE = "connections:write"  # PutItem: a new ticket, a new connection
    CONNECTIONS_DELETE = "connections:delete"  # DeleteItem: redeeming a ticket, forgetting a connection
    # The asset table's stream, which Lambda's event source mapping reads with the notifier's role: ListStreams,
    # DescribeStream, GetShardIterator, GetRecords on the table's streams (`{table}/stream/*`, as AWS documents it).
    ASSET_STREAM_READ = "asset-stream:read"
    # PostToConnection through the WebSocket API's management API, on its `live` stage's @connections only.
    WEBSOCKET_POST = "websocket:post"
    # Share links (#15). The public function's only table writes: UpdateItem/PutItem on items whose partition is a
    # share's (`~share#…`: its view and attempt counters, its download copies), never an asset nor a link (`~` is
    # functions.common.identity.SYSTEM_PARTITION, 256 bytes: longer than any owner's partition).
    SHARE_COUNTERS = "share-counters:write"
    # The shares function's table writes: Put/Update/DeleteItem only on share items (`~share#…`, `~token#…`,
    # `~shares#…` partitions), so it can neither change nor delete an asset.
    SHARE_ITEMS_WRITE = "share-items:write"
    PUBLIC_COPIES_READ = "public-copies:read"  # GetObject on public/*: what a presigned GET of a download copy needs
    PUBLIC_COPIES_WRITE = "public-copies:write"  # PutObject on public/*: a download's copy (random key)
    # Revoking a share deletes its copies forever: every version, found with ListBucketVersions under public/.
    PUBLIC_COPIES_DELETE_VERSIONS = "public-copies:delete-versions"
    PUBLIC_COPIES_LIST_VERSIONS = "public-copies:list-versions"


class Invocation(StrEnum):
    """Who calls the function; everything but API is asynchronous and gets retries, a failure queue and alarms."""

    API = "api"  # the HTTP API, from functions.system.ROUTES
    ORIGINAL_CREATED = "original-created"  # S3 ObjectCreated under ORIGINALS_PREFIX
    VIDEO_CREATED = "video-created"  # S3 ObjectCreated under VIDEO_ORIGINALS_PREFIX (#16)
    SCHEDULE = "schedule"  # EventBridge, PURGE_SCHEDULE_CRON
    ASYNC = "async"  # another function, with lambda:InvokeFunction InvocationType=Event
    WEBSOCKET = "websocket"  # the WebSocket API: its `$connect` authorizer, `$connect` and `$disconnect`
    # The asset table's DynamoDB stream, through an event source mapping (its own retries and failure queue).
    ASSET_STREAM = "asset-stream"

    @property
    def asynchronous(self) -> bool:
        return self not in (Invocation.API, Invocation.WEBSOCKET)


@dataclass(frozen=True)
class FunctionProfile:
    """Size, permissions and wiring of one function."""

    settings: str  # the class name of its settings model in functions.common.settings
    invocation: Invocation
    grants: frozenset[Grant]
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int | None = None
    # Functions this one invokes asynchronously; each name reaches it as `<NAME>_FUNCTION_NAME`.
    invokes: tuple[str, ...] = ()
    # Whether it fetches arbitrary URLs (only the ingest worker does).
    internet: bool = False
    # Whether it calls an AWS API with no gateway endpoint (the WebSocket API's @connections): not in the VPC.
    public_aws_api: bool = False
    # Asynchronous invocations only: how often Lambda retries and how long an event may wait.
    retry_attempts: int = 2
    max_event_age_seconds: int = 3600
    extra_environment: dict[str, str] = field(default_factory=dict)
    # Variables botocore reads itself (no settings model does), which the stack must provide.
    botocore_environment: tuple[str, ...] = ()
    # Layers it carries besides the dependency layer, by name: `layers/<name>/requirements.txt` (e.g. "video").
    layers: tuple[str, ...] = ()
    # Lambda's /tmp in MB (512 to 10,240); None: Lambda's default of 512.
    ephemeral_storage_mb: int | None = None

    @property
    def isolated(self) -> bool:
        """Runs in subnets with no route out, reaching only S3 and DynamoDB through gateway endpoints.

        Not for a function that fetches URLs, nor one that invokes another: the Lambda API has no gateway endpoint,
        and an interface endpoint would cost money every idle hour.
        """
        return not self.internet and not self.invokes and not self.public_aws_api


@dataclass(frozen=True)
class ResourceNames:
    """The names and ARNs a policy points at: CloudFormation tokens in the stack, plain strings locally."""

    table_arn: str
    idempotency_table_arn: str
    bucket_arn: str
    bucket_name: str
    function_arns: Mapping[str, str] = field(default_factory=dict)
    connections_table_arn: str = ""
    # `arn:aws:execute-api:{region}:{account}:{api id}` of the WebSocket API.
    websocket_api_arn: str = ""


@dataclass(frozen=True)
class StatementSpec:
    """One IAM Allow statement: what the stack synthesizes and what the local IAM emulation enforces."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]] | None = None


def grant_statement(grant: Grant, names: ResourceNames) -> StatementSpec:
    """The actions, resources and conditions one grant stands for; the one table every role is built from."""
    table = (names.table_arn,)
    table_and_indexes = (names.table_arn, f"{names.table_arn}/index/*")
    # Originals of both kinds (#16): images under `originals/`, videos under `videos/`.
    originals = (f"{names.bucket_arn}/{ORIGINALS_PREFIX}*", f"{names.bucket_arn}/{VIDEO_ORIGINALS_PREFIX}*")
    originals_like = [f"{ORIGINALS_PREFIX}*", f"{VIDEO_ORIGINALS_PREFIX}*"]
    videos = (f"{names.bucket_arn}/{VIDEO_ORIGINALS_PREFIX}*",)
    thumbs = (f"{names.bucket_arn}/{THUMBS_PREFIX}*",)
    cursor_secret = (f"{names.bucket_arn}/{CURSOR_SECRET_KEY}",)
    copies = (f"{names.bucket_arn}/{PUBLIC_COPIES_PREFIX}*",)
    table_by_grant: dict[Grant, tuple[tuple[str, ...], tuple[str, ...]]] = {
        Grant.TABLE_READ: (("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"), table_and_indexes),
        Grant.TABLE_WRITE: (("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"), table),
        Grant.TABLE_DELETE: (("dynamodb:DeleteItem",), table),
        Grant.IDEMPOTENCY: (
            ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
            (names.idempotency_table_arn,),
        ),
        Grant.ORIGINALS_READ: (("s3:GetObject", "s3:GetObjectVersion"), originals),
        Grant.ORIGINALS_WRITE: (("s3:PutObject",), originals),
        Grant.ORIGINALS_MULTIPART: (("s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"), originals),
        Grant.ORIGINALS_ABORT_MULTIPART: (("s3:AbortMultipartUpload",), originals),
        Grant.THUMBS_READ: (("s3:GetObject",), thumbs),
        Grant.THUMBS_WRITE: (("s3:PutObject",), thumbs),
        Grant.ORIGINALS_RECOPY: (("s3:PutObject",), originals),
        Grant.ORIGINALS_DELETE: (("s3:DeleteObject",), originals),
        Grant.ORIGINALS_DELETE_VERSIONS: (("s3:DeleteObjectVersion",), originals),
        Grant.THUMBS_DELETE_VERSIONS: (("s3:DeleteObjectVersion",), thumbs),
        Grant.MEDIA_LIST_VERSIONS: (("s3:ListBucketVersions",), (names.bucket_arn,)),
        Grant.ORIGINALS_LIST: (("s3:ListBucket",), (names.bucket_arn,)),
        Grant.VIDEOS_READ: (("s3:GetObject",), videos),
        Grant.VIDEOS_DELETE: (("s3:DeleteObject",), videos),
        Grant.CURSOR_KEY_READ: (("s3:GetObject",), cursor_secret),
        Grant.CURSOR_KEY_CREATE: (("s3:PutObject",), cursor_secret),
        Grant.CONNECTIONS_READ: (("dynamodb:Query",), (names.connections_table_arn,)),
        Grant.CONNECTIONS_WRITE: (("dynamodb:PutItem",), (names.connections_table_arn,)),
        Grant.CONNECTIONS_DELETE: (("dynamodb:DeleteItem",), (names.connections_table_arn,)),
        Grant.ASSET_STREAM_READ: (
            ("dynamodb:ListStreams", "dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"),
            (f"{names.table_arn}/stream/*",),
        ),
        Grant.SHARE_COUNTERS: (("dynamodb:UpdateItem", "dynamodb:PutItem"), table),
        Grant.SHARE_ITEMS_WRITE: (("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"), table),
        Grant.PUBLIC_COPIES_READ: (("s3:GetObject",), copies),
        Grant.PUBLIC_COPIES_WRITE: (("s3:PutObject",), copies),
        Grant.PUBLIC_COPIES_DELETE_VERSIONS: (("s3:DeleteObjectVersion",), copies),
        Grant.PUBLIC_COPIES_LIST_VERSIONS: (("s3:ListBucketVersions",), (names.bucket_arn,)),
        Grant.WEBSOCKET_POST: (
            ("execute-api:ManageConnections",),
            (f"{names.websocket_api_arn}/{REALTIME_STAGE}/POST/@connections/*",),
        ),
    }
    conditions: dict[Grant, dict[str, dict[str, Any]]] = {
        Grant.ORIGINALS_RECOPY: {
            "StringLike": {"s3:x-amz-copy-source": [f"{names.bucket_name}/{prefix}" for prefix in originals_like]}
        },
        Grant.ORIGINALS_LIST: {"StringLike": {"s3:prefix": originals_like}},
        # AWS's documented form for "only with If-None-Match" (S3 accepts no value but `*` for it on PutObject).
        Grant.CURSOR_KEY_CREATE: {"Null": {"s3:if-none-match": "false"}},
        Grant.MEDIA_LIST_VERSIONS: {"StringLike": {"s3:prefix": [*originals_like, f"{THUMBS_PREFIX}*"]}},
        # AWS's fine-grained access control: every partition key the request touches is a share's.
        Grant.SHARE_COUNTERS: {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{SHARE_PREFIX}*"]}},
        Grant.SHARE_ITEMS_WRITE: {
            "ForAllValues:StringLike": {
                "dynamodb:LeadingKeys": [f"{prefix}*" for prefix in (SHARE_PREFIX, OWNER_SHARES_PREFIX, TOKEN_PREFIX)]
            }
        },
        Grant.PUBLIC_COPIES_LIST_VERSIONS: {"StringLike": {"s3:prefix": f"{PUBLIC_COPIES_PREFIX}*"}},
    }
    actions, resources = table_by_grant[grant]
    return StatementSpec(
        sid=grant.name.replace("_", ""), actions=actions, resources=resources, conditions=conditions.get(grant)
    )


def invoke_statement_sid(target: str) -> str:
    return "Invoke" + "".join(part.title() for part in target.split("_"))


def policy_statements(function: str, names: ResourceNames) -> list[StatementSpec]:
    """Every statement of the function's role that our code's calls need (its grants, then the functions it invokes)."""
    profile = PROFILES[function]
    statements = [grant_statement(grant, names) for grant in sorted(profile.grants)]
    statements += [
        StatementSpec(
            sid=invoke_statement_sid(target),
            actions=("lambda:InvokeFunction",),
            resources=(names.function_arns[target],),
        )
        for target in profile.invokes
    ]
    return statements


def function_name_variable(function: str) -> str:
    """The environment variable that carries another function's name, e.g. INGEST_WORKER_FUNCTION_NAME."""
    return f"{function.upper()}_FUNCTION_NAME"


_READ_MEDIA = frozenset({Grant.ORIGINALS_READ, Grant.THUMBS_READ})
# Deleting forever (functions.common.deletion): no version of the original or a derivative is left behind.
_DELETE_MEDIA = frozenset({Grant.ORIGINALS_DELETE_VERSIONS, Grant.THUMBS_DELETE_VERSIONS, Grant.MEDIA_LIST_VERSIONS})

PROFILES: dict[str, FunctionProfile] = {
    # Lists, reads and edits records; presigns GETs of originals and thumbnails; DELETE /assets/{id}, bulk delete
    # and POST /trash/empty are its delete path; POST /assets/{id}/reprocess copies an original onto itself.
    "gallery": FunctionProfile(
        settings="ApiSettings",
        invocation=Invocation.API,
        grants=_READ_MEDIA
        | _DELETE_MEDIA
        | {Grant.TABLE_READ, Grant.TABLE_WRITE, Grant.TABLE_DELETE, Grant.ORIGINALS_RECOPY, Grant.ORIGINALS_LIST}
        | {Grant.CURSOR_KEY_READ, Grant.CURSOR_KEY_CREATE},  # the only function that signs cursors
        memory_mb=512,
        timeout_seconds=29,
    ),
    # Creates pending records and presigns the POST of an original (which needs PutObject) and GETs (sign-read).
    "sign": FunctionProfile(
        settings="ApiSettings",
        invocation=Invocation.API,
        grants=_READ_MEDIA | {Grant.TABLE_READ, Grant.TABLE_WRITE, Grant.ORIGINALS_WRITE},
        memory_mb=512,
        timeout_seconds=10,
    ),
    # Multipart uploads (#16): creates pending records, opens uploads (PutObject), presigns part PUTs (PutObject)
    # and the GETs it shows, lists the parts, completes or aborts; TABLE_DELETE: an aborted upload's record goes.
    "multipart": FunctionProfile(
        settings="MultipartSettings",
        invocation=Invocation.API,
        grants=_READ_MEDIA
        | {Grant.TABLE_READ, Grant.TABLE_WRITE, Grant.TABLE_DELETE, Grant.ORIGINALS_WRITE, Grant.ORIGINALS_MULTIPART},
        memory_mb=512,
        timeout_seconds=29,
    ),
    "docs": FunctionProfile(
        settings="DocsSettings",
        invocation=Invocation.API,
        grants=frozenset(),
        memory_mb=256,
        timeout_seconds=10,
    ),
    # Small direct uploads: writes the original and the record, presigns the GET it answers with. TABLE_DELETE:
    # it removes the record it has just created when storing the original fails (no record without its original).
    "upload": FunctionProfile(
        settings="UploadSettings",
        invocation=Invocation.API,
        grants=_READ_MEDIA | {Grant.TABLE_READ, Grant.TABLE_WRITE, Grant.TABLE_DELETE, Grant.ORIGINALS_WRITE},
        memory_mb=1024,
        timeout_seconds=29,
    ),
    # Accepts an ingest, records it and hands it to the worker; `?wait=` polls the record (≤ 25 s). TABLE_DELETE:
    # it removes the record it has just created when the worker cannot be invoked (no asset nobody will finish).
    "ingest": FunctionProfile(
        settings="IngestSettings",
        invocation=Invocation.API,
        grants=_READ_MEDIA | {Grant.TABLE_READ, Grant.TABLE_WRITE, Grant.TABLE_DELETE, Grant.IDEMPOTENCY},
        memory_mb=512,
        timeout_seconds=29,
        reserved_concurrency=10,
        invokes=("ingest_worker",),
    ),
    # Fetches the URL (the only function that does), stores the original; the S3 event then makes the thumbnail
    # (an image) or the poster (a video).
    "ingest_worker": FunctionProfile(
        settings="IngestWorkerSettings",
        invocation=Invocation.ASYNC,
        grants=frozenset({Grant.TABLE_READ, Grant.TABLE_WRITE, Grant.ORIGINALS_WRITE, Grant.ORIGINALS_ABORT_MULTIPART}),
        # A video (#16) is spooled to /tmp, then streamed to S3 part by part (aborted if that fails): /tmp holds the
        # largest (ASSET_MAX_VIDEO_MB, 2048) with room to spare; memory only one part. One full vCPU (1,769 MB):
        # TLS and sha256 of gigabytes in, TLS out; the timeout covers the fetch deadline plus the upload.
        memory_mb=1769,
        timeout_seconds=300,
        ephemeral_storage_mb=3072,
        reserved_concurrency=10,
        internet=True,
        retry_attempts=1,
        max_event_age_seconds=900,
    ),
    # Reads new originals and writes thumbs/*; never writes originals. ORIGINALS_DELETE: an original with no
    # asset record (nobody asked for it) is removed rather than adopted. THUMBS_DELETE_VERSIONS with
    # MEDIA_LIST_VERSIONS: each thumbnail has a new random key, and the one it replaces (or one written for a
    # write that lost) is deleted with every version (functions/common/thumb_recording.py).
    "thumbnail": FunctionProfile(
        settings="ThumbnailSettings",
        invocation=Invocation.ORIGINAL_CREATED,
        grants=frozenset(
            {
                Grant.ORIGINALS_READ,
                Grant.ORIGINALS_LIST,
                Grant.ORIGINALS_DELETE,
                Grant.THUMBS_WRITE,
                Grant.THUMBS_DELETE_VERSIONS,
                Grant.MEDIA_LIST_VERSIONS,
                Grant.TABLE_READ,
                Grant.TABLE_WRITE,
                Grant.IDEMPOTENCY,
            }
        ),
        # A 50 MP PNG decoded once for both renditions (#17: preview, then thumbnail from it) peaks near 360 MB
        # resident and 1.7 s of CPU on the bench machine; a 50 MP JPEG is drafted (1/4) and takes 0.45 s.
        memory_mb=1536,
        timeout_seconds=60,
    ),
    # Video originals (#16): reads each through ranged GETs (VIDEOS_READ: never an image, never all of a large
    # video), lists to tell a missing one (ORIGINALS_LIST), removes one nobody asked for (VIDEOS_DELETE), and writes
    # and replaces its poster as the thumbnail function does its thumbnails. FFmpeg decodes a few frames at most; the
    # memory is for a 4K or 8K frame and the CPU share that comes with it.
    "video": FunctionProfile(
        settings="VideoSettings",
        invocation=Invocation.VIDEO_CREATED,
        grants=frozenset(
            {
                Grant.VIDEOS_READ,
                Grant.ORIGINALS_LIST,
                Grant.VIDEOS_DELETE,
                Grant.THUMBS_WRITE,
                Grant.THUMBS_DELETE_VERSIONS,
                Grant.MEDIA_LIST_VERSIONS,
                Grant.TABLE_READ,
                Grant.TABLE_WRITE,
                Grant.IDEMPOTENCY,
            }
        ),
        memory_mb=2048,
        timeout_seconds=120,
        layers=("video",),
    ),
    # One at a time: two purges would race on the same trash. Before purging it sweeps lost upload events: it tells
    # whether an original arrived (ORIGINALS_LIST) and re-announces it as a copy onto itself (read + recopy).
    "purge": FunctionProfile(
        settings="PurgeSettings",
        invocation=Invocation.SCHEDULE,
        grants=_DELETE_MEDIA
        | {
            Grant.TABLE_READ,
            Grant.TABLE_WRITE,
            Grant.TABLE_DELETE,
            Grant.ORIGINALS_READ,
            Grant.ORIGINALS_RECOPY,
            Grant.ORIGINALS_LIST,
            Grant.ORIGINALS_ABORT_MULTIPART,  # an abandoned multipart upload's parts (#16)
        },
        memory_mb=512,
        timeout_seconds=900,
        reserved_concurrency=1,
        max_event_age_seconds=6 * 3600,
    ),
    # Real time (#14). The ticket route stores a ticket's digest; the authorizer consumes it (one DeleteItem).
    "realtime": FunctionProfile(
        settings="RealtimeTicketSettings",
        invocation=Invocation.API,
        grants=frozenset({Grant.CONNECTIONS_WRITE}),
        memory_mb=256,
        timeout_seconds=10,
    ),
    "realtime_authorizer": FunctionProfile(
        settings="RealtimeSettings",
        invocation=Invocation.WEBSOCKET,
        grants=frozenset({Grant.CONNECTIONS_DELETE}),
        memory_mb=256,
        timeout_seconds=10,
    ),
    # `$connect` remembers the connection, `$disconnect` forgets it.
    "realtime_connections": FunctionProfile(
        settings="RealtimeSettings",
        invocation=Invocation.WEBSOCKET,
        grants=frozenset({Grant.CONNECTIONS_WRITE, Grant.CONNECTIONS_DELETE}),
        memory_mb=256,
        timeout_seconds=10,
    ),
    # Reads the stream (Lambda polls it with this role), the owner's connections, presigns the asset's URLs as
    # GET /assets/{id} does, posts to @connections and forgets gone connections. Outside the VPC: the management
    # API (execute-api) has no gateway endpoint, and an interface endpoint would cost money every idle hour.
    # A change older than 10 minutes is no use as a hint: the client has refetched on reconnect by then.
    "realtime_notifier": FunctionProfile(
        settings="RealtimeSettings",
        invocation=Invocation.ASSET_STREAM,
        grants=_READ_MEDIA
        | {
            Grant.CONNECTIONS_READ,
            Grant.CONNECTIONS_DELETE,
            Grant.ASSET_STREAM_READ,
            Grant.WEBSOCKET_POST,
        },
        memory_mb=512,
        timeout_seconds=30,
        public_aws_api=True,
        botocore_environment=("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",),
        retry_attempts=ASSET_STREAM_RETRY_ATTEMPTS,
        max_event_age_seconds=600,
    ),
    # Share links (#15), the owner's side: reads the caller's assets and folders, writes the share, its link and its
    # list entry in one transaction (share items only); a revoke deletes them and the share's download copies.
    "shares": FunctionProfile(
        settings="SharesSettings",
        invocation=Invocation.API,
        grants=frozenset(
            {
                Grant.TABLE_READ,
                Grant.SHARE_ITEMS_WRITE,
                Grant.PUBLIC_COPIES_DELETE_VERSIONS,
                Grant.PUBLIC_COPIES_LIST_VERSIONS,
            }
        ),
        memory_mb=512,
        timeout_seconds=10,
    ),
    # The public side, anonymous: reads shares and assets, presigns thumbnails; writes only a share's counters and
    # its download copies (read from the original, stripped, written at a random key under public/).
    "public_shares": FunctionProfile(
        settings="SharesSettings",
        invocation=Invocation.API,
        grants=frozenset(
            {
                Grant.TABLE_READ,
                Grant.SHARE_COUNTERS,
                Grant.THUMBS_READ,
                Grant.ORIGINALS_READ,
                Grant.PUBLIC_COPIES_READ,
                Grant.PUBLIC_COPIES_WRITE,
            }
        ),
        memory_mb=1024,
        timeout_seconds=29,
    ),
}
