"""`make bench`: runs the sections and writes BENCHMARKS.md; each figure is a ratio to a baseline of the same run.

`python -m bench NAME ...` runs only those sections and keeps the others' last figures in BENCHMARKS.md.
"""

from __future__ import annotations

import importlib
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

# Each module has `TITLE` and `run() -> str` (a Markdown section body). Add new sections here.
SECTIONS = (
    "bench.gallery",
    "bench.folders",
    "bench.shares",
    "bench.ingest",
    "bench.thumbnails",
    "bench.crafted",
    "bench.purge",
    "bench.coldstart",
    "bench.realtime",
    "bench.video",
    "bench.signing",
    "bench.costs",
)
OUTPUT = Path("BENCHMARKS.md")


def _previous_sections() -> dict[str, str]:
    """The sections of the existing BENCHMARKS.md by title, so a partial run keeps the rest."""
    if not OUTPUT.exists():
        return {}
    parts = re.split(r"^## (.+)$", OUTPUT.read_text(), flags=re.MULTILINE)
    return {title.strip(): body.strip() for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def main() -> None:
    wanted = set(sys.argv[1:])
    previous = _previous_sections()
    parts = [
        "# Benchmarks",
        "",
        f"Written by `make bench`, last on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {platform.machine()}. Each figure is compared with a baseline "
        "measured in the same run, so the ratios hold across machines.",
        "",
    ]
    for name in SECTIONS:
        module = importlib.import_module(name)
        if wanted and name.split(".")[-1] not in wanted:
            if module.TITLE in previous:
                parts += [f"## {module.TITLE}", "", previous[module.TITLE], ""]
            continue
        print(f"bench: {module.TITLE} ...", flush=True)
        parts += [f"## {module.TITLE}", "", module.run().strip(), ""]
    OUTPUT.write_text("\n".join(parts))
    print(f"bench: wrote {OUTPUT}")


if __name__ == "__main__":
    main()
