"""Folders and share links in the demo web app, in Debian's Chromium: organise images in a folder, share it, and open
the link signed out in a fresh browser; a password share asks for its password before it shows anything."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.chromium import require_chromium
from tests.e2e.conftest import LocalServer, start_server
from tests.imagegen import png_bytes

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.local_only("drives the demo web app the local server serves, signing in through its token route"),
]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
TIMEOUT_MS = 20_000
ROBOTS = "noindex, nofollow, noimageindex"
PROMPT, MODEL = "a lighthouse at dusk, oil painting", "painter-v2"
METADATA: dict[str, Any] = {"prompt": PROMPT, "model": MODEL, "params": {"steps": 30}}

require_chromium()

from playwright.sync_api import Browser, Page, Request, expect  # noqa: E402

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    running = start_server(tmp_path_factory.mktemp("state"))
    yield running
    running.stop()


@pytest.fixture(scope="module", autouse=True)
def screenshots_folder() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def _web(local: LocalServer) -> str:
    return f"http://127.0.0.1:{local.env['WEB_PORT']}"


def _new_page(browser: Browser, **options: Any) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


def _signed_in(browser: Browser, local: LocalServer, user: str, page: Page | None = None) -> Page:
    """`user` signed in on the gallery, in a new browser context or (each tab has its own session) in `page`."""
    if page is None:
        page = _new_page(browser)
        # The share dialog's Copy button writes to the clipboard.
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=_web(local))
    page.goto(f"{_web(local)}/#/gallery")
    page.get_by_label("User name").fill(user)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("current-user")).to_have_text(user)
    return page


def _exif_jpeg(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    """A JPEG carrying a camera name and a GPS position, as phones write them."""
    exif = Image.Exif()
    exif[0x010F] = "LeakyCam"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    buffer = BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def _upload(local: LocalServer, user: str, files: dict[str, bytes], **metadata: Any) -> dict[str, str]:
    """Upload each file through the API (presigned POST) and wait until its thumbnail is made; name → asset id."""
    ids: dict[str, str] = {}
    with local.client(user) as client:
        for name, data in files.items():
            kind = "image/jpeg" if name.endswith(".jpg") else "image/png"
            body = {"contentType": kind, "size": len(data), "filename": name, **metadata}
            signed = client.post("/uploads/sign", json=body)
            assert signed.status_code == 201, signed.text
            slot = signed.json()["upload"]
            posted = httpx.post(slot["url"], data=slot["fields"], files={"file": (name, data, kind)})
            assert posted.status_code in (200, 201, 204), posted.text
            ids[name] = signed.json()["asset"]["id"]
        deadline = time.monotonic() + 60
        for name, asset_id in ids.items():
            while (status := client.get(f"/assets/{asset_id}").json()["status"]) != "ready":
                assert status != "failed" and time.monotonic() < deadline, f"{name} is {status}"
                time.sleep(0.2)
    return ids


def _open(page: Page, link: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()


def _card(page: Page, name: str) -> Any:
    return page.get_by_role("list", name="Assets").get_by_role("listitem", name=name, exact=True)


def _folder_link(page: Page, name: str) -> Any:
    return page.get_by_role("list", name="Folders").get_by_role("link", name=re.compile(f"^{re.escape(name)} "))


def _confirm(page: Page, action: str) -> None:
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=action).click()


def _move_dialog(page: Page, folder: str) -> None:
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Folder").select_option(label=folder)
    dialog.get_by_role("button", name="Move").click()
    expect(dialog).to_have_count(0)


def _create_link(page: Page, **options: Any) -> str:
    """Fill the open share dialog, create the link, copy it, and return what the clipboard holds."""
    dialog = page.get_by_role("dialog")
    if "title" in options:
        dialog.get_by_label("Title").fill(options["title"])
    if "password" in options:
        dialog.get_by_label("Password").fill(options["password"])
    if options.get("allow_download"):
        dialog.get_by_label("Allow downloads").check()
    if options.get("show_metadata"):
        dialog.get_by_label("Show metadata").check()
    page.screenshot(path=SCREENSHOTS / "share-dialog.png")
    dialog.get_by_role("button", name="Create link").click()
    link = dialog.get_by_label("Share link")
    expect(link).to_have_value(re.compile(r"/g/[A-Za-z0-9_-]{43}$"))
    dialog.get_by_role("button", name="Copy link").click()
    expect(dialog.get_by_role("status")).to_have_text("Copied")
    url = str(page.evaluate("navigator.clipboard.readText()"))
    assert url == link.input_value()
    page.screenshot(path=SCREENSHOTS / "share-link.png")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_have_count(0)
    return url


def _visit_signed_out(browser: Browser, url: str) -> tuple[Page, list[Request]]:
    """Open a share link in a fresh browser context (nothing stored), recording every request the page makes."""
    page = _new_page(browser, accept_downloads=True)
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert response.headers["x-robots-tag"] == ROBOTS
    assert response.headers["referrer-policy"] == "no-referrer"
    assert page.evaluate("sessionStorage.length") == 0
    return page, requests


def _expect_images_loaded(page: Page, count: int) -> None:
    grid = page.get_by_role("list", name="Shared images")
    expect(grid.get_by_role("listitem")).to_have_count(count)
    page.wait_for_function(
        "count => [...document.querySelectorAll('.thumb img')].filter(i => i.complete && i.naturalWidth > 0).length"
        " === count",
        arg=count,
        timeout=TIMEOUT_MS,
    )


def test_a_folder_made_in_the_app_and_shared_opens_signed_out_in_a_fresh_browser(
    browser: Browser, local: LocalServer
) -> None:
    # Given kim's three images and one more she keeps to herself
    files = {
        f"{name}.png": png_bytes(120, 80, color)
        for name, color in [
            ("dawn", (240, 120, 60)),
            ("noon", (60, 160, 240)),
            ("dusk", (150, 60, 200)),
            ("private", (20, 20, 20)),
        ]
    }
    ids = _upload(local, "kim", files)
    page = _signed_in(browser, local, "kim")
    expect(page.get_by_role("list", name="Assets").get_by_role("listitem")).to_have_count(4)

    # When she makes a folder in the sidebar
    page.get_by_role("button", name="New folder").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Folder name").fill("Holiday")
    dialog.get_by_role("button", name="Create").click()

    # Then it is listed, empty, and open
    expect(_folder_link(page, "Holiday")).to_contain_text("0")
    expect(page.get_by_role("heading", level=1)).to_have_text("Holiday")
    expect(page.get_by_text("This folder is empty")).to_be_visible()

    # When she moves one image into it from its card, and two more as a selection
    _open(page, "Gallery")
    page.get_by_role("button", name="Move dawn.png to a folder").click()
    _move_dialog(page, "Holiday")
    expect(_card(page, "dawn.png")).to_contain_text("In Holiday")
    page.get_by_role("checkbox", name="Select noon.png").check()
    page.get_by_role("checkbox", name="Select dusk.png").check()
    page.get_by_role("button", name="Move selected to folder").click()
    _move_dialog(page, "Holiday")
    results = page.get_by_role("list", name="Bulk results")
    expect(results).to_contain_text("noon.png: moved to Holiday")
    expect(results).to_contain_text("dusk.png: moved to Holiday")

    # Then the sidebar counts three, and the folder shows those three and not the fourth
    expect(_folder_link(page, "Holiday")).to_contain_text("3")
    _folder_link(page, "Holiday").click()
    folder_grid = page.get_by_role("list", name="Assets")
    expect(folder_grid.get_by_role("listitem")).to_have_count(3)
    expect(_card(page, "private.png")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "folder.png")

    # When she shares the folder, with a title
    page.get_by_role("button", name="Share folder").click()
    url = _create_link(page, title="Our holiday")

    # Then a stranger opening the link in a fresh browser sees the three images, and nothing that names them
    stranger, requests = _visit_signed_out(browser, url)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Our holiday")
    _expect_images_loaded(stranger, 3)
    stranger.screenshot(path=SCREENSHOTS / "share-public.png")
    html = stranger.content()
    for name in files:
        assert name not in html
    for asset_id in ids.values():
        assert asset_id not in html and all(asset_id not in request.url for request in requests)
    assert all("authorization" not in request.headers for request in requests)
    expect(stranger.get_by_role("link", name=re.compile("^Download"))).to_have_count(0)

    # When kim replaces the link with a new one on the Shares page
    _open(page, "Shares")
    share = page.get_by_role("list", name="Shares").get_by_role("listitem", name="Our holiday")
    expect(share).to_contain_text("Folder “Holiday”")
    share.get_by_role("button", name="New link for Our holiday").click()
    _confirm(page, "New link")
    new_url = page.get_by_role("dialog").get_by_label("Share link").input_value()
    page.get_by_role("dialog").get_by_role("button", name="Done").click()
    page.screenshot(path=SCREENSHOTS / "shares.png")

    # Then the old link shows nothing any more, and the new one shows the folder
    assert new_url != url and re.search(r"/g/[A-Za-z0-9_-]{43}$", new_url)
    stranger.reload()
    expect(stranger.get_by_text("This link is not available")).to_be_visible()
    stranger.goto(new_url)
    _expect_images_loaded(stranger, 3)

    # When she revokes it
    share.get_by_role("button", name="Revoke Our holiday").click()
    _confirm(page, "Revoke")
    expect(share).to_have_count(0)
    expect(page.get_by_text("No shares yet")).to_be_visible()

    # Then the stranger's reload finds nothing there
    stranger.reload()
    expect(stranger.get_by_text("This link is not available")).to_be_visible()
    expect(stranger.get_by_role("list", name="Shared images")).to_have_count(0)
    assert page.errors == [] and stranger.errors == []  # type: ignore[attr-defined]
    stranger.context.close()
    page.context.close()


def test_a_password_share_of_a_selection_shows_nothing_until_unlocked_then_downloads_without_gps(
    browser: Browser, local: LocalServer
) -> None:
    # Given lee's two photos, one of them with a camera name and a GPS position in its EXIF
    photo = _exif_jpeg(160, 120, (30, 120, 90))
    _upload(local, "lee", {"harbour.jpg": photo, "boats.png": png_bytes(90, 90, (200, 200, 40))}, **METADATA)
    page = _signed_in(browser, local, "lee")
    expect(page.get_by_role("list", name="Assets").get_by_role("listitem")).to_have_count(2)

    # When she selects both and shares them behind a password, downloads allowed
    page.get_by_role("checkbox", name="Select harbour.jpg").check()
    page.get_by_role("checkbox", name="Select boats.png").check()
    page.get_by_role("button", name="Share selected").click()
    url = _create_link(page, password="correct horse", allow_download=True)

    # Then the link, opened signed out, asks for the password and shows no image
    stranger, requests = _visit_signed_out(browser, url)
    expect(stranger.get_by_role("heading", name="This share is protected")).to_be_visible()
    expect(stranger.get_by_role("list", name="Shared images")).to_have_count(0)
    assert not [
        request.url for request in requests if request.resource_type == "image" and "icon.svg" not in request.url
    ]
    stranger.screenshot(path=SCREENSHOTS / "share-password.png")

    # When a wrong password is tried, the page says so and still shows nothing
    stranger.get_by_label("Password").fill("wrong horse")
    stranger.get_by_role("button", name="Unlock").click()
    expect(stranger.get_by_role("alert")).to_have_text("That password is not right.")
    expect(stranger.get_by_role("list", name="Shared images")).to_have_count(0)

    # When the right one is given, both images show
    stranger.get_by_label("Password").fill("correct horse")
    stranger.get_by_role("button", name="Unlock").click()
    _expect_images_loaded(stranger, 2)
    # (its access token lives in the page's memory only: nothing is stored, and a reload asks again)
    assert stranger.evaluate("sessionStorage.length + localStorage.length") == 0
    # And the share does not show metadata: neither the prompt nor the model is anywhere on the page
    assert PROMPT not in stranger.content() and MODEL not in stranger.content()
    pages = [r for r in requests if r.method == "GET" and "/public/shares/" in r.url and "/download" not in r.url]
    assert "x-share-access" not in pages[0].headers
    assert len(pages) >= 2 and all("x-share-access" in r.headers for r in pages[1:])

    # And a download saves the photo under a name that is not its filename, with no EXIF or GPS left in it
    downloads = stranger.get_by_role("link", name=re.compile("^Download"))
    expect(downloads).to_have_count(2)
    saved = []
    for index in range(2):
        with stranger.expect_download() as downloading:
            downloads.nth(index).click()
        saved.append(downloading.value)
    names = [download.suggested_filename for download in saved]
    assert not {"harbour.jpg", "boats.png"} & set(names), names
    jpeg = next(
        Path(download.path()).read_bytes() for download in saved if download.suggested_filename.endswith(".jpg")
    )
    assert Image.open(BytesIO(jpeg)).size == (160, 120)
    assert dict(Image.open(BytesIO(jpeg)).getexif()) == {}
    assert b"LeakyCam" not in jpeg
    assert page.errors == [] and stranger.errors == []  # type: ignore[attr-defined]
    stranger.context.close()
    page.context.close()


def test_deleting_a_folder_with_images_moves_them_out_after_asking(browser: Browser, local: LocalServer) -> None:
    # Given max's image in a folder of his
    _upload(local, "max", {"kept.png": png_bytes(70, 50, (90, 90, 200))})
    page = _signed_in(browser, local, "max")
    page.get_by_role("button", name="New folder").click()
    page.get_by_role("dialog").get_by_label("Folder name").fill("Old stuff")
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Old stuff")
    _open(page, "Gallery")
    page.get_by_role("button", name="Move kept.png to a folder").click()
    _move_dialog(page, "Old stuff")
    expect(_folder_link(page, "Old stuff")).to_contain_text("1")

    # When he renames it, then deletes it, confirming that its image moves out
    _folder_link(page, "Old stuff").click()
    page.get_by_role("group", name="Folder").get_by_role("button", name="Rename").click()
    page.get_by_role("dialog").get_by_label("Folder name").fill("Archive")
    page.get_by_role("dialog").get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Archive")
    expect(_folder_link(page, "Archive")).to_be_visible()
    page.get_by_role("button", name="Delete folder").click()
    expect(page.get_by_role("dialog")).to_contain_text("moved out of it")
    _confirm(page, "Move assets out and delete")

    # Then the folder is gone and the image is still in the gallery, in no folder
    expect(page.get_by_role("heading", level=1)).to_have_text("Gallery")
    expect(page.get_by_role("list", name="Folders")).to_have_count(0)
    expect(_card(page, "kept.png")).to_be_visible()
    expect(_card(page, "kept.png")).not_to_contain_text("In ")
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_a_move_made_in_another_tab_reaches_the_open_folder_and_its_count_live(
    browser: Browser, local: LocalServer
) -> None:
    # Given ned's image and his folder, open in one tab (live), with the gallery in a second tab
    _upload(local, "ned", {"moved.png": png_bytes(60, 60, (10, 160, 160))})
    folder_tab = _signed_in(browser, local, "ned")
    folder_tab.get_by_role("button", name="New folder").click()
    folder_tab.get_by_role("dialog").get_by_label("Folder name").fill("Inbox")
    folder_tab.get_by_role("dialog").get_by_role("button", name="Create").click()
    expect(folder_tab.get_by_text("This folder is empty")).to_be_visible()
    expect(folder_tab.locator("html")).to_have_attribute("data-live", "connected")
    folder_tab.evaluate("window.notReloaded = true")
    gallery_tab = _signed_in(browser, local, "ned", folder_tab.context.new_page())

    # When he moves the image into the folder in the gallery tab
    gallery_tab.get_by_role("button", name="Move moved.png to a folder").click()
    _move_dialog(gallery_tab, "Inbox")

    # Then the folder tab shows it and counts it, without a reload
    expect(_card(folder_tab, "moved.png")).to_be_visible()
    expect(_folder_link(folder_tab, "Inbox")).to_contain_text("1")
    assert folder_tab.evaluate("window.notReloaded") is True

    # And when he moves it out again there, it leaves the folder tab
    gallery_tab.get_by_role("button", name="Move moved.png to a folder").click()
    _move_dialog(gallery_tab, "No folder")
    expect(_card(folder_tab, "moved.png")).to_have_count(0)
    expect(_folder_link(folder_tab, "Inbox")).to_contain_text("0")
    assert folder_tab.errors == []  # type: ignore[attr-defined]
    folder_tab.context.close()


def test_a_share_that_shows_metadata_shows_each_images_prompt_model_and_parameters(
    browser: Browser, local: LocalServer
) -> None:
    # Given oda's generated image, with its prompt, model and parameters
    _upload(local, "oda", {"lighthouse.png": png_bytes(100, 70, (250, 200, 80))}, **METADATA)
    page = _signed_in(browser, local, "oda")

    # When she shares it with its metadata shown
    page.get_by_role("checkbox", name="Select lighthouse.png").check()
    page.get_by_role("button", name="Share selected").click()
    url = _create_link(page, show_metadata=True)

    # Then the public page shows them beside the image, still without its filename
    stranger, _ = _visit_signed_out(browser, url)
    _expect_images_loaded(stranger, 1)
    metadata = stranger.get_by_role("listitem", name="Image 1").locator("dl")
    expect(metadata).to_contain_text(PROMPT)
    expect(metadata).to_contain_text(MODEL)
    expect(metadata).to_contain_text('"steps":30')
    assert "lighthouse.png" not in stranger.content()
    stranger.screenshot(path=SCREENSHOTS / "share-metadata.png")
    assert page.errors == [] and stranger.errors == []  # type: ignore[attr-defined]
    stranger.context.close()
    page.context.close()
