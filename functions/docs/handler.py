"""The OpenAPI 3.1 document of every route and its Swagger UI, served without auth, compressed and cacheable."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from functools import lru_cache
    from pathlib import Path
    from typing import Any

    import aws_lambda_powertools.event_handler as powertools_event_handler
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.common.api import create_app
    from functions.common.errors import problems
    from functions.docs.caching import CachedBody, cached_response, documented_responses
    from functions.system import CORS_OPTIONS_ROUTE

# Written from the API routers by `make openapi` (infra/openapi.py; tests/unit/test_docs_spec.py pins it to them), so
# this function never loads the API handlers, their models and the OpenAPI machinery. Every request serves it.
DOCUMENT_PATH = Path(__file__).resolve().parent / "openapi.json"
OPENAPI_JSON = DOCUMENT_PATH.read_text(encoding="utf-8")
SWAGGER_ASSETS = Path(powertools_event_handler.__file__).resolve().parent / "openapi" / "swagger_ui"

router = APIGatewayHttpRouter()


@lru_cache(maxsize=1)
def swagger_page() -> str:
    """Swagger UI with the document inlined, offline (its JS and CSS inlined too)."""
    # Deferred to the first `/docs` request: `/openapi.json` never needs the UI's 1.7 MB of JS and CSS.
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    script = (SWAGGER_ASSETS / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    style = (SWAGGER_ASSETS / "swagger-ui.min.css").read_text(encoding="utf-8")
    # `</` escaped so the inlined document can never close the page's <script> element.
    return generate_swagger_html(OPENAPI_JSON.replace("</", "<\\/"), script, style, "", None)


# Compressed and hashed once per execution environment, on its first request for each.
@lru_cache(maxsize=1)
def document_body() -> CachedBody:
    return CachedBody.of(OPENAPI_JSON, "application/json")


@lru_cache(maxsize=1)
def page_body() -> CachedBody:
    return CachedBody.of(swagger_page(), "text/html")


@router.get(
    "/openapi.json",
    tags=["docs"],
    summary="The OpenAPI document",
    openapi_extensions=problems(public=True),
    responses=documented_responses("application/json", {"type": "object"}),
)
def openapi_document() -> Response[str]:
    return cached_response(document_body(), router.current_event.headers)


@router.get(
    "/docs",
    tags=["docs"],
    summary="Swagger UI",
    openapi_extensions=problems(public=True),
    responses=documented_responses("text/html", {"type": "string"}),
)
def swagger_ui() -> Response[str]:
    return cached_response(page_body(), router.current_event.headers)


# No route takes input: validation (pydantic) would only add to the cold start.
app = create_app(validation=False)
app.include_router(router)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # API Gateway answers CORS preflights itself; only an OPTIONS that is no preflight reaches this route.
    if event.get("routeKey") == CORS_OPTIONS_ROUTE.route_key:
        return {"statusCode": 204, "headers": {}, "body": ""}
    return app.resolve(event, context)
