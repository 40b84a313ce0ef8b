"""Cache-stable read URLs (#17) in Debian's Chromium: reloading the gallery fetches no thumbnail from storage again.

What reached the network is read from Chromium itself (the DevTools protocol's `Network.responseReceived`, whose
`Network.requestServedFromCache` says the browser's cache answered it), not from timings.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.chromium import require_chromium
from tests.e2e.conftest import LocalServer, start_server
from tests.imagegen import png_bytes

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.local_only("drives the demo web app the local server serves, signing in through its token route"),
]

TIMEOUT_MS = 20_000
WINDOW = 86400  # one window for the whole test, unless it starts just before midnight UTC (then it waits)
COLOURS = ((200, 40, 40), (40, 160, 60), (40, 60, 200))

require_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    running = start_server(tmp_path_factory.mktemp("state"), READ_URL_WINDOW_SECONDS=str(WINDOW))
    yield running
    running.stop()


def _ready_gallery(local: LocalServer, user: str) -> list[dict[str, Any]]:
    """Upload one image per colour and wait until the gallery lists them all ready."""
    with local.client(user) as client:
        for index, colour in enumerate(COLOURS):
            uploaded = client.post(
                "/uploads", files={"file": (f"c{index}.png", png_bytes(96, 64, colour), "image/png")}
            )
            assert uploaded.status_code == 201, uploaded.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            items: list[dict[str, Any]] = client.get("/gallery").raise_for_status().json()["items"]
            if len(items) == len(COLOURS) and all(item["status"] == "ready" for item in items):
                return items
            time.sleep(0.3)
    pytest.fail("the thumbnails were not ready within 60 s")


def _storage_responses(page: Page, origin: str) -> list[dict[str, Any]]:
    """Every response Chromium reports for a thumbnail at the storage origin from now on, each marked `cached` when
    the browser's cache answered it (`Network.requestServedFromCache`, or `fromDiskCache`) instead of the network."""
    seen: list[dict[str, Any]] = []
    served_from_cache: set[str] = set()
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")

    def received(event: dict[str, Any]) -> None:
        response = event["response"]
        if response["url"].startswith(origin) and "/thumbs/" in urlsplit(response["url"]).path:
            cached = event["requestId"] in served_from_cache or bool(response.get("fromDiskCache"))
            seen.append({"url": response["url"], "status": response["status"], "cached": cached})

    session.on("Network.requestServedFromCache", lambda event: served_from_cache.add(event["requestId"]))
    session.on("Network.responseReceived", received)
    return seen


def _from_network(responses: list[dict[str, Any]]) -> list[str]:
    return [response["url"] for response in responses if not response["cached"]]


def _thumbnails_shown(page: Page) -> None:
    images = page.locator(".thumb img.loaded")
    expect(images).to_have_count(len(COLOURS))


def test_reloading_the_gallery_fetches_no_thumbnail_from_storage_again(
    local: LocalServer, browser: Browser, tmp_path: Path
) -> None:
    # Given a gallery of ready images, well inside one signing window
    seconds_left = WINDOW - int(datetime.now(UTC).timestamp()) % WINDOW
    if seconds_left < 120:
        time.sleep(seconds_left + 1)
    items = _ready_gallery(local, "carol")
    thumb = urlsplit(items[0]["thumbUrl"])
    origin = f"{thumb.scheme}://{thumb.netloc}"
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    responses = _storage_responses(page, origin)

    # When its owner opens the gallery, then reloads the page
    page.goto(f"http://127.0.0.1:{local.env['WEB_PORT']}/")
    page.get_by_label("User name").fill("carol")
    page.get_by_role("button", name="Sign in").click()
    _thumbnails_shown(page)
    first_load = _from_network(responses)
    responses.clear()
    time.sleep(1.1)  # past the second the first listing was signed in: without the window, every URL would differ
    page.reload()
    _thumbnails_shown(page)
    reload = list(responses)
    context.close()

    # Then the first load fetched every thumbnail from storage, and the reload showed them all from the cache
    assert len(first_load) == len(COLOURS), first_load
    assert _from_network(reload) == []
    # And each URL the reload used is one the first load fetched (the listing signed the same URLs again)
    assert len(reload) == len(COLOURS) and {response["url"] for response in reload} <= set(first_load)
    with httpx.Client() as client:  # the response carries the Cache-Control the URL asked for
        assert client.get(first_load[0]).headers["cache-control"].endswith("immutable")
