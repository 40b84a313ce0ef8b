"""Which IAM action(s), resource ARN(s) and condition keys each API operation our code calls needs.

One table, keyed on (botocore service name, operation name). An operation missing from it is `UnmappedOperation`:
the enforcement refuses to guess, so a new call in our code fails the tests until it is mapped here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from devserver.iam.policy import Request

# moto's default account (moto.core.DEFAULT_ACCOUNT_ID): the account every local resource lives in.
ACCOUNT = "123456789012"

Params = Mapping[str, Any]


class UnmappedOperation(Exception):
    """Our code called an operation the table does not know, so no one can say which permission it needs."""

    def __init__(self, service: str, operation: str) -> None:
        self.service, self.operation = service, operation
        super().__init__(f"{service}:{operation} is not in devserver/iam/operations.py: map it to its IAM action(s)")


@dataclass(frozen=True)
class Arns:
    """ARNs in one region of the local account."""

    region: str
    account: str = ACCOUNT
    # The client's endpoint: where an API names its resource by URL (the WebSocket API's @connections).
    endpoint: str | None = None

    def table(self, name: str) -> str:
        return name if name.startswith("arn:") else f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}"

    def index(self, table: str, index: str) -> str:
        return f"{self.table(table)}/index/{index}"

    def function(self, name: str, qualifier: str | None = None) -> str:
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    def queue(self, url_or_name: str) -> str:
        parts = urlsplit(url_or_name).path.strip("/").split("/") if "/" in url_or_name else [url_or_name]
        account = parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else self.account
        return f"arn:aws:sqs:{self.region}:{account}:{parts[-1]}"


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def implicit_listing(bucket: str, key: str, context: Mapping[str, str]) -> Request:
    """The ListBucket check S3 makes before telling a missing key (404) from a forbidden one (403).

    S3 puts the requested key in the context as `s3:prefix`, so a ListBucket grant scoped by prefix counts for keys
    under that prefix (the behaviour Ceph's RGW matched in ceph/ceph#68577).
    """
    return Request("s3:ListBucket", bucket_arn(bucket), {**context, "s3:prefix": key})


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


# DynamoDB


def _on_table(action: str) -> Callable[[Params, Arns], list[Request]]:
    def requests(params: Params, arns: Arns) -> list[Request]:
        table = params["TableName"]
        index = params.get("IndexName")
        resource = arns.index(table, index) if index else arns.table(table)
        return [Request(f"dynamodb:{action}", resource)]

    return requests


# The partition key of each table our code writes (asset table, connections table): `dynamodb:LeadingKeys`.
_PARTITION_KEYS = ("owner", "pk")


def _leading_keys(key: Params | None) -> dict[str, str]:
    """IAM's `dynamodb:LeadingKeys` for an item's key (one item: one value)."""
    name = next((name for name in _PARTITION_KEYS if key and name in key), None)
    return {} if name is None or key is None else {"dynamodb:LeadingKeys": str(next(iter(key[name].values())))}


def _item_write(action: str) -> Callable[[Params, Arns], list[Request]]:
    def requests(params: Params, arns: Arns) -> list[Request]:
        leading = _leading_keys(params.get("Key") or params.get("Item"))
        return [Request(f"dynamodb:{action}", arns.table(params["TableName"]), leading)]

    return requests


def _per_table(action: str) -> Callable[[Params, Arns], list[Request]]:
    def requests(params: Params, arns: Arns) -> list[Request]:
        return [Request(f"dynamodb:{action}", arns.table(table)) for table in params["RequestItems"]]

    return requests


_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _transact(params: Params, arns: Arns) -> list[Request]:
    return [
        Request(
            f"dynamodb:{_TRANSACT_ACTIONS[kind]}",
            arns.table(body["TableName"]),
            _leading_keys(body.get("Key") or body.get("Item")),
        )
        for item in params["TransactItems"]
        for kind, body in item.items()
    ]


# S3


def _object(action: str, versioned_action: str | None = None) -> Callable[[Params, Arns], list[Request]]:
    def requests(params: Params, arns: Arns) -> list[Request]:
        chosen = versioned_action if versioned_action and params.get("VersionId") else action
        return [Request(f"s3:{chosen}", object_arn(params["Bucket"], params["Key"]))]

    return requests


def _put_object(params: Params, arns: Arns) -> list[Request]:
    # S3's condition keys for conditional writes: a policy can demand `If-None-Match: *` (create, never overwrite).
    context = {
        key: str(params[name])
        for name, key in (("IfNoneMatch", "s3:if-none-match"), ("IfMatch", "s3:if-match"))
        if params.get(name) is not None
    }
    return [Request("s3:PutObject", object_arn(params["Bucket"], params["Key"]), context)]


def copy_source(params: Params) -> tuple[str, str, str | None]:
    """(bucket, key, version id) of a copy source, given as a dict or as `bucket/key[?versionId=]`."""
    source = params["CopySource"]
    if isinstance(source, Mapping):
        return source["Bucket"], source["Key"], source.get("VersionId")
    path, _, query = str(source).partition("?versionId=")
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    return bucket, key, query or None


def _copy(params: Params, arns: Arns) -> list[Request]:
    bucket, key, version = copy_source(params)
    # One request to S3: the copy-source header is in the context of both permissions it needs.
    context = {"s3:x-amz-copy-source": f"{bucket}/{key}"}
    return [
        Request("s3:GetObjectVersion" if version else "s3:GetObject", object_arn(bucket, key), context),
        Request("s3:PutObject", object_arn(params["Bucket"], params["Key"]), context),
    ]


def _delete_objects(params: Params, arns: Arns) -> list[Request]:
    return [
        Request(
            "s3:DeleteObjectVersion" if entry.get("VersionId") else "s3:DeleteObject",
            object_arn(params["Bucket"], entry["Key"]),
        )
        for entry in params["Delete"]["Objects"]
    ]


_LIST_CONTEXT = {"Prefix": "s3:prefix", "Delimiter": "s3:delimiter", "MaxKeys": "s3:max-keys"}


def _list_bucket(params: Params, arns: Arns, action: str = "s3:ListBucket") -> list[Request]:
    context = {key: str(params[name]) for name, key in _LIST_CONTEXT.items() if params.get(name) is not None}
    return [Request(action, bucket_arn(params["Bucket"]), context)]


def _list_versions(params: Params, arns: Arns) -> list[Request]:
    # Its own action (ListBucket does not allow it), with the same condition keys.
    return _list_bucket(params, arns, "s3:ListBucketVersions")


def _bucket(action: str) -> Callable[[Params, Arns], list[Request]]:
    return lambda params, arns: [Request(f"s3:{action}", bucket_arn(params["Bucket"]))]


# DynamoDB Streams: what Lambda's event source mapping calls with the notifier's role


def _on_stream(action: str) -> Callable[[Params, Arns], list[Request]]:
    def requests(params: Params, arns: Arns) -> list[Request]:
        # moto's shard iterators begin with the stream's ARN (`{stream arn}|1|...`); AWS's are opaque.
        arn = params.get("StreamArn") or str(params.get("ShardIterator", "")).split("|", 1)[0]
        return [Request(f"dynamodb:{action}", arn)]

    return requests


def _list_streams(params: Params, arns: Arns) -> list[Request]:
    table = params.get("TableName")
    return [Request("dynamodb:ListStreams", f"{arns.table(table)}/stream/*" if table else "*")]


# The WebSocket API's management API (`apigatewaymanagementapi`)

# execute-api resource path of each operation on `@connections/{id}`.
_CONNECTION_METHODS = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}
LOCAL_WEBSOCKET_API_ID = "local"


def websocket_api_arn(arns: Arns, api_id: str) -> str:
    return f"arn:aws:execute-api:{arns.region}:{arns.account}:{api_id}"


def _manage_connection(operation: str) -> Callable[[Params, Arns], list[Request]]:
    def requests(params: Params, arns: Arns) -> list[Request]:
        # `https://{api id}.execute-api.{region}.amazonaws.com/{stage}`; a loopback endpoint is the local API.
        url = urlsplit(arns.endpoint or "")
        host = url.hostname or ""
        api_id = host.split(".", 1)[0] if ".execute-api." in host else LOCAL_WEBSOCKET_API_ID
        stage = url.path.strip("/").split("/", 1)[0]
        resource = f"{websocket_api_arn(arns, api_id)}/{stage}/{_CONNECTION_METHODS[operation]}/@connections/"
        return [Request("execute-api:ManageConnections", resource + str(params["ConnectionId"]))]

    return requests


# Lambda and SQS


def _invoke(params: Params, arns: Arns) -> list[Request]:
    return [Request("lambda:InvokeFunction", arns.function(params["FunctionName"], params.get("Qualifier")))]


def _queue(action: str, by: str = "QueueUrl") -> Callable[[Params, Arns], list[Request]]:
    return lambda params, arns: [Request(f"sqs:{action}", arns.queue(params[by]))]


OPERATIONS: dict[tuple[str, str], Callable[[Params, Arns], list[Request]]] = {
    ("dynamodb", "GetItem"): _on_table("GetItem"),
    ("dynamodb", "PutItem"): _item_write("PutItem"),
    ("dynamodb", "UpdateItem"): _item_write("UpdateItem"),
    ("dynamodb", "DeleteItem"): _item_write("DeleteItem"),
    ("dynamodb", "Query"): _on_table("Query"),
    ("dynamodb", "Scan"): _on_table("Scan"),
    ("dynamodb", "DescribeTable"): _on_table("DescribeTable"),
    ("dynamodb", "CreateTable"): _on_table("CreateTable"),
    ("dynamodb", "BatchGetItem"): _per_table("BatchGetItem"),
    ("dynamodb", "BatchWriteItem"): _per_table("BatchWriteItem"),
    ("dynamodb", "TransactWriteItems"): _transact,
    ("dynamodb", "TransactGetItems"): _transact,
    ("s3", "HeadObject"): _object("GetObject", "GetObjectVersion"),
    ("s3", "GetObject"): _object("GetObject", "GetObjectVersion"),
    ("s3", "PutObject"): _put_object,
    ("s3", "CopyObject"): _copy,
    ("s3", "DeleteObject"): _object("DeleteObject", "DeleteObjectVersion"),
    ("s3", "DeleteObjects"): _delete_objects,
    ("s3", "ListObjectsV2"): _list_bucket,
    ("s3", "ListObjects"): _list_bucket,
    ("s3", "ListObjectVersions"): _list_versions,
    ("s3", "CreateMultipartUpload"): _object("PutObject"),
    ("s3", "UploadPart"): _object("PutObject"),
    ("s3", "UploadPartCopy"): _copy,
    ("s3", "CompleteMultipartUpload"): _object("PutObject"),
    ("s3", "AbortMultipartUpload"): _object("AbortMultipartUpload"),
    ("s3", "ListParts"): _object("ListMultipartUploadParts"),
    ("s3", "HeadBucket"): _bucket("ListBucket"),
    ("s3", "CreateBucket"): _bucket("CreateBucket"),
    ("dynamodbstreams", "ListStreams"): _list_streams,
    ("dynamodbstreams", "DescribeStream"): _on_stream("DescribeStream"),
    ("dynamodbstreams", "GetShardIterator"): _on_stream("GetShardIterator"),
    ("dynamodbstreams", "GetRecords"): _on_stream("GetRecords"),
    **{("apigatewaymanagementapi", operation): _manage_connection(operation) for operation in _CONNECTION_METHODS},
    ("lambda", "Invoke"): _invoke,
    ("sqs", "SendMessage"): _queue("SendMessage"),
    ("sqs", "SendMessageBatch"): _queue("SendMessage"),
    ("sqs", "ReceiveMessage"): _queue("ReceiveMessage"),
    ("sqs", "DeleteMessage"): _queue("DeleteMessage"),
    ("sqs", "DeleteMessageBatch"): _queue("DeleteMessage"),
    ("sqs", "ChangeMessageVisibility"): _queue("ChangeMessageVisibility"),
    ("sqs", "GetQueueAttributes"): _queue("GetQueueAttributes"),
    ("sqs", "GetQueueUrl"): _queue("GetQueueUrl", by="QueueName"),
    ("sqs", "CreateQueue"): _queue("CreateQueue", by="QueueName"),
}


def requests_for(service: str, operation: str, params: Params, arns: Arns) -> list[Request]:
    """What IAM must allow for one call; `UnmappedOperation` if the table does not know the operation."""
    try:
        build = OPERATIONS[(service, operation)]
    except KeyError:
        raise UnmappedOperation(service, operation) from None
    return build(params, arns)
