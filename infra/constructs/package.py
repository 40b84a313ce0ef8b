"""The code every function runs: the functions package and the dependency layer, each one asset for all."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.bundling import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, dependency_layer_code, function_code
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
