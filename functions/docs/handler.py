"""The OpenAPI 3.1 document of every route and its Swagger UI, served without auth."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.api import API_TITLE, API_VERSION, create_app
from functions.gallery.handler import router as gallery_router
from functions.ingest.handler import router as ingest_router
from functions.sign.handler import router as sign_router
from functions.system import ROUTES
from functions.upload.handler import router as upload_router

API_ROUTERS: tuple[APIGatewayHttpRouter, ...] = (gallery_router, sign_router, upload_router, ingest_router)

app = create_app()
for api_router in API_ROUTERS:
    app.include_router(api_router)
# Every route needs the bearer JWT unless it says otherwise (health and these docs say `security=[]`).
app.configure_openapi(
    title=API_TITLE,
    version=API_VERSION,
    security_schemes={"bearerJwt": HTTPBearer(bearerFormat="JWT")},
    security=[{"bearerJwt": []}],
)
app.enable_swagger(
    path="/docs",
    title=API_TITLE,
    version=API_VERSION,
    security_schemes={"bearerJwt": HTTPBearer(bearerFormat="JWT")},
    security=[{"bearerJwt": []}],
)


@lru_cache(maxsize=1)
def openapi_json() -> str:
    """The document, with the routes the shared table marks public (health, docs) exempt from the bearer JWT."""
    spec = json.loads(app.get_openapi_json_schema())
    for route in ROUTES:
        if not route.auth:
            for operation in spec["paths"].get(route.path, {}).values():
                operation["security"] = []
    return json.dumps(spec)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=openapi_json())


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
