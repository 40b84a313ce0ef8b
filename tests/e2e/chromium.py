"""Debian's Chromium for the browser tests: where it is, how it is launched, and the skip when it is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def require_chromium() -> None:
    """Skip the calling test module (at import) when Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's Chromium is not installed at /usr/bin/chromium: run `make browser` as root "
            "(apt-get install chromium chromium-driver); CI always runs these tests.",
            allow_module_level=True,
        )
