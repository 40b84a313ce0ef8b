"""The shape the plan sets for the code shipped to Lambda: no file in `functions/` over 250 lines."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 250


def test_no_file_in_functions_is_over_250_lines() -> None:
    # Given every Python file of the Lambda code
    lengths = {
        path.relative_to(ROOT).as_posix(): len(path.read_text().splitlines())
        for path in sorted((ROOT / "functions").rglob("*.py"))
    }
    # Then each is short enough to read whole
    assert lengths, "no Lambda code found"
    assert {path: lines for path, lines in lengths.items() if lines > MAX_LINES} == {}
