"""Assets built on the host, without Docker: the dependency layer (pip for Lambda's platform) and the code asset, both
with CPython 3.12 bytecode (infra/pycompile)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from infra.pycompile import BytecodeCompilerError, CompileReport, Python312, pyodide_version

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_REQUIREMENTS = ROOT / "layers" / "dependencies" / "requirements.txt"
# Layers only some functions carry (a profile's `layers`), each from `layers/<name>/requirements.txt`.
LAYERS = ROOT / "layers"
LAMBDA_PYTHON_VERSION = "3.12"
LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_12
LAMBDA_ARCHITECTURE = lambda_.Architecture.ARM_64
# Pillow 13 ships only manylinux_2_28 wheels for aarch64 (Amazon Linux 2023, python3.12+); older packages only
# manylinux2014. pip takes the best match of both.
LAMBDA_PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")
# Bump when the pip command or the post-processing changes, so a cached layer built by the old recipe is not reused.
# 4: the layer ships CPython 3.12 bytecode.
LAYER_RECIPE_VERSION = "4"
# Bump when the code asset's recipe (what is copied, how it is compiled) changes.
CODE_RECIPE_VERSION = "1"
FUNCTIONS = ROOT / "functions"
# Where Lambda unpacks the code asset and the layer; the pycs name their sources there (for tracebacks).
CODE_MOUNT = "/var/task"
LAYER_MOUNT = "/opt/python"
# The Lambda Python runtime ships boto3 and its dependencies, already byte-compiled; pynamodb and Powertools pull
# them in again, so the bundler removes them from the layer (a second botocore would shadow the runtime's).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six")


def canonical_name(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).strip().lower()


def remove_runtime_provided(target: Path) -> list[str]:
    """Delete the distributions the Lambda runtime already has from an installed `target`; returns their names."""
    from importlib.metadata import distributions

    removed = []
    # Read every name first: deleting a distribution's files (its RECORD lists its own metadata) changes the folder.
    installed = [(distribution, distribution.metadata["Name"]) for distribution in distributions(path=[str(target)])]
    for distribution, name in installed:
        if name is None or canonical_name(name) not in RUNTIME_PROVIDED:
            continue
        for file in distribution.files or []:
            Path(str(distribution.locate_file(file))).unlink(missing_ok=True)
        shutil.rmtree(Path(str(distribution._path)), ignore_errors=True)  # type: ignore[attr-defined]
        removed.append(canonical_name(name))
    for folder in sorted(target.iterdir()):
        if folder.is_dir() and not any(path.is_file() for path in folder.rglob("*")):
            shutil.rmtree(folder)
    return sorted(removed)


def layer_requirements(requirements_file: Path = RUNTIME_REQUIREMENTS) -> list[str]:
    """The pinned runtime requirements the layer installs (comments and runtime-provided packages dropped)."""
    wanted = []
    for line in requirements_file.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        name = canonical_name(requirement.split("==")[0].split("[")[0])
        if requirement and name not in RUNTIME_PROVIDED:
            wanted.append(requirement)
    return wanted


def pip_install_command(target: Path, requirements: list[str], python: str = sys.executable) -> list[str]:
    """The pip command that installs Lambda-platform (arm64, CPython 3.12) wheels into `target`."""
    platforms = [argument for platform in LAMBDA_PLATFORMS for argument in ("--platform", platform)]
    return [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # the host's bytecode is for its own Python version; Lambda would ignore it
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        LAMBDA_PYTHON_VERSION,
        *platforms,
        "--target",
        str(target),
        *requirements,
    ]


def layer_asset_hash(requirements_file: Path = RUNTIME_REQUIREMENTS) -> str:
    """Hash of what decides the layer's content, so CDK reuses an unchanged layer instead of rebuilding it."""
    digest = hashlib.sha256()
    digest.update(LAYER_RECIPE_VERSION.encode())
    digest.update(f"pyodide {pyodide_version()}".encode())
    digest.update(" ".join(pip_install_command(Path("python"), layer_requirements(requirements_file), "py")).encode())
    return digest.hexdigest()


@jsii.implements(cdk.ILocalBundling)
class LocalPipLayer:
    """Builds the layer's `python/` folder with the host's pip, downloading Lambda-platform wheels."""

    def __init__(self, requirements_file: Path = RUNTIME_REQUIREMENTS) -> None:
        self.requirements_file = requirements_file

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_options: object) -> bool:
        target = Path(output_dir) / "python"
        command = pip_install_command(target, layer_requirements(self.requirements_file))
        print(f"layer: pip installing {LAMBDA_PLATFORMS} wheels into {target}", file=sys.stderr)
        subprocess.run(command, check=True)  # noqa: S603 - our own pip with arguments we built
        removed = remove_runtime_provided(target)
        print(f"layer: left out {removed}, which the Lambda runtime provides", file=sys.stderr)
        # Console scripts point at the host's interpreter and are never run in Lambda.
        shutil.rmtree(target / "bin", ignore_errors=True)
        for cache in list(target.rglob("__pycache__")):
            shutil.rmtree(cache, ignore_errors=True)
        with Python312() as python312:
            report = python312.compile_tree(target, deployed_as=LAYER_MOUNT)
        # Like compileall, a module that does not compile is left as source (packages ship test data and templates
        # written for other Python versions); it would fail on import either way.
        print(f"layer: {describe(report)}", file=sys.stderr)
        return True


def dependency_layer_code() -> lambda_.Code:
    """The dependency layer's code: bundled locally (Docker is only a fallback CDK never reaches)."""
    return lambda_.Code.from_asset(
        str(RUNTIME_REQUIREMENTS.parent),
        asset_hash=layer_asset_hash(),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        bundling=cdk.BundlingOptions(image=LAMBDA_RUNTIME.bundling_image, local=LocalPipLayer()),
    )


def extra_layer_requirements(name: str) -> Path:
    """The requirements file of an extra layer (`video` -> layers/video/requirements.txt)."""
    path = LAYERS / name / "requirements.txt"
    if not path.is_file():
        raise FileNotFoundError(f"no layer {name!r}: {path} is missing")
    return path


def extra_layer_code(name: str) -> lambda_.Code:
    """An extra layer's code, built like the dependency layer (host pip for arm64, 3.12 bytecode)."""
    requirements = extra_layer_requirements(name)
    return lambda_.Code.from_asset(
        str(requirements.parent),
        asset_hash=layer_asset_hash(requirements),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        bundling=cdk.BundlingOptions(image=LAMBDA_RUNTIME.bundling_image, local=LocalPipLayer(requirements)),
    )


def describe(report: CompileReport) -> str:
    """One line on what a compile did, naming up to five modules left as source."""
    text = f"compiled {report.compiled} modules to CPython 3.12 bytecode"
    if report.failed:
        text += f"; {len(report.failed)} left as source: " + ", ".join(sorted(report.failed)[:5])
    return text


def function_sources(functions: Path = FUNCTIONS) -> list[Path]:
    """Files of the `functions` package the code asset ships (no host bytecode, no dotfiles), sorted."""
    return sorted(
        path
        for path in functions.rglob("*")
        if path.is_file()
        and path.suffix != ".pyc"
        and not any(part == "__pycache__" or part.startswith(".") for part in path.relative_to(functions).parts)
    )


def copy_function_sources(output_dir: Path, functions: Path = FUNCTIONS) -> list[Path]:
    """Copy the package to `output_dir/functions` (handlers are `functions.<name>...`); returns the copies."""
    copies = []
    for source in function_sources(functions):
        copy = output_dir / functions.name / source.relative_to(functions)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copy)
        copies.append(copy)
    return copies


def code_asset_hash(functions: Path = FUNCTIONS) -> str:
    """Hash of the package's files and the recipe, so CDK reuses unchanged code instead of compiling it again."""
    digest = hashlib.sha256()
    digest.update(f"{CODE_RECIPE_VERSION} pyodide {pyodide_version()}".encode())
    for source in function_sources(functions):
        digest.update(source.relative_to(functions).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(source.read_bytes()).digest())
    return digest.hexdigest()


def build_code_asset(output_dir: Path, python312: Python312, functions: Path = FUNCTIONS) -> CompileReport:
    """The code asset in `output_dir`: the package's sources and their CPython 3.12 bytecode."""
    copy_function_sources(output_dir, functions)
    report = python312.compile_tree(output_dir, deployed_as=CODE_MOUNT)
    if report.failed:
        # Our own code must compile with Lambda's Python; shipping it would only fail later, on import in AWS.
        raise BytecodeCompilerError(f"functions/ does not compile with Python {python312.version}: {report.failed}")
    return report


@jsii.implements(cdk.ILocalBundling)
class LocalCodeAsset:
    """Builds the code asset on the host: the `functions` package with CPython 3.12 bytecode (via Pyodide)."""

    def __init__(self, functions: Path = FUNCTIONS) -> None:
        self.functions = functions

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_options: object) -> bool:
        with Python312() as python312:
            report = build_code_asset(Path(output_dir), python312, self.functions)
        print(f"code: {describe(report)}", file=sys.stderr)
        return True


def function_code() -> lambda_.Code:
    """The one code asset: the `functions` package with its bytecode, bundled locally (Docker is never reached)."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS),
        asset_hash=code_asset_hash(),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        bundling=cdk.BundlingOptions(image=LAMBDA_RUNTIME.bundling_image, local=LocalCodeAsset()),
    )
