"""The docs function serves a written OpenAPI document: it must always be what the API routes declare."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.docs import handler as docs
from functions.system import CORS_OPTIONS_ROUTE, ROUTES
from infra.openapi import REGENERATE_COMMAND, build_openapi_document, declare_problems
from tests.api_events import FakeContext, http_event


def test_the_served_document_is_what_the_routes_declare() -> None:
    # Given the document the API routers produce now
    built = build_openapi_document()

    # Then the file the docs function serves is exactly that document
    assert json.loads(docs.OPENAPI_JSON) == json.loads(built), (
        f"stale functions/docs/openapi.json: {REGENERATE_COMMAND}"
    )


def test_the_document_covers_every_api_route_of_the_shared_table() -> None:
    # Given the written document
    spec = json.loads(docs.OPENAPI_JSON)

    # Then every route of the shared table is in it (the docs' own too), public ones without the bearer JWT
    for route in ROUTES:
        # The catch-alls are API Gateway's plumbing, no operation: `$default` and the OPTIONS that is no preflight.
        if route.path == "$default" or route == CORS_OPTIONS_ROUTE:
            continue
        operation = spec["paths"][route.path][route.method.lower()]
        assert (operation.get("security") == []) == (not route.auth), route


def test_openapi_json_and_swagger_ui_serve_the_document() -> None:
    # When both docs routes are called without a token
    spec = docs.handler(http_event("GET", "/openapi.json", sub=""), FakeContext())
    page = docs.handler(http_event("GET", "/docs", sub=""), FakeContext())

    # Then the JSON is the document and the page inlines it (with `</` escaped) in Swagger UI
    assert spec["statusCode"] == 200 and json.loads(spec["body"]) == json.loads(docs.OPENAPI_JSON)
    assert page["statusCode"] == 200 and page["headers"]["Content-Type"] == "text/html"
    assert "SwaggerUIBundle" in page["body"]
    assert json.dumps(json.loads(docs.OPENAPI_JSON)["info"]["title"]) in page["body"]


def test_a_route_that_declares_no_problems_cannot_be_documented() -> None:
    # Given an operation without its problems(...) declaration
    spec: dict[str, Any] = {"components": {"schemas": {}}, "paths": {"/x": {"get": {"responses": {}}}}}
    # When / Then the generator refuses to write a document that would hide its errors
    with pytest.raises(ValueError, match="GET /x declares no problems"):
        declare_problems(spec)
