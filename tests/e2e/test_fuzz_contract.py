"""schemathesis fuzzes the local server from its own OpenAPI document and finds no contract break.

A well-kept fuzzer reads the document the docs function serves, generates requests that match it and requests that
must not (types, bounds, missing fields, wrong media types, no token), and checks that every answer is one the
document declares: never a 5xx, a valid request accepted, an invalid one refused, a missing token a 401. The
handlers run with STRICT_PROBLEMS=1, so an error a route does not declare is a 500 the fuzzer reports too.
tests/e2e/schemathesis.toml lists, per operation, the refusals no schema can state (a cursor not issued, bytes that
are no image, a URL of a host not allowed).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Target

pytestmark = [pytest.mark.e2e, pytest.mark.local_only("fuzzing creates assets the deployed clean-up does not track")]

CONFIG = Path(__file__).resolve().with_name("schemathesis.toml")
CLI = Path(__file__).resolve().with_name("schemathesis_cli.py")
# The run's budget (schemathesis stops generating when it is spent); with the server's start, about a minute.
FUZZ_SECONDS = 40
EXAMPLES_PER_OPERATION = 30


def test_the_fuzzer_finds_no_contract_break(server: Target) -> None:
    # Given the served document and a user's token
    authorization = server.client("fuzzer").headers["Authorization"]
    command = [
        *(sys.executable, str(CLI)),
        *("--config-file", str(CONFIG), "run", f"{server.url}/openapi.json"),
        # The checks it runs are chosen in CONFIG (a `--checks` here would override its per-operation settings).
        *("--header", f"Authorization: {authorization}"),
        *("--max-examples", str(EXAMPLES_PER_OPERATION), "--max-time", str(FUZZ_SECONDS), "--workers", "2"),
        # A fixed seed: the same cases every run, so a red run is reproducible and a green one is not luck.
        *("--no-color", "--generation-database", "none", "--seed", "20261201"),
    ]
    # When schemathesis runs every phase over every operation
    run = subprocess.run(command, capture_output=True, text=True, timeout=FUZZ_SECONDS + 60, check=False)
    # Then it reports no failure (its report, with each failure's curl to reproduce it, is the assertion message)
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    assert "passed" in run.stdout
