"""Builds the OpenAPI document from the API functions' routers; `python -m functions.docs.spec` writes it.

The docs function serves the written file (`openapi.json`, next to this module) instead of importing every API
handler, pydantic model and the OpenAPI machinery on each cold start; tests/unit/test_docs_spec.py fails whenever
the file differs from what the routes declare. Never imported by a Lambda handler.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DOCUMENT_PATH = Path(__file__).resolve().parent / "openapi.json"
REGENERATE_COMMAND = "python -m functions.docs.spec"


def build_openapi_document() -> str:
    """The document of every API route, with the routes the shared table marks public exempt from the bearer JWT."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    from functions.common.api import API_TITLE, API_VERSION, create_app
    from functions.gallery.handler import router as gallery_router
    from functions.ingest.handler import router as ingest_router
    from functions.sign.handler import router as sign_router
    from functions.system import ROUTES
    from functions.upload.handler import router as upload_router

    app = create_app()
    for api_router in (gallery_router, sign_router, upload_router, ingest_router):
        app.include_router(api_router)
    # Every route needs the bearer JWT unless it says otherwise (health and the docs say `security=[]`).
    app.configure_openapi(
        title=API_TITLE,
        version=API_VERSION,
        security_schemes={"bearerJwt": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearerJwt": []}],
    )
    spec: dict[str, Any] = json.loads(app.get_openapi_json_schema())
    for route in ROUTES:
        if not route.auth:
            for operation in spec["paths"].get(route.path, {}).values():
                operation["security"] = []
    _declare_problems(spec)
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def _declare_problems(spec: dict[str, Any]) -> None:
    """Every error is problem+json with a stable `code`: declare the schema and its codes, and answer 422 with it."""
    from functions.common.errors import problem_codes

    codes = problem_codes()
    schemas = spec["components"]["schemas"]
    schemas["Problem"] = {
        "type": "object",
        "title": "Problem",
        "description": "RFC 9457 problem details. `code`: "
        + "; ".join(f"`{code}` ({status}, {title})" for code, (status, title) in codes.items()),
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string", "enum": list(codes)},
            "errors": {"type": "array", "items": {"type": "object"}, "description": "validation_error: each field"},
        },
    }
    invalid = {
        "description": "Invalid request (`validation_error`, or the route's own 422 codes)",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for path in spec["paths"].values():
        for operation in path.values():
            if "422" in operation.get("responses", {}):
                operation["responses"]["422"] = invalid
    schemas.pop("HTTPValidationError", None)  # FastAPI's shape, which no route of ours answers with


def main() -> None:
    DOCUMENT_PATH.write_text(build_openapi_document(), encoding="utf-8")
    print(f"wrote {DOCUMENT_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
