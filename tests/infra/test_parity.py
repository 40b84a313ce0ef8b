"""The deployed stack and the local server describe the same system: routes, CORS, environment, handlers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from devserver.aws import bucket_cors_rules
from devserver.config import function_environment
from functions import system
from functions.common import settings as settings_module
from infra.capabilities import PROFILES, function_name_variable
from infra.environment import environment_names, settings_model
from tests.infra.conftest import Synthesized
from tests.infra.template_tools import function_ids, logical_id, render

# Set by the stack for Powertools, not read by any settings model.
OPERATIONAL_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL"}
# Read by the AWS SDK and Powertools themselves, never by our settings.
PLATFORM_PREFIXES = ("AWS_", "POWERTOOLS_")


def environment_of(template: dict[str, Any], function_id: str) -> dict[str, Any]:
    return dict(template["Resources"][function_id]["Properties"].get("Environment", {}).get("Variables", {}))


def test_routes_and_their_functions_equal_the_route_table(synthesized: Synthesized) -> None:
    # Given each deployed route and the function its integration calls
    template = synthesized.template
    handler_of = {
        function_id: template["Resources"][function_id]["Properties"]["Handler"]
        for function_id in function_ids(template).values()
    }
    deployed = {}
    for route in synthesized.http_api("AWS::ApiGatewayV2::Route").values():
        integration_id = render(route["Properties"]["Target"]).removeprefix("integrations/<").removesuffix(">")
        integration = template["Resources"][integration_id]["Properties"]
        deployed[route["Properties"]["RouteKey"]] = handler_of[logical_id(integration["IntegrationUri"])]
    # Then they are exactly the routes of functions.system, calling the same handlers the local server calls
    assert deployed == {route.route_key: system.FUNCTIONS[route.function].handler for route in system.ROUTES}


def test_cors_equals_the_shared_cors_settings(synthesized: Synthesized) -> None:
    # Given the API's CORS configuration
    (api,) = synthesized.http_api("AWS::ApiGatewayV2::Api").values()
    cors = api["Properties"]["CorsConfiguration"]
    # Then it is what the local server answers preflight with, for the origins given as context
    assert cors == {
        "AllowOrigins": ["https://gallery.example.com"],
        "AllowMethods": list(system.CORS_ALLOW_METHODS),
        "AllowHeaders": list(system.CORS_ALLOW_HEADERS),
        "ExposeHeaders": list(system.CORS_EXPOSE_HEADERS),
        "MaxAge": system.CORS_MAX_AGE_SECONDS,
    }


def test_every_settings_model_validates_from_the_deployed_environment(template: dict[str, Any]) -> None:
    for name, function_id in function_ids(template).items():
        # Given the function's environment in the template, deploy-time values replaced by a stand-in
        environment = {
            key: value if isinstance(value, str) else f"resolved-at-deploy:{render(value)}"
            for key, value in environment_of(template, function_id).items()
        }
        model = settings_model(PROFILES[name])
        # When its settings model reads it (without the contract's defaults filled in)
        settings = model.model_validate(environment)
        # Then it validates, and every variable the model reads that has no default is set
        required = {variable for variable, needed in environment_names(model).items() if needed}
        assert required <= set(environment), name
        assert settings is not None


def test_environment_names_and_limits_equal_the_local_servers(template: dict[str, Any]) -> None:
    # Given what the local server gives every handler
    local = function_environment("http://127.0.0.1:1")
    for name, function_id in function_ids(template).items():
        environment = environment_of(template, function_id)
        # Then a deployed function reads no variable the local server does not also set
        assert set(environment) - OPERATIONAL_VARIABLES <= set(local), name
        # And the limits are the contract's defaults, as locally
        for key, default in system.LIMIT_DEFAULTS.items():
            if key in environment:
                assert environment[key] == default, (name, key)


def test_local_server_sets_no_variable_that_no_function_reads() -> None:
    # Given every variable a settings model reads (the functions' own, and those any function reads)
    models = [
        model
        for model in vars(settings_module).values()
        if isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == settings_module.__name__
    ]
    assert {settings_model(profile) for profile in PROFILES.values()} <= set(models)
    read = {variable for model in models for variable in environment_names(model)}
    # When the local server builds the handlers' environment
    local = function_environment("http://127.0.0.1:1", "http://127.0.0.1:2")
    # Then, besides the SDK's and Powertools' own variables, it sets only what a function reads (so a setting
    # cannot differ between the two without one of them reading it)
    assert {key for key in local if not key.startswith(PLATFORM_PREFIXES)} - read == set()


def test_bucket_cors_equals_the_local_servers(synthesized: Synthesized) -> None:
    # Given the media bucket's CORS rules in the template (CloudFormation's names for S3's fields)
    (bucket,) = synthesized.resources("AWS::S3::Bucket").values()
    deployed = bucket["Properties"]["CorsConfiguration"]["CorsRules"]
    renamed = {"ExposeHeaders": "ExposedHeaders", "MaxAgeSeconds": "MaxAge"}
    # When the local server configures its bucket for the same origins
    local = bucket_cors_rules(("https://gallery.example.com",))
    # Then the rules are the same, and they are the shared definition in functions.system
    assert deployed == [{renamed.get(key, key): value for key, value in rule.items()} for rule in local]
    assert deployed == [
        {
            "AllowedOrigins": ["https://gallery.example.com"],
            "AllowedMethods": list(system.MEDIA_BUCKET_CORS.methods),
            "AllowedHeaders": list(system.MEDIA_BUCKET_CORS.allow_headers),
            "ExposedHeaders": list(system.MEDIA_BUCKET_CORS.expose_headers),
            "MaxAge": system.MEDIA_BUCKET_CORS.max_age_seconds,
        }
    ]


def test_invoked_functions_reach_their_callers_by_name(template: dict[str, Any]) -> None:
    ids = function_ids(template)
    for caller, profile in PROFILES.items():
        for target in profile.invokes:
            if caller in ids and target in ids:
                # Then the caller gets the target's name, e.g. INGEST_WORKER_FUNCTION_NAME
                assert environment_of(template, ids[caller])[function_name_variable(target)] == {"Ref": ids[target]}


def test_every_handler_imports_from_the_code_asset(synthesized: Synthesized, code_asset: Path) -> None:
    # Given the code asset's files, as Lambda unpacks them into /var/task
    template = synthesized.template
    asset = code_asset
    handlers = {
        name: template["Resources"][function_id]["Properties"]["Handler"]
        for name, function_id in function_ids(template).items()
    }
    script = (
        "import importlib, json, sys\n"
        "found = {}\n"
        "for name, handler in json.loads(sys.argv[1]).items():\n"
        "    module_name, _, attribute = handler.rpartition('.')\n"
        "    module = importlib.import_module(module_name)\n"
        "    found[name] = callable(getattr(module, attribute)) and module.__file__.startswith(sys.argv[2])\n"
        "print(json.dumps(found))\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    # When a fresh interpreter, with only the asset on its path, imports every handler string
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(handlers), str(asset)],
        cwd=asset,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then each resolves to a callable inside the asset
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == dict.fromkeys(handlers, True)
