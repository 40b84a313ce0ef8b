"""The local WebSocket API's events and its reading of an authorizer's answer (devserver/websocket_events.py)."""

from __future__ import annotations

from typing import Any

import pytest

from devserver.websocket_events import (
    AuthorizerConfigurationError,
    Handshake,
    authorizer_event,
    connect_event,
    decide,
    disconnect_event,
)

METHOD_ARN = "arn:aws:execute-api:us-east-1:000000000000:local/live/$connect"


def _answer(*statements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "principalId": "alice",
        "policyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        "context": {"owner": "alice"},
        **extra,
    }


def _statement(effect: str, resource: Any = METHOD_ARN, action: Any = "execute-api:Invoke") -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource}


def _handshake() -> Handshake:
    return Handshake(
        connection_id="Zm9vYmFyYmF6cXV4cQ=",
        domain="127.0.0.1:3002",
        headers=[("Host", "127.0.0.1:3002"), ("X-Twice", "a"), ("X-Twice", "b"), ("User-Agent", "test")],
        query=[("ticket", "t1")],
        source_ip="127.0.0.1",
        connected_at_ms=1_700_000_000_000,
        api_id="local",
        stage="live",
        authorizer={"owner": "alice", "principalId": "alice"},
    )


@pytest.mark.parametrize(
    "statement",
    [
        _statement("Allow"),
        _statement("Allow", resource="arn:aws:execute-api:us-east-1:000000000000:local/*"),
        _statement("Allow", resource=["arn:aws:execute-api:*:*:other/*", METHOD_ARN]),
        _statement("Allow", action=["execute-api:*"]),
    ],
)
def test_an_allow_matching_the_method_arn_allows_with_the_context_and_principal(statement: dict[str, Any]) -> None:
    # Given an authorizer's Allow for this route, exactly or through wildcards
    decision = decide(_answer(statement), METHOD_ARN)
    # Then the connection is allowed, and the context every route sees holds the principal
    assert decision.allowed
    assert decision.context == {"owner": "alice", "principalId": "alice"}


@pytest.mark.parametrize(
    "statements",
    [
        [_statement("Deny")],
        [_statement("Allow"), _statement("Deny", resource="arn:aws:execute-api:*")],
        [_statement("Allow", resource="arn:aws:execute-api:us-east-1:000000000000:local/live/$default")],
        [_statement("Allow", action="execute-api:ManageConnections")],
        [],
    ],
)
def test_a_deny_or_no_matching_allow_refuses(statements: list[dict[str, Any]]) -> None:
    assert not decide(_answer(*statements), METHOD_ARN).allowed


@pytest.mark.parametrize(
    "answer",
    [
        None,
        {"principalId": "alice"},
        _answer(_statement("Allow"), principalId=""),
        _answer(_statement("Allow"), context={"owner": {"nested": "object"}}),
    ],
)
def test_an_unusable_answer_is_a_configuration_error(answer: Any) -> None:
    with pytest.raises(AuthorizerConfigurationError):
        decide(answer, METHOD_ARN)


def test_the_events_carry_the_request_as_payload_1_0_does() -> None:
    # Given an upgrade request with a repeated header
    handshake = _handshake()
    # When API Gateway builds the authorizer's and `$connect`'s events
    authorizer, connect = authorizer_event(handshake), connect_event(handshake)
    # Then both hold the last value of each header and every value in order
    for event in (authorizer, connect):
        assert event["headers"]["X-Twice"] == "b"
        assert event["multiValueHeaders"]["X-Twice"] == ["a", "b"]
        assert event["queryStringParameters"] == {"ticket": "t1"}
        assert event["requestContext"]["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "test"}
    assert authorizer["methodArn"] == METHOD_ARN and "authorizer" not in authorizer["requestContext"]
    assert connect["requestContext"]["authorizer"] == {"owner": "alice", "principalId": "alice"}


def test_disconnect_carries_the_close_code_and_the_authorizer_context() -> None:
    event = disconnect_event(_handshake(), 1001, "Going away")
    context = event["requestContext"]
    assert (context["routeKey"], context["eventType"]) == ("$disconnect", "DISCONNECT")
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (1001, "Going away")
    assert context["authorizer"]["owner"] == "alice"
    assert "queryStringParameters" not in event and event["isBase64Encoded"] is False
