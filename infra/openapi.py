"""Builds the OpenAPI document from the API functions' routers; `python -m infra.openapi` (`make openapi`) writes it.

The docs function serves the written file (functions/docs/openapi.json) instead of importing every API handler,
pydantic model and the OpenAPI machinery on each cold start; tests/unit/test_docs_spec.py fails whenever the file
differs from what the routes declare. Build tooling: it imports every feature's router, which no function may do.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

DOCUMENT_PATH = Path(__file__).resolve().parent.parent / "functions" / "docs" / "openapi.json"
REGENERATE_COMMAND = "make openapi"
PROBLEM_REF = "#/components/schemas/Problem"


def build_openapi_document() -> str:
    """The document of every API route, with the routes the shared table marks public exempt from the bearer JWT."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    from functions.common.api import API_TITLE, API_VERSION, create_app
    from functions.docs.handler import router as docs_router
    from functions.gallery.handler import router as gallery_router
    from functions.ingest.handler import router as ingest_router
    from functions.multipart.handler import router as multipart_router
    from functions.public_shares.handler import router as public_shares_router
    from functions.realtime.handler import router as realtime_router
    from functions.shares.handler import router as shares_router
    from functions.sign.handler import router as sign_router
    from functions.system import ROUTES
    from functions.upload.handler import router as upload_router

    app = create_app()
    routers = (gallery_router, sign_router, upload_router, multipart_router, ingest_router, realtime_router)
    for api_router in (*routers, shares_router, public_shares_router, docs_router):
        app.include_router(api_router)
    # Every route needs the bearer JWT unless it says otherwise (health and the docs say `security=[]`).
    app.configure_openapi(
        title=API_TITLE,
        version=API_VERSION,
        security_schemes={"bearerJwt": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearerJwt": []}],
    )
    spec: dict[str, Any] = json.loads(app.get_openapi_json_schema())
    for methods in spec["paths"].values():
        for operation in methods.values():
            for status, response in operation["responses"].items():
                if status == "204" or status.startswith("3"):
                    response.pop("content", None)  # no body (Powertools documents the handler's empty string)
    for route in ROUTES:
        if not route.auth:
            for operation in spec["paths"].get(route.path, {}).values():
                operation["security"] = []
    declare_problems(spec)
    declare_realtime_messages(spec)
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def declare_realtime_messages(spec: dict[str, Any]) -> None:
    """The WebSocket API's messages (no HTTP route returns them) as components: `RealtimeMessage` is any of them."""
    from pydantic import TypeAdapter

    from functions.realtime.messages import MESSAGE_MODELS, RealtimeMessage
    from functions.system import REALTIME_PING_MESSAGE

    components = spec["components"]["schemas"]
    schema = TypeAdapter(RealtimeMessage).json_schema(
        mode="serialization", by_alias=True, ref_template="#/components/schemas/{model}"
    )
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    refs = {model.__name__: f"#/components/schemas/{model.__name__}" for model in MESSAGE_MODELS}
    components["RealtimeMessage"] = {
        "title": "RealtimeMessage",
        "description": "What the WebSocket API sends (open the URL of `POST /realtime/ticket`): hints, delivered at "
        "least once and possibly out of order; keep per asset the largest `version` seen and drop the rest. Send "
        f"`{REALTIME_PING_MESSAGE}` every few minutes to keep the connection open.",
        "oneOf": [{"$ref": ref} for ref in refs.values()],
        "discriminator": {
            "propertyName": "type",
            "mapping": {
                "asset.created": refs["AssetChanged"],
                "asset.updated": refs["AssetChanged"],
                "asset.deleted": refs["AssetDeleted"],
                "assets.changed": refs["AssetsChanged"],
            },
        },
    }


def declare_problems(spec: dict[str, Any]) -> None:
    """Each route's declared errors (`problems(...)`) as its problem+json responses, one per status, whose `code`
    lists exactly the codes that route answers with that status; FastAPI's 422 shape, which we never send, goes."""
    from functions.common.errors import PROBLEM_CODES_EXTENSION, catalogue

    errors = catalogue()
    spec["components"]["schemas"]["Problem"] = _problem_schema(errors)
    spec["components"]["schemas"].pop("HTTPValidationError", None)
    spec["components"]["schemas"].pop("ValidationError", None)
    # Powertools' response-validation shape refers to ValidationError (gone above) and no route answers with it.
    spec["components"]["schemas"].pop("ResponseValidationError", None)
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            codes = operation.pop(PROBLEM_CODES_EXTENSION, None)
            if codes is None:
                raise ValueError(f"{method.upper()} {path} declares no problems: give it openapi_extensions=problems()")
            operation["responses"].pop("422", None)
            by_status: dict[int, list[str]] = defaultdict(list)
            for code in codes:
                by_status[errors[code].status].append(code)
            for status, status_codes in sorted(by_status.items()):
                operation["responses"][str(status)] = {
                    "description": "; ".join(f"`{code}`: {errors[code].title}" for code in status_codes),
                    "content": {
                        "application/problem+json": {
                            "schema": {
                                "allOf": [
                                    {"$ref": PROBLEM_REF},
                                    {
                                        "type": "object",
                                        "properties": {"code": {"type": "string", "enum": status_codes}},
                                    },
                                ]
                            }
                        }
                    },
                }
            operation["responses"] = dict(sorted(operation["responses"].items()))


def _problem_schema(errors: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "title": "Problem",
        "description": "RFC 9457 problem details. `code`: "
        + "; ".join(f"`{code}` ({kind.status}, {kind.title})" for code, kind in errors.items()),
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string", "enum": list(errors)},
            "errors": {
                "type": "array",
                "description": "`validation_error` only: each field refused, with why",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    }


def main() -> None:
    DOCUMENT_PATH.write_text(build_openapi_document(), encoding="utf-8")
    print(f"wrote {DOCUMENT_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
