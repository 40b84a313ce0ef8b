"""How every function gets its collaborators: built once from its settings, or injected by tests and the local server.

Each function's package has a `wiring` module with `build(settings=None)` and `collaborators = Collaborators(build)`;
its handler calls `collaborators()` on every event. Nothing here knows a feature package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from functions.common.clock import utc_now
from functions.common.repository import AssetRepository
from functions.common.settings import ApiSettings, BaseSettings
from functions.common.storage import ObjectStore

T = TypeVar("T")


def read_url_window(settings: BaseSettings) -> int:
    """The API functions' read URLs are cache-stable for a window; the event functions sign none."""
    return settings.read_url_window_seconds if isinstance(settings, ApiSettings) else 0


def data_access(settings: BaseSettings) -> dict[str, Any]:
    """The collaborators every function works with: the asset table, the media bucket and the clock."""
    return {
        "repository": AssetRepository(settings.asset_table_name),
        "store": ObjectStore(settings.media_bucket_name, read_url_window_seconds=read_url_window(settings)),
        "clock": utc_now,
    }


class Collaborators(Generic[T]):
    """One function's collaborators, built on its first event (an import stays cheap) and kept while it lives."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._current: T | None = None

    def __call__(self) -> T:
        if self._current is None:
            self._current = self._build()
        return self._current

    def use(self, collaborators: T) -> None:
        """Run the handler with these from now on (a test's fakes, the local server's own network policy)."""
        self._current = collaborators

    def reset(self) -> None:
        """Build afresh from the settings on the next event (a test inside a new moto, with a new environment)."""
        self._current = None
