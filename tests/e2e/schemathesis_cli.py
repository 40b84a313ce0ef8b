"""schemathesis's command line, with `ast.parse` run by one thread at a time.

CPython 3.11.7 (this machine's) keeps the AST constructor's recursion depth once per interpreter, so two threads
parsing at once can fail with "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905, fixed
in 3.11.8): schemathesis's two workers both reach hypothesis's descriptions of lambdas, which parse their source.
"""

from __future__ import annotations

import ast
import sys
import threading
from typing import Any

from schemathesis.cli import schemathesis

_parse = ast.parse
_one_at_a_time = threading.Lock()


def _parse_alone(*args: Any, **kwargs: Any) -> Any:
    with _one_at_a_time:
        return _parse(*args, **kwargs)


if __name__ == "__main__":
    ast.parse = _parse_alone  # type: ignore[assignment]
    sys.exit(schemathesis())
