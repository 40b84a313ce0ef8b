"""Every grant is needed: removing any single statement from any function's policy makes some test fail.

`python -m tests.iam_mutation test-output/iam-usage.jsonl` (after a `make test` run wrote the usage): for each
(function, Sid) it reruns up to three of the tests whose allowed calls used that statement (unit and integration
first; only when none did, one e2e module, whole, since its tests share one local server) with
`LOCAL_IAM_REVOKE=function:Sid`, two at a time, and expects them to fail because of it: a failure counts only when the
rerun recorded a refusal of one of that statement's actions to that function (a test failing for another reason
proves nothing). Exits non-zero naming every grant whose removal fails nothing.

Each rerun is a pytest session of its own in a process of its own, forked from this one once it has loaded pytest, its
plugins and the big libraries (3 s of CPU a rerun otherwise); the fork forgets every module of this repository, so the
rerun imports all of our code afresh, as a new interpreter would.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import signal
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from devserver.iam import usage
from devserver.iam.policies import REVOKE_VARIABLE, local_policies
from tests.conftest import iam_names

ROOT = Path(__file__).resolve().parents[1]
TESTS_PER_GRANT = 3
PARALLEL = 2
RUN_TIMEOUT_SECONDS = 600
# Imported once before forking: what every rerun would otherwise import again. Only libraries, none of our modules.
WARM_MODULES = (
    "moto",
    "moto.dynamodb.models",
    "moto.iam.models",
    "moto.s3.models",
    "pynamodb.models",
    "pydantic",
    "PIL.Image",
    "aws_lambda_powertools",
    "httpx",
)
_TIERS = ("tests/unit/", "tests/integration/", "tests/infra/", "tests/e2e/")
# What the fuzzer reaches depends on its time budget and its two threads' timing: a grant one run of it used, the
# rerun may not reach. Chosen only when no other e2e module used the grant.
_UNSTEADY_E2E = ("tests/e2e/test_fuzz_contract.py",)


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
    e2e = sorted(
        (node for node in ranked if node.startswith("tests/e2e/")),
        key=lambda node: (node in _UNSTEADY_E2E, "browser" in node, node),
    )
    return cheap[:TESTS_PER_GRANT] or e2e[:1]


class _Warm:
    """Imports the big libraries while pytest's assertion rewriting is on, as a rerun's session would import them."""

    @staticmethod
    def pytest_sessionstart() -> None:
        for name in WARM_MODULES:
            importlib.import_module(name)


def _warm() -> None:
    """Load pytest's plugins and the big libraries here, once, in a session over an empty folder (outside the repo,
    so none of our modules), so that each forked rerun finds them loaded exactly as its own session would."""
    with tempfile.TemporaryDirectory() as empty, contextlib.redirect_stdout(io.StringIO()):
        (Path(empty) / "pytest.ini").write_text("[pytest]\n")
        pytest.main(["-q", "-p", "no:cacheprovider", empty], plugins=[_Warm()])


def _ours(module: object) -> bool:
    file = getattr(module, "__file__", None)
    if not file:
        return False
    path = Path(file).resolve()
    return path.is_relative_to(ROOT) and not path.is_relative_to(Path(sys.prefix).resolve())


def _rerun(grant: tuple[str, str], nodes: list[str], folder: Path) -> int:
    """Fork a pytest session over `nodes` without the grant, its output to `folder`; answers the child's pid."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 3
    try:
        os.environ.update({REVOKE_VARIABLE: f"{grant[0]}:{grant[1]}", usage.FILE_VARIABLE: str(folder / "usage.jsonl")})
        for name in ("IAM_COVERAGE", usage.TEST_VARIABLE):
            os.environ.pop(name, None)
        for fd, name in ((1, "stdout.txt"), (2, "stderr.txt")):
            os.dup2(os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        os.chdir(ROOT)
        for name in [name for name, module in sys.modules.items() if name != "__main__" and _ours(module)]:
            del sys.modules[name]
        code = int(pytest.main(["-x", "-q", "--no-header", *nodes]))
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _verdict(grant: tuple[str, str], folder: Path, exit_code: int | None, actions: set[str]) -> tuple[str, str]:
    """Needed when the rerun failed and refused one of the grant's actions to its function."""
    if exit_code is None:
        return "timed out", ""
    refusals = folder / "usage.jsonl"
    refused = refusals.exists() and any(
        use.kind == "denied" and use.function == grant[0] and use.sid.lower() in actions for use in usage.read(refusals)
    )
    output = folder / "stdout.txt"
    summary = ((output.read_text(errors="replace").strip().splitlines() if output.exists() else []) or [""])[-1]
    if exit_code == 0:
        return "NOT NEEDED", summary
    if exit_code == 1 and refused:
        return "needed", summary
    return f"failed without refusing it (exit {exit_code})", summary


def _run_all(
    runnable: list[tuple[str, str]], tests: dict[tuple[str, str], list[str]], actions: dict[tuple[str, str], set[str]]
) -> Iterator[tuple[tuple[str, str], str, str]]:
    """Rerun each grant's tests without it, `PARALLEL` at a time; yields the verdicts in `runnable`'s order."""
    with tempfile.TemporaryDirectory() as scratch:
        folders = {grant: Path(scratch) / str(index) for index, grant in enumerate(runnable)}
        pending = list(reversed(runnable))
        running: dict[int, tuple[tuple[str, str], float]] = {}
        done: dict[tuple[str, str], tuple[str, str]] = {}
        shown = 0
        while shown < len(runnable):
            while pending and len(running) < PARALLEL:
                grant = pending.pop()
                folders[grant].mkdir()
                running[_rerun(grant, tests[grant], folders[grant])] = (grant, time.monotonic())
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid:
                grant, _ = running.pop(pid)
                done[grant] = _verdict(grant, folders[grant], os.waitstatus_to_exitcode(status), actions[grant])
            else:
                for late, (grant, began) in list(running.items()):
                    if time.monotonic() - began > RUN_TIMEOUT_SECONDS:
                        os.kill(late, signal.SIGKILL)
                        os.waitpid(late, 0)
                        del running[late]
                        done[grant] = _verdict(grant, folders[grant], None, actions[grant])
                time.sleep(0.05)
            while shown < len(runnable) and runnable[shown] in done:
                yield runnable[shown], *done[runnable[shown]]
                shown += 1


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
    _warm()
    for grant, verdict, summary in _run_all(runnable, tests, actions):
        print(f"{grant[0]}:{grant[1]} without it: {verdict} [{', '.join(tests[grant])}] {summary}", flush=True)
        if verdict != "needed":
            problems.append(f"{grant[0]}:{grant[1]}: removing it {verdict.lower()} ({summary})")
    print(f"iam-mutation: {len(runnable)} grants rerun in {time.monotonic() - started:.0f} s")
    for problem in problems:
        print(f"iam-mutation: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "test-output" / "iam-usage.jsonl"))
