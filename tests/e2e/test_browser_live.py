"""The demo web app's live connection in Debian's Chromium: tiles change as their assets do, with no reload and no
polling while the WebSocket is up."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
# An asset's own route, which the app polls while it is not connected (not /gallery, /assets/bulk or /sign-read).
ASSET_ROUTE = re.compile(r"/assets/[0-9A-Z]{26}$")

require_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    running = start_server(tmp_path_factory.mktemp("state"))
    yield running
    running.stop()


def _web(local: LocalServer) -> str:
    return f"http://127.0.0.1:{local.env['WEB_PORT']}"


def _signed_in(page: Page, local: LocalServer, user: str) -> Page:
    """`user` signed in on the gallery, once the app says its live connection is up."""
    page.goto(f"{_web(local)}/#/gallery")
    page.get_by_label("User name").fill(user)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("current-user")).to_have_text(user)
    expect(page.locator("html")).to_have_attribute("data-live", "connected")
    expect(page.get_by_role("status", name="Live updates")).to_have_text("Live")
    return page


def _new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(TIMEOUT_MS)
    return _recording_errors(context.new_page())


def _recording_errors(page: Page) -> Page:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


def _card(page: Page, name: str) -> Any:
    return page.get_by_role("list", name="Assets").get_by_role("listitem", name=name, exact=True)


def _sign(client: httpx.Client, data: bytes, filename: str) -> dict[str, Any]:
    signed = client.post("/uploads/sign", json={"contentType": "image/png", "size": len(data), "filename": filename})
    assert signed.status_code == 201, signed.text
    return dict(signed.json())


def _send(signed: dict[str, Any], data: bytes, filename: str) -> None:
    slot = signed["upload"]
    posted = httpx.post(slot["url"], data=slot["fields"], files={"file": (filename, data, "image/png")})
    assert posted.status_code in (200, 201, 204), posted.text


def test_a_tile_appears_processing_and_turns_ready_with_no_reload_and_no_polling(
    browser: Browser, local: LocalServer
) -> None:
    # Given judy's gallery open and live, every request of the page recorded, and a mark that a reload would wipe
    page = _signed_in(_new_page(browser), local, "judy")
    expect(page.get_by_text("No images yet")).to_be_visible()
    asset_requests: list[str] = []
    page.on("request", lambda request: asset_requests.append(request.url) if ASSET_ROUTE.search(request.url) else None)
    page.evaluate("window.notReloaded = true")
    data = png_bytes(96, 64, (30, 140, 200))
    with local.client("judy") as judy:
        # When an upload of hers is signed elsewhere (another device: the API directly)
        signed = _sign(judy, data, "sky.png")
        # Then its tile appears in the open gallery, still processing
        card = _card(page, "sky.png")
        expect(card).to_be_visible()
        expect(card.locator(".badge")).to_be_visible()
        # When its bytes arrive and the thumbnail is made
        _send(signed, data, "sky.png")
    # Then the same tile turns ready, with its thumbnail, without a reload
    expect(card.locator(".badge")).to_have_count(0)
    expect(card).to_contain_text("96×64")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.thumb img')].some(i => i.alt === 'sky.png' && i.naturalWidth > 0)"
    )
    assert page.evaluate("window.notReloaded") is True
    # And the app never polled the asset: the WebSocket told it everything
    assert asset_requests == []
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_an_asset_trashed_in_another_tab_leaves_the_first(browser: Browser, local: LocalServer) -> None:
    # Given mallory's image, and her gallery open in two tabs, both live
    data = png_bytes(40, 40, (200, 200, 40))
    with local.client("mallory") as mallory:
        signed = _sign(mallory, data, "sun.png")
        _send(signed, data, "sun.png")
    first = _signed_in(_new_page(browser), local, "mallory")
    second = _signed_in(_recording_errors(first.context.new_page()), local, "mallory")
    expect(_card(first, "sun.png")).to_be_visible()
    first.evaluate("window.notReloaded = true")
    # When she moves it to the trash in the second tab
    second.get_by_role("button", name="Move sun.png to trash").click()
    expect(_card(second, "sun.png")).to_have_count(0)
    # Then it disappears from the first tab too, without a reload
    expect(_card(first, "sun.png")).to_have_count(0)
    assert first.evaluate("window.notReloaded") is True
    # And when she restores it from the first tab's trash, the second tab's gallery shows it again
    first.get_by_role("navigation", name="Main").get_by_role("link", name="Trash").click()
    first.get_by_role("button", name="Restore sun.png").click()
    expect(_card(second, "sun.png")).to_be_visible()
    assert first.errors == [] and second.errors == []  # type: ignore[attr-defined]
    first.context.close()


@pytest.fixture
def short_lived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A local server whose WebSocket connections last 3 s (API Gateway's 2 hours, shortened)."""
    running = start_server(tmp_path_factory.mktemp("short-lived"), REALTIME_MAX_SECONDS="3")
    yield running
    running.stop()


def test_the_app_reconnects_when_its_connection_ends_and_refetches_the_first_page(
    browser: Browser, short_lived: LocalServer
) -> None:
    # Given oscar's gallery open and live
    page = _signed_in(_new_page(browser), short_lived, "oscar")
    # When the WebSocket API closes the connection at its lifetime limit, then the app opens a new one and refetches
    # the first page, since events sent meanwhile would be lost
    with (
        page.expect_request(lambda request: "/gallery?" in request.url, timeout=TIMEOUT_MS) as refetched,
        page.expect_websocket(timeout=TIMEOUT_MS) as reopened,
    ):
        pass
    assert "ticket=" in reopened.value.url
    assert refetched.value.method == "GET"
    expect(page.locator("html")).to_have_attribute("data-live", "connected")
    # And the new connection carries events: a new asset of his shows up
    with short_lived.client("oscar") as oscar:
        _sign(oscar, png_bytes(8, 8), "after.png")
    expect(_card(page, "after.png")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_an_upload_whose_answers_come_after_its_ready_event_still_ends_ready(
    browser: Browser, local: LocalServer, tmp_path: Path
) -> None:
    # Given peggy live on Create, and the answer to her upload's sign request held back until the asset is ready:
    # meanwhile the bytes go to storage (sent here, as the page would) and the `ready` event reaches the page
    page = _signed_in(_new_page(browser), local, "peggy")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Create").click()
    image = tmp_path / "late.png"
    image.write_bytes(png_bytes(64, 64, (90, 20, 160)))

    def sign_late(route: Any) -> None:
        answer = route.fetch()
        signed = answer.json()
        _send(signed, image.read_bytes(), "late.png")
        with local.client("peggy") as peggy:
            deadline = time.monotonic() + 30
            while peggy.get(f"/assets/{signed['asset']['id']}").json()["status"] != "ready":
                assert time.monotonic() < deadline, "the upload never became ready"
                time.sleep(0.2)
        time.sleep(1.0)  # the `ready` event's way to the page
        # The page's own POST of the bytes then goes nowhere (they are stored already).
        signed["upload"] = {**signed["upload"], "url": f"{local.url}/__already-stored"}
        route.fulfill(response=answer, json=signed)

    page.route(re.compile(r".*/uploads/sign$"), sign_late)
    page.route(
        re.compile(r".*/__already-stored$"),
        lambda route: route.fulfill(status=204, headers={"Access-Control-Allow-Origin": "*"}),
    )
    # When she uploads it (the sign answer, still `pending`, is applied after the `ready` event)
    page.get_by_label("Choose images").set_input_files(str(image))
    # Then the row ends ready all the same: an older state never replaces a newer one
    row = page.get_by_role("list", name="Uploads").get_by_role("listitem", name="late.png")
    expect(row).to_contain_text("ready")
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()
