"""What handler modules must never import: the API functions stay free of Pillow and httpx, nothing loads CDK."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from functions import system
from tests.fresh_interpreter import output_of

ROOT = Path(__file__).resolve().parents[2]
INFRA_ONLY = ("aws_cdk", "constructs", "jsii", "cdk_nag", "infra")
IMAGE_AND_FETCH = ("PIL", "pillow_heif", "httpx", "httpcore")


def loaded_after_import(*modules: str) -> set[str]:
    """Top-level packages in sys.modules after a fresh interpreter imports `modules`."""
    script = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    return set(json.loads(output_of(script)))


def handler_module(function: str) -> str:
    return system.FUNCTIONS[function].handler.rpartition(".")[0]


def test_gallery_and_sign_handlers_never_import_pillow_or_httpx() -> None:
    for function in ("gallery", "sign"):
        # When a fresh interpreter imports the handler module, as Lambda does on a cold start
        loaded = loaded_after_import(handler_module(function))
        # Then neither the image stack nor the HTTP client comes with it
        assert set(IMAGE_AND_FETCH) & loaded == set(), function
        assert "functions" in loaded


def test_no_handler_imports_cdk() -> None:
    # When every handler module is imported
    loaded = loaded_after_import(*(handler_module(function) for function in system.FUNCTIONS))
    # Then nothing of the CDK app was loaded
    assert set(INFRA_ONLY) & loaded == set()


def test_no_module_in_functions_names_cdk_in_an_import() -> None:
    offenders = []
    for path in sorted((ROOT / "functions").rglob("*.py")):
        # Given every import statement in the Lambda code
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            # Then none reaches the CDK app or its libraries (even lazily, inside a function)
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names if name.split(".")[0] in INFRA_ONLY]
    assert offenders == []


SHARED = ("common", "system")


def imported_modules(source: str, module: str) -> list[str]:
    """Every module `source` (the code of `module`) imports, anywhere: top level, functions, TYPE_CHECKING blocks."""
    package = module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            # `from functions import gallery` imports the package `functions.gallery`
            found += [base] + [f"{base}.{alias.name}" for alias in node.names if base == "functions"]
    return found


def boundary_violations(module: str, imports: list[str]) -> list[str]:
    """Imports of `module` that cross a package boundary the wrong way."""
    parts = module.split(".")
    if len(parts) < 3:  # functions.system and functions/__init__: the standard library only
        return []
    own = parts[1]
    allowed = SHARED if own == "common" else (*SHARED, own)
    return [
        name
        for name in imports
        if name.split(".")[0] == "functions" and len(name.split(".")) > 1 and name.split(".")[1] not in allowed
    ]


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_common_imports_no_feature_and_a_feature_only_common_and_system() -> None:
    offenders = []
    for path in sorted((ROOT / "functions").rglob("*.py")):
        # Given every import of every module in functions/, wherever it stands in the module
        module = module_name(path)
        imports = imported_modules(path.read_text(), module)
        # Then common imports no feature package, and a feature package nothing but common, system and itself
        offenders += [f"{module}: {name}" for name in boundary_violations(module, imports)]
    assert offenders == []


def test_the_boundary_check_sees_lazy_hidden_and_relative_imports() -> None:
    # Given imports that only run in a function, only for the type checker, or that are relative
    source = """
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from functions.gallery.logic import Gallery
def build():
    import functions.ingest.logic
    from functions import sign
from ..thumbnail import imaging
from . import clock
"""
    imports = imported_modules(source, "functions.common.wiring")

    # When common holds them, and when a feature package does
    in_common = boundary_violations("functions.common.wiring", imports)
    in_upload = boundary_violations("functions.upload.wiring", imported_modules(source, "functions.upload.wiring"))

    # Then each feature import is a violation, and a package's own and common's modules are not
    crossing = ["functions.gallery.logic", "functions.ingest.logic", "functions.sign", "functions.thumbnail"]
    assert sorted(in_common) == sorted(in_upload) == crossing
    assert boundary_violations("functions.upload.logic", ["functions.upload.errors", "functions.system"]) == []
