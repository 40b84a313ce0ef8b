"""A handler that crashes, times out or answers too much gets API Gateway's own answer, never a half-written one."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client

from devserver.auth import LocalAuthority
from devserver.environments import EnvironmentLost, FunctionError, FunctionTimeout, ResponseTooLarge
from devserver.gateway import HTTP_API_INTEGRATION_TIMEOUT_SECONDS, Gateway
from devserver.lambda_limits import RESPONSE_LIMIT_BYTES
from functions.system import ROUTES
from infra.capabilities import PROFILES


def test_a_crashing_handler_answers_api_gateways_500() -> None:
    # Given a gateway whose function crashes on every event
    calls: list[str] = []

    def crashing(function: str, event: dict[str, Any]) -> Any:
        calls.append(function)
        raise FunctionError(function, {"type": "RuntimeError", "message": "boom", "trace": "Traceback ..."})

    authority = LocalAuthority(b"k" * 32)
    gateway = Gateway(authority=authority, allowed_origins=(), dev_routes={}, invoke=crashing)

    # When a signed-in user calls a route
    response = Client(gateway).get("/gallery", headers={"Authorization": f"Bearer {authority.issue('alice')}"})

    # Then the handler was called and the answer is API Gateway's, without the traceback
    assert calls == ["gallery"]
    assert response.status_code == 500
    assert response.json == {"message": "Internal Server Error"}


@pytest.mark.parametrize(
    "failure",
    [
        FunctionTimeout("gallery", 29, "r-1"),
        ResponseTooLarge("gallery", RESPONSE_LIMIT_BYTES + 1, "r-1"),
        EnvironmentLost("gallery", -9, "r-1"),
    ],
    ids=["timeout", "response-too-large", "environment-lost"],
)
def test_lambdas_own_failures_answer_api_gateways_500(failure: FunctionError) -> None:
    # Given a gateway whose function fails the way Lambda reports it (not the handler)
    def failing(function: str, event: dict[str, Any]) -> Any:
        raise failure

    authority = LocalAuthority(b"k" * 32)
    gateway = Gateway(authority=authority, allowed_origins=(), dev_routes={}, invoke=failing)

    # When a signed-in user calls a route, Then HTTP API's answer to a failed Lambda integration
    response = Client(gateway).get("/gallery", headers={"Authorization": f"Bearer {authority.issue('alice')}"})
    assert (response.status_code, response.json) == (500, {"message": "Internal Server Error"})


def test_every_api_function_times_out_before_the_http_api_does() -> None:
    # Given HTTP API's fixed 30 s integration timeout (past it, API Gateway answers 503 and the function runs on)
    # When / Then every function behind a route has a shorter timeout, so a slow handler is a function timeout (500)
    for function in {route.function for route in ROUTES}:
        assert PROFILES[function].timeout_seconds < HTTP_API_INTEGRATION_TIMEOUT_SECONDS, function
