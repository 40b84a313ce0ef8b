"""What must never silently change in the stack: triggers, auth, runtime, grants, data protection, failure handling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from functions import system
from functions.common.identity import MAX_SUB_BYTES, SYSTEM_PARTITION
from infra.capabilities import PROFILES, Invocation
from infra.environment import settings_model
from tests.infra.conftest import EXTERNAL_ISSUER_CONTEXT, TEST_CONTEXT, Synthesized, synthesize
from tests.infra.template_tools import function_ids, logical_id, permissions_of, render, resource_id, statements_of
from tests.table_support import assert_table_is_schema

ORIGINALS = f"<MEDIA.Arn>/{system.ORIGINALS_PREFIX}*"
VIDEOS = f"<MEDIA.Arn>/{system.VIDEO_ORIGINALS_PREFIX}*"  # video originals (#16): every ORIGINALS_* grant covers both
ORIGINALS_LIKE = [f"{system.ORIGINALS_PREFIX}*", f"{system.VIDEO_ORIGINALS_PREFIX}*"]
THUMBS = f"<MEDIA.Arn>/{system.THUMBS_PREFIX}*"


def named_permissions(template: dict[str, Any], function: str) -> set[tuple[str, str]]:
    """A function's (action, resource) pairs with the bucket and table ids replaced by MEDIA / ASSETS."""
    media = resource_id(template, "AWS::S3::Bucket", "Media")
    assets = resource_id(template, "AWS::DynamoDB::Table", "Assets")
    pairs = permissions_of(template, function_ids(template)[function])
    return {(action, resource.replace(media, "MEDIA").replace(assets, "ASSETS")) for action, resource in pairs}


def holders(template: dict[str, Any], action: str, resource: str) -> set[str]:
    """Which of our functions may do `action` on `resource` (names as in functions.system.FUNCTIONS)."""
    return {name for name in system.FUNCTIONS if (action, resource) in named_permissions(template, name)}


# Profiles


def test_every_function_has_a_profile_with_an_existing_settings_model() -> None:
    # Given the functions the code defines
    # When each is looked up in the capability table
    # Then none is missing (so none deploys unconfigured) and each names a real settings model
    assert set(system.FUNCTIONS) - set(PROFILES) == set()
    for name in system.FUNCTIONS:
        assert settings_model(PROFILES[name]).__name__ == PROFILES[name].settings


def test_api_profiles_match_the_route_table() -> None:
    # Given the functions routes point at
    routed = {route.function for route in system.ROUTES}
    # Then exactly those are API functions, and every API function has a route
    api = {name for name in system.FUNCTIONS if PROFILES[name].invocation is Invocation.API}
    assert routed == api


def test_every_function_is_deployed_on_arm64_python312_with_the_layer(template: dict[str, Any]) -> None:
    # Given the synthesized functions
    deployed = function_ids(template)
    # Then each function of the system is there, on the runtime the layer is built for
    assert set(deployed) == set(system.FUNCTIONS)
    for name, function_id in deployed.items():
        properties = template["Resources"][function_id]["Properties"]
        assert properties["Runtime"] == "python3.12", name
        assert properties["Architectures"] == ["arm64"], name
        # With the dependency layer first, then only the extra layers its profile names (the video function's)
        assert [logical_id(layer) for layer in properties["Layers"]] == [
            resource_id(template, "AWS::Lambda::LayerVersion", "Dependencies"),
            *(
                resource_id(template, "AWS::Lambda::LayerVersion", f"{layer.title()}Layer")
                for layer in PROFILES[name].layers
            ),
        ]
        assert properties["MemorySize"] == PROFILES[name].memory_mb
        assert properties["Timeout"] == PROFILES[name].timeout_seconds


# Events


def test_thumbnail_runs_only_on_originals_and_video_only_on_videos(synthesized: Synthesized) -> None:
    # Given the bucket's notification configuration
    (notifications,) = synthesized.resources("Custom::S3BucketNotifications").values()
    configurations = notifications["Properties"]["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    deployed = function_ids(synthesized.template)

    def created_under(prefix: str, function: str) -> dict[str, Any]:
        return {
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
            "LambdaFunctionArn": {"Fn::GetAtt": [deployed[function], "Arn"]},
        }

    # Then ObjectCreated under originals/ reaches the thumbnail function and under videos/ the video function, each
    # only that prefix, and nothing else has a rule
    assert sorted(configurations, key=repr) == sorted(
        [
            created_under(system.ORIGINALS_PREFIX, "thumbnail"),
            created_under(system.VIDEO_ORIGINALS_PREFIX, "video"),
        ],
        key=repr,
    )


def test_purge_runs_on_the_system_schedule(synthesized: Synthesized) -> None:
    # Given the EventBridge rules
    rules = list(synthesized.resources("AWS::Events::Rule").values())
    # Then one rule runs the purge function on PURGE_SCHEDULE_CRON
    assert len(rules) == 1
    assert rules[0]["Properties"]["ScheduleExpression"] == system.PURGE_SCHEDULE_CRON
    (target,) = rules[0]["Properties"]["Targets"]
    assert logical_id(target["Arn"]) == function_ids(synthesized.template)["purge"]


def test_async_functions_have_failure_queues_retries_and_alarms(synthesized: Synthesized) -> None:
    # Given the event-invoke configs and alarms
    configs = {
        logical_id(item["Properties"]["FunctionName"]): item
        for item in synthesized.resources("AWS::Lambda::EventInvokeConfig").values()
    }
    alarmed = {
        render(dimension["Value"])
        for alarm in synthesized.resources("AWS::CloudWatch::Alarm").values()
        for dimension in alarm["Properties"].get("Dimensions", [])
    }
    ids = function_ids(synthesized.template)
    asynchronous = {name for name in system.FUNCTIONS if PROFILES[name].invocation.asynchronous}
    assert {"thumbnail", "purge", "ingest_worker"} & set(system.FUNCTIONS) <= asynchronous
    # (a stream's event source mapping has its own retries and destination: tests/infra/test_realtime_stack.py)
    invoked = {name for name in asynchronous if PROFILES[name].invocation is not Invocation.ASSET_STREAM}
    # Then each asynchronous function sends failed events to its own SQS queue, with bounded retries and age
    assert set(configs) == {ids[name] for name in invoked}
    for name in invoked:
        properties = configs[ids[name]]["Properties"]
        queue_id = logical_id(properties["DestinationConfig"]["OnFailure"]["Destination"])
        assert synthesized.template["Resources"][queue_id]["Type"] == "AWS::SQS::Queue"
        assert properties["MaximumRetryAttempts"] == PROFILES[name].retry_attempts
        assert properties["MaximumEventAgeInSeconds"] == PROFILES[name].max_event_age_seconds
        # And an alarm watches that queue
        assert f"<{queue_id}.QueueName>" in alarmed
    # And every function's errors are alarmed
    assert {f"<{function_id}>" for function_id in ids.values()} <= alarmed


def test_every_alarm_notifies_the_alarm_topic(synthesized: Synthesized) -> None:
    # Given the stack's one SNS topic
    (topic_id,) = synthesized.resources("AWS::SNS::Topic")
    alarms = synthesized.resources("AWS::CloudWatch::Alarm")
    # Then every alarm sends its ALARM state there, and the topic refuses publishing without TLS
    assert alarms
    for alarm in alarms.values():
        assert [logical_id(action) for action in alarm["Properties"]["AlarmActions"]] == [topic_id]
    (policy,) = synthesized.resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statement in statements
    )
    # And without `alarmEmail` nobody is subscribed; the topic's ARN is an output to subscribe to
    assert not synthesized.resources("AWS::SNS::Subscription")
    assert "AlarmTopicArn" in synthesized.template["Outputs"]


def test_alarm_email_subscribes_to_the_alarm_topic(tmp_path: Path) -> None:
    # Given an operator's address in the context
    synthesized = synthesize({**TEST_CONTEXT, "alarmEmail": "ops@example.com"}, tmp_path)
    # Then it is an email subscription of the alarm topic
    (subscription,) = synthesized.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"
    (topic_id,) = synthesized.resources("AWS::SNS::Topic")
    assert logical_id(subscription["Properties"]["TopicArn"]) == topic_id


def test_reserved_concurrency_caps_purge_at_one_and_bounds_ingest(template: dict[str, Any]) -> None:
    # Given the functions' reserved concurrency
    ids = function_ids(template)

    def reserved(name: str) -> int | None:
        return template["Resources"][ids[name]]["Properties"].get("ReservedConcurrentExecutions")

    # Then only one purge runs at a time and ingest cannot take the whole account
    assert reserved("purge") == 1
    for name in {"ingest", "ingest_worker"} & set(ids):
        cap = reserved(name)
        assert cap is not None and cap <= 20, name


def test_every_function_logs_to_its_own_group_with_retention(template: dict[str, Any]) -> None:
    for name, function_id in function_ids(template).items():
        # Given the log group a function writes to
        group_id = logical_id(template["Resources"][function_id]["Properties"]["LoggingConfig"]["LogGroup"])
        # Then the group expires its logs
        assert template["Resources"][group_id]["Properties"]["RetentionInDays"] == 30, name


# API


def test_authorizer_on_every_route_except_the_public_ones(synthesized: Synthesized) -> None:
    # Given the routes of the HTTP API
    routes = {
        item["Properties"]["RouteKey"]: item["Properties"]
        for item in synthesized.http_api("AWS::ApiGatewayV2::Route").values()
    }
    (authorizer_id,) = synthesized.http_api("AWS::ApiGatewayV2::Authorizer")
    shares = {route.route_key for route in system.ROUTES if route.function == "public_shares"}  # share links (#15)
    public = {"GET /health", "GET /openapi.json", "GET /docs", "OPTIONS /{proxy+}"} | shares
    # Then every route of the table is deployed, the public ones without auth and all others with the JWT authorizer
    assert {route.route_key for route in system.ROUTES if not route.auth} == public
    for route in system.ROUTES:
        deployed = routes[route.route_key]
        if route.route_key in public:
            assert deployed["AuthorizationType"] == "NONE", route.route_key
            assert "AuthorizerId" not in deployed
        else:
            assert deployed["AuthorizationType"] == "JWT", route.route_key
            assert deployed["AuthorizerId"] == {"Ref": authorizer_id}


def test_unmatched_paths_need_the_jwt_and_only_options_passes_without_it(synthesized: Synthesized) -> None:
    # Given the HTTP API's routes, its stage and its CORS configuration
    routes = {
        item["Properties"]["RouteKey"]: item["Properties"]
        for item in synthesized.http_api("AWS::ApiGatewayV2::Route").values()
    }
    (authorizer_id,) = synthesized.http_api("AWS::ApiGatewayV2::Authorizer")
    (api,) = synthesized.http_api("AWS::ApiGatewayV2::Api").values()
    (stage,) = synthesized.http_api("AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["RouteSettings"]
    # Then `$default` goes through the JWT authorizer: an unknown path without a token invokes nothing
    assert routes["$default"]["AuthorizationType"] == "JWT"
    assert routes["$default"]["AuthorizerId"] == {"Ref": authorizer_id}
    # And `OPTIONS /{proxy+}` (which API Gateway ranks above `$default`) needs none, so preflights of every path pass
    options = routes["OPTIONS /{proxy+}"]
    assert options["AuthorizationType"] == "NONE" and "AuthorizerId" not in options
    assert "OPTIONS" in api["Properties"]["CorsConfiguration"]["AllowMethods"]
    # And it is integrated (AWS's guide asks for an integration) with the docs function, the cheapest
    integration_id = render(options["Target"]).removeprefix("integrations/<").removesuffix(">")
    integration = synthesized.template["Resources"][integration_id]
    assert function_ids(synthesized.template)["docs"] in render(integration["Properties"]["IntegrationUri"])
    # And it has the smallest bucket of all routes (those with their own and the stage's default)
    own = settings["OPTIONS /{proxy+}"]
    for bucket in [*settings.values(), stage["Properties"]["DefaultRouteSettings"]]:
        assert own["ThrottlingRateLimit"] <= bucket["ThrottlingRateLimit"]
        assert own["ThrottlingBurstLimit"] <= bucket["ThrottlingBurstLimit"]


def test_default_authorizer_is_the_stacks_cognito_user_pool(synthesized: Synthesized) -> None:
    # Given the default (no issuer in context) synthesis
    (authorizer,) = synthesized.http_api("AWS::ApiGatewayV2::Authorizer").values()
    (pool_id,) = synthesized.resources("AWS::Cognito::UserPool")
    (client_id,) = synthesized.resources("AWS::Cognito::UserPoolClient")
    # Then the JWT authorizer trusts that pool's issuer and its SPA client
    assert authorizer["Properties"]["JwtConfiguration"]["Audience"] == [{"Ref": client_id}]
    assert f"<{pool_id}>" in render(authorizer["Properties"]["JwtConfiguration"]["Issuer"])
    assert not synthesized.resources("AWS::Cognito::UserPoolClient")[client_id]["Properties"].get("GenerateSecret")


def test_spa_client_allows_srp_and_the_iam_signed_admin_sign_in_but_no_plain_password(
    synthesized: Synthesized,
) -> None:
    # Given the stack's SPA client
    (client,) = synthesized.resources("AWS::Cognito::UserPoolClient").values()
    # Then people sign in with SRP, `make e2e` signs its test users in with AdminInitiateAuth (IAM-signed), and the
    # public password flow, which would take a password from anyone holding the client id, stays off
    assert set(client["Properties"]["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }


@pytest.fixture(scope="module")
def external_issuer(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(EXTERNAL_ISSUER_CONTEXT, tmp_path_factory.mktemp("cdk-out-issuer"))


def test_external_issuer_replaces_the_user_pool(external_issuer: Synthesized) -> None:
    # Given a synthesis with jwtIssuer and jwtAudience in context
    (authorizer,) = external_issuer.http_api("AWS::ApiGatewayV2::Authorizer").values()
    # Then the authorizer trusts that issuer and audience, and the stack makes no user pool
    assert authorizer["Properties"]["JwtConfiguration"] == {
        "Issuer": EXTERNAL_ISSUER_CONTEXT["jwtIssuer"],
        "Audience": ["gallery-spa", "gallery-cli"],
    }
    assert external_issuer.resources("AWS::Cognito::UserPool") == {}
    assert "UserPoolId" not in external_issuer.template["Outputs"]


def test_stage_is_throttled_and_access_logged(synthesized: Synthesized) -> None:
    # Given the API's stage
    (stage,) = synthesized.http_api("AWS::ApiGatewayV2::Stage").values()
    properties = stage["Properties"]
    # Then it throttles and writes access logs to a group with retention
    assert properties["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert properties["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    group_id = logical_id(properties["AccessLogSettings"]["DestinationArn"])
    assert synthesized.template["Resources"][group_id]["Properties"]["RetentionInDays"] == 30
    assert "$context.requestId" in properties["AccessLogSettings"]["Format"]


def test_stage_throttles_every_route_as_the_route_table_says(synthesized: Synthesized) -> None:
    # Given the API's stage and its routes
    ((stage_id, stage),) = synthesized.http_api("AWS::ApiGatewayV2::Stage").items()
    properties = stage["Properties"]
    route_ids = synthesized.http_api("AWS::ApiGatewayV2::Route")
    # Then the default route settings are the stage's bucket
    default = properties["DefaultRouteSettings"]
    assert (default["ThrottlingRateLimit"], default["ThrottlingBurstLimit"]) == (
        system.STAGE_THROTTLE.rate_per_second,
        system.STAGE_THROTTLE.burst,
    )
    # And the routes that name their own bucket (the anonymous ones, unmatched paths included) get exactly it
    assert properties["RouteSettings"] == {
        route.route_key: {
            "ThrottlingRateLimit": route.throttle.rate_per_second,
            "ThrottlingBurstLimit": route.throttle.burst,
        }
        for route in system.ROUTES
        if route.throttle is not None
    }
    assert {"GET /health", "GET /openapi.json", "GET /docs", "OPTIONS /{proxy+}", "$default"} <= set(
        properties["RouteSettings"]
    )
    # And it is smaller than the signed-in routes' bucket
    for route in system.ROUTES:
        if route.throttle is not None:
            assert route.throttle.rate_per_second < system.STAGE_THROTTLE.rate_per_second, route.route_key
            assert route.throttle.burst < system.STAGE_THROTTLE.burst, route.route_key
    # And the stage is created after every route, since CloudFormation refuses settings for a route key not yet there
    assert set(route_ids) <= set(stage.get("DependsOn", [])), stage_id


# Grants


def test_thumbnail_reads_originals_writes_thumbs_and_never_writes_originals(template: dict[str, Any]) -> None:
    # Given the thumbnail function's permissions
    allowed = named_permissions(template, "thumbnail")
    # Then it reads originals, writes thumbnails, and cannot put an object under originals/
    assert ("s3:GetObject", ORIGINALS) in allowed
    assert ("s3:PutObject", THUMBS) in allowed
    assert not {pair for pair in allowed if pair[0] == "s3:PutObject" and pair[1] != THUMBS}


def test_video_reads_only_video_originals_and_writes_only_posters(template: dict[str, Any]) -> None:
    # Given the video function's permissions (#16)
    allowed = named_permissions(template, "video")
    # Then it reads video originals but no image's, writes posters under thumbs/ and no original of either kind
    assert ("s3:GetObject", VIDEOS) in allowed
    assert not {pair for pair in allowed if pair[0] == "s3:GetObject" and pair[1] != VIDEOS}
    assert {pair for pair in allowed if pair[0] == "s3:PutObject"} == {("s3:PutObject", THUMBS)}


def test_only_purge_and_delete_paths_delete_media(template: dict[str, Any]) -> None:
    # Then every version of an original is deleted only by purge and the gallery's delete path, and of a thumbnail
    # also by the thumbnail and video functions (the thumbnail or poster a new one replaces, or one written for a
    # write that lost)
    assert holders(template, "s3:DeleteObjectVersion", ORIGINALS) == {"gallery", "purge"}
    assert holders(template, "s3:DeleteObjectVersion", THUMBS) == {"gallery", "purge", "thumbnail", "video"}
    # (and the shares function, limited to a revoked share's download copies under public/: the test below)
    assert holders(template, "s3:ListBucketVersions", "<MEDIA.Arn>") == {
        "gallery",
        "purge",
        "thumbnail",
        "video",
        "shares",
    }
    # And no function deletes a thumbnail the plain way (which only hides it behind a delete marker); only the
    # thumbnail function does so to an original nobody asked for (no record), and the video function to a video's
    assert holders(template, "s3:DeleteObject", THUMBS) == set()
    assert holders(template, "s3:DeleteObject", ORIGINALS) == {"thumbnail"}
    assert holders(template, "s3:DeleteObject", VIDEOS) == {"thumbnail", "video"}


def test_listing_versions_is_limited_to_the_media_prefixes(template: dict[str, Any]) -> None:
    # Given every statement that allows ListBucketVersions
    for function_id in function_ids(template).values():
        for statement in statements_of(template, function_id):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "s3:ListBucketVersions" in actions:
                # Then it holds only for prefixes under originals/, videos/, thumbs/ (or a share's copies: public/)
                assert statement["Condition"] in (
                    {"StringLike": {"s3:prefix": [*ORIGINALS_LIKE, f"{system.THUMBS_PREFIX}*"]}},
                    {"StringLike": {"s3:prefix": f"{system.PUBLIC_COPIES_PREFIX}*"}},
                )


def test_only_purge_and_delete_paths_delete_records(template: dict[str, Any]) -> None:
    # Then asset records are deleted by purge and the gallery's delete path, and by upload and ingest only to
    # take back the record they have just created when storing or handing it off failed; multipart (#16) to drop the
    # pending record of an upload its owner aborts
    expected = {"gallery", "purge"} | ({"upload", "ingest", "multipart"} & set(system.FUNCTIONS))
    # The shares function deletes only share items (#15): its statement holds only for share partitions.
    assert holders(template, "dynamodb:DeleteItem", "<ASSETS.Arn>") == expected | {"shares"}
    for statement in statements_of(template, function_ids(template)["shares"]):
        if "dynamodb:DeleteItem" in statement["Action"]:
            leading = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            assert leading == [f"{SYSTEM_PARTITION}{name}#*" for name in ("share", "shares", "token")]
            assert all(len(pattern.encode()) > MAX_SUB_BYTES for pattern in leading)
    # And no function can delete through BatchWriteItem
    assert all(
        action != "dynamodb:BatchWriteItem"
        for name in system.FUNCTIONS
        for action, _ in named_permissions(template, name)
    )


def test_presigning_functions_hold_what_their_urls_need(template: dict[str, Any]) -> None:
    # Then sign can back the presigned POST (PutObject on originals/) and both API functions presigned GETs
    assert ("s3:PutObject", ORIGINALS) in named_permissions(template, "sign")
    for name in ("sign", "gallery"):
        assert {("s3:GetObject", ORIGINALS), ("s3:GetObject", THUMBS)} <= named_permissions(template, name)


@pytest.mark.parametrize("function", ["gallery", "purge"])
def test_gallery_and_purge_rewrite_originals_only_as_a_copy_of_themselves(
    template: dict[str, Any], function: str
) -> None:
    # Given the statement that allows PutObject on originals/ (reprocess and the sweep of lost upload events copy an
    # original onto itself so S3 announces it again)
    from tests.infra.template_tools import statements_of

    cursor_key = f"<MEDIA.Arn>/{system.CURSOR_SECRET_KEY}"  # created once, never overwritten: a test of its own
    media = resource_id(template, "AWS::S3::Bucket", "Media")
    statements = [
        statement
        for statement in statements_of(template, function_ids(template)[function])
        if "s3:PutObject" in statement["Action"] and render(statement["Resource"]).replace(media, "MEDIA") != cursor_key
    ]
    # Then it holds only under the condition that the object is copied from originals/ or videos/, and nothing else
    # is put
    assert len(statements) == 1
    copy_sources = statements[0]["Condition"]["StringLike"]["s3:x-amz-copy-source"]
    assert [render(source).replace(media, "MEDIA") for source in copy_sources] == [
        f"<MEDIA>/{prefix}" for prefix in ORIGINALS_LIKE
    ]
    assert {resource for action, resource in named_permissions(template, function) if action == "s3:PutObject"} - {
        cursor_key
    } == {ORIGINALS, VIDEOS}


def test_purge_may_read_originals_to_re_announce_them(template: dict[str, Any]) -> None:
    # Then the purge reads originals (HeadObject of the sweep, and CopyObject's source) but no thumbnail
    allowed = named_permissions(template, "purge")
    assert ("s3:GetObject", ORIGINALS) in allowed
    assert ("s3:GetObject", THUMBS) not in allowed


def test_only_the_functions_asking_whether_an_original_exists_may_list_and_only_under_originals(
    template: dict[str, Any],
) -> None:
    # Then gallery (reprocess), thumbnail and video (an event for an object deleted since) and purge (abandoned
    # uploads, the sweep) list the bucket: S3 answers a missing key's HeadObject with 403 to a role that may not
    assert holders(template, "s3:ListBucket", "<MEDIA.Arn>") == {"gallery", "thumbnail", "video", "purge"} & set(
        system.FUNCTIONS
    )
    # And each may list only keys under originals/
    from tests.infra.template_tools import statements_of

    for name in system.FUNCTIONS:
        for statement in statements_of(template, function_ids(template)[name]):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "s3:ListBucket" in actions:
                assert statement["Condition"] == {"StringLike": {"s3:prefix": ORIGINALS_LIKE}}, name


def test_gallery_and_sign_have_nothing_of_the_internet_fetcher(template: dict[str, Any]) -> None:
    ids = function_ids(template)
    for name in ("gallery", "sign", "docs"):
        # Given an API function that never fetches URLs
        environment = template["Resources"][ids[name]]["Properties"].get("Environment", {}).get("Variables", {})
        # Then it cannot invoke the ingest worker, has no idempotency table and no ingest settings
        assert not PROFILES[name].internet
        assert not {action for action, _ in named_permissions(template, name) if action.startswith("lambda:")}
        assert not {key for key in environment if key.startswith(("INGEST", "ASSET_HOST", "IDEMPOTENCY"))}


def test_functions_that_fetch_nothing_run_where_no_route_leads_out(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    ids = function_ids(template)
    # Given the stack's subnets, route tables and endpoints
    kinds = {resource["Type"] for resource in resources.values()}
    route_tables = {
        logical_id(resource["Properties"]["SubnetId"]): logical_id(resource["Properties"]["RouteTableId"])
        for resource in resources.values()
        if resource["Type"] == "AWS::EC2::SubnetRouteTableAssociation"
    }
    endpoints = {
        render(resource["Properties"]["ServiceName"]).rsplit(".", 1)[-1]: {
            logical_id(table) for table in resource["Properties"]["RouteTableIds"]
        }
        for resource in resources.values()
        if resource["Type"] == "AWS::EC2::VPCEndpoint" and resource["Properties"].get("VpcEndpointType") == "Gateway"
    }

    # Then nothing can route to the internet: no gateway, no NAT, no route at all but the endpoints'
    assert not kinds & {"AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::Route", "AWS::EC2::EIP"}
    # And the gallery (and every function that neither fetches URLs nor invokes another) is in those subnets,
    # with S3 and DynamoDB reachable through gateway endpoints, and the role Lambda needs to attach it
    assert PROFILES["gallery"].isolated and not PROFILES["ingest_worker"].isolated
    for name, profile in PROFILES.items():
        properties = resources[ids[name]]["Properties"]
        if not profile.isolated:
            assert "VpcConfig" not in properties, name
            continue
        subnets = {logical_id(subnet) for subnet in properties["VpcConfig"]["SubnetIds"]}
        assert len(subnets) == 2 and subnets <= set(route_tables), name
        tables = {route_tables[subnet] for subnet in subnets}
        assert tables <= endpoints["s3"] and tables <= endpoints["dynamodb"], name
        role = resources[logical_id(properties["Role"])]["Properties"]
        assert "AWSLambdaVPCAccessExecutionRole" in render(role["ManagedPolicyArns"]), name


def test_only_ingest_invokes_the_worker_and_only_the_worker(template: dict[str, Any]) -> None:
    if "ingest_worker" not in system.FUNCTIONS:
        pytest.skip("no ingest worker in functions.system yet")
    ids = function_ids(template)
    # Given every lambda:InvokeFunction permission our functions hold
    invokers = {
        name: {resource for action, resource in named_permissions(template, name) if action == "lambda:InvokeFunction"}
        for name in system.FUNCTIONS
    }
    # Then only ingest holds one, and only on the worker (no versions or aliases)
    assert {name for name, resources in invokers.items() if resources} == {"ingest"}
    assert invokers["ingest"] == {f"<{ids['ingest_worker']}.Arn>"}


def test_no_function_holds_wildcard_actions_or_resources(template: dict[str, Any]) -> None:
    for name in system.FUNCTIONS:
        for action, resource in named_permissions(template, name):
            # Then every action is named and every resource is ours, at most narrowed by a prefix
            assert "*" not in action, (name, action)
            assert resource != "*", (name, action)
            ours = ("<MEDIA.Arn>/", "<ASSETS.Arn>", "<Idempotency", "<Ingest", "<Gallery", "<")
            assert resource.startswith((*ours, "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<")), (
                name,
                resource,
            )


# Data protection


def test_asset_table_matches_the_repository_and_is_protected(template: dict[str, Any]) -> None:
    from functions.common.repository import table_schema

    # Given the schema the code queries and the deployed table
    schema = table_schema()
    table = template["Resources"][resource_id(template, "AWS::DynamoDB::Table", "Assets")]
    properties = table["Properties"]
    # Then keys, key types, indexes and projections are the same
    assert_table_is_schema(properties, schema)
    # And it is on-demand, recoverable to a point in time, protected from deletion and retained
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"


def test_idempotency_table_expires_records(template: dict[str, Any]) -> None:
    table = template["Resources"][resource_id(template, "AWS::DynamoDB::Table", "Idempotency")]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]


def test_media_bucket_is_private_encrypted_tls_only_and_tidy(synthesized: Synthesized) -> None:
    # Given the bucket and its policy
    (bucket_id, bucket), *_ = synthesized.resources("AWS::S3::Bucket").items()
    properties = bucket["Properties"]
    (policy,) = synthesized.resources("AWS::S3::BucketPolicy").values()
    # Then no public access, owner-enforced, encrypted, versioned
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    # And plain-HTTP requests are denied
    assert {
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
    }.items() <= policy["Properties"]["PolicyDocument"]["Statement"][0].items()
    # And old versions and abandoned multipart uploads go away
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    # on the whole bucket (no prefix filter): multipart uploads of images and videos alike (#16)
    assert rule["Status"] == "Enabled" and "Prefix" not in rule and "Filter" not in rule
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 1
    # And CORS lets only the configured origins upload and download
    (cors,) = properties["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedOrigins"] == ["https://gallery.example.com"]
    assert set(cors["AllowedMethods"]) == {"GET", "HEAD", "POST", "PUT"}  # PUT: multipart uploads' parts (#16)
    assert bucket["DeletionPolicy"] == "Retain", bucket_id


def test_no_cursor_secret_in_any_environment_nor_in_secrets_manager(template: dict[str, Any]) -> None:
    # Given every function's environment
    for function_id in function_ids(template).values():
        variables = template["Resources"][function_id]["Properties"].get("Environment", {}).get("Variables", {})
        # Then none holds a secret or a reference to one (lambda:GetFunctionConfiguration would show its value)
        assert "CURSOR_SECRET" not in variables, function_id
        assert not any("resolve:secretsmanager" in render(value) for value in variables.values()), function_id
    # And the stack keeps no Secrets Manager secret (reading one from the isolated subnets needs a paid endpoint)
    assert not [item for item in template["Resources"].values() if item["Type"] == "AWS::SecretsManager::Secret"]


def test_only_the_gallery_reads_and_creates_the_cursor_key_and_only_with_if_none_match(
    template: dict[str, Any],
) -> None:
    # Given the cursor key's object
    key = f"<MEDIA.Arn>/{system.CURSOR_SECRET_KEY}"
    # Then only the function that signs cursors may read it or write it
    assert holders(template, "s3:GetObject", key) == {"gallery"}
    assert holders(template, "s3:PutObject", key) == {"gallery"}
    # And its statements name exactly that key, the write only as a create (`If-None-Match: *`, never an overwrite)
    media = resource_id(template, "AWS::S3::Bucket", "Media")
    on_key = []
    for statement in statements_of(template, function_ids(template)["gallery"]):
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        rendered = [render(resource).replace(media, "MEDIA") for resource in resources]
        if key in rendered:
            assert rendered == [key]
            on_key.append((statement["Action"], statement.get("Condition")))
    assert sorted(on_key, key=str) == [
        ("s3:GetObject", None),
        ("s3:PutObject", {"Null": {"s3:if-none-match": "false"}}),
    ]


def test_outputs_name_what_a_client_needs(template: dict[str, Any]) -> None:
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId", "MediaBucketName", "AssetTableName"} <= set(template["Outputs"])


def test_code_asset_holds_only_the_functions_package(code_asset: Path) -> None:
    # Given the code asset's files as its bundler copies them (before compiling)
    top_level = {path.name for path in code_asset.iterdir()}
    # Then only the functions package is in it: no tests, infra, local server or virtualenv, and no host bytecode
    assert top_level == {"functions"}
    assert not list(code_asset.rglob("__pycache__"))
    assert not list(code_asset.rglob("*.pyc"))
