"""The code every function runs: the functions package and the dependency layer, each one asset for all; and the
extra layers (layers/<name>/) only the functions whose profile names them carry."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.bundling import (
    LAMBDA_ARCHITECTURE,
    LAMBDA_RUNTIME,
    dependency_layer_code,
    extra_layer_code,
    function_code,
)
from infra.constructs.capability import Capability


class FunctionPackage(Capability):
    """The layer (layers/dependencies/requirements.txt, arm64 wheels) and the code asset (functions/, bytecode)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.layer = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=dependency_layer_code(),
            compatible_runtimes=[LAMBDA_RUNTIME],
            compatible_architectures=[LAMBDA_ARCHITECTURE],
            description="Runtime dependencies (layers/dependencies/requirements.txt) for arm64 python3.12",
        )
        self.code = function_code()
        self.runtime = LAMBDA_RUNTIME
        self.architecture = LAMBDA_ARCHITECTURE
        self._extra_layers: dict[str, lambda_.LayerVersion] = {}

    def extra_layer(self, name: str) -> lambda_.LayerVersion:
        """The layer `layers/<name>/`, made on first use: a stack whose functions do not ask for it has none."""
        if name not in self._extra_layers:
            self._extra_layers[name] = lambda_.LayerVersion(
                self,
                f"{name.title()}Layer",
                code=extra_layer_code(name),
                compatible_runtimes=[LAMBDA_RUNTIME],
                compatible_architectures=[LAMBDA_ARCHITECTURE],
                description=f"{name} (layers/{name}/requirements.txt), only for functions whose profile names it",
            )
        return self._extra_layers[name]
