"""The local server answers loopback names only (DNS rebinding) and refuses `/__dev/*` writes from other origins."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from devserver.auth import LocalAuthority
from devserver.gateway import Gateway
from devserver.web import WebApp

PORT = 3000
WEB_ORIGIN = "http://127.0.0.1:3001"


def _gateway(calls: list[str]) -> Gateway:
    def invoke(function: str, event: dict[str, Any]) -> Any:
        calls.append(function)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"status": "ok"}'}

    def dev_route(request: Request) -> Response:
        calls.append(f"dev {request.path}")
        return Response("{}", content_type="application/json")

    return Gateway(
        authority=LocalAuthority(b"k" * 32),
        allowed_origins=(WEB_ORIGIN,),
        dev_routes={("GET", "/__dev/token"): dev_route, ("POST", "/__dev/purge"): dev_route},
        invoke=invoke,
    )


def _call(method: str, path: str, host: str, **headers: str) -> tuple[int, dict[str, Any] | None, list[str]]:
    calls: list[str] = []
    environ = {"SERVER_PORT": str(PORT), "HTTP_HOST": host}
    response = Client(_gateway(calls)).open(path, method=method, headers=headers, environ_overrides=environ)
    body = response.json if response.mimetype == "application/problem+json" else None
    return response.status_code, body, calls


@pytest.mark.parametrize("host", ["127.0.0.1:3000", "localhost:3000", "[::1]:3000", "LOCALHOST:3000"])
def test_loopback_names_with_the_servers_port_are_served(host: str) -> None:
    # When a client names the server by a loopback name and its port
    status, _, calls = _call("GET", "/__dev/token", host)
    # Then the route runs
    assert (status, calls) == (200, ["dev /__dev/token"])


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:3000",
        "evil.example",
        "127.0.0.1:3001",
        "localhost",
        "127.0.0.1.nip.io:3000",
        "localhost.:3000",
        "",
    ],
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/__dev/token"), ("POST", "/__dev/purge"), ("GET", "/health")])
def test_any_other_host_is_misdirected_before_anything_runs(host: str, method: str, path: str) -> None:
    # Given a request whose Host is a rebound name, another port or missing
    # When it reaches the gateway
    status, body, calls = _call(method, path, host)
    # Then it is a 421 problem and neither a dev route nor a function ran
    assert status == 421 and calls == []
    assert body is not None and body["code"] == "host_not_allowed" and body["status"] == 421


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost:8080"},  # another local page: same-site, not ours
        {"Origin": "null"},  # sandboxed frame or data: page
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
    ids=["foreign", "other-local-port", "null", "origin-wins", "no-origin-cross-site", "no-origin-same-site"],
)
def test_a_cross_site_post_to_a_dev_route_is_refused(headers: dict[str, str]) -> None:
    # When a page of another origin makes the browser POST to /__dev/purge
    status, body, calls = _call("POST", "/__dev/purge", "127.0.0.1:3000", **headers)
    # Then it is refused with 403 and the purge never runs
    assert status == 403 and calls == []
    assert body is not None and body["code"] == "cross_site_request"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, the tests
        {"Sec-Fetch-Site": "none"},  # the user's own action
        {"Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://127.0.0.1:3000"},
        {"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-origin"},
        {"Origin": WEB_ORIGIN, "Sec-Fetch-Site": "same-site"},  # the demo web app
    ],
    ids=["no-browser", "user", "same-origin", "own-origin", "own-origin-localhost", "web-app"],
)
def test_a_post_from_the_server_its_web_app_or_no_browser_runs(headers: dict[str, str]) -> None:
    # When the POST comes from no browser, the server's own origin or the allowed web app
    status, _, calls = _call("POST", "/__dev/purge", "127.0.0.1:3000", **headers)
    # Then the purge runs
    assert (status, calls) == (200, ["dev /__dev/purge"])


def test_a_cross_site_get_of_a_token_is_left_to_cors() -> None:
    # When another origin's page fetches a token (the answer is unreadable to it: no CORS grant)
    calls: list[str] = []
    environ = {"SERVER_PORT": str(PORT), "HTTP_HOST": "127.0.0.1:3000"}
    response = Client(_gateway(calls)).get(
        "/__dev/token", headers={"Origin": "https://evil.example"}, environ_overrides=environ
    )
    # Then it runs but grants the page no read
    assert response.status_code == 200 and calls == ["dev /__dev/token"]
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_web_app_refuses_a_foreign_host_too() -> None:
    # Given the demo web app on its port
    app = WebApp(api_base="http://127.0.0.1:3000", storage_origin="http://127.0.0.1:4566")
    environ = {"SERVER_PORT": "3001"}

    # When it is asked under a rebound name and under its own
    foreign = Client(app).get("/config.js", environ_overrides={**environ, "HTTP_HOST": "evil.example:3001"})
    own = Client(app).get("/config.js", environ_overrides={**environ, "HTTP_HOST": "localhost:3001"})

    # Then only its own loopback name is served
    assert foreign.status_code == 421 and (foreign.json or {})["code"] == "host_not_allowed"
    assert own.status_code == 200 and "apiBase" in own.text
