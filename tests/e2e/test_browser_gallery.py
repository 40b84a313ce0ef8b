"""The demo web app driven the way a person uses it, in Debian's Chromium, against `python -m devserver`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from tests.e2e.chromium import require_chromium

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.local_only("drives the demo web app the local server serves, signing in through its token route"),
]

ROOT = Path(__file__).resolve().parents[2]
WEBAPP = ROOT / "webapp"
CLIENT_DIST = ROOT / "clients" / "typescript" / "dist"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
TIMEOUT_MS = 15_000

require_chromium()

from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect  # noqa: E402

# A loaded 2-core CI machine runs the server, the thumbnailer and Chromium at once: 5 s is not enough there.
expect.set_options(timeout=TIMEOUT_MS)

from functions.system import ROUTES  # noqa: E402
from tests.e2e.conftest import free_port  # noqa: E402
from tests.fetch_servers import LoopbackCa, LoopbackServer, make_ca, send_bytes  # noqa: E402

INGEST_AVAILABLE = any(route.method == "POST" and route.path == "/ingest" for route in ROUTES)


@dataclass(frozen=True)
class LocalServer:
    api: str
    web: str


@dataclass
class ImageSource:
    """An HTTPS image host on loopback (its own throwaway CA); `/held.png` waits until `release` is set."""

    ca: LoopbackCa
    server: LoopbackServer
    release: threading.Event

    def url(self, path: str) -> str:
        return f"https://localhost:{self.server.port}{path}"


def _png(size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def image_source() -> Iterator[ImageSource]:
    release = threading.Event()
    sunset = _png((480, 320), (250, 140, 60))

    def held(handler: BaseHTTPRequestHandler) -> None:
        release.wait(timeout=30)
        send_bytes(sunset, headers={"Content-Type": "image/png"})(handler)

    ca = make_ca(["localhost"])
    routes = {"/held.png": held, "/page.html": send_bytes(b"<html></html>", headers={"Content-Type": "text/html"})}
    source = ImageSource(ca=ca, server=LoopbackServer(ca, routes=routes).start(), release=release)
    yield source
    release.set()
    source.server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, image_source: ImageSource) -> Iterator[LocalServer]:
    """One local server per module, on free ports, with its state in a temporary folder."""
    api_port, web_port = free_port(), free_port()
    state = tmp_path_factory.mktemp("state")
    ca_file = state / "ingest-ca.pem"
    ca_file.write_bytes(image_source.ca.ca_pem)
    env = {
        **os.environ,
        "PORT": str(api_port),
        "WEB_PORT": str(web_port),
        "REALTIME_PORT": str(free_port()),
        "STATE_DIR": str(state),
        "PURGE_INTERVAL_SECONDS": "3600",
        "PYTHONUNBUFFERED": "1",
        # The local server's test-only address policy: ingest may reach our loopback image host.
        "DEV_INGEST_ALLOW_LOOPBACK": "1",
        "DEV_INGEST_CA_FILE": str(ca_file),
    }
    for key in ("AWS_ENDPOINT_URL", "ALLOWED_ORIGINS"):
        env.pop(key, None)
    log = (state / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "devserver"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    local = LocalServer(api=f"http://127.0.0.1:{api_port}", web=f"http://127.0.0.1:{web_port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the local server exited: {(state / 'server.log').read_text()[-3000:]}")
            try:
                if (
                    httpx.get(f"{local.api}/health", timeout=1).status_code == 200
                    and httpx.get(f"{local.web}/config.js", timeout=1).status_code == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the local server did not start: {(state / 'server.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield local
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real images of different shapes and formats, plus files the API must turn away."""
    folder = tmp_path_factory.mktemp("images")
    paths = {name: folder / name for name in ("red.png", "blue.jpg", "green.png", "violet.jpg", "notes.png")}
    Image.new("RGB", (640, 400), (220, 60, 60)).save(paths["red.png"])
    Image.new("RGB", (300, 500), (40, 90, 220)).save(paths["blue.jpg"], quality=90)
    Image.new("RGB", (400, 400), (40, 170, 90)).save(paths["green.png"])
    Image.new("RGB", (500, 300), (130, 60, 200)).save(paths["violet.jpg"], quality=90)
    paths["notes.png"].write_text("these are notes, not an image")
    paths["drawing.svg"] = folder / "drawing.svg"
    paths["drawing.svg"].write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    return paths


@pytest.fixture(scope="module", autouse=True)
def screenshots_folder() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def _new_page(browser: Browser, **options: object) -> Page:
    settings: dict[str, object] = {"viewport": {"width": 1280, "height": 860}, "accept_downloads": True, **options}
    context = browser.new_context(**settings)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


RECORD_UPLOAD_STATUSES = """() => {
    window.shownUploadStatuses = [];
    const record = () => {
        for (const status of document.querySelectorAll('[aria-label="Uploads"] [role="status"]')) {
            const shown = `${status.closest("li").getAttribute("aria-label")}: ${status.textContent}`;
            if (window.shownUploadStatuses.at(-1) !== shown) window.shownUploadStatuses.push(shown);
        }
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def _sign_in(page: Page, server: LocalServer, user: str, query: str = "") -> None:
    page.goto(f"{server.web}/{query}")
    page.get_by_label("User name").fill(user)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("current-user")).to_have_text(user)


def _upload(page: Page, *files: Path) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Create").click()
    page.get_by_label("Choose images").set_input_files([str(path) for path in files])


def _wait_ready(page: Page, name: str) -> None:
    expect(page.get_by_role("list", name="Uploads").get_by_role("listitem", name=name)).to_contain_text("ready")


def _card(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("listitem", name=name, exact=True)


def _expect_thumbnail(page: Page, name: str) -> None:
    """The card's thumbnail really loaded: the browser decoded it from the signed URL."""
    page.wait_for_function(
        "name => [...document.querySelectorAll('.thumb img')]"
        ".some(i => i.alt === name && i.complete && i.naturalWidth > 0)",
        arg=name,
        timeout=TIMEOUT_MS,
    )


def _data_transfer(page: Page, path: Path, mime: str):  # type: ignore[no-untyped-def]
    """A DataTransfer holding the file, as the browser builds one when a person drops it."""
    return page.evaluate_handle(
        """([name, bytes, mime]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name, { type: mime }));
            return transfer;
        }""",
        [path.name, list(path.read_bytes()), mime],
    )


def _open(page: Page, link: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()


def _confirm(page: Page, action: str) -> None:
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=action).click()


def test_upload_star_bulk_trash_restore_delete_and_empty(
    browser: Browser, server: LocalServer, images: dict[str, Path]
) -> None:
    # Given alice signed in, with a gallery page size of 1 so that the grid must scroll through the cursor
    page = _new_page(browser)
    _sign_in(page, server, "alice", "?pageSize=1")

    # When she uploads two images with the file picker (every status an upload row shows is recorded)
    page.evaluate(RECORD_UPLOAD_STATUSES)
    _upload(page, images["red.png"], images["blue.jpg"])

    # Then each upload shows its progress and ends ready, never going back to `pending` once its bytes are sent
    _wait_ready(page, "red.png")
    _wait_ready(page, "blue.jpg")
    shown = page.evaluate("window.shownUploadStatuses")
    assert "red.png: ready" in shown and "blue.jpg: ready" in shown
    assert not [status for status in shown if status.endswith(": pending")], shown
    progress = page.get_by_label("Upload progress for red.png")
    expect(progress).to_have_js_property("value", 1)
    page.screenshot(path=SCREENSHOTS / "create.png")
    _open(page, "Gallery")
    _expect_thumbnail(page, "red.png")
    _expect_thumbnail(page, "blue.jpg")
    expect(page.get_by_role("list", name="Assets").get_by_role("listitem")).to_have_count(2)
    expect(_card(page, "red.png")).to_contain_text("640×400")
    page.screenshot(path=SCREENSHOTS / "gallery.png")

    # When she downloads one, the browser saves the original bytes under its file name
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download red.png").click()
    download = downloading.value
    assert download.suggested_filename == "red.png"
    assert Path(download.path()).read_bytes() == images["red.png"].read_bytes()

    # When she opens the original, a new tab shows the stored original
    with page.context.expect_page() as opening:
        page.get_by_role("button", name="Open original of blue.jpg").click()
    original = opening.value
    original.wait_for_load_state()
    assert "originals/" in original.url
    original.close()

    # When she views blue.jpg, the viewer shows its preview (#17), a WebP at the original's size (it is smaller
    # than PREVIEW_SIZE), and never fetches the original until she asks for it
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(urlsplit(request.url).path))
    page.get_by_role("button", name="View blue.jpg").click()
    viewer = page.get_by_role("dialog", name="blue.jpg")
    image = viewer.locator("img.viewer-image")
    expect(image).to_have_js_property("naturalWidth", 300)
    assert "/thumbs/" in urlsplit(image.evaluate("i => i.currentSrc")).path
    assert not [path for path in fetched if "/originals/" in path], fetched
    # And the original is one click away
    viewer.get_by_role("button", name="Original").click()
    expect(image).to_have_js_property("naturalWidth", 300)
    expect(image).to_have_attribute("src", re.compile(r"/originals/"))
    assert [path for path in fetched if "/originals/" in path]
    viewer.get_by_role("button", name="Close").click()
    expect(viewer).to_have_count(0)

    # When she stars red.png and looks at the starred view
    star = page.get_by_role("button", name="Star red.png")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    page.get_by_role("group", name="View").get_by_role("button", name="Starred").click()

    # Then only red.png is there
    grid = page.get_by_role("list", name="Assets")
    expect(grid.get_by_role("listitem")).to_have_count(1)
    expect(_card(page, "red.png")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "gallery-starred.png")

    # When she selects both in the all view and moves them to the trash in one go
    page.get_by_role("group", name="View").get_by_role("button", name="All").click()
    expect(grid.get_by_role("listitem")).to_have_count(2)
    page.get_by_role("checkbox", name="Select red.png").check()
    page.get_by_role("checkbox", name="Select blue.jpg").check()
    expect(page.get_by_role("region", name="Selection")).to_contain_text("2 selected")
    page.screenshot(path=SCREENSHOTS / "gallery-selection.png")
    page.get_by_role("button", name="Move selected to trash").click()

    # Then each item reports its own outcome and the gallery is empty
    results = page.get_by_role("list", name="Bulk results")
    expect(results.get_by_role("listitem")).to_have_count(2)
    expect(results).to_contain_text("red.png: moved to trash")
    expect(results).to_contain_text("blue.jpg: moved to trash")
    expect(grid.get_by_role("listitem")).to_have_count(0)

    # When she opens the trash, both are there with the date they will be purged
    _open(page, "Trash")
    trash = page.get_by_role("list", name="Trash")
    expect(trash.get_by_role("listitem")).to_have_count(2)
    expect(_card(page, "red.png").locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT.*Z$"))
    page.screenshot(path=SCREENSHOTS / "trash.png")

    # When she restores blue.jpg, it leaves the trash and is back in the gallery
    page.get_by_role("button", name="Restore blue.jpg").click()
    expect(trash.get_by_role("listitem")).to_have_count(1)
    _open(page, "Gallery")
    expect(_card(page, "blue.jpg")).to_be_visible()
    expect(page.get_by_role("list", name="Assets").get_by_role("listitem")).to_have_count(1)

    # When she deletes red.png forever (confirming), it is gone from the trash
    _open(page, "Trash")
    page.get_by_role("button", name="Delete red.png forever").click()
    _confirm(page, "Delete forever")
    expect(page.get_by_role("list", name="Trash").get_by_role("listitem")).to_have_count(0)

    # When she trashes blue.jpg again and empties the trash (confirming)
    _open(page, "Gallery")
    page.get_by_role("button", name="Move blue.jpg to trash").click()
    expect(page.get_by_role("list", name="Assets").get_by_role("listitem")).to_have_count(0)
    _open(page, "Trash")
    expect(page.get_by_role("list", name="Trash").get_by_role("listitem")).to_have_count(1)
    page.get_by_role("button", name="Empty trash").click()
    _confirm(page, "Empty trash")

    # Then the trash is empty, the app says how many were deleted, and nothing comes back after a reload
    expect(page.get_by_role("status").filter(has_text="Trash emptied")).to_contain_text("1 item")
    expect(page.get_by_text("The trash is empty")).to_be_visible()
    page.reload()
    expect(page.get_by_text("The trash is empty")).to_be_visible()
    _open(page, "Gallery")
    expect(page.get_by_text("No images yet")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_two_users_in_two_browsers_never_see_each_others_images(
    browser: Browser, server: LocalServer, images: dict[str, Path]
) -> None:
    # Given bob and carol, each signed in in a browser context of their own
    bob, carol = _new_page(browser), _new_page(browser)
    _sign_in(bob, server, "bob")
    _sign_in(carol, server, "carol")

    # When each uploads an image, bob with the picker and carol by dropping the file on the drop zone
    _upload(bob, images["green.png"])
    _open(carol, "Create")
    carol.locator(".dropzone").dispatch_event(
        "drop", {"dataTransfer": _data_transfer(carol, images["violet.jpg"], "image/jpeg")}
    )
    _wait_ready(bob, "green.png")
    _wait_ready(carol, "violet.jpg")

    # Then each gallery shows only its owner's image
    for page, mine, theirs in ((bob, "green.png", "violet.jpg"), (carol, "violet.jpg", "green.png")):
        _open(page, "Gallery")
        _expect_thumbnail(page, mine)
        grid = page.get_by_role("list", name="Assets")
        expect(grid.get_by_role("listitem")).to_have_count(1)
        expect(_card(page, theirs)).to_have_count(0)
    carol.screenshot(path=SCREENSHOTS / "gallery-second-user.png")
    bob.context.close()
    carol.context.close()


def test_expired_thumbnail_urls_are_signed_again(
    browser: Browser, server: LocalServer, images: dict[str, Path]
) -> None:
    # Given dave has an image, and every thumbnail URL first answers 403 like an expired signature
    page = _new_page(browser)
    _sign_in(page, server, "dave")
    _upload(page, images["green.png"])
    _wait_ready(page, "green.png")
    refused: list[str] = []

    def expire_first_signature(route):  # type: ignore[no-untyped-def]
        if not refused:
            refused.append(route.request.url)
            route.fulfill(
                status=403, body="<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            )
        else:
            route.continue_()

    page.route(re.compile(r".*/thumbs/.*"), expire_first_signature)

    # When the gallery shows it
    with page.expect_request(re.compile(r".*/assets/sign-read$")) as signing:
        _open(page, "Gallery")

    # Then the app asked for a fresh thumbnail URL and the image loads instead of staying broken
    assert '"variant":"thumb"' in (signing.value.post_data or "")
    _expect_thumbnail(page, "green.png")
    assert len(refused) == 1
    page.context.close()


def test_failures_and_refusals_are_shown_with_their_reasons(
    browser: Browser, server: LocalServer, images: dict[str, Path]
) -> None:
    # Given erin signed in
    page = _new_page(browser)
    _sign_in(page, server, "erin")

    # When she picks an SVG, which the API refuses before any upload
    _upload(page, images["drawing.svg"])

    # Then the API's problem+json detail is shown as a readable message
    alert = page.get_by_role("alert").filter(has_text="Uploading drawing.svg")
    expect(alert).to_contain_text("must be one of image/jpeg")
    expect(alert).to_contain_text("validation_error")

    # When she uploads a file named .png that is not an image
    _upload(page, images["notes.png"])

    # Then the upload ends failed with the reason, and the gallery card says why and offers a retry
    uploads = page.get_by_role("list", name="Uploads")
    expect(uploads.get_by_role("listitem", name="notes.png")).to_contain_text("failed:")
    _open(page, "Gallery")
    card = _card(page, "notes.png")
    expect(card.locator(".card-error")).to_contain_text("Failed:")
    page.screenshot(path=SCREENSHOTS / "gallery-failed.png")

    # When she retries it, the thumbnail is asked for again and, the bytes being no image, it fails again
    with page.expect_response(re.compile(r".*/assets/[^/]+/reprocess$")) as retrying:
        page.get_by_role("button", name="Retry notes.png").click()
    assert retrying.value.status == 202
    expect(card.locator(".card-error")).to_contain_text("Failed:")
    expect(page.get_by_role("alert").filter(has_text="Retrying")).to_have_count(0)
    page.context.close()


@pytest.mark.skipif(not INGEST_AVAILABLE, reason="POST /ingest is not in functions/system.py ROUTES yet")
def test_ingest_shows_ingesting_until_ready_or_failed_with_the_reason(
    browser: Browser, server: LocalServer, image_source: ImageSource
) -> None:
    # Given gina signed in on Create, and an image host that holds its answer until released
    page = _new_page(browser)
    _sign_in(page, server, "gina")
    _open(page, "Create")
    ingests = page.get_by_role("list", name="Ingests")
    held_url = image_source.url("/held.png")

    # When she ingests the held image's URL
    page.get_by_label("Image URL").fill(held_url)
    page.get_by_role("button", name="Ingest").click()

    # Then it shows `ingesting` while the source has not answered
    row = ingests.get_by_role("listitem", name=held_url)
    expect(row.get_by_role("status")).to_have_text("ingesting")
    page.screenshot(path=SCREENSHOTS / "create-ingesting.png")

    # When the source answers, Then it becomes ready and its thumbnail is in the gallery
    image_source.release.set()
    expect(row.get_by_role("status")).to_have_text("ready", timeout=30_000)

    # When she ingests a URL that is not an image, Then the row ends failed with the reason
    page_url = image_source.url("/page.html")
    page.get_by_label("Image URL").fill(page_url)
    page.get_by_role("button", name="Ingest").click()
    failed = ingests.get_by_role("listitem", name=page_url)
    expect(failed.get_by_role("status")).to_contain_text("failed:", timeout=30_000)
    page.screenshot(path=SCREENSHOTS / "create-ingest.png")
    _open(page, "Gallery")
    _expect_thumbnail(page, "held.png")
    page.screenshot(path=SCREENSHOTS / "gallery-ingested.png")

    # When she filters by asset type, Then ingested references show under Reference and not under Uploaded
    page.get_by_label("Asset type").select_option("uploaded")
    expect(page.get_by_text("No images yet")).to_be_visible()
    page.get_by_label("Asset type").select_option("reference")
    expect(_card(page, "held.png")).to_be_visible()
    page.get_by_label("Asset type").select_option("")
    page.context.close()


def test_sidebar_collapses_behind_a_menu_on_narrow_screens(browser: Browser, server: LocalServer) -> None:
    # Given a phone-sized window
    page = _new_page(browser, viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    _sign_in(page, server, "frank")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Trash")
    menu = page.get_by_role("button", name="Menu")

    # Then the sidebar is out of view until the menu opens it
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav_link).not_to_be_in_viewport()
    expect(page.get_by_text("No images yet")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "mobile-gallery.png")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav_link).to_be_in_viewport()
    page.screenshot(path=SCREENSHOTS / "mobile-menu.png")

    # When a page is picked, the menu closes and that page shows
    nav_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trash")
    expect(menu).to_have_attribute("aria-expanded", "false")
    page.context.close()


def test_every_module_of_the_web_app_loads_from_the_entry_without_errors(browser: Browser, server: LocalServer) -> None:
    # Given a fresh browser recording every script it fetches and every error the page logs
    page = _new_page(browser)
    scripts: dict[str, Response] = {}
    console_errors: list[str] = []

    def record_script(response: Response) -> None:
        if response.request.resource_type == "script":
            scripts[urlsplit(response.url).path] = response

    def record_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    page.on("response", record_script)
    page.on("console", record_error)

    # When the app opens (module scripts have all been fetched and run once the page has loaded)
    page.goto(server.web)

    # Then nothing failed to load or run, every module under webapp/ was imported from index.html's entry along with
    # the generated config.js, each served as fresh JavaScript, and the app shows its sign-in form
    assert console_errors == []
    assert page.errors == []  # type: ignore[attr-defined]
    modules = {"/" + path.relative_to(WEBAPP).as_posix() for path in WEBAPP.rglob("*.js")}
    assert sorted(modules - set(scripts)) == [], "modules not imported from the entry"
    # The TypeScript client's committed build (clients/typescript/dist) is served under /client/, no build step
    client = {"/client/" + path.relative_to(CLIENT_DIST).as_posix() for path in CLIENT_DIST.glob("*.js")}
    assert set(scripts) - modules == {"/config.js"} | (client - {"/client/schema.js"})
    for path, response in scripts.items():
        assert response.status == 200, path
        assert response.headers["content-type"] == "text/javascript; charset=utf-8", path
        assert response.headers["cache-control"] == "no-cache", path
    expect(page.get_by_label("User name")).to_be_visible()
    page.context.close()
