"""The dependency layer holds Lambda-platform wheels (arm64, CPython 3.12): the built one, or its pip command."""

from __future__ import annotations

from pathlib import Path

from infra.bundling import (
    RUNTIME_PROVIDED,
    canonical_name,
    layer_asset_hash,
    layer_requirements,
    pip_install_command,
    remove_runtime_provided,
)

ELF_MACHINE_AARCH64 = 183


def glibc_of(platform: str) -> tuple[int, int]:
    """The glibc a manylinux platform tag needs: manylinux2014 is 2.17, manylinux_2_28 is 2.28."""
    if platform.startswith("manylinux2014"):
        return (2, 17)
    assert platform.startswith("manylinux_"), platform
    major, minor = platform.removeprefix("manylinux_").split("_")[:2]
    return (int(major), int(minor))


def test_pip_command_asks_for_arm64_cpython312_binary_wheels_only() -> None:
    # When the bundler builds its pip command
    command = pip_install_command(Path("/out/python"), layer_requirements())
    # Then it targets both manylinux platforms of arm64, CPython 3.12, binary wheels only, into the layer folder
    platforms = [command[index + 1] for index, argument in enumerate(command) if argument == "--platform"]
    assert platforms == ["manylinux_2_28_aarch64", "manylinux2014_aarch64"]
    assert "--only-binary=:all:" in command
    assert command[command.index("--python-version") + 1] == "3.12"
    assert command[command.index("--implementation") + 1] == "cp"
    assert command[command.index("--target") + 1] == "/out/python"
    # And it installs the runtime requirements (Pillow, pillow-heif) but not what the runtime already has
    names = {canonical_name(requirement.split("==")[0]) for requirement in layer_requirements()}
    assert {"pillow", "pillow-heif", "pydantic", "pynamodb", "aws-lambda-powertools"} <= names
    assert not names & set(RUNTIME_PROVIDED)


def test_layer_hash_follows_the_requirements(tmp_path: Path) -> None:
    # Given two requirement files that differ in one pin
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("pillow==13.0.0\npydantic==2.14.3\n")
    second.write_text("pillow==13.0.1\npydantic==2.14.3\n")
    # Then the same file hashes the same and a changed pin changes the hash (so the layer is rebuilt)
    assert layer_asset_hash(first) == layer_asset_hash(first)
    assert layer_asset_hash(first) != layer_asset_hash(second)


def test_runtime_provided_distributions_are_removed(tmp_path: Path) -> None:
    # Given an installed folder with botocore (runtime-provided) and pydantic
    for name, version, package in (("botocore", "1.0", "botocore"), ("pydantic", "2.0", "pydantic")):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        info = tmp_path / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "RECORD").write_text(f"{package}/__init__.py,,\n{info.name}/METADATA,,\n{info.name}/RECORD,,\n")
    # When the bundler removes what the runtime provides
    removed = remove_runtime_provided(tmp_path)
    # Then botocore is gone, files and metadata, and pydantic stays
    assert removed == ["botocore"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pydantic", "pydantic-2.0.dist-info"]


def test_built_layer_wheels_are_for_lambda_arm64(built_layer: Path) -> None:
    # Given the layer its bundler builds for the current requirements
    layer = built_layer
    tags = {
        info.name: [
            line.split(":", 1)[1].strip()
            for line in (info / "WHEEL").read_text().splitlines()
            if line.startswith("Tag:")
        ]
        for info in layer.glob("*.dist-info")
    }
    # Then every wheel is pure Python, or CPython 3.12 (or abi3) for arm64 Linux with glibc <= 2.28 (what the
    # python3.12 runtime's Amazon Linux 2023 satisfies)
    for name, wheel_tags in tags.items():
        assert wheel_tags, name
        for tag in wheel_tags:
            python, abi, platform = tag.split("-")
            if platform == "any":
                continue
            assert python == "cp312" or abi == "abi3", (name, tag)
            assert platform.endswith("_aarch64"), (name, tag)
            assert glibc_of(platform) <= (2, 28), (name, tag)
    # And every native library is an aarch64 ELF
    for library in layer.rglob("*.so*"):
        header = library.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", library
        assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64, library
    # And Pillow comes with WebP and AVIF, and pillow-heif is there; botocore is left to the runtime
    pil = layer / "PIL"
    assert list(pil.glob("_webp.cpython-312-aarch64-linux-gnu.so"))
    assert list(pil.glob("_avif.cpython-312-aarch64-linux-gnu.so"))
    assert list(layer.glob("_pillow_heif.cpython-312-aarch64-linux-gnu.so"))
    assert not (layer / "botocore").exists()
