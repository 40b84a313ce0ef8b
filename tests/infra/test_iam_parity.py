"""The one source of truth: each role in the template holds exactly the statements the local IAM enforcement uses."""

from __future__ import annotations

from typing import Any

import pytest

from functions.system import FUNCTIONS
from infra.capabilities import ResourceNames, StatementSpec, policy_statements
from tests.infra.template_tools import function_ids, logical_id, render, resource_id, statements_of


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _normalized(sid: str, actions: Any, resources: Any, conditions: Any) -> tuple[Any, ...]:
    rendered_conditions = {
        operator: {key: sorted(render(value) for value in _as_list(values)) for key, values in keys.items()}
        for operator, keys in (conditions or {}).items()
    }
    return (
        sid,
        sorted(_as_list(actions)),
        sorted(render(resource) for resource in _as_list(resources)),
        rendered_conditions,
    )


_RUNTIME_PREFIXES = ("logs:", "sqs:")


def _runtime_only(statement: dict[str, Any]) -> bool:
    """A statement Lambda itself uses, never our code: writing its log group, sending to its on-failure queue."""
    actions = _as_list(statement["Action"])
    return "Sid" not in statement and any(all(a.startswith(p) for a in actions) for p in _RUNTIME_PREFIXES)


def _from_spec(spec: StatementSpec) -> tuple[Any, ...]:
    return _normalized(spec.sid, list(spec.actions), list(spec.resources), spec.conditions)


def _template_names(template: dict[str, Any]) -> ResourceNames:
    """The table, bucket and function ARNs as the template's rendered references (`<Logical.Arn>`)."""
    media = resource_id(template, "AWS::S3::Bucket", "Media")
    ids = function_ids(template)
    return ResourceNames(
        table_arn=f"<{resource_id(template, 'AWS::DynamoDB::Table', 'Assets')}.Arn>",
        idempotency_table_arn=f"<{resource_id(template, 'AWS::DynamoDB::Table', 'Idempotency')}.Arn>",
        bucket_arn=f"<{media}.Arn>",
        bucket_name=f"<{media}>",
        function_arns={name: f"<{function_id}.Arn>" for name, function_id in ids.items()},
        connections_table_arn=f"<{resource_id(template, 'AWS::DynamoDB::Table', 'Connections')}.Arn>",
        websocket_api_arn="arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
        f"<{resource_id(template, 'AWS::ApiGatewayV2::Api', 'WebSocket')}>",
    )


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_role_holds_exactly_the_statements_the_local_enforcement_uses(
    template: dict[str, Any], function: str
) -> None:
    # Given the role's statements in the template, less what only Lambda itself uses (checked below): writing the
    # function's own log group, sending failed asynchronous events to its on-failure queue and, for functions in the
    # VPC, the managed policy for network interfaces (a ManagedPolicyArns entry, not a statement).
    function_id = function_ids(template)[function]
    ours = [s for s in statements_of(template, function_id) if not _runtime_only(s)]
    # When the same function's statements come from the table
    expected = [_from_spec(spec) for spec in policy_statements(function, _template_names(template))]
    # Then they are the same statements: every one an Allow with a Sid, nothing else
    assert all(
        statement["Effect"] == "Allow" and set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
        for statement in ours
    )
    found = [_normalized(s.get("Sid", ""), s["Action"], s["Resource"], s.get("Condition")) for s in ours]
    assert sorted(found) == sorted(expected)


def test_what_the_parity_test_leaves_out_is_only_lambdas_own_logging_and_failure_queue(
    template: dict[str, Any],
) -> None:
    # Then nothing left out above can grant a call our code makes
    queues = {name for name, item in template["Resources"].items() if item["Type"] == "AWS::SQS::Queue"}
    log_groups = {name for name, item in template["Resources"].items() if item["Type"] == "AWS::Logs::LogGroup"}
    for function_id in function_ids(template).values():
        role = template["Resources"][logical_id(template["Resources"][function_id]["Properties"]["Role"])]
        managed = [render(arn) for arn in role["Properties"].get("ManagedPolicyArns", [])]
        assert all(arn.endswith("AWSLambdaVPCAccessExecutionRole") for arn in managed), managed
        for statement in filter(_runtime_only, statements_of(template, function_id)):
            actions, (resource,) = sorted(_as_list(statement["Action"])), _as_list(statement["Resource"])
            if actions[0].startswith("logs:"):
                assert (actions, logical_id(resource) in log_groups) == (
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    True,
                )
            else:
                expected = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"]
                assert (actions, logical_id(resource) in queues) == (expected, True)
