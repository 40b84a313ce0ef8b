"""The HTTP API: the routes of functions.system.ROUTES, CORS from the same module, a throttled, logged stage."""

from __future__ import annotations

import json
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from functions import system
from infra.constructs.capability import Capability
from infra.constructs.logs import LogGroup

ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "latencyMs": "$context.responseLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}


def route_construct_id(route: system.Route) -> str:
    return f"Route{route.method.title()}{route.path}".replace("/", "_").replace("$", "").replace(".", "_")


class GalleryApi(Capability):
    """Every route calls its function's handler; all but the public ones (`auth=False`) go through `authorizer`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.Function],
        authorizer: apigw.IHttpRouteAuthorizer,
        allowed_origins: tuple[str, ...],
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigw.HttpApi(
            self,
            "Api",
            description="Gallery HTTP API (routes from functions.system.ROUTES)",
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=list(allowed_origins),
                allow_methods=[apigw.CorsHttpMethod(method) for method in system.CORS_ALLOW_METHODS],
                allow_headers=list(system.CORS_ALLOW_HEADERS),
                expose_headers=list(system.CORS_EXPOSE_HEADERS),
                max_age=cdk.Duration.seconds(system.CORS_MAX_AGE_SECONDS),
            ),
            create_default_stage=False,
        )
        access_logs = LogGroup(self, "ApiAccessLogs")
        stage = self.api.add_stage(
            "DefaultStage",
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=system.STAGE_THROTTLE.rate_per_second, burst_limit=system.STAGE_THROTTLE.burst
            ),
        )
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=json.dumps(ACCESS_LOG_FORMAT)
        )
        integration_by_function = {
            name: integrations.HttpLambdaIntegration(
                f"{functions[name].node.id}Integration", functions[name], scope_permission_to_route=False
            )
            for name in dict.fromkeys(route.function for route in system.ROUTES)
        }
        self.routes: dict[str, apigw.HttpRoute] = {}
        for route in system.ROUTES:
            route_key = (
                apigw.HttpRouteKey.DEFAULT
                if route.path == "$default"
                else apigw.HttpRouteKey.with_(route.path, apigw.HttpMethod(route.method))
            )
            self.routes[route.route_key] = apigw.HttpRoute(
                self,
                route_construct_id(route),
                http_api=self.api,
                route_key=route_key,
                integration=integration_by_function[route.function],
                authorizer=authorizer if route.auth else apigw.HttpNoneAuthorizer(),
            )
        # Per-route buckets (functions.system): a route's own settings replace the stage's default ones for it.
        cfn_stage.route_settings = {
            route.route_key: {
                "ThrottlingRateLimit": route.throttle.rate_per_second,
                "ThrottlingBurstLimit": route.throttle.burst,
            }
            for route in system.ROUTES
            if route.throttle is not None
        }
        # CloudFormation refuses route settings for a route key that does not exist yet.
        for http_route in self.routes.values():
            stage.node.add_dependency(http_route)
        cdk.CfnOutput(self, "ApiUrl", value=self.api.api_endpoint, description="Base URL of the HTTP API")
