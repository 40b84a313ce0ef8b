"""A handler module's imports without the cyclic garbage collector, which only slows a cold start down."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def imports_without_gc() -> Iterator[None]:
    """Pause the cyclic GC while a handler loads its dependencies, then freeze what they built.

    Imports create ~100,000 long-lived objects (modules, classes, pydantic schemas); the collector would trace
    them over and over while they load (~60 ms of every cold start) and find almost no garbage (under 1,000
    objects). Frozen, they are left out of every later collection too, so no work is deferred to a request.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:  # the outermost block only: a nested one leaves it to the block it runs in
            gc.freeze()
            gc.enable()
