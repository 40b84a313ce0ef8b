"""One error catalogue: each route declares its problems, the document lists them, and nothing else is answered."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from functions.common.errors import (
    PROBLEM_CODES_EXTENSION,
    Conflict,
    DomainError,
    NotFound,
    catalogue,
    problems,
)
from tests.api_events import FakeContext, http_event

ULID = "01JD0000000000000000000000"


def api_apps() -> dict[str, Any]:
    from functions.gallery import handler as gallery
    from functions.ingest import handler as ingest
    from functions.multipart import handler as multipart
    from functions.public_shares import handler as public_shares
    from functions.shares import handler as shares
    from functions.sign import handler as sign
    from functions.upload import handler as upload

    apps = {"gallery": gallery.app, "ingest": ingest.app, "sign": sign.app, "upload": upload.app}
    return apps | {"shares": shares.app, "public_shares": public_shares.app, "multipart": multipart.app}


def document() -> dict[str, Any]:
    from functions.docs import handler as docs

    return json.loads(docs.OPENAPI_JSON)


def call(app: Any, method: str, path: str, **event: Any) -> tuple[int, dict[str, Any]]:
    result = app.resolve(http_event(method, path, **event), FakeContext())
    return result["statusCode"], json.loads(result["body"] or "null")


# The catalogue


def test_every_code_has_one_error_and_every_error_a_distinct_code_in_one_module() -> None:
    # Given every error loaded with the API's handlers
    api_apps()
    kinds = catalogue()

    # Then each lives in the catalogue module and no two different statuses share a code
    assert {kind.__module__ for kind in kinds.values()} == {"functions.common.errors"}
    for kind in DomainError.__subclasses__():
        assert kinds[kind.code].status == kind.status, kind


# The document: per route and status, exactly the codes that route declares


def test_each_route_documents_its_declared_problems_by_status() -> None:
    # Given the routes' own declarations and the written document
    spec = document()
    errors = catalogue()
    routes = [route for app in api_apps().values() for route in app._static_routes + app._dynamic_routes]
    assert routes

    for route in routes:
        declared = set(route.openapi_extensions[PROBLEM_CODES_EXTENSION])
        operation = spec["paths"][route.openapi_path][route.method.lower()]
        documented: set[str] = set()
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            # Then every error response is problem+json, narrowed to codes of exactly that status
            (schema,) = response["content"].values()
            assert list(response["content"]) == ["application/problem+json"]
            assert schema["schema"]["allOf"][0] == {"$ref": "#/components/schemas/Problem"}
            codes = schema["schema"]["allOf"][1]["properties"]["code"]["enum"]
            assert {errors[code].status for code in codes} == {int(status)}, (route.openapi_path, status)
            documented |= set(codes)
        # And the route documents exactly what it declares, 500 and 503 always
        assert documented == declared, (route.method, route.openapi_path)
        assert {"internal_error", "unavailable"} <= declared


def test_the_documented_422_is_the_body_the_api_sends() -> None:
    # Given a PATCH whose `trashed` is not a boolean
    status, body = call(
        api_apps()["gallery"],
        "PATCH",
        f"/assets/{ULID}",
        body='{"trashed": 0}',
        headers={"content-type": "application/json"},
    )
    # Then the 422 carries only the Problem schema's properties, `errors` as it describes them
    problem = document()["components"]["schemas"]["Problem"]
    assert (status, body["code"]) == (422, "validation_error")
    assert set(body) <= set(problem["properties"]) and set(problem["required"]) <= set(body)
    item = problem["properties"]["errors"]["items"]
    assert all(set(error) == set(item["properties"]) for error in body["errors"])
    assert body["errors"][0]["field"] == "body.trashed"
    assert "HTTPValidationError" not in document()["components"]["schemas"]


# Strict mode (tests and the local server): an undeclared problem is a failure, never a quiet answer


def app_raising(error: DomainError) -> Any:
    from functions.common.api import create_app

    app = create_app(validation=False)

    @app.get("/declares-not-found", openapi_extensions=problems(NotFound))
    def declares_not_found() -> dict[str, str]:
        raise error

    return app


def test_a_declared_problem_is_answered() -> None:
    # When a route raises what it declares
    status, body = call(app_raising(NotFound("gone")), "GET", "/declares-not-found")
    # Then the client gets it
    assert (status, body["code"], body["detail"]) == (404, "not_found", "gone")


def test_an_undeclared_problem_is_a_500_that_names_it() -> None:
    # When a route raises a problem its declaration lacks
    status, body = call(app_raising(Conflict("changed")), "GET", "/declares-not-found")
    # Then (STRICT_PROBLEMS=1 in every test) the answer is a 500 naming the code and the route
    assert (status, body["code"]) == (500, "internal_error")
    assert "`conflict`" in body["detail"] and "/declares-not-found" in body["detail"]


# Request bodies: only the media type a route reads, strict scalars


JSON_ROUTES = [
    ("gallery", "PATCH", f"/assets/{ULID}"),
    ("gallery", "POST", "/assets/bulk"),
    ("gallery", "POST", "/folders"),
    ("gallery", "PATCH", f"/folders/{ULID}"),
    ("sign", "POST", "/uploads/sign"),
    ("sign", "POST", "/assets/sign-read"),
    ("multipart", "POST", "/uploads/multipart"),
    ("multipart", "POST", f"/uploads/multipart/{ULID}/parts"),
    ("ingest", "POST", "/ingest"),
    ("shares", "POST", "/shares"),
    ("shares", "PATCH", f"/shares/{ULID}"),
    ("public_shares", "POST", "/public/shares/{token}/unlock"),
]


@pytest.mark.parametrize(("function", "method", "path"), JSON_ROUTES)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_json_route_sent_another_media_type_is_a_415(
    function: str, method: str, path: str, content_type: str
) -> None:
    # When a JSON route gets a body of another type
    status, body = call(api_apps()[function], method, path, body="ids=x", headers={"content-type": content_type})
    # Then it is 415 `expected_json`, never a 500 nor a body parsed as something else
    assert (status, body["code"]) == (415, "expected_json")


def test_every_json_route_of_the_document_is_covered() -> None:
    # Given every operation that takes a JSON body
    spec = document()
    json_operations = {
        (method.upper(), path)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    }
    # Then the test above sends each of them another media type
    assert json_operations == {(method, path.replace(ULID, "{id}")) for _, method, path in JSON_ROUTES}


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/x-www-form-urlencoded"])
def test_the_upload_route_sent_another_media_type_is_a_415(content_type: str) -> None:
    # When
    status, body = call(api_apps()["upload"], "POST", "/uploads", body="{}", headers={"content-type": content_type})
    # Then
    assert (status, body["code"]) == (415, "expected_multipart")


def test_a_multipart_body_without_a_boundary_is_a_400() -> None:
    # When
    status, body = call(
        api_apps()["upload"], "POST", "/uploads", body="x", headers={"content-type": "multipart/form-data"}
    )
    # Then
    assert (status, body["code"]) == (400, "malformed_multipart")


def test_the_upload_form_documents_strings_only() -> None:
    # Given the upload form's schema
    spec = document()
    ref = spec["paths"]["/uploads"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    form = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    # Then every field is a string (the file a binary one, assetType an enum of strings): no null, no array
    for name, field in form["properties"].items():
        schema = field if "$ref" not in field else spec["components"]["schemas"][field["$ref"].rsplit("/", 1)[-1]]
        assert schema.get("type") == "string", name
    assert form["properties"]["sourceAssetIds"]["pattern"].startswith("^")


def body_models() -> list[type[BaseModel]]:
    from functions.gallery.models import BulkRequest, PatchRequest
    from functions.ingest.logic import IngestRequest
    from functions.shares.logic import ShareIn, SharePatch
    from functions.sign.logic import SignReadRequest, SignUploadRequest

    return [PatchRequest, BulkRequest, SignUploadRequest, SignReadRequest, IngestRequest, ShareIn, SharePatch]


# What pydantic's lax mode would take although JSON Schema says it is no such value (`1.0` is a JSON integer).
COERCIBLE = {"boolean": [0, 1, "true", "false", "yes"], "integer": ["1", True, 1.5, "1.0"]}


def scalar_fields(model: type[BaseModel]) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for name, schema in model.model_json_schema(by_alias=False)["properties"].items():
        types = {schema.get("type")} | {option.get("type") for option in schema.get("anyOf", [])}
        fields.extend((name, kind) for kind in COERCIBLE if kind in types)
    return fields


def test_the_body_models_have_boolean_and_integer_fields_to_check() -> None:
    # Given / Then: the check below is not vacuous
    assert ("trashed", "boolean") in scalar_fields(body_models()[0])
    assert ("size", "integer") in scalar_fields(body_models()[2])


@pytest.mark.parametrize("model", body_models(), ids=lambda model: model.__name__)
def test_booleans_and_integers_in_a_body_are_strict(model: type[BaseModel]) -> None:
    # Given every boolean and integer field of a request body
    for name, kind in scalar_fields(model):
        for value in COERCIBLE[kind]:
            # When it gets a value pydantic would coerce / Then it is refused
            with pytest.raises(ValidationError) as refused:
                model.model_validate({name: value})
            assert any(error["loc"] == (name,) for error in refused.value.errors()), (model, name, value)
