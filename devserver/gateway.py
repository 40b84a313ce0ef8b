"""An emulation of API Gateway's HTTP API in front of the real handlers: routes, CORS, JWT authorizer, payload v2."""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from devserver.auth import LocalAuthority
from devserver.environments import FunctionError, invoke
from devserver.guards import own_origins, refuse_cross_site_write, refuse_foreign_host, server_port
from devserver.throttle import RouteThrottles
from functions.common.clock import epoch_ms
from functions.common.errors import PROBLEM_JSON, DomainError, Unauthorized, UseSignedUpload, problem, problem_for
from functions.system import (
    CORS_ALLOW_HEADERS,
    CORS_ALLOW_METHODS,
    CORS_EXPOSE_HEADERS,
    CORS_MAX_AGE_SECONDS,
    ROUTES,
    Route,
)

log = logging.getLogger("devserver")

# Lambda refuses synchronous payloads over 6 MB before the handler runs.
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
# HTTP API's integration timeout (fixed): past it API Gateway answers 503 and the function runs on. Every API
# function's own timeout is shorter (a unit test holds it), so locally a slow handler is always a function timeout.
HTTP_API_INTEGRATION_TIMEOUT_SECONDS = 30
_TEXT_TYPES = re.compile(r"^(text/|application/(json|problem\+json|x-www-form-urlencoded|javascript|xml))")


def _problem(error: DomainError, **extra: Any) -> Response:
    """The API's own problem body (functions/common/errors.py) for what API Gateway refuses before a handler runs."""
    return Response(json.dumps(problem_for(error, **extra)), status=error.status, content_type=PROBLEM_JSON)


def _throttled() -> Response:
    """API Gateway's answer when a route's bucket is empty is {"message": "Too Many Requests"}; problem+json here."""
    body = problem(429, "Too Many Requests", "The route's throttle is exhausted.", "throttled")
    return Response(json.dumps({**body, "message": "Too Many Requests"}), status=429, content_type=PROBLEM_JSON)


@dataclass(frozen=True)
class _CompiledRoute:
    route: Route
    pattern: re.Pattern[str]
    param_names: tuple[str, ...]

    @property
    def rank(self) -> tuple[bool, int, bool]:
        """API Gateway picks the most specific match: a full match before a greedy `{proxy+}` one (`$default` comes
        last), then the one with more literal segments, then the route's own method before `ANY`."""
        literal = sum(1 for segment in self.route.path.split("/") if segment and not segment.startswith("{"))
        return ("+}" in self.route.path, -literal, self.route.method == "ANY")


def _compile(route: Route) -> _CompiledRoute:
    names = tuple(re.findall(r"\{(\w+)\+?\}", route.path))
    regex = re.escape(route.path).replace(r"\{", "{").replace(r"\}", "}").replace(r"\+", "+")
    # A greedy variable takes the rest of the path, at least one character: `/{proxy+}` does not match `/`.
    regex = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", regex)
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
    return _CompiledRoute(route, re.compile(f"^{regex}$"), names)


def is_preflight(request: Request) -> bool:
    """What API Gateway answers from its CORS configuration: an OPTIONS with `Origin` and
    `Access-Control-Request-Method` (AWS's CORS guide for HTTP APIs); any other OPTIONS is routed like a request."""
    headers = request.headers
    return (
        request.method == "OPTIONS"
        and bool(headers.get("Origin"))
        and bool(headers.get("Access-Control-Request-Method"))
    )


class Gateway:
    """The WSGI app: API Gateway's behaviour, then the handler named by the shared route table."""

    def __init__(
        self,
        *,
        authority: LocalAuthority,
        allowed_origins: tuple[str, ...],
        dev_routes: dict[tuple[str, str], Callable[[Request], Response]],
        on_change: Callable[[], None] = lambda: None,
        invoke: Callable[[str, dict[str, Any]], Any] = invoke,
        throttles: RouteThrottles | None = None,
        routes: tuple[Route, ...] = ROUTES,
    ) -> None:
        self._invoke = invoke
        self._throttles = throttles or RouteThrottles(routes)
        self._authority = authority
        self._origins = allowed_origins
        self._dev_routes = dev_routes
        self._on_change = on_change
        compiled = (_compile(route) for route in routes if route.path != "$default")
        self._routes = sorted(compiled, key=lambda candidate: candidate.rank)
        self._default = next((route for route in routes if route.path == "$default"), None)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        response = self._respond(request)
        self._add_cors(request, response)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        refused = refuse_foreign_host(request)
        if refused is None and request.path.startswith("/__dev/"):
            refused = refuse_cross_site_write(request, own_origins(server_port(request)) | frozenset(self._origins))
        if refused is not None:
            return refused
        dev = self._dev_routes.get((request.method, request.path))
        if dev is not None:
            return dev(request)
        # Before routing and the authorizer: a preflight to any path, matched or not, invokes nothing.
        if is_preflight(request):
            return self._preflight(request)
        match = self._match(request.method, request.path)
        if match is None:
            if self._default is None:
                return Response(json.dumps({"message": "Not Found"}), status=404, content_type="application/json")
            route, params = self._default, dict[str, str]()
        else:
            route, params = match
        # The route's bucket is checked before the authorizer, so requests without a token count against it too.
        if not self._throttles.admit(route):
            return _throttled()
        claims: dict[str, Any] | None = None
        if route.auth:
            claims = self._authority.verify(request.headers.get("Authorization"))
            if claims is None:
                # API Gateway's authorizer answers {"message": "Unauthorized"}; the contract wants problem+json.
                return _problem(Unauthorized("A valid bearer token is required."), message="Unauthorized")
        body = request.get_data(cache=False)
        if len(body) > LAMBDA_PAYLOAD_LIMIT:
            return _problem(UseSignedUpload("The request body is over the 6 MB Lambda limit."))
        event = self._event(request, route, params, claims, body)
        try:
            result = self._invoke(route.function, event)
        # HTTP API's answer when the Lambda integration fails, whether the handler raised, timed out
        # (Sandbox.Timedout) or answered over 6 MB (Function.ResponseSizeTooLarge); a REST API would answer 502.
        except FunctionError as error:
            log.error("%s", error)
            return Response(
                json.dumps({"message": "Internal Server Error"}), status=500, content_type="application/json"
            )
        finally:
            if request.method not in ("GET", "HEAD"):
                self._on_change()
        return self._to_response(result)

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for compiled in self._routes:
            found = compiled.pattern.match(path)
            if found and compiled.route.method in (method, "ANY"):
                return compiled.route, found.groupdict()
        return None

    def _event(
        self,
        request: Request,
        route: Route,
        params: dict[str, str],
        claims: dict[str, Any] | None,
        body: bytes,
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        query: dict[str, str] = {}
        for name, value in request.args.items(multi=True):
            query[name] = f"{query[name]},{value}" if name in query else value
        content_type = request.headers.get("Content-Type", "")
        is_text = not body or bool(_TEXT_TYPES.match(content_type))
        now = datetime.now(UTC)
        context: dict[str, Any] = {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": request.host,
            "domainPrefix": request.host.split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": epoch_ms(now),
        }
        if claims is not None:
            context["authorizer"] = {"jwt": {"claims": {k: str(v) for k, v in claims.items()}, "scopes": None}}
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": request.path,
            "rawQueryString": request.query_string.decode(),
            "headers": headers,
            "requestContext": context,
            "isBase64Encoded": not is_text,
        }
        if request.cookies:
            event["cookies"] = [f"{name}={value}" for name, value in request.cookies.items()]
        if query:
            event["queryStringParameters"] = query
        if params:
            event["pathParameters"] = params
        if body:
            event["body"] = body.decode("utf-8", "replace") if is_text else base64.b64encode(body).decode()
        return event

    @staticmethod
    def _to_response(result: Any) -> Response:
        if not isinstance(result, dict) or "statusCode" not in result:
            return Response(json.dumps(result), status=200, content_type="application/json")
        headers = Headers()
        for name, value in (result.get("headers") or {}).items():
            headers.add(name, value)
        for name, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                headers.add(name, value)
        for cookie in result.get("cookies") or []:
            headers.add("Set-Cookie", cookie)
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
        return Response(body, status=int(result["statusCode"]), headers=headers)

    def _preflight(self, request: Request) -> Response:
        origin = request.headers.get("Origin", "")
        response = Response(status=204)
        if origin not in self._origins:
            return response
        requested = request.headers.get("Access-Control-Request-Method", "").upper()
        if requested not in CORS_ALLOW_METHODS:
            return response
        asked = [h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",") if h]
        if any(header not in CORS_ALLOW_HEADERS for header in asked):
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = ",".join(CORS_ALLOW_METHODS)
        response.headers["Access-Control-Allow-Headers"] = ",".join(CORS_ALLOW_HEADERS)
        response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_SECONDS)
        response.headers["Vary"] = "Origin"
        return response

    def _add_cors(self, request: Request, response: Response) -> None:
        origin = request.headers.get("Origin")
        if is_preflight(request) or not origin or origin not in self._origins:
            return
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = ",".join(CORS_EXPOSE_HEADERS)
        response.headers.add("Vary", "Origin")
