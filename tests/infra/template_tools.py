"""Reading a synthesized template: which resource is which function, and intrinsic functions as plain text."""

from __future__ import annotations

from typing import Any

from functions import system


def render(value: Any) -> str:
    """An intrinsic as readable text: `{"Fn::GetAtt": ["Media1", "Arn"]}` -> `<Media1.Arn>`, joins concatenated."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (kind, argument), *_ = value.items()
        if kind == "Ref":
            return f"<{argument}>"
        if kind == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if kind == "Fn::Join":
            return argument[0].join(render(part) for part in argument[1])
    return repr(value)


def logical_id(reference: Any) -> str:
    """The logical id a Ref or GetAtt points at."""
    if "Ref" in reference:
        return str(reference["Ref"])
    return str(reference["Fn::GetAtt"][0])


def function_ids(template: dict[str, Any]) -> dict[str, str]:
    """Our function names (functions.system.FUNCTIONS) -> the logical ids of their AWS::Lambda::Function."""
    by_handler = {spec.handler: name for name, spec in system.FUNCTIONS.items()}
    return {
        by_handler[resource["Properties"]["Handler"]]: resource_id
        for resource_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function" and resource["Properties"]["Handler"] in by_handler
    }


def statements_of(template: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    """Every IAM statement attached to the role of one function."""
    role_id = logical_id(template["Resources"][function_id]["Properties"]["Role"])
    statements = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        if any(logical_id(role) == role_id for role in resource["Properties"]["Roles"]):
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    return statements


def permissions_of(template: dict[str, Any], function_id: str) -> set[tuple[str, str]]:
    """(action, resource) pairs one function's role allows, resources rendered as text."""
    pairs = set()
    for statement in statements_of(template, function_id):
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        pairs |= {(action, render(resource)) for action in actions for resource in resources}
    return pairs


def resource_id(template: dict[str, Any], kind: str, prefix: str) -> str:
    """The one resource of `kind` whose logical id starts with `prefix` (CDK appends a hash)."""
    found = [name for name, item in template["Resources"].items() if item["Type"] == kind and name.startswith(prefix)]
    assert len(found) == 1, (kind, prefix, found)
    return found[0]
