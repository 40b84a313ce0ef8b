"""The local IAM enforcement on moto: each function's calls get what its deployed role allows, answered as AWS does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devserver.iam import usage
from devserver.iam.enforce import install
from devserver.iam.operations import UnmappedOperation
from devserver.iam.principal import acting_as, function_of_module, set_principal
from functions.common.storage import ObjectStore
from tests.conftest import BUCKET, TABLE, iam_names

KEY = {"owner": {"S": "alice"}, "asset_id": {"S": "01ABC"}}


def run_in_module(module: str, action: Callable[[], Any]) -> Any:
    """Run `action` from a frame whose module is `module`, as code of that module would."""
    namespace: dict[str, Any] = {"__name__": module, "action": action}
    exec("def call():\n    return action()\n", namespace)  # noqa: S102 - a frame with a chosen module name
    return namespace["call"]()


def error_of(failure: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = failure.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(autouse=True)
def _not_a_code_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests call AWS directly under `acting_as`: no use they make shows a grant that a function's code needs."""
    monkeypatch.delenv(usage.FILE_VARIABLE, raising=False)


@pytest.fixture
def s3(aws: None) -> Any:
    return boto3.client("s3")


@pytest.fixture
def dynamodb(aws: None) -> Any:
    return boto3.client("dynamodb")


@pytest.fixture
def revoke(aws: None) -> Iterator[Callable[[str], None]]:
    """Re-install the enforcement with `LOCAL_IAM_REVOKE`-style removals; the test's policies come back after."""
    yield lambda revoked: install(iam_names(), infer_from_stack=True, revoke=revoked)
    install(iam_names(), infer_from_stack=True, revoke="")


def test_a_denied_s3_call_raises_access_denied_403_with_aws_wording(s3: Any) -> None:
    # When the thumbnail function (which never writes originals) writes an original
    with acting_as("thumbnail"), pytest.raises(ClientError) as failure:
        s3.put_object(Bucket=BUCKET, Key="originals/alice/1", Body=b"x")
    # Then S3's AccessDenied, naming the role session, the action and the object
    assert error_of(failure) == (
        "AccessDenied",
        "User: arn:aws:sts::123456789012:assumed-role/thumbnail/thumbnail is not authorized to perform: "
        f"s3:PutObject on resource: arn:aws:s3:::{BUCKET}/originals/alice/1 because no identity-based policy "
        "allows the s3:PutObject action",
        403,
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_a_denied_dynamodb_call_raises_access_denied_exception_400(dynamodb: Any) -> None:
    # When the sign function (no delete grant) deletes a record, and the gallery uses BatchWriteItem
    with acting_as("sign"), pytest.raises(ClientError) as delete:
        dynamodb.delete_item(TableName=TABLE, Key=KEY)
    with acting_as("gallery"), pytest.raises(ClientError) as batch:
        dynamodb.batch_write_item(RequestItems={TABLE: [{"DeleteRequest": {"Key": KEY}}]})
    # Then
    table_arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"
    assert error_of(delete)[::2] == ("AccessDeniedException", 400)
    assert f"dynamodb:DeleteItem on resource: {table_arn} because" in error_of(delete)[1]
    assert "dynamodb:BatchWriteItem" in error_of(batch)[1]


def test_a_denied_invoke_raises_access_denied_exception_403(aws: None) -> None:
    # When the gallery (which invokes nothing) invokes the worker
    with acting_as("gallery"), pytest.raises(ClientError) as failure:
        boto3.client("lambda").invoke(FunctionName="ingest_worker", InvocationType="Event", Payload=b"{}")
    # Then
    code, message, status = error_of(failure)
    assert (code, status) == ("AccessDeniedException", 403)
    assert "lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:ingest_worker" in message


def test_index_arns_count(dynamodb: Any) -> None:
    # When the gallery queries an index of its table, and an index of another table
    with acting_as("gallery"):
        dynamodb.query(
            TableName=TABLE,
            IndexName="by_view",
            KeyConditionExpression="view_pk = :p",
            ExpressionAttributeValues={":p": {"S": "alice#all"}},
        )
        with pytest.raises(ClientError) as failure:
            dynamodb.query(
                TableName="other",
                IndexName="by_view",
                KeyConditionExpression="view_pk = :p",
                ExpressionAttributeValues={":p": {"S": "alice#all"}},
            )
    # Then only its own table's index is allowed
    assert "table/other/index/by_view" in error_of(failure)[1]


def test_a_missing_key_is_403_unless_the_reader_may_list_it(s3: Any) -> None:
    # Given the gallery (GetObject on originals/* and thumbs/*, ListBucket only with an originals/ prefix)
    # and sign (GetObject on both, no ListBucket at all)
    with acting_as("gallery"):
        # When the gallery reads a missing thumbnail and a missing original
        with pytest.raises(ClientError) as thumb_head:
            s3.head_object(Bucket=BUCKET, Key="thumbs/alice/missing.webp")
        with pytest.raises(ClientError) as thumb_get:
            s3.get_object(Bucket=BUCKET, Key="thumbs/alice/missing.webp")
        with pytest.raises(ClientError) as original_get:
            s3.get_object(Bucket=BUCKET, Key="originals/alice/missing")
    with acting_as("sign"), pytest.raises(ClientError) as sign_get:
        s3.get_object(Bucket=BUCKET, Key="originals/alice/missing")
    # Then S3 hides a missing key behind 403 from whoever may not list it: S3 checks ListBucket with the key as
    # `s3:prefix`, so the gallery's prefix-scoped grant tells it about originals/ keys only
    assert error_of(thumb_head) == ("403", "Forbidden", 403)
    assert error_of(thumb_get) == ("AccessDenied", "Access Denied", 403)
    assert error_of(original_get)[0] == "NoSuchKey"
    assert error_of(sign_get) == ("AccessDenied", "Access Denied", 403)


def test_without_a_principal_calls_are_unrestricted(s3: Any, dynamodb: Any) -> None:
    # When test set-up code calls AWS directly
    s3.put_object(Bucket=BUCKET, Key="anything/at/all", Body=b"x")
    dynamodb.batch_write_item(RequestItems={TABLE: [{"DeleteRequest": {"Key": KEY}}]})
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=BUCKET, Key="originals/missing")
    # Then nothing is refused, and a missing key is moto's plain 404
    assert error_of(missing)[0] == "404"


def test_stack_inference_takes_the_outermost_feature_frame(s3: Any) -> None:
    # Given an object store, as every function's code uses it
    store = ObjectStore(BUCKET, client=s3)

    def write_original() -> None:
        store.write("originals/alice/1", b"x", "image/png")

    # When thumbnail code writes an original, and the purge runs code of the thumbnail package
    with pytest.raises(Exception, match="assumed-role/thumbnail/thumbnail is not authorized to perform: s3:PutObject"):
        run_in_module("functions.thumbnail.logic", write_original)
    delete_forever = lambda: store.delete_batch(store.versions("originals/alice/1"))  # noqa: E731
    nested = lambda: run_in_module("functions.thumbnail.logic", delete_forever)  # noqa: E731
    run_in_module("functions.purge.handler", nested)
    # Then shared code alone (functions.common) runs unrestricted
    run_in_module("functions.common.storage", write_original)
    assert s3.head_object(Bucket=BUCKET, Key="originals/alice/1")["ContentLength"] == 1


def test_a_block_overrides_the_process_principal_which_overrides_the_stack(s3: Any) -> None:
    # Given a process running as the thumbnail function (as a local execution environment does)
    set_principal("thumbnail")
    try:
        # When it writes an original, and a block acting as the upload function does the same
        with pytest.raises(ClientError):
            run_in_module("functions.upload.logic", lambda: s3.put_object(Bucket=BUCKET, Key="originals/a/1", Body=b""))
        with acting_as("upload"):
            s3.put_object(Bucket=BUCKET, Key="originals/a/2", Body=b"")
    finally:
        set_principal(None)
    # Then the process's principal beat the stack, and the block beat the process
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["originals/a/2"]


def test_an_unknown_principal_is_an_error() -> None:
    # When / Then
    with pytest.raises(ValueError, match="not a function"):
        set_principal("gallery-typo")


@pytest.mark.parametrize(
    ("module", "function"),
    [
        ("functions.gallery.logic", "gallery"),
        ("functions.ingest.logic", "ingest"),
        ("functions.ingest.idempotency", "ingest"),
        ("functions.ingest.worker", "ingest_worker"),
        ("functions.ingest.worker_logic", "ingest_worker"),
        ("functions.thumbnail.logic", "thumbnail"),
        ("functions.ingest.wiring", "ingest"),
        ("functions.ingest.worker_wiring", "ingest_worker"),
        ("functions.common.sweep", None),
        ("functions.common.storage", None),
        ("functions.system", None),
        ("tests.conftest", None),
    ],
)
def test_modules_map_to_their_function(module: str, function: str | None) -> None:
    # When / Then
    assert function_of_module(module) == function


def test_delete_objects_refuses_key_by_key(s3: Any) -> None:
    # Given an original and a thumbnail
    for key in ("originals/alice/1", "thumbs/alice/1.webp"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    # When the thumbnail function (may delete originals, not thumbs) deletes both in one call
    with acting_as("thumbnail"):
        response = s3.delete_objects(
            Bucket=BUCKET, Delete={"Objects": [{"Key": "originals/alice/1"}, {"Key": "thumbs/alice/1.webp"}]}
        )
    # Then S3 deletes what it may and reports the other key as AccessDenied
    assert [(error["Key"], error["Code"]) for error in response["Errors"]] == [("thumbs/alice/1.webp", "AccessDenied")]
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["thumbs/alice/1.webp"]


def test_presigning_what_the_role_cannot_read_is_refused(s3: Any) -> None:
    # When the thumbnail function presigns a GET of a thumbnail (its role cannot read thumbs/)
    with acting_as("thumbnail"), pytest.raises(ClientError) as failure:
        s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "thumbs/alice/1.webp"})
    # Then the URL S3 would refuse is refused at signing; what it may read signs
    assert "s3:GetObject on resource" in error_of(failure)[1]
    with acting_as("thumbnail"):
        assert s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "originals/alice/1"})


def test_an_unmapped_operation_fails_and_is_recorded(dynamodb: Any) -> None:
    # When a function calls an operation the table does not map, inside a broad except
    with acting_as("gallery"):
        try:
            dynamodb.describe_time_to_live(TableName=TABLE)
        except Exception as error:  # our code may swallow it ...
            swallowed = error
    # Then it failed, and the record keeps it for the session check
    assert isinstance(swallowed, UnmappedOperation)
    assert usage.recorded()[-1] == usage.Use(
        kind="unmapped", function="gallery", sid="dynamodb:DescribeTimeToLive", test=usage.current_test()
    )


def test_allowed_calls_record_the_statement_they_used(dynamodb: Any) -> None:
    # When the gallery reads a record
    with acting_as("gallery"):
        dynamodb.get_item(TableName=TABLE, Key=KEY)
    # Then the use of its table-read grant is recorded against this test
    assert usage.recorded()[-1] == usage.Use(
        kind="allowed", function="gallery", sid="TABLEREAD", test=usage.current_test()
    )
    assert usage.current_test().endswith("test_local_iam.py::test_allowed_calls_record_the_statement_they_used")


def test_a_revoked_statement_is_no_longer_granted(dynamodb: Any, revoke: Callable[[str], None]) -> None:
    # Given the gallery without its table-read grant
    revoke("gallery:TABLEREAD")
    # When / Then
    with acting_as("gallery"), pytest.raises(ClientError) as failure:
        dynamodb.get_item(TableName=TABLE, Key=KEY)
    assert error_of(failure)[0] == "AccessDeniedException"


def test_dynamodb_limits_refuse_our_codes_calls_with_a_validation_exception(dynamodb: Any) -> None:
    # Given a sort key over DynamoDB's 1,024 bytes, which moto's GetItem accepts
    key = {**KEY, "asset_id": {"S": "x" * 1100}}
    # When the gallery reads it
    with acting_as("gallery"), pytest.raises(ClientError) as failure:
        dynamodb.get_item(TableName=TABLE, Key=key)
    # Then DynamoDB's ValidationException, while set-up code is not checked
    assert error_of(failure)[::2] == ("ValidationException", 400)
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=key)
