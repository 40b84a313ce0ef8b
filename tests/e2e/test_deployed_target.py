"""The deployed target's own code path, with no AWS account: the contract tests run as if against a deployed stack,
with a local server standing in for it and tokens pasted as an external OIDC issuer's would be."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ROOT, LocalServer, start_server
from tests.e2e.targets import API_URL, token_variable

pytestmark = pytest.mark.e2e

# The representative subset: the gallery contract, and the upload and ingest module (whose ingest needs a URL).
MODULES = ("tests/e2e/test_gallery_flow.py", "tests/e2e/test_ingest_e2e.py", "tests/e2e/test_deployed_roles.py")
USERS = ("alice", "bob", "carol", "dave", "erin", "frank")


def ids(client: httpx.Client, view: str) -> list[str]:
    page = client.get("/gallery", params={"view": view, "limit": 100})
    assert page.status_code == 200, page.text
    return [item["id"] for item in page.json()["items"]]


@pytest.mark.local_only("starts a local server to stand in for a deployed stack")
def test_contract_tests_pass_against_a_stand_in_for_a_deployed_stack(tmp_path: Path) -> None:
    # Given a local server standing in for a deployed stack, and one token per user whose sub, as Cognito's,
    # is a UUID and not the user's name
    stand_in: LocalServer = start_server(tmp_path / "state")
    try:
        subs = {user: str(uuid.uuid4()) for user in USERS}
        # The inner run is a client only: the IAM coverage of `make test` stays this run's (tests/conftest.py), and
        # the stand-in's own execution environments keep reporting to it.
        inherited = {key: value for key, value in os.environ.items() if key not in ("IAM_COVERAGE", "IAM_USAGE_FILE")}
        environment = {key: value for key, value in inherited.items() if not key.startswith("E2E_")}
        environment.update({token_variable(user): stand_in.token(sub) for user, sub in subs.items()})
        environment[API_URL] = stand_in.url

        # When the contract tests run in deployed mode against it
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rs", *MODULES],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )

        # Then they pass, and only what needs the local server itself or an ingest URL is skipped, each saying why
        output = run.stdout + run.stderr
        assert run.returncode == 0, output
        assert int(re.search(r"(\d+) passed", output).group(1)) >= 20, output  # type: ignore[union-attr]
        skipped = [line for line in output.splitlines() if line.startswith("SKIPPED")]
        assert len(skipped) == 8, output
        assert sum("local only: " in line and "API_URL targets a deployed stack" in line for line in skipped) == 7
        assert any("restarts the local server on its state folder" in line for line in skipped), output
        assert any("/__dev/purge" in line for line in skipped), output
        assert any("E2E_INGEST_URL" in line for line in skipped), output

        # And the run deleted everything it created: every user's gallery and trash are empty
        for sub in subs.values():
            with stand_in.client(sub) as client:
                assert (ids(client, "all"), ids(client, "trash")) == ([], []), sub
    finally:
        stand_in.stop()
