"""Real time (#14) as deployed: the WebSocket API and its routes, the connections table, the stream mapping."""

from __future__ import annotations

from typing import Any

from functions import system
from functions.common.repository.schema import CONNECTIONS_TABLE, CONNECTIONS_TTL_ATTRIBUTE
from infra.capabilities import PROFILES
from tests.infra.conftest import Synthesized
from tests.infra.template_tools import function_ids, logical_id, permissions_of, render, resource_id
from tests.table_support import assert_table_is_schema


def _websocket(synthesized: Synthesized) -> str:
    [api_id] = [
        name
        for name, api in synthesized.resources("AWS::ApiGatewayV2::Api").items()
        if api["Properties"].get("ProtocolType") == "WEBSOCKET"
    ]
    return api_id


def _integration_target(synthesized: Synthesized, route: dict[str, Any]) -> dict[str, Any]:
    target = route["Properties"]["Target"]["Fn::Join"][1][1]
    return synthesized.template["Resources"][logical_id(target)]["Properties"]


def test_websocket_routes_connect_behind_the_ticket_authorizer_and_default_reaches_no_function(
    synthesized: Synthesized,
) -> None:
    # Given the WebSocket API's routes
    api_id = _websocket(synthesized)
    ids = function_ids(synthesized.template)
    routes = {
        route["Properties"]["RouteKey"]: route
        for route in synthesized.resources("AWS::ApiGatewayV2::Route").values()
        if logical_id(route["Properties"]["ApiId"]) == api_id
    }
    # Then there are exactly the three of the contract
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    # And $connect needs the REQUEST authorizer, which reads the ticket from the query string
    connect = routes["$connect"]["Properties"]
    assert connect["AuthorizationType"] == "CUSTOM"
    authorizer = synthesized.template["Resources"][logical_id(connect["AuthorizerId"])]["Properties"]
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["IdentitySource"] == [f"route.request.querystring.{system.REALTIME_TICKET_PARAMETER}"]
    assert f"<{ids['realtime_authorizer']}.Arn>" in render(authorizer["AuthorizerUri"])
    # And $connect and $disconnect reach the connections function, $default a MOCK integration (no Lambda)
    for key in ("$connect", "$disconnect"):
        assert f"<{ids['realtime_connections']}.Arn>" in render(
            _integration_target(synthesized, routes[key])["IntegrationUri"]
        )
    assert _integration_target(synthesized, routes["$default"])["IntegrationType"] == "MOCK"


def test_the_live_stage_is_throttled_and_access_logged(synthesized: Synthesized) -> None:
    api_id = _websocket(synthesized)
    [stage] = [
        stage["Properties"]
        for stage in synthesized.resources("AWS::ApiGatewayV2::Stage").values()
        if logical_id(stage["Properties"]["ApiId"]) == api_id
    ]
    assert stage["StageName"] == system.REALTIME_STAGE
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    assert "$context.connectionId" in stage["AccessLogSettings"]["Format"]


def test_connections_table_is_the_repository_schema_with_ttl(template: dict[str, Any]) -> None:
    table = template["Resources"][resource_id(template, "AWS::DynamoDB::Table", "Connections")]["Properties"]
    assert_table_is_schema(table, CONNECTIONS_TABLE)
    assert table["TimeToLiveSpecification"] == {"AttributeName": CONNECTIONS_TTL_ATTRIBUTE, "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_the_asset_stream_reaches_the_notifier_in_small_batches_with_retries_and_a_failure_queue(
    synthesized: Synthesized,
) -> None:
    # Given the asset table and the event source mappings
    template = synthesized.template
    assets = resource_id(template, "AWS::DynamoDB::Table", "Assets")
    stream = template["Resources"][assets]["Properties"]["StreamSpecification"]
    ids = function_ids(template)
    [mapping] = synthesized.resources("AWS::Lambda::EventSourceMapping").values()
    properties = mapping["Properties"]
    profile = PROFILES["realtime_notifier"]
    # Then the table streams both images, and only the notifier reads them
    assert stream == {"StreamViewType": system.ASSET_STREAM_VIEW_TYPE}
    assert render(properties["EventSourceArn"]) == f"<{assets}.StreamArn>"
    assert logical_id(properties["FunctionName"]) == ids["realtime_notifier"]
    # And batches are sent without waiting (at most a second), failures bisected and reported per record
    assert properties["BatchSize"] == system.ASSET_STREAM_BATCH_SIZE
    assert properties.get("MaximumBatchingWindowInSeconds", 0) <= 1
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["MaximumRetryAttempts"] == profile.retry_attempts
    assert properties["MaximumRecordAgeInSeconds"] == profile.max_event_age_seconds
    # And what keeps failing goes to the notifier's own queue, which is alarmed
    queue = logical_id(properties["DestinationConfig"]["OnFailure"]["Destination"])
    assert template["Resources"][queue]["Type"] == "AWS::SQS::Queue"
    alarmed = {
        render(dimension["Value"])
        for alarm in synthesized.resources("AWS::CloudWatch::Alarm").values()
        for dimension in alarm["Properties"].get("Dimensions", [])
    }
    assert f"<{queue}.QueueName>" in alarmed
    # And so is the notifier falling behind the stream
    assert any(
        "IteratorAge" in repr(alarm["Properties"].get("Metrics"))
        for alarm in synthesized.resources("AWS::CloudWatch::Alarm").values()
    )


def test_only_the_notifier_posts_to_connections_and_only_on_the_live_stage(template: dict[str, Any]) -> None:
    ids = function_ids(template)
    posters = {
        name: {
            resource for action, resource in permissions_of(template, ids[name]) if action.startswith("execute-api:")
        }
        for name in system.FUNCTIONS
    }
    api = resource_id(template, "AWS::ApiGatewayV2::Api", "WebSocket")
    assert {name for name, resources in posters.items() if resources} == {"realtime_notifier"}
    assert posters["realtime_notifier"] == {
        f"arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<{api}>/{system.REALTIME_STAGE}/POST/@connections/*"
    }


def test_the_notifier_runs_outside_the_vpc_and_the_other_realtime_functions_inside(template: dict[str, Any]) -> None:
    # The notifier reaches execute-api, which has no gateway endpoint; the others need only DynamoDB
    ids = function_ids(template)
    assert "VpcConfig" not in template["Resources"][ids["realtime_notifier"]]["Properties"]
    for name in ("realtime", "realtime_authorizer", "realtime_connections"):
        assert "VpcConfig" in template["Resources"][ids[name]]["Properties"], name


def test_the_ticket_route_answers_with_the_stages_websocket_url(template: dict[str, Any]) -> None:
    ids = function_ids(template)
    api = resource_id(template, "AWS::ApiGatewayV2::Api", "WebSocket")
    environment = template["Resources"][ids["realtime"]]["Properties"]["Environment"]["Variables"]
    assert render(environment["REALTIME_URL"]).startswith(f"wss://<{api}>.execute-api.")
    assert render(environment["REALTIME_URL"]).endswith(f"/{system.REALTIME_STAGE}")
    notifier = template["Resources"][ids["realtime_notifier"]]["Properties"]["Environment"]["Variables"]
    assert render(notifier["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"]).startswith(f"https://<{api}>.execute-api.")
