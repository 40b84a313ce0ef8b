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
