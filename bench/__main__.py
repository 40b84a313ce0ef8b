"""`make bench`: runs every section and writes BENCHMARKS.md; each figure is a ratio to a baseline of the same run."""

from __future__ import annotations

import importlib
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

# Each module has `TITLE` and `run() -> str` (a Markdown section body). Add new sections here.
SECTIONS = ("bench.gallery", "bench.purge", "bench.ingest", "bench.thumbnails", "bench.coldstart")


def main() -> None:
    wanted = set(sys.argv[1:])
    parts = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {platform.machine()}. Each figure is compared with a baseline "
        "measured in the same run, so the ratios hold across machines.",
        "",
    ]
    for name in SECTIONS:
        if wanted and name.split(".")[-1] not in wanted:
            continue
        module = importlib.import_module(name)
        print(f"bench: {module.TITLE} ...", flush=True)
        parts += [f"## {module.TITLE}", "", module.run().strip(), ""]
    Path("BENCHMARKS.md").write_text("\n".join(parts))
    print("bench: wrote BENCHMARKS.md")


if __name__ == "__main__":
    main()
