"""The Powertools HTTP resolver every API function uses: validation, OpenAPI, and problem+json for every error."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.common.errors import DomainError, TransientError, Unauthorized, problem, problem_for

PROBLEM_JSON = "application/problem+json"
API_TITLE = "Gallery API"
API_VERSION = "1.0.0"

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


def create_app(*, validation: bool = True) -> APIGatewayHttpResolver:
    """A resolver (validating unless told not to) whose every error is `application/problem+json` with a stable `code`.

    Validation loads pydantic and the OpenAPI machinery; only an app whose routes take no input may turn it off.
    """
    app = APIGatewayHttpResolver(enable_validation=validation)

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

    @app.exception_handler(Exception)
    def _on_unexpected(_: Exception) -> Response[str]:
        logger.exception("unexpected failure")
        return problem_response(problem(500, "Internal error", "Something went wrong on our side.", "internal_error"))

    @app.not_found
    def _on_not_found(_: NotFoundError) -> Response[str]:
        return problem_response(problem(404, "Not found", "No such route.", "not_found"))

    return app


def caller(app: APIGatewayHttpResolver | APIGatewayHttpRouter) -> str:
    """The verified JWT's `sub`: the only identity the API knows."""
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthorized("A verified token with a subject is required.")
    return sub
