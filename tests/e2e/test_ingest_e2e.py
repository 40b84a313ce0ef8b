"""A direct upload, and an ingest fetched by the worker (locally through the Invoke API, from a loopback HTTPS host;
on a deployed stack from the public image `E2E_INGEST_URL` names)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.e2e.conftest import TARGET
from tests.e2e.targets import INGEST_URL, Target, image_size
from tests.fetch_servers import LoopbackServer, make_ca, send_bytes
from tests.imagegen import png_bytes
from tests.video_bytes import mp4_bytes
from tests.videogen import video

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class IngestImage:
    url: str
    width: int
    height: int


@pytest.fixture(scope="module")
def image_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LoopbackServer, Path]]:
    ca = make_ca(["localhost"])
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca_file.write_bytes(ca.ca_pem)
    source = LoopbackServer(ca).start()
    yield source, ca_file
    source.stop()


@pytest.fixture(scope="module")
def local_server_env(image_source: tuple[LoopbackServer, Path]) -> dict[str, str]:
    _, ca_file = image_source
    # A video limit of 1 MB, so a video over it is small enough to serve.
    return {"DEV_INGEST_ALLOW_LOOPBACK": "1", "DEV_INGEST_CA_FILE": str(ca_file), "ASSET_MAX_VIDEO_MB": "1"}


@pytest.fixture
def ingest_image(request: pytest.FixtureRequest) -> IngestImage:
    """An HTTPS image the stack may fetch, with the size it will record."""
    if TARGET == "deployed":
        url = os.environ.get(INGEST_URL, "").strip()
        if not url:
            pytest.skip(f"set {INGEST_URL} to a public HTTPS image to test ingest against a deployed stack")
        width, height = image_size(httpx.get(url, follow_redirects=True, timeout=30).raise_for_status().content)
        return IngestImage(url, width, height)
    source, _ = request.getfixturevalue("image_source")
    source.routes["/gen.png"] = send_bytes(png_bytes(50, 40, (10, 200, 10)))
    return IngestImage(f"https://localhost:{source.port}/gen.png", 50, 40)


def test_direct_upload(server: Target) -> None:
    with server.client("alice") as client:
        # Given / When a small image is posted directly
        uploaded = client.post("/uploads", files={"file": ("cat.png", png_bytes(32, 24), "image/png")})
        # Then
        assert uploaded.status_code == 201, uploaded.text
        assert (uploaded.json()["width"], uploaded.json()["height"]) == (32, 24)


def test_ingest_fetches_the_image_through_the_worker(server: Target, ingest_image: IngestImage) -> None:
    with server.client("alice") as client:
        # Given an image served over HTTPS (ingest_image)
        # When it is ingested, waiting for the result
        ingested = client.post("/ingest", params={"wait": 20}, json={"url": ingest_image.url})
        # Then the worker (locally run through the Lambda Invoke API) fetched and stored it
        assert ingested.status_code == 201, ingested.text
        asset = ingested.json()
        assert asset["status"] in ("processing", "ready")
        assert (asset["width"], asset["height"], asset["source"]) == (ingest_image.width, ingest_image.height, "ingest")


def test_internal_urls_are_refused_at_once(server: Target) -> None:
    with server.client("alice") as client:
        # When an internal URL is ingested
        refused = client.post("/ingest", json={"url": "https://169.254.169.254/latest/meta-data"})
        # Then it is refused before any fetch
        assert (refused.status_code, refused.json()["code"]) == (422, "url_not_allowed")


@pytest.mark.local_only("needs a loopback HTTPS host that serves something other than an image")
def test_reprocess_of_an_asset_whose_original_never_arrived_is_not_stored(
    server: Target, image_source: tuple[LoopbackServer, Path]
) -> None:
    source, _ = image_source
    source.routes["/page.html"] = send_bytes(b"<html>not an image</html>", headers={"Content-Type": "text/html"})
    with server.client("alice") as client:
        # Given an ingest that failed before any original was stored
        failed = client.post("/ingest", params={"wait": 20}, json={"url": f"https://localhost:{source.port}/page.html"})
        assert failed.status_code == 201, failed.text
        assert (failed.json()["status"], failed.json()["error"]["code"]) == ("failed", "source_not_image")

        # When its owner asks to reprocess it (the gallery may list originals/, so a missing one is known as missing)
        reprocessed = client.post(f"/assets/{failed.json()['id']}/reprocess")

        # Then it is a 409 `not_stored`, not a 503 from a 403 that S3 gives a role that may not list
        assert (reprocessed.status_code, reprocessed.json()["code"]) == (409, "not_stored")


@pytest.mark.local_only("serves a video from a loopback HTTPS host")
def test_ingest_stores_a_video_under_videos(server: Target, image_source: tuple[LoopbackServer, Path]) -> None:
    source, _ = image_source
    clip = video("mp4")
    source.routes["/clip.mp4"] = send_bytes(clip, headers={"Content-Type": "video/mp4"})
    with server.client("alice") as client:
        # Given an MP4 served over HTTPS
        # When it is ingested, waiting for the result
        ingested = client.post(
            "/ingest", params={"wait": 20}, json={"url": f"https://localhost:{source.port}/clip.mp4"}
        )
        # Then the worker stored it as a video, under videos/, byte for byte
        assert ingested.status_code == 201, ingested.text
        asset = ingested.json()
        assert (asset["kind"], asset["mime"], asset["size"], asset["source"]) == (
            "video",
            "video/mp4",
            len(clip),
            "ingest",
        )
        assert asset["status"] in ("processing", "ready")
        assert urlparse(asset["url"]).path.split("/")[-3] == "videos"
        assert httpx.get(asset["url"], timeout=10).content == clip


@pytest.mark.local_only("needs a video limit lowered to 1 MB on the local server")
def test_a_video_over_the_video_limit_fails_as_an_oversized_image_does(
    server: Target, image_source: tuple[LoopbackServer, Path]
) -> None:
    source, _ = image_source
    source.routes["/long.mp4"] = send_bytes(mp4_bytes(1024 * 1024 + 1, seed=16))
    with server.client("alice") as client:
        # When a video one byte over ASSET_MAX_VIDEO_MB is ingested
        failed = client.post("/ingest", params={"wait": 20}, json={"url": f"https://localhost:{source.port}/long.mp4"})
        # Then it fails with the code an image over ASSET_MAX_IMAGE_MB gets
        assert failed.status_code == 201, failed.text
        assert (failed.json()["status"], failed.json()["error"]["code"]) == ("failed", "source_too_large")
