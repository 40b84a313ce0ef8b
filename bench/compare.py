"""`python -m bench.compare A.md B.md [--all]`: the ratios of two BENCHMARKS.md files, row by row, and those that
differ by more than ±10 %.

A ratio is a table cell that starts with `N.NN×` (or `x`); cells naming a target (`<= 0.90x`) are not measurements.
The exit status is 1 when any ratio is outside the tolerance, so two runs of `make bench` can be checked against the
aim that they agree within ±10 %.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TOLERANCE = 0.10
RATIO = re.compile(r"^\**(\d+(?:\.\d+)?)[×x]\**(?: \(IQR|$)")

Key = tuple[str, str, int]


def ratios(text: str) -> dict[Key, float]:
    """Every ratio of a BENCHMARKS.md by (section, first cell of its row, column)."""
    found: dict[Key, float] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("#"):
            section = line.lstrip("# ").strip()
        elif line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            for column, cell in enumerate(cells[1:], 1):
                match = RATIO.match(cell)
                if match:
                    found[(section, cells[0], column)] = float(match.group(1))
    return found


def differences(first: dict[Key, float], second: dict[Key, float]) -> list[tuple[Key, float, float, float]]:
    """(key, first, second, relative change) for every ratio in both."""
    rows = []
    for key, before in first.items():
        if key in second:
            after = second[key]
            change = (after - before) / before if before else (0.0 if after == before else float("inf"))
            rows.append((key, before, after, change))
    return rows


def main(arguments: list[str]) -> int:
    paths = [argument for argument in arguments if not argument.startswith("--")]
    rows = differences(*(ratios(Path(path).read_text()) for path in paths[:2]))
    outside = [row for row in rows if abs(row[3]) > TOLERANCE]
    for (section, name, column), before, after, change in rows if "--all" in arguments else outside:
        print(f"{section[:40]:40} | {name[:48]:48} | {column} | {before:g} → {after:g} ({change:+.1%})")
    print(f"{len(rows) - len(outside)} of {len(rows)} ratios agree within ±{TOLERANCE:.0%}")
    return 1 if outside else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
