"""The whole system as one CloudFormation stack, composed of one construct per capability (infra/constructs/)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from functions import system
from infra.capabilities import PROFILES, function_name_variable
from infra.constructs import (
    Alarms,
    ApiAuthorizer,
    CapabilityStack,
    FunctionPackage,
    GalleryApi,
    GalleryFunction,
    IsolatedNetwork,
    RealtimeApi,
    Storage,
    Triggers,
)
from infra.environment import function_environment

DEFAULT_ALLOWED_ORIGINS = system.LOCAL_WEB_ORIGINS


@dataclass(frozen=True)
class StackOptions:
    """What a deployer chooses, read from CDK context (`-c key=value` or cdk.json)."""

    allowed_origins: tuple[str, ...] = DEFAULT_ALLOWED_ORIGINS
    jwt_issuer: str | None = None
    jwt_audience: tuple[str, ...] = ()
    deletion_protection: bool = True
    reserved_concurrency: bool = True
    limits: tuple[tuple[str, str], ...] = ()
    alarm_email: str | None = None

    @classmethod
    def from_context(cls, scope: Construct) -> StackOptions:
        def listed(value: Any) -> tuple[str, ...]:
            if value is None:
                return ()
            items = value if isinstance(value, list) else str(value).split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())

        def flag(name: str, default: bool) -> bool:
            value = scope.node.try_get_context(name)
            return default if value is None else str(value).lower() not in ("false", "0", "no")

        issuer = scope.node.try_get_context("jwtIssuer") or None
        audience = listed(scope.node.try_get_context("jwtAudience"))
        if bool(issuer) != bool(audience):
            raise ValueError("context jwtIssuer and jwtAudience go together: give both or neither")
        limits = scope.node.try_get_context("limits") or {}
        if isinstance(limits, str):
            limits = json.loads(limits)
        unknown = set(limits) - set(system.LIMIT_DEFAULTS)
        if unknown:
            raise ValueError(
                f"context limits has unknown keys {sorted(unknown)}; known: {sorted(system.LIMIT_DEFAULTS)}"
            )
        return cls(
            allowed_origins=listed(scope.node.try_get_context("allowedOrigins")) or DEFAULT_ALLOWED_ORIGINS,
            jwt_issuer=issuer,
            jwt_audience=audience,
            deletion_protection=flag("deletionProtection", True),
            reserved_concurrency=flag("reservedConcurrency", True),
            limits=tuple((str(key), str(value)) for key, value in limits.items()),
            alarm_email=scope.node.try_get_context("alarmEmail") or None,
        )


class GalleryStack(CapabilityStack):
    """Storage, the functions with their roles, their triggers, the HTTP API and alarms."""

    def __init__(self, scope: Construct, construct_id: str, options: StackOptions, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.options = options
        missing = sorted(set(system.FUNCTIONS) - set(PROFILES))
        if missing:
            raise LookupError(f"functions {missing} have no profile in infra/capabilities.py")

        self.storage = Storage(
            self,
            "Storage",
            allowed_origins=options.allowed_origins,
            deletion_protection=options.deletion_protection,
        )
        self.network = IsolatedNetwork(self, "Network")
        self.alarms = Alarms(self, "Alarming", email=options.alarm_email)
        package = FunctionPackage(self, "Package")
        # Before the functions: their roles and environment name its table and API; its routes come after them.
        self.realtime = RealtimeApi(self, "Realtime", asset_table=self.storage.table)
        self.functions: dict[str, GalleryFunction] = {}
        # Invoked functions first, so their names can go into the callers' environment.
        for name in sorted(system.FUNCTIONS, key=lambda name: not _is_invoked(name)):
            targets = {target: self.functions[target].function for target in PROFILES[name].invokes}
            self.functions[name] = GalleryFunction(
                self,
                name,
                package=package,
                environment=function_environment(name, PROFILES[name], self._environment_values(targets)),
                names=self.realtime.resource_names(
                    self.storage.resource_names({target: fn.function_arn for target, fn in targets.items()})
                ),
                alarms=self.alarms,
                network=self.network,
                reserved_concurrency=options.reserved_concurrency,
            )
        deployed = {name: function.function for name, function in self.functions.items()}
        self.realtime.connect(self.functions, alarms=self.alarms)
        Triggers(self, "Triggers", bucket=self.storage.bucket, functions=deployed)
        self.auth = ApiAuthorizer(self, "Auth", issuer=options.jwt_issuer, audience=options.jwt_audience)
        self.api = GalleryApi(
            self,
            "Http",
            functions=deployed,
            authorizer=self.auth.authorizer,
            allowed_origins=options.allowed_origins,
        )

    def _environment_values(self, targets: dict[str, Any]) -> dict[str, str]:
        """Every value a settings model may ask for, by environment variable name."""
        values = dict(system.LIMIT_DEFAULTS) | dict(self.options.limits) | self.storage.environment()
        values |= self.realtime.environment()
        for target, function in targets.items():
            values[function_name_variable(target)] = function.function_name
        return values


def _is_invoked(name: str) -> bool:
    return any(name in PROFILES[caller].invokes for caller in system.FUNCTIONS)
