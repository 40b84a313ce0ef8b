"""Whose permissions a call runs with: set for the process, set for a block, or read from the call stack."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from functions.system import FUNCTIONS

_NOT_FEATURES = ("common", "system")

_process: str | None = None
_block: ContextVar[str | None] = ContextVar("iam_acting_as", default=None)


def _known(function: str) -> str:
    if function not in FUNCTIONS:
        raise ValueError(f"{function!r} is not a function of functions.system.FUNCTIONS")
    return function


def set_principal(function: str | None) -> None:
    """Every call of this process runs as `function` (a local execution environment); None: unrestricted."""
    global _process
    _process = None if function is None else _known(function)


@contextmanager
def acting_as(function: str) -> Iterator[None]:
    """Calls made inside the block run as `function`, whatever the call stack says."""
    token = _block.set(_known(function))
    try:
        yield
    finally:
        _block.reset(token)


@cache
def function_of_module(module: str) -> str | None:
    """The function whose code `module` is: its feature package, or a handler module's family in a shared package.

    `functions.ingest.worker_logic` belongs to `ingest_worker` (handler `functions.ingest.worker`), the rest of
    `functions.ingest` to `ingest`; `functions.common` and `functions.system` belong to every function, so to none.
    """
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "functions" or parts[1] in _NOT_FEATURES:
        return None
    for name, spec in FUNCTIONS.items():
        handler_parts = spec.handler.split(".")[:-1]
        if (
            name != parts[1]
            and handler_parts[1] == parts[1]
            and len(parts) > 2
            and parts[2].startswith(handler_parts[2])
        ):
            return name
    return parts[1] if parts[1] in FUNCTIONS else None


def inferred_from_stack() -> str | None:
    """The function of the outermost frame running feature code: the entry point the test (or caller) went through."""
    found = None
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("functions."):
            found = function_of_module(module) or found
        frame = frame.f_back  # type: ignore[assignment]
    return found


def current_principal(*, infer: bool) -> str | None:
    """The block's function, else the process's, else (when `infer`) the stack's; None means unrestricted."""
    return _block.get() or _process or (inferred_from_stack() if infer else None)
