"""The operation table: which IAM action(s), resource(s) and condition keys each call our code makes needs."""

from __future__ import annotations

import pytest

from devserver.iam.operations import Arns, UnmappedOperation, requests_for
from devserver.iam.policy import Request

ARNS = Arns("us-east-1")
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/assets"


def test_head_object_needs_get_object_on_the_key() -> None:
    # When / Then
    assert requests_for("s3", "HeadObject", {"Bucket": "media", "Key": "originals/a/1"}, ARNS) == [
        Request("s3:GetObject", "arn:aws:s3:::media/originals/a/1")
    ]


def test_reading_a_version_needs_get_object_version() -> None:
    # When
    requests = requests_for("s3", "GetObject", {"Bucket": "media", "Key": "k", "VersionId": "v1"}, ARNS)
    # Then
    assert [request.action for request in requests] == ["s3:GetObjectVersion"]


@pytest.mark.parametrize(
    "source", [{"Bucket": "media", "Key": "originals/a/1"}, "media/originals/a/1", "/media/originals%2Fa/1"]
)
def test_copy_object_reads_the_source_and_writes_the_target_with_the_copy_source_key(source: object) -> None:
    # When
    requests = requests_for("s3", "CopyObject", {"Bucket": "other", "Key": "thumbs/x", "CopySource": source}, ARNS)
    # Then
    context = {"s3:x-amz-copy-source": "media/originals/a/1"}
    assert requests == [
        Request("s3:GetObject", "arn:aws:s3:::media/originals/a/1", context),
        Request("s3:PutObject", "arn:aws:s3:::other/thumbs/x", context),
    ]


def test_delete_objects_needs_delete_object_per_key() -> None:
    # When
    params = {"Bucket": "media", "Delete": {"Objects": [{"Key": "originals/a/1"}, {"Key": "thumbs/a/1.webp"}]}}
    requests = requests_for("s3", "DeleteObjects", params, ARNS)
    # Then
    assert requests == [
        Request("s3:DeleteObject", "arn:aws:s3:::media/originals/a/1"),
        Request("s3:DeleteObject", "arn:aws:s3:::media/thumbs/a/1.webp"),
    ]


def test_delete_objects_of_versions_needs_delete_object_version_per_key() -> None:
    # When
    objects = [{"Key": "originals/a/1", "VersionId": "v1"}, {"Key": "originals/a/1", "VersionId": "v2"}]
    requests = requests_for("s3", "DeleteObjects", {"Bucket": "media", "Delete": {"Objects": objects}}, ARNS)
    # Then
    assert requests == [Request("s3:DeleteObjectVersion", "arn:aws:s3:::media/originals/a/1")] * 2


def test_list_object_versions_needs_list_bucket_versions_with_the_prefix() -> None:
    # When
    requests = requests_for("s3", "ListObjectVersions", {"Bucket": "media", "Prefix": "thumbs/a/1.webp"}, ARNS)
    # Then
    assert requests == [Request("s3:ListBucketVersions", "arn:aws:s3:::media", {"s3:prefix": "thumbs/a/1.webp"})]


def test_a_conditional_put_carries_its_condition_keys() -> None:
    # When
    create = requests_for("s3", "PutObject", {"Bucket": "media", "Key": "k", "IfNoneMatch": "*"}, ARNS)
    plain = requests_for("s3", "PutObject", {"Bucket": "media", "Key": "k"}, ARNS)
    # Then
    assert create == [Request("s3:PutObject", "arn:aws:s3:::media/k", {"s3:if-none-match": "*"})]
    assert plain == [Request("s3:PutObject", "arn:aws:s3:::media/k", {})]


def test_list_objects_needs_list_bucket_with_the_prefix_only_when_given() -> None:
    # When
    with_prefix = requests_for("s3", "ListObjectsV2", {"Bucket": "media", "Prefix": "originals/a/1"}, ARNS)
    without = requests_for("s3", "ListObjectsV2", {"Bucket": "media"}, ARNS)
    # Then
    assert with_prefix == [Request("s3:ListBucket", "arn:aws:s3:::media", {"s3:prefix": "originals/a/1"})]
    assert without == [Request("s3:ListBucket", "arn:aws:s3:::media", {})]
    assert requests_for("s3", "ListObjects", {"Bucket": "media"}, ARNS) == without


def test_multipart_operations_need_put_object_or_their_own_actions() -> None:
    # When
    params = {"Bucket": "media", "Key": "originals/a/1", "UploadId": "u"}
    actions = {op: requests_for("s3", op, params, ARNS)[0].action for op in ("CreateMultipartUpload", "UploadPart")}
    actions["CompleteMultipartUpload"] = requests_for("s3", "CompleteMultipartUpload", params, ARNS)[0].action
    actions["AbortMultipartUpload"] = requests_for("s3", "AbortMultipartUpload", params, ARNS)[0].action
    actions["ListParts"] = requests_for("s3", "ListParts", params, ARNS)[0].action
    # Then
    assert actions == {
        "CreateMultipartUpload": "s3:PutObject",
        "UploadPart": "s3:PutObject",
        "CompleteMultipartUpload": "s3:PutObject",
        "AbortMultipartUpload": "s3:AbortMultipartUpload",
        "ListParts": "s3:ListMultipartUploadParts",
    }


def test_query_on_an_index_needs_the_index_arn() -> None:
    # When
    on_index = requests_for("dynamodb", "Query", {"TableName": "assets", "IndexName": "by_view"}, ARNS)
    on_table = requests_for("dynamodb", "Query", {"TableName": "assets"}, ARNS)
    # Then
    assert on_index == [Request("dynamodb:Query", f"{TABLE_ARN}/index/by_view")]
    assert on_table == [Request("dynamodb:Query", TABLE_ARN)]


def test_batch_operations_need_their_own_action_on_each_table() -> None:
    # When
    write = requests_for("dynamodb", "BatchWriteItem", {"RequestItems": {"assets": [], "other": []}}, ARNS)
    read = requests_for("dynamodb", "BatchGetItem", {"RequestItems": {"assets": {}}}, ARNS)
    # Then
    other_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/other"
    assert write == [Request("dynamodb:BatchWriteItem", TABLE_ARN), Request("dynamodb:BatchWriteItem", other_arn)]
    assert read == [Request("dynamodb:BatchGetItem", TABLE_ARN)]


def test_transactions_need_each_items_own_action() -> None:
    # When
    items = [{"Put": {"TableName": "assets"}}, {"Update": {"TableName": "assets"}}]
    items += [{"Delete": {"TableName": "assets"}}, {"ConditionCheck": {"TableName": "idem"}}]
    requests = requests_for("dynamodb", "TransactWriteItems", {"TransactItems": items}, ARNS)
    # Then
    assert [(request.action, request.resource.rsplit("/", 1)[1]) for request in requests] == [
        ("dynamodb:PutItem", "assets"),
        ("dynamodb:UpdateItem", "assets"),
        ("dynamodb:DeleteItem", "assets"),
        ("dynamodb:ConditionCheckItem", "idem"),
    ]
    get = requests_for("dynamodb", "TransactGetItems", {"TransactItems": [{"Get": {"TableName": "assets"}}]}, ARNS)
    assert get == [Request("dynamodb:GetItem", TABLE_ARN)]


def test_invoke_needs_invoke_function_on_the_function_arn() -> None:
    # When / Then
    assert requests_for("lambda", "Invoke", {"FunctionName": "ingest_worker"}, ARNS) == [
        Request("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:ingest_worker")
    ]


def test_sqs_operations_act_on_the_queue_arn() -> None:
    # When
    url = "http://127.0.0.1:5000/123456789012/originals-created"
    requests = requests_for("sqs", "ReceiveMessage", {"QueueUrl": url}, ARNS)
    # Then
    assert requests == [Request("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:originals-created")]


def test_an_operation_missing_from_the_table_is_refused() -> None:
    # When / Then
    with pytest.raises(UnmappedOperation, match=r"dynamodb:DeleteTable"):
        requests_for("dynamodb", "DeleteTable", {"TableName": "assets"}, ARNS)
