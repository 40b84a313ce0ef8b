"""The local server as a subprocess: a direct upload, and an ingest fetched by the worker via the Invoke API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import LocalServer, start_server
from tests.fetch_servers import LoopbackServer, make_ca, send_bytes
from tests.imagegen import png_bytes

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def image_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LoopbackServer, Path]]:
    ca = make_ca(["localhost"])
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca_file.write_bytes(ca.ca_pem)
    source = LoopbackServer(ca).start()
    yield source, ca_file
    source.stop()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory, image_source: tuple[LoopbackServer, Path]) -> Iterator[LocalServer]:
    _, ca_file = image_source
    running = start_server(
        tmp_path_factory.mktemp("state"), DEV_INGEST_ALLOW_LOOPBACK="1", DEV_INGEST_CA_FILE=str(ca_file)
    )
    yield running
    running.stop()


def test_direct_upload_then_ingest(local: LocalServer, image_source: tuple[LoopbackServer, Path]) -> None:
    source, _ = image_source
    with local.client("alice") as client:
        # Given / When a small image is posted directly
        uploaded = client.post("/uploads", files={"file": ("cat.png", png_bytes(32, 24), "image/png")})
        # Then
        assert uploaded.status_code == 201, uploaded.text
        assert (uploaded.json()["width"], uploaded.json()["height"]) == (32, 24)

        # Given an image served over HTTPS on loopback
        source.routes["/gen.png"] = send_bytes(png_bytes(50, 40, (10, 200, 10)))
        # When it is ingested, waiting for the result
        ingested = client.post("/ingest", params={"wait": 20}, json={"url": f"https://localhost:{source.port}/gen.png"})
        # Then the worker (run through the local Lambda Invoke API) fetched and stored it
        assert ingested.status_code == 201, ingested.text
        asset = ingested.json()
        assert asset["status"] in ("processing", "ready")
        assert (asset["width"], asset["height"], asset["source"]) == (50, 40, "ingest")

        # And an internal URL is refused at once
        refused = client.post("/ingest", json={"url": "https://169.254.169.254/latest/meta-data"})
        assert (refused.status_code, refused.json()["code"]) == (422, "url_not_allowed")
