"""pynamodb is known by the data layer alone: nothing else imports it or reaches into its private API."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_LAYER = ROOT / "functions" / "common" / "repository"
# The data layer's own unit tests: they build pynamodb's exceptions to check how they are translated, or its items
# to check what the repository sends DynamoDB.
DATA_LAYER_TESTS = {
    ROOT / "tests" / "unit" / name
    for name in ("test_repository_errors.py", "test_quota_units.py", "test_refusals_without_iam.py")
}
PRIVATE_PYNAMODB = {"_get_schema", "_get_connection", "_to_attributes", "_raise_domain"}


def sources() -> list[Path]:
    found = [
        path
        for folder in ("functions", "devserver", "infra", "bench", "tests")
        for path in (ROOT / folder).rglob("*.py")
    ]
    return sorted(path for path in found if "node_modules" not in path.parts and DATA_LAYER not in path.parents)


def pynamodb_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    uses: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            uses += [alias.name for alias in node.names if alias.name.split(".")[0] == "pynamodb"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pynamodb":
            uses.append(node.module or "")
        elif isinstance(node, ast.Attribute) and node.attr in PRIVATE_PYNAMODB:
            uses.append(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module == "functions.common.repository.model":
            uses.append(node.module)
    return uses


def test_the_boundary_check_sees_a_pynamodb_import(tmp_path: Path) -> None:
    # Given a module that imports pynamodb and calls its private schema
    module = tmp_path / "leaky.py"
    module.write_text("from pynamodb.models import Model\nModel._get_schema()\n", encoding="utf-8")
    # When / Then
    assert pynamodb_uses(module) == ["pynamodb.models", "_get_schema"]


def test_only_the_data_layer_knows_pynamodb() -> None:
    # Given every module outside functions/common/repository / When their imports and attributes are read
    offenders = {str(path.relative_to(ROOT)): uses for path in sources() if (uses := allowed_out(path))}
    # Then none names pynamodb or its private API (the data layer's own tests may build pynamodb's errors)
    assert offenders == {}


def allowed_out(path: Path) -> list[str]:
    uses = pynamodb_uses(path)
    allowed = {"pynamodb.exceptions", "functions.common.repository.model"}
    return [use for use in uses if use not in allowed] if path in DATA_LAYER_TESTS else uses
