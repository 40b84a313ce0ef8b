"""The Powertools HTTP resolver every API function uses: validation, OpenAPI, and problem+json for every error."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.common.errors import (
    DomainError,
    NotFound,
    PermanentError,
    TransientError,
    Unauthorized,
    problem,
    problem_for,
)
from functions.common.ids import is_ulid

PROBLEM_JSON = "application/problem+json"
API_TITLE = "Gallery API"
API_VERSION = "1.0.0"
# OpenID Connect caps `sub` at 255 ASCII characters; in bytes, so a sub always fits a DynamoDB key and an S3 key.
MAX_SUB_BYTES = 255

logger = Logger(service="gallery-api")


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=body["status"],
        content_type=PROBLEM_JSON,
        body=json.dumps(body),
        headers=headers or {},
    )


def _validation_problem(error: RequestValidationError) -> dict[str, Any]:
    errors = error.errors()
    if any(item.get("type") == "json_invalid" for item in errors):
        return problem(400, "Malformed JSON body", "The request body is not valid JSON.", "malformed_json")
    details = []
    for item in errors:
        location = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        details.append(f"{location}: {item.get('msg', 'invalid')}")
    fields = [
        {"field": ".".join(str(part) for part in item.get("loc", ())), "message": item.get("msg", "invalid")}
        for item in errors
    ]
    return problem(422, "Invalid request", "; ".join(details) or "Invalid request.", "validation_error", errors=fields)


def _json_body(text: str) -> Any:
    """The body as JSON; nested deeper than the parser can follow, it is malformed (a 400), not our crash."""
    try:
        return json.loads(text)
    except RecursionError as error:
        raise json.JSONDecodeError("nested too deeply", text, 0) from error


def create_app(*, validation: bool = True) -> APIGatewayHttpResolver:
    """A resolver (validating unless told not to) whose every error is `application/problem+json` with a stable `code`.

    Validation loads pydantic and the OpenAPI machinery; only an app whose routes take no input may turn it off.
    """
    app = APIGatewayHttpResolver(enable_validation=validation, json_body_deserializer=_json_body)

    @app.exception_handler(RequestValidationError)
    def _on_validation(error: RequestValidationError) -> Response[str]:
        return problem_response(_validation_problem(error))

    @app.exception_handler(DomainError)
    def _on_domain(error: DomainError) -> Response[str]:
        return problem_response(problem_for(error))

    @app.exception_handler(TransientError)
    def _on_transient(error: TransientError) -> Response[str]:
        logger.exception("transient failure")
        body = problem(503, "Service unavailable", "A storage service is busy; retry shortly.", "unavailable")
        return problem_response(body, {"Retry-After": "1"})

    @app.exception_handler(PermanentError)
    def _on_permanent(error: PermanentError) -> Response[str]:
        # A request a retry cannot fix that passed our own validation: our bug, never the client's nor "busy".
        logger.exception("storage refused the request", extra={"cause": str(error)})
        return problem_response(problem(500, "Internal error", "Something went wrong on our side.", "internal_error"))

    @app.exception_handler(Exception)
    def _on_unexpected(_: Exception) -> Response[str]:
        logger.exception("unexpected failure")
        return problem_response(problem(500, "Internal error", "Something went wrong on our side.", "internal_error"))

    @app.not_found
    def _on_not_found(_: NotFoundError) -> Response[str]:
        return problem_response(problem(404, "Not found", "No such route.", "not_found"))

    return app


def caller(app: APIGatewayHttpResolver | APIGatewayHttpRouter) -> str:
    """The verified JWT's `sub`: the only identity the API knows, and the partition of every key the caller owns."""
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthorized("A verified token with a subject is required.")
    if len(sub.encode()) > MAX_SUB_BYTES:
        raise Unauthorized(f"The token's subject must be at most {MAX_SUB_BYTES} bytes.")
    return sub


def known_asset_id(asset_id: str) -> str:
    """A path's asset id; one that is not a ULID can never exist, so it is 404 before any key is built from it."""
    if not is_ulid(asset_id):
        raise NotFound("No such asset.")
    return asset_id
