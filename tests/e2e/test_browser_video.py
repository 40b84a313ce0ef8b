"""Videos in the demo web app, in Debian's Chromium against the local server: a video tile with its poster and
duration that plays in the viewer, the kind filter, and large files through the multipart routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.chromium import require_chromium
from tests.e2e.conftest import LocalServer, start_server

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.local_only("drives the demo web app the local server serves, signing in through its token route"),
]

# A 2-core machine runs the server, the video function (PyAV) and Chromium at once.
TIMEOUT_MS = 30_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"

require_chromium()

from playwright.sync_api import Browser, Page, Request, Response, expect  # noqa: E402

from tests.videogen import video  # noqa: E402

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    running = start_server(tmp_path_factory.mktemp("state"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small H.264 MP4 (index first, as browsers like it) lasting two seconds: its duration badge reads 0:02."""
    path = tmp_path_factory.mktemp("videos") / "clip.mp4"
    path.write_bytes(video("mp4", faststart=True, seconds=2.0))
    return path


def _page(
    browser: Browser,
    local: LocalServer,
    user: str,
    query: str = "",
    *,
    where: str = "create",
    beside: Page | None = None,
) -> Page:
    """`user` signed in on `where`, at the app's address with `query`, once the live connection is up; `beside`: in
    another tab of that page's browser."""
    if beside is None:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.set_default_timeout(TIMEOUT_MS)
    else:
        context = beside.context
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(f"http://127.0.0.1:{local.env['WEB_PORT']}/{query}#/{where}")
    page.get_by_label("User name").fill(user)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("current-user")).to_have_text(user)
    expect(page.locator("html")).to_have_attribute("data-live", "connected")
    return page


def _upload(page: Page, path: Path) -> Any:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Create").click()
    page.get_by_label("Choose images").set_input_files(str(path))
    return page.get_by_role("list", name="Uploads").get_by_role("listitem", name=path.name)


def _card(page: Page, name: str) -> Any:
    return page.get_by_role("list", name="Assets").get_by_role("listitem", name=name, exact=True)


def test_an_uploaded_mp4_becomes_a_video_tile_that_plays_from_storage(
    browser: Browser, local: LocalServer, clip: Path
) -> None:
    # Given rita on Create in one tab and her (empty) gallery live in another, a mark there that a reload would wipe,
    # and every answer storage gives that tab for a video recorded
    creating = _page(browser, local, "rita")
    page = _page(browser, local, "rita", where="gallery", beside=creating)
    expect(page.get_by_text("No images yet")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    media: list[Response] = []
    page.on("response", lambda response: media.append(response) if "/videos/" in response.url else None)

    # When she uploads a small MP4 with the file picker
    row = _upload(creating, clip)

    # Then it ends ready, and the open gallery's tile becomes a video tile with no reload (live events): its poster
    # decoded, a play mark, its duration
    expect(row).to_contain_text("ready")
    card = _card(page, clip.name)
    expect(card.locator(".duration")).to_have_text(re.compile(r"^0:0[12]$"))
    expect(card.locator(".play-mark")).to_have_count(1)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.thumb img')].some(i => i.alt === 'clip.mp4' && i.naturalWidth > 0)"
    )
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=SCREENSHOTS / "gallery-video.png")

    # When she keeps to videos, then to images, with the kind filter
    kinds = page.get_by_role("group", name="Kind")
    kinds.get_by_role("button", name="Videos").click()

    # Then the tile is there for videos, the type filter is off meanwhile (the API takes one or the other), and
    # images have none
    expect(card).to_be_visible()
    expect(page.get_by_label("Asset type")).to_be_disabled()
    kinds.get_by_role("button", name="Images").click()
    expect(page.get_by_text("No images yet")).to_be_visible()
    kinds.get_by_role("button", name="All", exact=True).click()
    page.get_by_label("Asset type").select_option("uploaded")
    expect(kinds.get_by_role("button", name="Videos")).to_be_disabled()
    page.get_by_label("Asset type").select_option("")

    # When she opens the tile
    page.get_by_role("button", name=f"Play {clip.name}").click()

    # Then the viewer plays it in a <video> element from its presigned GET: its metadata loads from the local S3,
    # which answered the browser's range requests with 206
    viewer = page.get_by_role("dialog", name=clip.name)
    video = viewer.locator("video")
    expect(video).to_have_attribute("src", re.compile(r"/videos/"))
    expect(video).to_have_attribute("poster", re.compile(r"/thumbs/"))
    video.evaluate(
        """v => new Promise((resolve, reject) => {
            if (v.readyState >= 1) resolve();
            v.addEventListener("loadedmetadata", resolve, { once: true });
            const failed = () => reject(new Error(`media error ${v.error && v.error.code}`));
            v.addEventListener("error", failed, { once: true });
        })"""
    )
    assert video.evaluate("v => v.readyState") >= 1
    assert video.evaluate("v => Math.round(v.duration)") in (1, 2)
    assert any(response.status == 206 for response in media), [(r.status, r.url[:80]) for r in media]
    page.screenshot(path=SCREENSHOTS / "viewer-video.png")
    viewer.get_by_role("button", name="Close").click()
    expect(viewer).to_have_count(0)
    assert page.errors == [] and creating.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_a_file_over_the_threshold_goes_through_the_multipart_routes(
    browser: Browser, local: LocalServer, clip: Path
) -> None:
    # Given sam on a page whose multipart threshold is 1 byte (the page's query), every request recorded
    page = _page(browser, local, "sam", "?multipartAbove=1")
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))

    # When he uploads the MP4
    row = _upload(page, clip)

    # Then it ends ready, having gone through the multipart routes (start, part URLs, the part's PUT, complete) and
    # never through the presigned POST
    expect(row).to_contain_text("ready")
    expect(page.get_by_label(f"Upload progress for {clip.name}")).to_have_js_property("value", 1)
    seen = [(request.method, re.sub(r"\?.*", "", request.url)) for request in requests]
    api = [(method, url.split("/uploads/", 1)[1]) for method, url in seen if "/uploads/" in url]
    assert api[0] == ("POST", "multipart")
    assert ("POST", "multipart") in api and any(re.fullmatch(r"multipart/[0-9A-Z]{26}/parts", u) for _, u in api)
    assert any(re.fullmatch(r"multipart/[0-9A-Z]{26}/complete", u) for m, u in api if m == "POST")
    assert not [entry for entry in api if entry[1] == "sign"]
    assert [url for method, url in seen if method == "PUT" and "/videos/" in url]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Gallery").click()
    expect(_card(page, clip.name).locator(".duration")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_cancelling_a_multipart_upload_aborts_it_on_the_server(
    browser: Browser, local: LocalServer, clip: Path
) -> None:
    # Given tess on a page whose multipart threshold is 1 byte, with storage never answering a part's PUT
    page = _page(browser, local, "tess", "?multipartAbove=1")
    page.route(re.compile(r".*/videos/.*partNumber=.*"), lambda route: None)

    # When she uploads the MP4 and cancels while its part is on its way
    with page.expect_request(lambda r: r.method == "PUT" and "/videos/" in r.url):
        row = _upload(page, clip)
    cancel = row.get_by_role("button", name=f"Cancel upload of {clip.name}")
    with page.expect_request(lambda r: r.method == "DELETE" and "/uploads/multipart/" in r.url) as aborting:
        cancel.click()

    # Then the app aborted the upload (the server answers 204: the pending asset is gone), and the row says so
    answered = aborting.value.response()
    assert answered is not None and answered.status == 204
    asset_id = aborting.value.url.rsplit("/", 1)[1]
    with local.client("tess") as tess:
        assert tess.get(f"/assets/{asset_id}").status_code == 404
    expect(row.get_by_role("status")).to_have_text("cancelled")
    expect(cancel).to_have_count(0)
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()
