"""The Powertools HTTP resolver every API function uses: validation, OpenAPI, and problem+json for every error.

This is the one place a raised error becomes an HTTP answer (the catalogue, functions/common/errors.py, says which).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.common.errors import (
    PROBLEM_CODES_EXTENSION,
    PROBLEM_JSON,
    DomainError,
    ExpectedJson,
    ExpectedMultipart,
    InternalError,
    InvalidRequest,
    MalformedJson,
    MalformedMultipart,
    NotFound,
    RouteNotFound,
    Unauthorized,
    Unavailable,
    problem_for,
)
from functions.common.failures import PermanentError, TransientError
from functions.common.identity import MAX_SUB_BYTES, is_encodable
from functions.common.ids import is_ulid

JSON = "application/json"
MULTIPART = "multipart/form-data"
API_TITLE = "Gallery API"
API_VERSION = "1.0.0"

logger = Logger(service="gallery-api")


def _validation_error(error: RequestValidationError) -> DomainError:
    errors = error.errors()
    if any(item.get("type") == "json_invalid" for item in errors):
        return MalformedJson("The request body is not valid JSON.")
    details = []
    for item in errors:
        location = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        details.append(f"{location}: {item.get('msg', 'invalid')}")
    fields = [
        {"field": ".".join(str(part) for part in item.get("loc", ())), "message": item.get("msg", "invalid")}
        for item in errors
    ]
    return InvalidRequest("; ".join(details) or "Invalid request.", errors=fields)


def _json_body(text: str) -> Any:
    """The body as JSON; nested deeper than the parser can follow, it is malformed (a 400), not our crash."""
    try:
        return json.loads(text)
    except RecursionError as error:
        raise json.JSONDecodeError("nested too deeply", text, 0) from error


def _expected_body(route: Any) -> str | None:
    """The media type a route reads its body as (None: it reads none)."""
    from aws_lambda_powertools.event_handler.openapi.params import Form

    body = route.dependant.body_params if route is not None and route.dependant else []
    if not body:
        return None
    return MULTIPART if any(isinstance(field.field_info, Form) for field in body) else JSON


class _BodyGate:
    """Before Powertools reads a body: a Content-Type the route does not read is a 415, an unreadable form a 400.

    Powertools would answer a media type it cannot parse with an exception of its own (our 500), parse a form sent
    to a JSON route, and raise a bare ValueError for a multipart body it cannot split.
    """

    __name__ = "body_gate"  # Powertools names every middleware in its debug trail

    def __init__(self, validate: Callable[..., Any]) -> None:
        self._validate = validate

    def __call__(self, app: APIGatewayHttpResolver, next_middleware: Callable[..., Any]) -> Any:
        expected = _expected_body(app.context.get("_route"))
        if expected is not None:
            sent = (app.current_event.headers.get("content-type") or "").split(";")[0].strip().lower()
            if expected == JSON and sent not in ("", JSON):
                raise ExpectedJson(f"Send the body as {JSON}.")
            if expected == MULTIPART and sent != MULTIPART:
                raise ExpectedMultipart(f"Send the file as {MULTIPART}.")
        parsed = False

        def route(app: APIGatewayHttpResolver) -> Any:
            nonlocal parsed
            parsed = True
            return next_middleware(app)

        try:
            return self._validate(app, route)
        except ValueError as error:
            if parsed or expected != MULTIPART:
                raise
            raise MalformedMultipart(f"The {MULTIPART} body cannot be read.") from error


def _strict_problems() -> bool:
    from functions.common.settings import ProblemSettings, settings_for

    return settings_for(ProblemSettings).strict_problems


def create_app(*, validation: bool = True) -> APIGatewayHttpResolver:
    """A resolver (validating unless told not to) whose every error is `application/problem+json` with a stable `code`.

    Validation loads pydantic and the OpenAPI machinery; only an app whose routes take no input may turn it off.
    """
    app = APIGatewayHttpResolver(enable_validation=validation, json_body_deserializer=_json_body)
    if validation:
        # Powertools keeps its request validation here and runs it first for every validated route.
        app._request_validation_middleware = _BodyGate(app._request_validation_middleware)  # type: ignore[assignment]

    def answer(error: DomainError) -> Response[str]:
        route = app.context.get("_route")
        declared = (getattr(route, "openapi_extensions", None) or {}).get(PROBLEM_CODES_EXTENSION)
        if not isinstance(error, RouteNotFound) and error.code not in (declared or ()):
            where = f"{route.method} {route.openapi_path}" if route is not None else "?"
            logger.error("undeclared problem", extra={"code": error.code, "route": where})
            if _strict_problems():  # tests: an error a route does not declare is a failure, never a quiet answer
                error = InternalError(f"`{error.code}` is not declared by {where}: add it to its problems(...).")
        return Response(
            status_code=error.status,
            content_type=PROBLEM_JSON,
            body=json.dumps(problem_for(error)),
            headers=dict(error.headers),
        )

    @app.exception_handler(RequestValidationError)
    def _on_validation(error: RequestValidationError) -> Response[str]:
        return answer(_validation_error(error))

    @app.exception_handler(RequestUnsupportedContentType)
    def _on_media_type(_: RequestUnsupportedContentType) -> Response[str]:
        expected = _expected_body(app.context.get("_route"))
        return answer(ExpectedMultipart() if expected == MULTIPART else ExpectedJson())

    @app.exception_handler(DomainError)
    def _on_domain(error: DomainError) -> Response[str]:
        return answer(error)

    @app.exception_handler(TransientError)
    def _on_transient(error: TransientError) -> Response[str]:
        logger.exception("transient failure")
        return answer(Unavailable("A storage service is busy; retry shortly."))

    @app.exception_handler(PermanentError)
    def _on_permanent(error: PermanentError) -> Response[str]:
        # A request a retry cannot fix that passed our own validation: our bug, never the client's nor "busy".
        logger.exception("storage refused the request", extra={"cause": str(error)})
        return answer(InternalError("Something went wrong on our side."))

    @app.exception_handler(Exception)
    def _on_unexpected(_: Exception) -> Response[str]:
        logger.exception("unexpected failure")
        return answer(InternalError("Something went wrong on our side."))

    @app.not_found
    def _on_not_found(_: NotFoundError) -> Response[str]:
        return answer(RouteNotFound("No such route."))

    return app


def caller(app: APIGatewayHttpResolver | APIGatewayHttpRouter) -> str:
    """The verified JWT's `sub`: the only identity the API knows, and the partition of every key the caller owns."""
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthorized("A verified token with a subject is required.")
    if not is_encodable(sub):  # a lone surrogate (JSON can carry one): no key can hold it
        raise Unauthorized("The token's subject is not valid text.")
    if len(sub.encode()) > MAX_SUB_BYTES:
        raise Unauthorized(f"The token's subject must be at most {MAX_SUB_BYTES} bytes.")
    return sub


def known_asset_id(asset_id: str) -> str:
    """A path's asset id; one that is not a ULID can never exist, so it is 404 before any key is built from it."""
    if not is_ulid(asset_id):
        raise NotFound("No such asset.")
    return asset_id


# Every answer of the public share routes (#15), errors included: no search or image index, no referrer, no cache.
PUBLIC_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow, noimageindex",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def with_public_headers(response: dict[str, Any]) -> dict[str, Any]:
    """The resolver's answer with `PUBLIC_HEADERS` (they replace any of the same name)."""
    ours = {name.lower() for name in PUBLIC_HEADERS}
    headers = {name: value for name, value in (response.get("headers") or {}).items() if name.lower() not in ours}
    return {**response, "headers": {**headers, **PUBLIC_HEADERS}}
