"""The events API Gateway's WebSocket API gives its Lambda functions, built as AWS builds them (payload format 1.0).

The REQUEST authorizer of `$connect`, the `$connect` and `$disconnect` route integrations, and how API Gateway reads
the authorizer's answer: an IAM policy for `execute-api:Invoke` on the method ARN, plus a context map that every later
route event of the connection carries.
"""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ACCOUNT = "000000000000"
REGION = "us-east-1"
CONTEXT_TYPES = (str, int, float, bool)


@dataclass
class Handshake:
    """What API Gateway knows of an upgrade request: its headers and query, and who sent it."""

    connection_id: str
    domain: str
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    source_ip: str
    connected_at_ms: int
    api_id: str
    stage: str
    authorizer: dict[str, Any] = field(default_factory=dict)

    @property
    def user_agent(self) -> str:
        return next((value for name, value in self.headers if name.lower() == "user-agent"), "")

    def method_arn(self, route_key: str) -> str:
        return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{self.api_id}/{self.stage}/{route_key}"


def _single_and_multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Payload 1.0's two views: the last value of each name, and every value in order."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _request_context(handshake: Handshake, route_key: str, event_type: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": uuid.uuid4().hex[:16] + "=",
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "messageDirection": "IN",
        "stage": handshake.stage,
        "connectedAt": handshake.connected_at_ms,
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "identity": {"sourceIp": handshake.source_ip, "userAgent": handshake.user_agent},
        "requestId": uuid.uuid4().hex[:16] + "=",
        "domainName": handshake.domain,
        "connectionId": handshake.connection_id,
        "apiId": handshake.api_id,
    }


def authorizer_event(handshake: Handshake) -> dict[str, Any]:
    """The REQUEST authorizer's event for `$connect`."""
    headers, multi_headers = _single_and_multi(handshake.headers)
    query, multi_query = _single_and_multi(handshake.query)
    return {
        "type": "REQUEST",
        "methodArn": handshake.method_arn("$connect"),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "stageVariables": {},
        "requestContext": _request_context(handshake, "$connect", "CONNECT"),
    }


def connect_event(handshake: Handshake) -> dict[str, Any]:
    """The `$connect` route's event: the upgrade request, with the authorizer's context."""
    headers, multi_headers = _single_and_multi(handshake.headers)
    query, multi_query = _single_and_multi(handshake.query)
    context = _request_context(handshake, "$connect", "CONNECT")
    context["authorizer"] = dict(handshake.authorizer)
    event: dict[str, Any] = {"headers": headers, "multiValueHeaders": multi_headers}
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = multi_query
    event.update({"requestContext": context, "isBase64Encoded": False})
    return event


def disconnect_event(handshake: Handshake, status_code: int, reason: str) -> dict[str, Any]:
    """The `$disconnect` route's event: no request of its own, the close code, the connection's authorizer context."""
    host = handshake.domain
    context = _request_context(handshake, "$disconnect", "DISCONNECT")
    context.update({"disconnectStatusCode": status_code, "disconnectReason": reason})
    context["authorizer"] = dict(handshake.authorizer)
    headers = {"Host": host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }


class AuthorizerConfigurationError(ValueError):
    """The authorizer answered something API Gateway cannot use (it answers 500 then)."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    context: dict[str, Any]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(patterns: Any, value: str) -> bool:
    return any(isinstance(pattern, str) and fnmatch.fnmatchcase(value, pattern) for pattern in _as_list(patterns))


def decide(result: Any, method_arn: str) -> Decision:
    """API Gateway's reading of an authorizer's answer: an explicit Deny wins, else an Allow must match the ARN."""
    if not isinstance(result, Mapping) or not isinstance(result.get("policyDocument"), Mapping):
        raise AuthorizerConfigurationError("the authorizer answered no policyDocument")
    principal = result.get("principalId")
    if not isinstance(principal, str) or not principal:
        raise AuthorizerConfigurationError("the authorizer answered no principalId")
    context = result.get("context") or {}
    if not isinstance(context, Mapping) or any(not isinstance(value, CONTEXT_TYPES) for value in context.values()):
        raise AuthorizerConfigurationError("the authorizer's context holds only strings, numbers and booleans")
    statements = [
        statement
        for statement in _as_list(result["policyDocument"].get("Statement") or [])
        if isinstance(statement, Mapping)
        and _matches(statement.get("Action"), "execute-api:Invoke")
        and _matches(statement.get("Resource"), method_arn)
    ]
    denied = any(statement.get("Effect") == "Deny" for statement in statements)
    allowed = not denied and any(statement.get("Effect") == "Allow" for statement in statements)
    return Decision(allowed=allowed, context={**dict(context), "principalId": principal})
