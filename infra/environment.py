"""Which environment variables a function gets: exactly those its settings model reads, from what the stack has."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.common import settings as settings_module
from infra.capabilities import FunctionProfile


def settings_model(profile: FunctionProfile) -> type[Any]:
    """The pydantic settings class a profile names."""
    model = getattr(settings_module, profile.settings, None)
    if model is None:
        raise LookupError(f"functions.common.settings has no {profile.settings}")
    return model  # type: ignore[no-any-return]


def environment_names(model: type[Any]) -> dict[str, bool]:
    """Each environment variable a settings model reads (its field aliases), and whether it is required."""
    return {(info.alias or name): info.is_required() for name, info in model.model_fields.items()}


def function_environment(name: str, profile: FunctionProfile, available: Mapping[str, str]) -> dict[str, str]:
    """Powertools' own variables, then every variable the function's settings (or botocore) read that the stack
    provides."""
    environment = {"POWERTOOLS_SERVICE_NAME": name, "POWERTOOLS_LOG_LEVEL": "INFO", **profile.extra_environment}
    needed = environment_names(settings_model(profile)) | dict.fromkeys(profile.botocore_environment, True)
    for variable, required in needed.items():
        if variable in available:
            environment[variable] = available[variable]
        elif required:
            raise LookupError(f"{name}: {profile.settings} requires {variable}, which the stack does not provide")
    return environment
