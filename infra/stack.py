"""The whole system as one CloudFormation stack, built from functions.system and infra.capabilities."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions import system
from functions.common import settings as settings_module
from infra.bundling import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, dependency_layer_code, function_code
from infra.capabilities import (
    PROFILES,
    FunctionProfile,
    Invocation,
    ResourceNames,
    function_name_variable,
    policy_statements,
)

LOG_RETENTION = logs.RetentionDays.ONE_MONTH
DEFAULT_ALLOWED_ORIGINS = ("http://localhost:3001", "http://127.0.0.1:3001")
THROTTLE_RATE_PER_SECOND = 50
THROTTLE_BURST = 100
# Presigned POSTs and downloads from the SPA; image tags need no CORS.
MEDIA_CORS_METHODS = (s3.HttpMethods.GET, s3.HttpMethods.HEAD, s3.HttpMethods.POST)
IDEMPOTENCY_KEY_ATTRIBUTE = "id"
VPC_ACCESS_POLICY = "service-role/AWSLambdaVPCAccessExecutionRole"
IDEMPOTENCY_EXPIRY_ATTRIBUTE = "expiration"


@dataclass(frozen=True)
class StackOptions:
    """What a deployer chooses, read from CDK context (`-c key=value` or cdk.json)."""

    allowed_origins: tuple[str, ...] = DEFAULT_ALLOWED_ORIGINS
    jwt_issuer: str | None = None
    jwt_audience: tuple[str, ...] = ()
    deletion_protection: bool = True
    reserved_concurrency: bool = True
    limits: tuple[tuple[str, str], ...] = ()
    alarm_email: str | None = None

    @classmethod
    def from_context(cls, scope: Construct) -> StackOptions:
        def listed(value: Any) -> tuple[str, ...]:
            if value is None:
                return ()
            items = value if isinstance(value, list) else str(value).split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())

        def flag(name: str, default: bool) -> bool:
            value = scope.node.try_get_context(name)
            return default if value is None else str(value).lower() not in ("false", "0", "no")

        issuer = scope.node.try_get_context("jwtIssuer") or None
        audience = listed(scope.node.try_get_context("jwtAudience"))
        if bool(issuer) != bool(audience):
            raise ValueError("context jwtIssuer and jwtAudience go together: give both or neither")
        limits = scope.node.try_get_context("limits") or {}
        if isinstance(limits, str):
            limits = json.loads(limits)
        unknown = set(limits) - set(system.LIMIT_DEFAULTS)
        if unknown:
            raise ValueError(
                f"context limits has unknown keys {sorted(unknown)}; known: {sorted(system.LIMIT_DEFAULTS)}"
            )
        return cls(
            allowed_origins=listed(scope.node.try_get_context("allowedOrigins")) or DEFAULT_ALLOWED_ORIGINS,
            jwt_issuer=issuer,
            jwt_audience=audience,
            deletion_protection=flag("deletionProtection", True),
            reserved_concurrency=flag("reservedConcurrency", True),
            limits=tuple((str(key), str(value)) for key, value in limits.items()),
            alarm_email=scope.node.try_get_context("alarmEmail") or None,
        )


def settings_model(profile: FunctionProfile) -> type[Any]:
    """The pydantic settings class a profile names."""
    model = getattr(settings_module, profile.settings, None)
    if model is None:
        raise LookupError(f"functions.common.settings has no {profile.settings}")
    return model  # type: ignore[no-any-return]


def environment_names(model: type[Any]) -> dict[str, bool]:
    """Each environment variable a settings model reads (its field aliases), and whether it is required."""
    return {(info.alias or name): info.is_required() for name, info in model.model_fields.items()}


@dataclass(frozen=True)
class IsolatedNetwork:
    vpc: ec2.Vpc
    security_group: ec2.SecurityGroup


class GalleryStack(cdk.Stack):
    """Storage, the functions with their roles, events, the HTTP API and alarms."""

    def __init__(self, scope: Construct, construct_id: str, options: StackOptions, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.options = options
        missing = sorted(set(system.FUNCTIONS) - set(PROFILES))
        if missing:
            raise LookupError(f"functions {missing} have no profile in infra/capabilities.py")

        self.bucket = self._media_bucket()
        self.table = self._asset_table()
        self.idempotency_table = self._idempotency_table()
        self.cursor_secret = secretsmanager.Secret(
            self,
            "CursorSecret",
            description="HMAC key of the gallery's pagination cursors",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
        )
        self.layer = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=dependency_layer_code(),
            compatible_runtimes=[LAMBDA_RUNTIME],
            compatible_architectures=[LAMBDA_ARCHITECTURE],
            description="Runtime dependencies (layers/dependencies/requirements.txt) for arm64 python3.12",
        )
        self.code = function_code()
        self.alarm_topic = self._alarm_topic()
        self.network = self._isolated_network()
        self.functions: dict[str, lambda_.Function] = {}
        self.failure_queues: dict[str, sqs.Queue] = {}
        self.routes: dict[str, apigw.HttpRoute] = {}
        # Invoked functions first, so their names can go into the callers' environment.
        for name in sorted(system.FUNCTIONS, key=lambda name: not self._is_invoked(name)):
            self.functions[name] = self._function(name, PROFILES[name])
        self._wire_events()
        self.api, self.authorizer = self._http_api()
        self._outputs()

    # Storage

    def _media_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
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
            cors=[
                s3.CorsRule(
                    allowed_origins=list(self.options.allowed_origins),
                    allowed_methods=list(MEDIA_CORS_METHODS),
                    allowed_headers=["content-type", "x-amz-checksum-sha256"],
                    exposed_headers=["etag"],
                    max_age=system.CORS_MAX_AGE_SECONDS,
                )
            ],
        )
        return bucket

    def _asset_table(self) -> dynamodb.Table:
        # The key schema and indexes come from the pynamodb model, the one definition the code queries.
        from functions.common.repository import asset_model

        schema = asset_model("schema")._get_schema()
        kinds = {
            "S": dynamodb.AttributeType.STRING,
            "N": dynamodb.AttributeType.NUMBER,
            "B": dynamodb.AttributeType.BINARY,
        }
        types = {item["AttributeName"]: kinds[item["AttributeType"]] for item in schema["attribute_definitions"]}

        def key(key_schema: Any, kind: str) -> dynamodb.Attribute | None:
            names = [item["AttributeName"] for item in key_schema if item["KeyType"] == kind]
            return dynamodb.Attribute(name=names[0], type=types[names[0]]) if names else None

        table = dynamodb.Table(
            self,
            "Assets",
            partition_key=key(schema["key_schema"], "HASH"),
            sort_key=key(schema["key_schema"], "RANGE"),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=self.options.deletion_protection,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        for index in schema.get("global_secondary_indexes", []):
            table.add_global_secondary_index(
                index_name=index["index_name"],
                partition_key=key(index["key_schema"], "HASH"),  # type: ignore[arg-type]
                sort_key=key(index["key_schema"], "RANGE"),
                projection_type=dynamodb.ProjectionType(index["projection"]["ProjectionType"]),
            )
        return table

    def _idempotency_table(self) -> dynamodb.Table:
        # Powertools' DynamoDBPersistenceLayer defaults: key `id`, expiry `expiration` (epoch seconds, TTL).
        return dynamodb.Table(
            self,
            "Idempotency",
            partition_key=dynamodb.Attribute(name=IDEMPOTENCY_KEY_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=IDEMPOTENCY_EXPIRY_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )

    # Network

    def _isolated_network(self) -> IsolatedNetwork:
        """Subnets with no route out, for the functions that need only S3 and DynamoDB (free gateway endpoints)."""
        vpc = ec2.Vpc(
            self,
            "Isolated",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="functions", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDB": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
            },
            # The default security group is never used; restricting it needs a custom-resource Lambda.
            restrict_default_security_group=False,
        )
        security_group = ec2.SecurityGroup(
            self,
            "IsolatedFunctions",
            vpc=vpc,
            description="Functions without internet: HTTPS out, which only the S3 and DynamoDB endpoints route",
            allow_all_outbound=False,
        )
        security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "AWS APIs via gateway endpoints")
        return IsolatedNetwork(vpc=vpc, security_group=security_group)

    # Functions

    @staticmethod
    def _is_invoked(name: str) -> bool:
        return any(name in PROFILES[caller].invokes for caller in system.FUNCTIONS)

    def environment_values(self) -> dict[str, str]:
        """Every value a settings model may ask for, by environment variable name."""
        limits = dict(system.LIMIT_DEFAULTS) | dict(self.options.limits)
        values = {
            **limits,
            "ASSET_TABLE_NAME": self.table.table_name,
            "MEDIA_BUCKET_NAME": self.bucket.bucket_name,
            "IDEMPOTENCY_TABLE_NAME": self.idempotency_table.table_name,
            # A CloudFormation dynamic reference: resolved at deploy time, never in the template or cdk.out.
            "CURSOR_SECRET": self.cursor_secret.secret_value.unsafe_unwrap(),
            "ALLOWED_ORIGINS": ",".join(self.options.allowed_origins),
        }
        for name, function in getattr(self, "functions", {}).items():
            values[function_name_variable(name)] = function.function_name
        return values

    def _environment(self, name: str, profile: FunctionProfile) -> dict[str, str]:
        available = self.environment_values()
        environment = {"POWERTOOLS_SERVICE_NAME": name, "POWERTOOLS_LOG_LEVEL": "INFO", **profile.extra_environment}
        for variable, required in environment_names(settings_model(profile)).items():
            if variable in available:
                environment[variable] = available[variable]
            elif required:
                raise LookupError(f"{name}: {profile.settings} requires {variable}, which the stack does not provide")
        return environment

    def _function(self, name: str, profile: FunctionProfile) -> lambda_.Function:
        spec = system.FUNCTIONS[name]
        construct_id = "".join(part.title() for part in name.split("_"))
        role = iam.Role(
            self,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{name}: only what infra/capabilities.py grants it",
        )
        log_group = logs.LogGroup(
            self, f"{construct_id}Logs", retention=LOG_RETENTION, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        log_group.grant_write(role)
        if profile.isolated:
            # What Lambda needs to attach the function to the subnets (CDK adds it only to roles it creates).
            role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name(VPC_ACCESS_POLICY))
        asynchronous: dict[str, Any] = {}
        if profile.invocation.asynchronous:
            failures = sqs.Queue(
                self,
                f"{construct_id}Failures",
                retention_period=cdk.Duration.days(14),
                enforce_ssl=True,
                encryption=sqs.QueueEncryption.SQS_MANAGED,
            )
            self.failure_queues[name] = failures
            asynchronous = {
                "retry_attempts": profile.retry_attempts,
                "max_event_age": cdk.Duration.seconds(profile.max_event_age_seconds),
                "on_failure": destinations.SqsDestination(failures),
            }
            self._alarm(f"{construct_id}FailuresAlarm", failures.metric_approximate_number_of_messages_visible())
        function = lambda_.Function(
            self,
            construct_id,
            description=spec.description,
            code=self.code,
            handler=spec.handler,
            runtime=LAMBDA_RUNTIME,
            architecture=LAMBDA_ARCHITECTURE,
            layers=[self.layer],
            memory_size=profile.memory_mb,
            timeout=cdk.Duration.seconds(profile.timeout_seconds),
            reserved_concurrent_executions=(
                profile.reserved_concurrency if self.options.reserved_concurrency else None
            ),
            environment=self._environment(name, profile),
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            **asynchronous,
            **self._placement(profile),
        )
        for statement in self._statements(name):
            role.add_to_policy(statement)
        self._alarm(f"{construct_id}ErrorsAlarm", function.metric_errors(period=cdk.Duration.minutes(5)))
        return function

    def _placement(self, profile: FunctionProfile) -> dict[str, Any]:
        if not profile.isolated:
            return {}
        return {
            "vpc": self.network.vpc,
            "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            "security_groups": [self.network.security_group],
        }

    def _statements(self, name: str) -> list[iam.PolicyStatement]:
        """The role's statements, from the one table in infra.capabilities that the local IAM emulation enforces."""
        names = ResourceNames(
            table_arn=self.table.table_arn,
            idempotency_table_arn=self.idempotency_table.table_arn,
            bucket_arn=self.bucket.bucket_arn,
            bucket_name=self.bucket.bucket_name,
            function_arns={target: self.functions[target].function_arn for target in PROFILES[name].invokes},
        )
        return [
            iam.PolicyStatement(
                sid=spec.sid,
                actions=list(spec.actions),
                resources=list(spec.resources),
                conditions=dict(spec.conditions) if spec.conditions else None,
            )
            for spec in policy_statements(name, names)
        ]

    # Events

    def _wire_events(self) -> None:
        for name, function in self.functions.items():
            invocation = PROFILES[name].invocation
            if invocation is Invocation.ORIGINAL_CREATED:
                self.bucket.add_event_notification(
                    s3.EventType.OBJECT_CREATED,
                    s3n.LambdaDestination(function),
                    s3.NotificationKeyFilter(prefix=system.ORIGINALS_PREFIX),
                )
            elif invocation is Invocation.SCHEDULE:
                events.Rule(
                    self,
                    f"{function.node.id}Schedule",
                    description=f"{name} on its schedule (functions.system.PURGE_SCHEDULE_CRON)",
                    schedule=events.Schedule.expression(system.PURGE_SCHEDULE_CRON),
                    targets=[targets.LambdaFunction(function, retry_attempts=PROFILES[name].retry_attempts)],
                )

    def _alarm_topic(self) -> sns.Topic:
        """Where every alarm goes; `-c alarmEmail=...` subscribes an address (confirmed by a link AWS mails)."""
        topic = sns.Topic(self, "Alarms", display_name="Gallery alarms", enforce_ssl=True)
        if self.options.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(self.options.alarm_email))
        return topic

    def _alarm(self, construct_id: str, metric: cloudwatch.Metric) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))
        return alarm

    # API

    def _authorizer(self) -> apigw.IHttpRouteAuthorizer:
        if self.options.jwt_issuer:
            self.user_pool = None
            self.user_pool_client = None
            return authorizers.HttpJwtAuthorizer(
                "JwtAuthorizer", self.options.jwt_issuer, jwt_audience=list(self.options.jwt_audience)
            )
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=True
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.user_pool_client = self.user_pool.add_client(
            "Spa",
            generate_secret=False,
            # admin_user_password: `make e2e API_URL=…` signs its test users in with AdminInitiateAuth. That call is
            # signed with IAM credentials (cognito-idp:AdminInitiateAuth on this pool), so it opens nothing to the
            # public: anyone with only the client id still has SRP alone, and plain USER_PASSWORD_AUTH stays off.
            auth_flows=cognito.AuthFlow(user_srp=True, admin_user_password=True),
            prevent_user_existence_errors=True,
        )
        return authorizers.HttpUserPoolAuthorizer(
            "UserPoolAuthorizer", self.user_pool, user_pool_clients=[self.user_pool_client]
        )

    def _http_api(self) -> tuple[apigw.HttpApi, apigw.IHttpRouteAuthorizer]:
        api = apigw.HttpApi(
            self,
            "Api",
            description="Gallery HTTP API (routes from functions.system.ROUTES)",
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=list(self.options.allowed_origins),
                allow_methods=[apigw.CorsHttpMethod(method) for method in system.CORS_ALLOW_METHODS],
                allow_headers=list(system.CORS_ALLOW_HEADERS),
                expose_headers=list(system.CORS_EXPOSE_HEADERS),
                max_age=cdk.Duration.seconds(system.CORS_MAX_AGE_SECONDS),
            ),
            create_default_stage=False,
        )
        access_logs = logs.LogGroup(
            self, "ApiAccessLogs", retention=LOG_RETENTION, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        stage = api.add_stage(
            "DefaultStage",
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=THROTTLE_RATE_PER_SECOND, burst_limit=THROTTLE_BURST),
        )
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn,
            format=json.dumps(
                {
                    "requestId": "$context.requestId",
                    "ip": "$context.identity.sourceIp",
                    "requestTime": "$context.requestTime",
                    "routeKey": "$context.routeKey",
                    "status": "$context.status",
                    "latencyMs": "$context.responseLatency",
                    "integrationError": "$context.integrationErrorMessage",
                    "authorizerError": "$context.authorizer.error",
                }
            ),
        )
        authorizer = self._authorizer()
        integration_by_function = {
            name: integrations.HttpLambdaIntegration(
                f"{self.functions[name].node.id}Integration", self.functions[name], scope_permission_to_route=False
            )
            for name in dict.fromkeys(route.function for route in system.ROUTES)
        }
        for route in system.ROUTES:
            route_key = (
                apigw.HttpRouteKey.DEFAULT
                if route.path == "$default"
                else apigw.HttpRouteKey.with_(route.path, apigw.HttpMethod(route.method))
            )
            self.routes[route.route_key] = apigw.HttpRoute(
                self,
                f"Route{route.method.title()}{route.path}".replace("/", "_").replace("$", "").replace(".", "_"),
                http_api=api,
                route_key=route_key,
                integration=integration_by_function[route.function],
                authorizer=authorizer if route.auth else apigw.HttpNoneAuthorizer(),
            )
        self.api_url = api.api_endpoint
        return api, authorizer

    def _outputs(self) -> None:
        cdk.CfnOutput(self, "ApiUrl", value=self.api.api_endpoint, description="Base URL of the HTTP API")
        cdk.CfnOutput(self, "MediaBucketName", value=self.bucket.bucket_name)
        cdk.CfnOutput(self, "AssetTableName", value=self.table.table_name)
        cdk.CfnOutput(self, "IdempotencyTableName", value=self.idempotency_table.table_name)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn, description="Subscribe to get alarms")
        if self.user_pool is not None and self.user_pool_client is not None:
            cdk.CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
            cdk.CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
        else:
            cdk.CfnOutput(self, "JwtIssuer", value=str(self.options.jwt_issuer))
