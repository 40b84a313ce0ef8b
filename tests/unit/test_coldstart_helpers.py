"""The cold-start helpers: the paused garbage collector and the idempotency layer built only when a key is sent."""

from __future__ import annotations

import gc
from typing import Any

from functions.common.coldstart import imports_without_gc
from functions.ingest.idempotency import PowertoolsIdempotency


def test_imports_without_gc_pauses_the_collector_and_restores_it() -> None:
    # Given the collector on
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()

    # When a block runs inside another one
    with imports_without_gc():
        inside_outer = gc.isenabled()
        with imports_without_gc():
            kept = [object() for _ in range(10)]
        after_inner = gc.isenabled()

    # Then the collector is off throughout, back on after the outer block only, with the objects frozen
    try:
        assert (inside_outer, after_inner, gc.isenabled()) == (False, False, True)
        assert gc.get_freeze_count() >= frozen_before and kept
    finally:
        gc.enable()


def test_imports_without_gc_leaves_a_disabled_collector_disabled() -> None:
    # Given a caller that turned the collector off itself
    gc.disable()
    try:
        # When a block runs
        with imports_without_gc():
            pass
        # Then it stays off
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_idempotency_store_is_only_built_when_a_key_is_used() -> None:
    # Given the ingest idempotency layer over a store factory that records its calls
    built: list[str] = []

    def persistence() -> Any:
        built.append("store")
        raise RuntimeError("not reached in this test")

    idempotency = PowertoolsIdempotency(persistence)

    # When an invocation registers its context (as every ingest invocation does) but sends no key
    idempotency.register_lambda_context(object())

    # Then the Powertools idempotency store was never built
    assert built == []
