"""One synthesis per test session (bundling skipped, CDK's built-in validation off), shared by every infra test."""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

TEST_CONTEXT = {"aws:cdk:bundling-stacks": [], "allowedOrigins": "https://gallery.example.com"}
EXTERNAL_ISSUER_CONTEXT = {
    **TEST_CONTEXT,
    "jwtIssuer": "https://issuer.example.com/",
    "jwtAudience": "gallery-spa,gallery-cli",
}


@dataclass(frozen=True)
class Synthesized:
    """A synthesized stack: the construct tree (for cdk-nag) and its CloudFormation template."""

    stack: Any
    template: dict[str, Any]
    outdir: Path

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: resource for name, resource in self.template["Resources"].items() if resource["Type"] == kind}

    def http_api(self, kind: str) -> dict[str, dict[str, Any]]:
        """The `AWS::ApiGatewayV2::*` resources of the HTTP API (the WebSocket API's: test_realtime_stack.py)."""
        apis = {
            name
            for name, api in self.resources("AWS::ApiGatewayV2::Api").items()
            if api["Properties"].get("ProtocolType") == "HTTP"
        }
        found = self.resources(kind)
        if kind == "AWS::ApiGatewayV2::Api":
            return {name: resource for name, resource in found.items() if name in apis}
        return {
            name: resource for name, resource in found.items() if resource["Properties"]["ApiId"].get("Ref") in apis
        }


def synthesize(context: dict[str, Any], outdir: Path) -> Synthesized:
    from infra.app import build_app

    app, stack = build_app(nag=False, context=context, builtin_cloud_formation_validation=False, outdir=str(outdir))
    template = app.synth().get_stack_by_name(stack.stack_name).template
    return Synthesized(stack=stack, template=template, outdir=outdir)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(TEST_CONTEXT, tmp_path_factory.mktemp("cdk-out"))


@pytest.fixture(scope="session")
def template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.template


@pytest.fixture(scope="session")
def code_asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The code asset's files as its bundler copies them (tests skip bundling; test_bytecode.py compiles them)."""
    from infra.bundling import copy_function_sources

    asset = tmp_path_factory.mktemp("code-asset")
    copy_function_sources(asset)
    return asset


@pytest.fixture(scope="session")
def built_layer() -> Path:
    """The dependency layer's `python/` folder, built for real by its bundler (pip for arm64, then 3.12 bytecode).

    Cached under layers/build/ by the layer's hash, so it is built once per requirements change (about a minute).
    """
    from infra.bundling import ROOT, LocalPipLayer, layer_asset_hash

    folder = ROOT / "layers" / "build" / layer_asset_hash()
    done = folder / ".complete"
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Two xdist workers may both need it (test_layer.py, test_bytecode.py): one builds, the other waits for it.
    with open(folder.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            LocalPipLayer().try_bundle(str(folder), image=None)  # type: ignore[arg-type]
            done.touch()
    return folder / "python"
