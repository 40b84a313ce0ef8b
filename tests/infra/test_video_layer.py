"""The video layer (PyAV's arm64 wheels) is carried by the video function alone, which stays within Lambda's size limit.

Sizes come from the Lambda-platform wheels themselves: pip downloads them (never installs) into a cache under
test-output/, reused while the requirements are unchanged, and their zip directories give the unzipped sizes.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.bundling import (
    LAMBDA_PLATFORMS,
    LAMBDA_PYTHON_VERSION,
    ROOT,
    RUNTIME_PROVIDED,
    RUNTIME_REQUIREMENTS,
    canonical_name,
    extra_layer_requirements,
    function_sources,
    layer_asset_hash,
    layer_requirements,
)
from infra.capabilities import PROFILES
from tests.infra.template_tools import function_ids, logical_id

# Lambda's limit on a function's code and all its layers together, unzipped (a binary megabyte, as AWS counts it).
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
# The bundlers add CPython 3.12 bytecode next to each module: built, the dependency layer's .pyc files come to 1.13x
# its .py files and the video layer's to 1.46x, so 2x leaves room rather than flattering the total.
BYTECODE_ALLOWANCE = 2.0
WHEEL_CACHE = ROOT / "test-output" / "lambda-wheels"
LAYER_IN_DESCRIPTION = re.compile(r"\(layers/([a-z0-9_-]+)/requirements\.txt\)")


@dataclass(frozen=True)
class Wheels:
    """The wheels one requirements file resolves to for Lambda arm64, CPython 3.12."""

    folder: Path

    @property
    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.whl"))

    def shipped(self) -> list[Path]:
        """The wheels the layer ships (the bundler leaves out what the runtime provides)."""
        return [wheel for wheel in self.files if distribution_of(wheel) not in RUNTIME_PROVIDED]

    def unzipped_bytes(self) -> int:
        return sum(unzipped_size(wheel) for wheel in self.shipped())


def distribution_of(wheel: Path) -> str:
    """A wheel's distribution name, as PEP 503 compares them."""
    return canonical_name(wheel.name.split("-", 1)[0])


def unzipped_size(wheel: Path) -> int:
    """A wheel's files unzipped, plus the bytecode the bundler compiles for its modules."""
    with zipfile.ZipFile(wheel) as archive:
        entries = archive.infolist()
    sources = sum(entry.file_size for entry in entries if entry.filename.endswith(".py"))
    return sum(entry.file_size for entry in entries) + int(sources * BYTECODE_ALLOWANCE)


def download(requirements_file: Path) -> Wheels:
    """The Lambda-platform wheels of a requirements file, downloaded once per change of its pins."""
    folder = WHEEL_CACHE / layer_asset_hash(requirements_file)[:16]
    done = folder / ".complete"
    if not done.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        platforms = [argument for platform in LAMBDA_PLATFORMS for argument in ("--platform", platform)]
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            LAMBDA_PYTHON_VERSION,
            *platforms,
            "--dest",
            str(folder),
            *layer_requirements(requirements_file),
        ]
        subprocess.run(command, check=True)
        done.touch()
    return Wheels(folder)


def code_asset_bytes() -> int:
    """The code asset unzipped: the functions package's files and their bytecode."""
    sizes = [(path.suffix == ".py", path.stat().st_size) for path in function_sources()]
    return sum(size for _, size in sizes) + int(sum(size for is_py, size in sizes if is_py) * BYTECODE_ALLOWANCE)


@pytest.fixture(scope="session")
def layer_bytes() -> dict[str, int]:
    """Unzipped bytes of each layer the stack can attach, by name (`dependencies` and the extra layers)."""
    names = {"dependencies"} | {layer for profile in PROFILES.values() for layer in profile.layers}
    files = {name: RUNTIME_REQUIREMENTS if name == "dependencies" else extra_layer_requirements(name) for name in names}
    return {name: download(path).unzipped_bytes() for name, path in files.items()}


def layers_of(template: dict[str, Any]) -> dict[str, list[str]]:
    """Each deployed function's layers by name, read from each LayerVersion's description."""
    names = {}
    for resource_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Lambda::LayerVersion":
            match = LAYER_IN_DESCRIPTION.search(resource["Properties"]["Description"])
            assert match, resource["Properties"]["Description"]
            names[resource_id] = match.group(1)
    return {
        function: [names[logical_id(layer)] for layer in template["Resources"][function_id]["Properties"]["Layers"]]
        for function, function_id in function_ids(template).items()
    }


def test_only_the_video_function_carries_the_video_layer(template: dict[str, Any]) -> None:
    # Given the deployed functions and their layers
    layers = layers_of(template)
    # Then the video function has the dependency layer and the video layer, and every other function only the former
    assert layers.pop("video") == ["dependencies", "video"]
    assert layers
    assert {function: carried for function, carried in layers.items() if carried != ["dependencies"]} == {}


def test_video_function_fits_lambdas_unzipped_limit(template: dict[str, Any], layer_bytes: dict[str, int]) -> None:
    # Given what each function deploys: the one code asset and its layers, unzipped
    code = code_asset_bytes()
    totals = {
        function: code + sum(layer_bytes[layer] for layer in carried)
        for function, carried in layers_of(template).items()
    }
    # Then the video function, the largest, stays under the 250 MB Lambda allows
    assert max(totals, key=totals.__getitem__) == "video"
    assert totals["video"] < LAMBDA_UNZIPPED_LIMIT, f"{totals['video'] / 2**20:.1f} MiB"
    # And the video layer's bytes are what the video function alone pays: every other function deploys the code and
    # the dependency layer only
    assert totals["video"] - layer_bytes["video"] == code + layer_bytes["dependencies"]
    assert {total for function, total in totals.items() if function != "video"} == {code + layer_bytes["dependencies"]}


def test_video_layer_is_pyav_alone_for_arm64_with_no_package_of_the_dependency_layer() -> None:
    # Given the wheels of both layers for Lambda arm64, CPython 3.12
    video = download(extra_layer_requirements("video"))
    dependencies = download(RUNTIME_REQUIREMENTS)
    # Then the video layer is PyAV's abi3 arm64 wheel only (its FFmpeg is inside it), with glibc <= 2.28
    (wheel,) = video.files
    name, version, python, abi, platform = wheel.stem.split("-")
    assert (name, python, abi) == ("av", "cp311", "abi3")
    assert layer_requirements(extra_layer_requirements("video")) == [f"av=={version}"]
    assert platform in {"manylinux_2_28_aarch64", "manylinux2014_aarch64"}
    # And no distribution is in both layers (in /opt/python one would shadow the other)
    assert not {distribution_of(path) for path in video.files} & {distribution_of(path) for path in dependencies.files}
    # And the wheel bundles FFmpeg's libraries with x264 and x265 (what makes the layer GPL: README)
    with zipfile.ZipFile(wheel) as archive:
        libraries = {Path(entry).name.split("-")[0] for entry in archive.namelist() if entry.startswith("av.libs/")}
    assert {"libavcodec", "libavformat", "libx264", "libx265"} <= libraries


def test_a_profile_naming_a_layer_with_no_requirements_file_fails_naming_the_path() -> None:
    # When a layer is asked for that has no layers/<name>/requirements.txt
    with pytest.raises(FileNotFoundError) as refused:
        extra_layer_requirements("no-such-layer")
    # Then the error names the file it looked for (synthesis stops there, before any function ships without it)
    assert "layers/no-such-layer/requirements.txt" in str(refused.value)
