"""Real-time push (#14): the WebSocket API and its `live` stage, the connections table, the asset table's stream to
the notifier, and their alarms. The ticket route is an ordinary HTTP route (functions.system.ROUTES)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct

from functions import system
from functions.common.repository.schema import CONNECTIONS_TABLE, CONNECTIONS_TTL_ATTRIBUTE, KeyAttribute
from infra.capabilities import PROFILES, ResourceNames
from infra.constructs.alarms import Alarms
from infra.constructs.capability import Capability
from infra.constructs.function import GalleryFunction
from infra.constructs.logs import LogGroup

# The WebSocket stage's own bucket: connects, disconnects and pings of every open app together.
WEBSOCKET_THROTTLE = system.Throttle(rate_per_second=20, burst=50)
# The notifier's stream may fall behind by this much before an alarm: changes are meant to arrive within a second.
ITERATOR_AGE_ALARM_MS = 60_000
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "eventType": "$context.eventType",
    "status": "$context.status",
    "connectionId": "$context.connectionId",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}
_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}


def _attribute(attribute: KeyAttribute) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=attribute.name, type=_TYPES[attribute.type])


class RealtimeApi(Capability):
    """Built before the functions (their roles and environment name it); `connect` then wires the functions in."""

    def __init__(self, scope: Construct, construct_id: str, *, asset_table: dynamodb.Table) -> None:
        super().__init__(scope, construct_id)
        self.asset_table = asset_table
        key = CONNECTIONS_TABLE.key
        assert key.sort is not None
        # Tickets and connections live at most two hours: nothing to keep when the stack goes.
        self.table = dynamodb.Table(
            self,
            "Connections",
            partition_key=_attribute(key.partition),
            sort_key=_attribute(key.sort),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=CONNECTIONS_TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.api = apigw.WebSocketApi(
            self, "WebSocket", description="Real-time push of asset changes (#14); connect with a ticket"
        )
        self.stage = apigw.WebSocketStage(
            self,
            "LiveStage",
            web_socket_api=self.api,
            stage_name=system.REALTIME_STAGE,
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=WEBSOCKET_THROTTLE.rate_per_second, burst_limit=WEBSOCKET_THROTTLE.burst
            ),
        )
        access_logs = LogGroup(self, "WebSocketAccessLogs")
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=json.dumps(ACCESS_LOG_FORMAT)
        )
        cdk.CfnOutput(self, "RealtimeUrl", value=self.stage.url, description="WebSocket URL (tickets carry it)")

    def environment(self) -> dict[str, str]:
        """What the real-time functions' settings read."""
        return {
            "CONNECTIONS_TABLE_NAME": self.table.table_name,
            "REALTIME_URL": self.stage.url,
            # botocore's standard variable for the apigatewaymanagementapi endpoint: no setting of ours reads it.
            "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": self.stage.callback_url,
        }

    def resource_names(self, names: ResourceNames) -> ResourceNames:
        """`names` with what this capability owns: the connections table and the WebSocket API."""
        return replace(
            names,
            connections_table_arn=self.table.table_arn,
            websocket_api_arn=cdk.Stack.of(self).format_arn(service="execute-api", resource=self.api.api_id),
        )

    def connect(self, functions: Mapping[str, GalleryFunction], *, alarms: Alarms) -> None:
        """`$connect` behind the ticket authorizer, `$disconnect`, a `$default` no function answers, the stream."""
        authorizer = authorizers.WebSocketLambdaAuthorizer(
            "TicketAuthorizer",
            functions["realtime_authorizer"].function,
            identity_source=[f"route.request.querystring.{system.REALTIME_TICKET_PARAMETER}"],
        )
        connections = integrations.WebSocketLambdaIntegration(
            "ConnectionsIntegration", functions["realtime_connections"].function
        )
        self.api.add_route("$connect", integration=connections, authorizer=authorizer)
        self.api.add_route("$disconnect", integration=connections)
        # Keep-alive pings (system.REALTIME_PING_MESSAGE) reach `$default`: answered by API Gateway, no Lambda.
        self.api.add_route("$default", integration=integrations.WebSocketMockIntegration("PingIntegration"))
        self._stream_to(functions["realtime_notifier"], alarms=alarms)

    def _stream_to(self, notifier: GalleryFunction, *, alarms: Alarms) -> None:
        profile = PROFILES[notifier.name]
        assert notifier.failure_queue is not None
        window = system.ASSET_STREAM_BATCHING_WINDOW_SECONDS
        # The mapping, not a DynamoEventSource: that would add its own unnamed stream grant to the role, while the
        # role's statements come only from infra/capabilities.py (ASSET_STREAM_READ).
        lambda_.EventSourceMapping(
            self,
            "NotifierStream",
            target=notifier.function,
            event_source_arn=self.asset_table.table_stream_arn,
            starting_position=lambda_.StartingPosition.LATEST,
            batch_size=system.ASSET_STREAM_BATCH_SIZE,
            max_batching_window=cdk.Duration.seconds(window) if window else None,
            bisect_batch_on_error=True,
            report_batch_item_failures=True,
            retry_attempts=profile.retry_attempts,
            max_record_age=cdk.Duration.seconds(profile.max_event_age_seconds),
            on_failure=event_sources.SqsDlq(notifier.failure_queue),
        )
        age = notifier.function.metric("IteratorAge", statistic="Maximum", period=cdk.Duration.minutes(5))
        behind = cloudwatch.MathExpression(
            expression=f"IF(age > {ITERATOR_AGE_ALARM_MS}, 1, 0)",
            using_metrics={"age": age},
            period=cdk.Duration.minutes(5),
            label="Notifier behind the asset stream",
        )
        alarms.watch(self, "NotifierIteratorAgeAlarm", behind)
