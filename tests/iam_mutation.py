"""Every grant is needed: removing any single statement from any function's policy makes some test fail.

`python -m tests.iam_mutation test-output/iam-usage.jsonl` (after a `make test` run wrote the usage): for each
(function, Sid) it reruns up to three of the tests whose allowed calls used that statement (unit and integration
first; only when none did, one e2e module, whole, since its tests share one local server) with
`LOCAL_IAM_REVOKE=function:Sid`, two at a time, and expects them to fail because of it: a failure counts only when the
rerun recorded a refusal of one of that statement's actions to that function (a test failing for another reason
proves nothing). Exits non-zero naming every grant whose removal fails nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devserver.iam import usage
from devserver.iam.policies import REVOKE_VARIABLE, local_policies
from tests.conftest import iam_names

ROOT = Path(__file__).resolve().parents[1]
TESTS_PER_GRANT = 3
PARALLEL = 2
RUN_TIMEOUT_SECONDS = 600
_TIERS = ("tests/unit/", "tests/integration/", "tests/infra/", "tests/e2e/")


def _node(test: str) -> str:
    """What to rerun for a recorded test: the test itself, or its module for e2e (one server per module)."""
    return test.split("::", 1)[0] if test.startswith("tests/e2e/") else test


def _rank(node: str) -> tuple[int, str]:
    return next((tier for tier, prefix in enumerate(_TIERS) if node.startswith(prefix)), len(_TIERS)), node


def candidates(uses: list[usage.Use]) -> dict[tuple[str, str], list[str]]:
    """Per (function, Sid), the tests to rerun without it: at most three, cheapest tiers first."""
    by_grant: dict[tuple[str, str], set[str]] = defaultdict(set)
    for use in uses:
        if use.kind == "allowed" and use.test:
            by_grant[(use.function, use.sid)].add(_node(use.test))
    return {grant: _cheapest(nodes) for grant, nodes in by_grant.items()}


def _cheapest(nodes: set[str]) -> list[str]:
    # An e2e module starts a server (and maybe a browser): only when nothing cheaper used the grant, and only one.
    ranked = sorted(nodes, key=_rank)
    cheap = [node for node in ranked if not node.startswith("tests/e2e/")]
    e2e = sorted((node for node in ranked if node.startswith("tests/e2e/")), key=lambda node: ("browser" in node, node))
    return cheap[:TESTS_PER_GRANT] or e2e[:1]


def _run_without(grant: tuple[str, str], nodes: list[str], actions: set[str]) -> tuple[tuple[str, str], str, str]:
    """Rerun `nodes` without the grant: "needed" when they fail and the run refused one of its actions."""
    with tempfile.TemporaryDirectory() as folder:
        refusals = Path(folder) / "usage.jsonl"
        env = {**os.environ, REVOKE_VARIABLE: f"{grant[0]}:{grant[1]}", usage.FILE_VARIABLE: str(refusals)}
        for name in ("IAM_COVERAGE", usage.TEST_VARIABLE):
            env.pop(name, None)
        command = [sys.executable, "-m", "pytest", "-x", "-q", "--no-header", *nodes]
        try:
            done = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            return grant, "timed out", ""
        refused = refusals.exists() and any(
            use.kind == "denied" and use.function == grant[0] and use.sid.lower() in actions
            for use in usage.read(refusals)
        )
    summary = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode == 0:
        return grant, "NOT NEEDED", summary
    if done.returncode == 1 and refused:
        return grant, "needed", summary
    return grant, f"failed without refusing it (exit {done.returncode})", summary


def main(usage_file: Path) -> int:
    started = time.monotonic()
    uses = list(usage.read(usage_file))
    granted = sorted((function, spec.sid) for function, specs in local_policies(iam_names()).items() for spec in specs)
    tests = candidates(uses)
    problems = [f"{function}:{sid}: no test used it" for function, sid in granted if (function, sid) not in tests]
    runnable = [grant for grant in granted if grant in tests]
    actions = {
        (function, spec.sid): {action.lower() for action in spec.actions}
        for function, specs in local_policies(iam_names()).items()
        for spec in specs
    }
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        for grant, verdict, summary in pool.map(
            lambda grant: _run_without(grant, tests[grant], actions[grant]), runnable
        ):
            print(f"{grant[0]}:{grant[1]} without it: {verdict} [{', '.join(tests[grant])}] {summary}", flush=True)
            if verdict != "needed":
                problems.append(f"{grant[0]}:{grant[1]}: removing it {verdict.lower()} ({summary})")
    print(f"iam-mutation: {len(runnable)} grants rerun in {time.monotonic() - started:.0f} s")
    for problem in problems:
        print(f"iam-mutation: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "test-output" / "iam-usage.jsonl"))
