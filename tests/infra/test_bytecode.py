"""Both assets ship CPython 3.12 bytecode (unchecked-hash pycs) that Lambda's python3.12 loads instead of compiling."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.bundling import (
    ROOT,
    build_code_asset,
    code_asset_hash,
    copy_function_sources,
    function_sources,
)
from infra.pycompile import LAMBDA_CACHE_TAG, BytecodeCompilerError, Python312

MAGIC_312 = (3531).to_bytes(2, "little") + b"\r\n"
UNCHECKED_HASH = 0b01


@pytest.fixture(scope="module")
def python312() -> Iterator[Python312]:
    """One Pyodide process for the whole module (it takes a few seconds to start)."""
    with Python312() as python:
        yield python


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def pyc_of(source: Path) -> Path:
    """Where Python 3.12 looks for a module's bytecode: `__pycache__/<name>.cpython-312.pyc` beside the source."""
    return source.parent / "__pycache__" / f"{source.stem}.{LAMBDA_CACHE_TAG}.pyc"


def header_problems(source: Path) -> list[str]:
    """Why `source` has no 3.12 unchecked-hash pyc (empty when it has one)."""
    pyc = pyc_of(source)
    if not pyc.is_file():
        return [f"{source}: no {pyc.name}"]
    header = pyc.read_bytes()[:16]
    problems = []
    if header[:4] != MAGIC_312:
        problems.append(f"{pyc}: magic {header[:4]!r}")
    if int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
        problems.append(f"{pyc}: flags {int.from_bytes(header[4:8], 'little'):#b}")
    return problems


def test_every_module_gets_a_312_unchecked_hash_pyc_and_broken_ones_are_reported(
    tmp_path: Path, python312: Python312
) -> None:
    # Given a small package tree, with one file in Python 2 syntax (as some packages ship for their tests)
    write_tree(
        tmp_path,
        {
            "top.py": "A = 1\n",
            "pkg/__init__.py": "",
            "pkg/sub/mod.py": "def f[T](value: T) -> T:\n    return value\n",  # 3.12-only syntax
            "pkg/legacy.py": 'print "hello"\n',
            "pkg/data.txt": "not python",
        },
    )
    # When Pyodide's Python 3.12 compiles it
    report = python312.compile_tree(tmp_path, deployed_as="/var/task")
    # Then each valid module has a pyc with 3.12's magic number and the unchecked-hash flags
    compiled = [tmp_path / name for name in ("top.py", "pkg/__init__.py", "pkg/sub/mod.py")]
    assert [problem for source in compiled for problem in header_problems(source)] == []
    assert report.compiled == 3
    # And the one that does not compile is skipped and reported, with nothing written for it
    assert list(report.failed) == ["pkg/legacy.py"]
    assert "SyntaxError" in report.failed["pkg/legacy.py"]
    assert not pyc_of(tmp_path / "pkg/legacy.py").exists()


def test_python312_imports_the_pyc_without_checking_the_source(tmp_path: Path, python312: Python312) -> None:
    # Given a compiled module whose source is then edited (as Lambda's unpacked files never match a build mtime)
    write_tree(tmp_path, {"pkg/__init__.py": "", "pkg/value.py": "VALUE = 'compiled'\n"})
    python312.compile_tree(tmp_path, deployed_as="/var/task")
    (tmp_path / "pkg/value.py").write_text("VALUE = 'edited source'\n")
    # When Python 3.12 imports it
    imported = python312.run(tmp_path, "import pkg.value as value\nresult = [value.VALUE, value.__cached__]")
    # Then the bytecode is loaded and used as it is: the pyc's behaviour wins over the edited source
    assert imported[0] == "compiled"
    assert imported[1].endswith(f"pkg/__pycache__/value.{LAMBDA_CACHE_TAG}.pyc")
    # And without the pyc the same import runs the source (so the check above measures the pyc)
    pyc_of(tmp_path / "pkg/value.py").unlink()
    assert python312.run(tmp_path, "import pkg.value as value\nresult = value.VALUE") == "edited source"


def test_code_asset_holds_the_sources_with_312_bytecode_only(tmp_path: Path, python312: Python312) -> None:
    # When the code asset's bundler builds the real functions package
    report = build_code_asset(tmp_path, python312)
    # Then it holds every source file of functions/, and each .py has its 3.12 unchecked-hash pyc
    shipped_sources = sorted(path for path in tmp_path.rglob("*") if path.is_file() and path.suffix != ".pyc")
    expected = [tmp_path / "functions" / path.relative_to(ROOT / "functions") for path in function_sources()]
    assert shipped_sources == expected
    modules = [path for path in shipped_sources if path.suffix == ".py"]
    assert modules
    assert report.compiled == len(modules)
    assert [problem for source in modules for problem in header_problems(source)] == []
    # And there is no bytecode of any other Python (the host's 3.11 would be dead weight)
    assert {path.name.split(".")[-2] for path in tmp_path.rglob("*.pyc")} == {LAMBDA_CACHE_TAG}


def test_code_asset_leaves_out_host_bytecode_and_dotfiles(tmp_path: Path) -> None:
    # Given a package folder where the host's Python left bytecode, and an editor left a dotfile
    functions = tmp_path / "functions"
    write_tree(
        functions,
        {"__init__.py": "", "api.py": "X = 1\n", ".api.py.swp": "", "schema.json": "{}", "__pycache__/x": ""},
    )
    (functions / "__pycache__" / "api.cpython-311.pyc").write_bytes(importlib.util.MAGIC_NUMBER)
    output = tmp_path / "asset"
    # When the bundler copies it
    copy_function_sources(output, functions)
    # Then only the sources and data files are there
    shipped = sorted(path.relative_to(output).as_posix() for path in output.rglob("*") if path.is_file())
    assert shipped == ["functions/__init__.py", "functions/api.py", "functions/schema.json"]


def test_code_asset_fails_when_our_code_does_not_compile_with_312(tmp_path: Path, python312: Python312) -> None:
    # Given a package with a module Python 3.12 cannot compile
    functions = tmp_path / "functions"
    write_tree(functions, {"__init__.py": "", "broken.py": "def handler(:\n"})
    # When the code asset is built, then the build stops and names the module
    with pytest.raises(BytecodeCompilerError, match=r"broken\.py"):
        build_code_asset(tmp_path / "asset", python312, functions)


def test_code_asset_hash_follows_the_sources_only(tmp_path: Path) -> None:
    # Given a package folder
    functions = tmp_path / "functions"
    write_tree(functions, {"__init__.py": "", "api.py": "X = 1\n"})
    first = code_asset_hash(functions)
    # When only host bytecode appears, the hash stays (an unchanged package is not compiled again)
    write_tree(functions, {"__pycache__/api.cpython-311.pyc": "bytes"})
    assert code_asset_hash(functions) == first
    # When a source changes, or a file is added, the hash changes (the asset is rebuilt)
    (functions / "api.py").write_text("X = 2\n")
    edited = code_asset_hash(functions)
    assert edited != first
    write_tree(functions, {"extra.py": ""})
    assert code_asset_hash(functions) not in {first, edited}


def test_built_layer_ships_312_bytecode(built_layer: Path) -> None:
    # Given the layer its bundler builds for the current requirements
    layer = built_layer
    # Then the modules every cold start imports have their 3.12 unchecked-hash pyc
    hot = ["PIL/Image.py", "pydantic/main.py", "pynamodb/models.py", "aws_lambda_powertools/__init__.py"]
    assert [problem for name in hot for problem in header_problems(layer / name)] == []
    # And nearly every module has one (the rest are files written for other Pythons, left as source)
    modules = list(layer.rglob("*.py"))
    missing = [source for source in modules if not pyc_of(source).is_file()]
    assert len(missing) <= len(modules) // 100, missing[:10]
    assert {path.name.split(".")[-2] for path in layer.rglob("*.pyc")} == {LAMBDA_CACHE_TAG}
