"""The local gateway routes as API Gateway does: explicit routes, then greedy ones, then an authorized `$default`;
CORS preflights of any path are answered before routing, and any other OPTIONS reaches `OPTIONS /{proxy+}`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client

from devserver.auth import LocalAuthority
from devserver.gateway import Gateway
from functions.docs import handler as docs
from functions.system import CORS_ALLOW_METHODS, CORS_OPTIONS_ROUTE, ROUTES, Route
from tests.api_events import FakeContext

ORIGIN = "http://localhost:3001"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "authorization",
}


class Invocations:
    """Records what the gateway invokes; the docs function is the real one, the others answer the gallery's 404."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        self.events.append({"function": function, **event})
        if function == "docs":
            return docs.handler(event, FakeContext())
        body = {"type": "about:blank", "title": "Not found", "status": 404, "detail": "x", "code": "not_found"}
        return {"statusCode": 404, "headers": {"Content-Type": "application/problem+json"}, "body": json.dumps(body)}

    @property
    def route_keys(self) -> list[str]:
        return [event["routeKey"] for event in self.events]


def _gateway(routes: tuple[Route, ...] = ROUTES) -> tuple[Client, Invocations, dict[str, str]]:
    authority = LocalAuthority(b"k" * 32)
    invocations = Invocations()
    gateway = Gateway(authority=authority, allowed_origins=(ORIGIN,), dev_routes={}, invoke=invocations, routes=routes)
    return Client(gateway), invocations, {"Authorization": f"Bearer {authority.issue('alice')}"}


@pytest.mark.parametrize("authorization", [None, "Bearer nonsense"])
def test_an_unmatched_path_without_a_valid_token_is_the_authorizers_401_and_invokes_nothing(
    authorization: str | None,
) -> None:
    # Given the local gateway
    client, invocations, _ = _gateway()
    # When a scanner asks for an unknown path without a (valid) token
    response = client.get("/wp-login.php", headers={"Authorization": authorization} if authorization else {})
    # Then API Gateway's JWT authorizer answers (its `message`, in the contract's problem+json) and no function runs
    assert response.status_code == 401
    assert response.json is not None and response.json["message"] == "Unauthorized"
    assert (response.json["status"], response.json["code"]) == (401, "unauthorized")
    assert invocations.events == []


def test_an_unmatched_path_with_a_token_reaches_the_default_route_with_its_claims() -> None:
    # Given the local gateway and a signed-in user
    client, invocations, bearer = _gateway()
    # When she asks for an unknown path
    response = client.delete("/no/such/route", headers=bearer)
    # Then the gallery function answers it as `$default`, with her claims
    assert response.status_code == 404 and response.json is not None and response.json["code"] == "not_found"
    (event,) = invocations.events
    assert (event["function"], event["routeKey"]) == ("gallery", "$default")
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "alice"


@pytest.mark.parametrize("path", ["/gallery", "/assets/01J/download", "/no/such/route", "/"])
def test_a_preflight_of_any_path_is_answered_from_the_cors_configuration_without_invoking(path: str) -> None:
    # Given the local gateway
    client, invocations, _ = _gateway()
    # When the browser sends a preflight (no token) to a route, to an unknown path, and to the root
    response = client.options(path, headers=PREFLIGHT)
    # Then the gateway grants it itself, and no function runs
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == ",".join(CORS_ALLOW_METHODS)
    assert "authorization" in response.headers["Access-Control-Allow-Headers"]
    assert invocations.events == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": ORIGIN}, {"Access-Control-Request-Method": "GET"}],
    ids=["plain", "origin-only", "request-method-only"],
)
def test_an_options_that_is_no_preflight_reaches_the_options_route_and_the_docs_functions_204(
    headers: dict[str, str],
) -> None:
    # Given the local gateway
    client, invocations, _ = _gateway()
    # When an OPTIONS without `Origin` or without `Access-Control-Request-Method` arrives, without a token
    response = client.options("/gallery/x", headers=headers)
    # Then it is routed to `OPTIONS /{proxy+}` (no authorizer), whose function answers an empty 204
    assert (response.status_code, response.get_data()) == (204, b"")
    (event,) = invocations.events
    assert (event["function"], event["routeKey"]) == ("docs", CORS_OPTIONS_ROUTE.route_key)
    assert event["pathParameters"] == {"proxy": "gallery/x"}
    # And an allowed origin gets the CORS headers API Gateway adds to an integration's answer
    assert ("Access-Control-Allow-Origin" in response.headers) == ("Origin" in headers)


def test_an_options_of_the_root_is_no_greedy_match_and_needs_the_token() -> None:
    # Given the local gateway
    client, invocations, bearer = _gateway()
    # When an OPTIONS that is no preflight asks for `/`, which `/{proxy+}` (one segment at least) does not match
    anonymous = client.options("/")
    signed_in = client.options("/", headers=bearer)
    # Then it is `$default`'s: refused without a token, the gallery function's with one
    assert anonymous.status_code == 401 and signed_in.status_code == 404
    assert invocations.route_keys == ["$default"]


def test_routes_are_chosen_as_api_gateway_documents_it() -> None:
    # Given the example routes of AWS's "Routing API requests" (HTTP APIs), listed here least specific first
    routes = (
        Route("ANY", "$default", "gallery", auth=False),
        Route("ANY", "/{proxy+}", "gallery", auth=False),
        Route("GET", "/pets/{proxy+}", "gallery", auth=False),
        Route("GET", "/pets/dog/{id}", "gallery", auth=False),
        Route("GET", "/pets/dog/1", "gallery", auth=False),
    )
    client, invocations, _ = _gateway(routes)
    # When each of the guide's requests arrives
    for method, path in [("GET", "/pets/dog/1"), ("GET", "/pets/dog/2"), ("GET", "/pets/cat/1"), ("POST", "/test/5")]:
        client.open(path, method=method)
    # Then a full match wins, then a greedy route with the method, then ANY greedy; `$default` only when none matches
    assert invocations.route_keys == ["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}"]
    client.get("/")
    assert invocations.route_keys[-1] == "$default"
    assert invocations.events[2]["pathParameters"] == {"proxy": "cat/1"}


def test_an_explicit_route_keeps_its_method_and_authorizer_over_the_options_route() -> None:
    # Given the deployed route table
    client, invocations, bearer = _gateway()
    # When routes with a path variable are called, one of them by a method only the greedy OPTIONS route takes
    client.patch("/assets/sign-read", headers=bearer, json={})
    client.get("/assets/01J", headers=bearer)
    client.options("/assets/01J")
    # Then each is the most specific route for its method
    assert invocations.route_keys == ["PATCH /assets/{id}", "GET /assets/{id}", "OPTIONS /{proxy+}"]
