"""What each handler module must NOT load when Lambda imports it on a cold start (see BENCHMARKS.md, "Cold start").

Each check runs a fresh interpreter, as Lambda does, and fails if someone brings a heavy import back to the top
level of a handler or of a module it imports.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions import system
from functions.common import settings as settings_module
from tests.fresh_interpreter import output_of

SETTINGS_MODELS = tuple(name for name in settings_module.__all__ if name.endswith("Settings"))
# boto3 brings s3transfer, multiprocessing and concurrent.futures: our clients come from botocore directly.
BOTO3 = ("boto3", "s3transfer")
IMAGES = ("PIL", "pillow_heif")
FETCH = ("httpx", "httpcore")
IDEMPOTENCY = ("aws_lambda_powertools.utilities.idempotency",)
MUST_NOT_IMPORT: dict[str, tuple[str, ...]] = {
    "gallery": BOTO3 + IMAGES + FETCH + IDEMPOTENCY,
    "sign": BOTO3 + IMAGES + FETCH + IDEMPOTENCY,
    "upload": BOTO3 + FETCH + IDEMPOTENCY,
    # Idempotency only for requests that send an Idempotency-Key.
    "ingest": BOTO3 + IMAGES + IDEMPOTENCY,
    "ingest_worker": BOTO3 + IDEMPOTENCY + ("aws_lambda_powertools.event_handler",),
    # The docs function serves a written document: no API handler, model, validation or OpenAPI machinery,
    # and the Swagger UI only on the first `/docs` request.
    "docs": BOTO3
    + IMAGES
    + FETCH
    + IDEMPOTENCY
    + (
        "pydantic",
        "pynamodb",
        "functions.gallery",
        "functions.sign",
        "functions.upload",
        "functions.ingest",
        "functions.common.models",
        "aws_lambda_powertools.event_handler.openapi.models",
        "aws_lambda_powertools.event_handler.openapi.swagger_ui",
    ),
}


def after_cold_import(module: str) -> dict[str, Any]:
    """What a fresh interpreter holds after importing `module`: its modules, GC state and unbuilt models."""
    script = f"""
import gc, importlib, json, sys
importlib.import_module({module!r})
settings = sys.modules.get("functions.common.settings")
models = sys.modules.get("functions.common.models")
print(json.dumps({{
    "modules": sorted(sys.modules),
    "gc_enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
    "built_settings": sorted(
        name for name in {list(SETTINGS_MODELS)!r} if settings and getattr(settings, name).__pydantic_complete__
    ),
    "asset_content_built": bool(models and models.AssetContent.__pydantic_complete__),
}}))
"""
    facts: dict[str, Any] = json.loads(output_of(script))
    return facts


def handler_module(function: str) -> str:
    return system.FUNCTIONS[function].handler.rpartition(".")[0]


def loaded(modules: list[str], name: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for module in modules)


@pytest.fixture(scope="module")
def cold_imports() -> dict[str, dict[str, Any]]:
    return {function: after_cold_import(handler_module(function)) for function in MUST_NOT_IMPORT}


@pytest.mark.parametrize("function", sorted(MUST_NOT_IMPORT))
def test_a_cold_handler_import_leaves_out_what_its_requests_do_not_need(
    function: str, cold_imports: dict[str, dict[str, Any]]
) -> None:
    # When a fresh interpreter imports the function's handler module, as Lambda does on a cold start
    modules = cold_imports[function]["modules"]

    # Then it loaded the handler, and none of what this function never (or only on some requests) needs
    assert handler_module(function) in modules
    assert [name for name in MUST_NOT_IMPORT[function] if loaded(modules, name)] == []


@pytest.mark.parametrize("function", sorted(MUST_NOT_IMPORT))
def test_no_settings_model_and_no_abstract_model_is_built_at_import(
    function: str, cold_imports: dict[str, dict[str, Any]]
) -> None:
    # When the handler module is imported cold
    facts = cold_imports[function]

    # Then no function's settings model was built (each builds only its own, when it reads its environment),
    # nor the asset's shared base, which is only ever validated through its subclasses
    assert facts["built_settings"] == []
    assert facts["asset_content_built"] is False


@pytest.mark.parametrize("function", sorted(MUST_NOT_IMPORT))
def test_the_garbage_collector_runs_again_after_the_imports(
    function: str, cold_imports: dict[str, dict[str, Any]]
) -> None:
    # When the handler module is imported cold (its imports run with the collector paused)
    facts = cold_imports[function]

    # Then the collector is on again, with what the imports built frozen out of its way
    assert facts["gc_enabled"] is True
    assert facts["frozen"] > 10_000


def test_the_gallery_handler_still_has_its_data_stack() -> None:
    # Given the gallery handler imported cold (a control: the checks above look at the right interpreter)
    modules = after_cold_import(handler_module("gallery"))["modules"]

    # Then what every gallery request needs was loaded at import, not on the first request
    assert {"pydantic", "pynamodb.models", "botocore.client", "functions.common.repository"} <= set(modules)
