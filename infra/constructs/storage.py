"""What the functions keep: the media bucket (with the cursors' HMAC key), the asset table, the idempotency table."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from functions import system
from functions.common.repository import TableSchema, table_schema
from functions.common.repository.schema import KeyAttribute
from infra.capabilities import ResourceNames
from infra.constructs.capability import Capability

_ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}


def _attribute(attribute: KeyAttribute | None) -> dynamodb.Attribute | None:
    if attribute is None:
        return None
    return dynamodb.Attribute(name=attribute.name, type=_ATTRIBUTE_TYPES[attribute.type])


def bucket_cors_rule(origins: tuple[str, ...]) -> s3.CorsRule:
    """functions.system's one CORS rule of the media bucket, for these origins."""
    cors = system.MEDIA_BUCKET_CORS
    return s3.CorsRule(
        allowed_origins=list(origins),
        allowed_methods=[s3.HttpMethods(method) for method in cors.methods],
        allowed_headers=list(cors.allow_headers),
        exposed_headers=list(cors.expose_headers),
        max_age=cors.max_age_seconds,
    )


class Storage(Capability):
    """The bucket and tables are retained when the stack goes; the idempotency records are disposable."""

    def __init__(
        self, scope: Construct, construct_id: str, *, allowed_origins: tuple[str, ...], deletion_protection: bool
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Media",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-noncurrent-and-abandoned-multipart",
                    noncurrent_version_expiration=cdk.Duration.days(7),
                    expired_object_delete_marker=True,
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            cors=[bucket_cors_rule(allowed_origins)],
        )
        self.table = self._asset_table(table_schema(), deletion_protection=deletion_protection)
        # Powertools' DynamoDBPersistenceLayer: records keyed on one string, expiring on an epoch-seconds TTL.
        self.idempotency_table = dynamodb.Table(
            self,
            "Idempotency",
            partition_key=dynamodb.Attribute(name=system.IDEMPOTENCY_KEY_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=system.IDEMPOTENCY_EXPIRY_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        # No Secrets Manager secret for the cursors' HMAC key: an environment value resolved from it is plain text to
        # anyone with lambda:GetFunctionConfiguration, and reading it at run time from the isolated subnets needs an
        # interface endpoint billed every idle hour. The key is an object in this bucket (system.CURSOR_SECRET_KEY),
        # created by the first gallery function to start: see functions/common/cursor_secret.py.
        cdk.CfnOutput(self, "MediaBucketName", value=self.bucket.bucket_name)
        cdk.CfnOutput(self, "AssetTableName", value=self.table.table_name)
        cdk.CfnOutput(self, "IdempotencyTableName", value=self.idempotency_table.table_name)

    def _asset_table(self, schema: TableSchema, *, deletion_protection: bool) -> dynamodb.Table:
        # Keys and indexes come from the data layer's schema, the one definition the code queries.
        table = dynamodb.Table(
            self,
            "Assets",
            partition_key=_attribute(schema.key.partition),  # type: ignore[arg-type]
            sort_key=_attribute(schema.key.sort),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=deletion_protection,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            # Every change, whoever writes it, reaches the real-time notifier (#14); the local table has the same.
            stream=dynamodb.StreamViewType(system.ASSET_STREAM_VIEW_TYPE),
        )
        for index in schema.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.key.partition),  # type: ignore[arg-type]
                sort_key=_attribute(index.key.sort),
                projection_type=dynamodb.ProjectionType(index.projection),
            )
        return table

    def environment(self) -> dict[str, str]:
        """The names a function's settings read to find the stored data."""
        return {
            "ASSET_TABLE_NAME": self.table.table_name,
            "MEDIA_BUCKET_NAME": self.bucket.bucket_name,
            "IDEMPOTENCY_TABLE_NAME": self.idempotency_table.table_name,
        }

    def resource_names(self, function_arns: Mapping[str, str]) -> ResourceNames:
        """What infra.capabilities' statements point at, as CloudFormation references."""
        return ResourceNames(
            table_arn=self.table.table_arn,
            idempotency_table_arn=self.idempotency_table.table_arn,
            bucket_arn=self.bucket.bucket_arn,
            bucket_name=self.bucket.bucket_name,
            function_arns=function_arns,
        )
