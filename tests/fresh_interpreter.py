"""Run a script in a fresh interpreter with a deployed function's environment: what a cold start would load."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.coldstart import FAKE_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[1]


def output_of(script: str) -> str:
    """The standard output of `script` run by a new Python process from the repository root."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, **FAKE_ENVIRONMENT},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
