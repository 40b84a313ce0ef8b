"""Every function wires its own collaborators one way, and its handler runs on whatever was injected."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions import system
from functions.common.clock import fixed_clock
from functions.common.models import Asset
from functions.common.settings import PurgeSettings, load_settings
from functions.common.wiring import Collaborators
from tests.api_events import FakeContext, http_event
from tests.builders import new_asset, new_gallery
from tests.fakes import MemoryAssets, MemoryStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
# The docs function serves a written document: it has no collaborators to wire.
WIRED = sorted(set(system.FUNCTIONS) - {"docs"})


def wiring_module(function: str) -> str:
    """`functions.x.handler` is wired by `functions.x.wiring`, `functions.x.worker` by `functions.x.worker_wiring`."""
    module = system.FUNCTIONS[function].handler.rpartition(".")[0]
    package, _, name = module.rpartition(".")
    return f"{package}.wiring" if name == "handler" else f"{package}.{name}_wiring"


def asset(n: int, **fields: Any) -> Asset:
    moment = NOW - timedelta(days=40) + timedelta(seconds=n)
    return new_asset(asset_id=f"01{n:024d}", created_at=moment, **fields)


@pytest.fixture
def injected() -> Iterator[list[Collaborators[Any]]]:
    """The wirings a test injects into; each builds from its settings again afterwards."""
    used: list[Collaborators[Any]] = []
    yield used
    for collaborators in used:
        collaborators.reset()


def test_collaborators_are_built_on_first_use_then_kept_until_reset() -> None:
    # Given a wiring whose build counts its calls
    built: list[int] = []

    def build() -> int:
        built.append(len(built))
        return len(built)

    collaborators = Collaborators(build)

    # When it is asked three times, reset, and asked again
    first, second = collaborators(), collaborators()
    collaborators.reset()
    third = collaborators()

    # Then it built once per life, and nothing at all before the first use
    assert (first, second, third) == (1, 1, 2)
    assert built == [0, 1]


def test_injected_collaborators_serve_until_reset() -> None:
    # Given a wiring, and collaborators a test made
    collaborators = Collaborators(lambda: "from settings")

    # When the test injects its own
    collaborators.use("injected")

    # Then they serve every call, and a reset goes back to the settings
    assert collaborators() == collaborators() == "injected"
    collaborators.reset()
    assert collaborators() == "from settings"


@pytest.mark.parametrize("function", WIRED)
def test_every_function_has_one_wiring_module_of_the_same_shape(function: str) -> None:
    # Given the function's wiring module and its handler module
    wiring = importlib.import_module(wiring_module(function))
    handler = importlib.import_module(system.FUNCTIONS[function].handler.rpartition(".")[0])

    # Then it builds from settings (all defaults) and holds the one Collaborators its handler reads
    assert isinstance(wiring.collaborators, Collaborators)
    assert all(
        parameter.default is not parameter.empty for parameter in inspect.signature(wiring.build).parameters.values()
    )
    imported = {
        f"{node.module}.{alias.name}" if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(inspect.getsource(handler)))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert wiring.__name__ in imported


def test_the_purge_handler_runs_on_injected_collaborators_as_of_their_clock(
    injected: list[Collaborators[Any]],
) -> None:
    # Given the purge's collaborators in memory: one asset trashed 31 days before their clock, one trashed today
    from functions.purge import handler, wiring
    from functions.purge.logic import Purger

    expired, recent = asset(1, trashed_at=NOW - timedelta(days=31)), asset(2, trashed_at=NOW)
    repository, store = MemoryAssets(expired, recent), MemoryStore()
    settings = load_settings(PurgeSettings, {"ASSET_TABLE_NAME": "t", "MEDIA_BUCKET_NAME": "b"})
    wiring.collaborators.use(Purger(repository=repository, store=store, clock=fixed_clock(NOW), settings=settings))
    injected.append(wiring.collaborators)

    # When EventBridge invokes the handler with an event that carries no time
    result = handler.handler({"detail-type": "Scheduled Event", "source": "aws.events"}, FakeContext())

    # Then it purged the expired asset only, through the injected table
    assert (result["examined"], result["purged"], result["failed"]) == (1, 1, 0)
    assert set(repository.items) == {("alice", recent.id)}


def test_an_api_handler_answers_from_injected_collaborators(injected: list[Collaborators[Any]]) -> None:
    # Given the gallery's collaborators in memory, holding one asset
    from functions.gallery import handler, wiring

    stored = asset(3)
    gallery = new_gallery(MemoryAssets(stored), MemoryStore(), fixed_clock(NOW), cursor_key=b"s" * 32)
    wiring.collaborators.use(gallery)
    injected.append(wiring.collaborators)

    # When the handler gets a request for it
    context: Any = FakeContext()
    response = handler.handler(http_event("GET", f"/assets/{stored.id}"), context)

    # Then the answer came from the injected table
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["id"] == stored.id
