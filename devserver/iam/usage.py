"""What the enforcement saw: every allowed call's (function, statement Sid), and every unmapped operation.

Kept in memory and, when `IAM_USAGE_FILE` is set, appended to it as JSON lines, so the local server's execution
environments (which inherit the variable) count too.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

FILE_VARIABLE = "IAM_USAGE_FILE"
TEST_VARIABLE = "IAM_USAGE_TEST"


@dataclass(frozen=True)
class Use:
    """One allowed call (`kind` "allowed": sid is the statement), one refused ("denied": sid is the IAM action) or one
    unmapped operation ("unmapped": sid is service:Op)."""

    kind: str
    function: str
    sid: str
    test: str


_lock = threading.Lock()
_recorded: list[Use] = []


def current_test() -> str:
    """The running test's node id (pytest's variable without its phase), or the one `IAM_USAGE_TEST` names."""
    test = os.environ.get(TEST_VARIABLE) or os.environ.get("PYTEST_CURRENT_TEST", "")
    return test.rsplit(" (", 1)[0]


def record(kind: str, function: str, sid: str) -> None:
    use = Use(kind=kind, function=function, sid=sid, test=current_test())
    path = os.environ.get(FILE_VARIABLE)
    with _lock:
        _recorded.append(use)
        if path:
            with open(path, "a", encoding="utf-8") as file:
                file.write(json.dumps(use.__dict__) + "\n")


def recorded() -> list[Use]:
    with _lock:
        return list(_recorded)


def read(path: Path) -> Iterator[Use]:
    """The uses a usage file holds (a missing file holds none)."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield Use(**json.loads(line))


def unused_grants(granted: Iterable[tuple[str, str]], uses: Iterable[Use]) -> list[tuple[str, str]]:
    """The (function, Sid) pairs no allowed call used."""
    used = {(use.function, use.sid) for use in uses if use.kind == "allowed"}
    return sorted(set(granted) - used)
