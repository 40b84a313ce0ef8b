"""A handler that crashes gets API Gateway's own answer, never a half-written response."""

from __future__ import annotations

from typing import Any

from werkzeug.test import Client

from devserver.auth import LocalAuthority
from devserver.environments import FunctionError
from devserver.gateway import Gateway


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
