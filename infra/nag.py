"""cdk-nag AwsSolutions findings we accept, each with its reason, on the narrowest construct it concerns.

cdk-nag 3 runs as a `Validations` plugin. It honours `Validations.of(scope).acknowledge(...)` on the resource or an
ancestor when the id is the plain rule id, `AwsSolutions-<rule>[<finding>]` (CDK stores it as `Annotation::...` and
cdk-nag strips that prefix); an `AwsSolutions::<rule>` id is stored verbatim and never matches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from constructs import IConstruct

from functions import system

if TYPE_CHECKING:
    from infra.stack import GalleryStack

# Whole-stack acknowledgments: rule id (with `[finding]` when it is one finding of a rule) -> reason.
STACK_WIDE: dict[str, str] = {
    "L1": "The runtime is pinned to python3.12 together with the layer's wheels (infra/bundling.py "
    "LAMBDA_PYTHON_VERSION); moving to a newer runtime means rebuilding the layer for it, deliberately.",
    "IAM5[Resource::<MediaA721A567.Arn>/originals/*]": "Object permissions are scoped to the originals/ prefix; "
    "keys are server-made per user and asset, so no narrower static ARN exists.",
    "IAM5[Resource::<MediaA721A567.Arn>/videos/*]": "Object permissions are scoped to the videos/ prefix (video "
    "originals, #16); keys are server-made per user and asset, so no narrower static ARN exists.",
    "IAM5[Resource::<MediaA721A567.Arn>/thumbs/*]": "Object permissions are scoped to the thumbs/ prefix; "
    "keys are server-made per user and asset, so no narrower static ARN exists.",
    "IAM5[Resource::<MediaA721A567.Arn>/public/*]": "Share download copies (#15) live under public/ at random "
    "keys made when first downloaded, so no narrower static ARN exists.",
    "IAM5[Resource::<Assets9A31D427.Arn>/index/*]": "Query on the asset table's own secondary indexes "
    "(all of them are gallery views); the wildcard never reaches another table.",
    "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]": "The policy "
    "AWS documents for a function in a VPC: creating and removing its network interfaces in the isolated subnets.",
}


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=f"AwsSolutions-{rule}", reason=reason))


def acknowledge_findings(stack: GalleryStack) -> None:
    """Record every accepted finding so cdk-nag reports it as acknowledged instead of failing."""
    for rule, reason in STACK_WIDE.items():
        acknowledge(stack, rule, reason)
    acknowledge(
        stack.storage.bucket,
        "S1",
        "Access to media is only through short-lived presigned URLs made by our functions, which log each "
        "request; a separate access-log bucket would add cost and a bucket that itself has no access logs.",
    )
    acknowledge(
        stack.network.vpc,
        "VPC7",
        "The subnets have no route out: their only traffic is the functions' S3 and DynamoDB calls through gateway "
        "endpoints, which CloudTrail and S3/DynamoDB metrics already cover; flow logs would add cost, not sight.",
    )
    acknowledge(
        stack.alarms.topic,
        "SNS2",
        "Alarm notifications carry no user data; CloudWatch can only publish to an encrypted topic through a "
        "customer-managed KMS key, which would bill every idle month.",
    )
    for function in stack.functions.values():
        if function.failure_queue is None:
            continue
        acknowledge(
            function.failure_queue,
            "SQS3",
            "This queue is the on-failure destination of an asynchronous invocation (an event-invoke config, "
            "which CloudFormation does not mark as a DLQ); messages are kept 14 days and alarmed on.",
        )
    user_pool = stack.auth.user_pool
    if user_pool is not None:
        acknowledge(
            user_pool,
            "COG2",
            "MFA is optional with TOTP offered; requiring it is the operator's choice for their users.",
        )
        acknowledge(
            user_pool,
            "COG8",
            "The Plus feature plan is billed per monthly active user; an idle gallery should cost nothing.",
        )
    for route in system.ROUTES:
        if not route.auth and route.function == "public_shares":
            acknowledge(
                stack.api.routes[route.route_key],
                "APIG4",
                "Public by contract (#15): a share link's pages, unlock and downloads are for visitors without an "
                "account; the link's 256-bit token (and a password share's access token) is the authorization, "
                "checked by its own least-privilege function under the small public throttle.",
            )
        elif not route.auth:
            acknowledge(
                stack.api.routes[route.route_key],
                "APIG4",
                "Public by contract (DESIGN.md): health, the OpenAPI document and Swagger UI; and OPTIONS /{proxy+}, "
                "which AWS's HTTP API CORS guide asks for beside an authorized $default so that preflights (no token) "
                "pass: API Gateway answers those itself, the route's function only an OPTIONS that is none (204).",
            )
    notifications_handler = stack.node.try_find_child("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")
    if notifications_handler is not None:
        acknowledge(
            notifications_handler,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's own custom resource that configures the bucket's event notifications; only runs at deploy.",
        )
    acknowledge_realtime(stack)


def acknowledge_realtime(stack: GalleryStack) -> None:
    """The WebSocket API's findings (#14): only `$connect` can have an authorizer, and the stream grant's wildcard."""
    for route_key, reason in (
        (
            "$disconnect",
            "API Gateway runs authorizers on $connect only; $disconnect exists only on a connection "
            "whose $connect the ticket authorizer allowed, and its function only forgets that connection.",
        ),
        (
            "$default",
            "API Gateway runs authorizers on $connect only; $default (keep-alive pings) is reachable only "
            "on a connection whose $connect the ticket authorizer allowed, and its MOCK integration calls nothing.",
        ),
    ):
        acknowledge(stack.realtime.api.node.find_child(f"{route_key}-Route"), "APIG4", reason)
    table_arn = stack.resolve(stack.storage.table.table_arn)["Fn::GetAtt"][0]
    acknowledge(
        stack,
        f"IAM5[Resource::<{table_arn}.Arn>/stream/*]",
        "Reading the asset table's own streams (as AWS documents for Lambda's event source mapping); a stream's ARN "
        "ends in the time it was enabled, and the wildcard reaches no other table.",
    )
    api_id = stack.resolve(stack.realtime.api.api_id)["Ref"]
    acknowledge(
        stack,
        "IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
        f"<{api_id}>/{system.REALTIME_STAGE}/POST/@connections/*]",
        "PostToConnection to this API's live stage only; connection ids are made per connection by API Gateway, so "
        "no narrower static ARN exists.",
    )
