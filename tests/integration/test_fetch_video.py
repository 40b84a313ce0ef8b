"""The fetcher's byte caps by kind (#16), against a real HTTPS server on loopback: a body's first bytes decide whether
the video or the image cap applies, and a body past its memory share is spooled to a file while it streams in."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from functions.ingest.fetcher import SafeFetcher
from functions.ingest.outcomes import SourceTooLarge
from functions.ingest.urls import HostAllowlist
from tests.fetch_servers import (
    Behaviour,
    LoopbackCa,
    LoopbackNetwork,
    LoopbackServer,
    ScriptedResolver,
    make_ca,
    send_bytes,
)
from tests.imagegen import png_bytes
from tests.video_bytes import mp4_bytes

IMAGE_CAP = 100_000
VIDEO_CAP = 1_000_000


@pytest.fixture(scope="module")
def ca() -> LoopbackCa:
    return make_ca(["media.test"])


@pytest.fixture
def server(ca: LoopbackCa) -> Iterator[LoopbackServer]:
    running = LoopbackServer(ca).start()
    yield running
    running.stop()


def fetcher(ca: LoopbackCa, spool_memory_bytes: int | None = None) -> SafeFetcher:
    return SafeFetcher(
        network=LoopbackNetwork(["127.0.0.1"]),
        allowlist=HostAllowlist(),
        max_bytes=IMAGE_CAP,
        max_video_bytes=VIDEO_CAP,
        spool_memory_bytes=spool_memory_bytes,
        resolver=ScriptedResolver({"media.test": [["127.0.0.1"]]}),
        ssl_context=ca.client_context(),
    )


def in_chunks(body: bytes, size: int = 16 * 1024) -> Behaviour:
    """The body without a length, in many writes, then the connection closed."""

    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        for start in range(0, len(body), size):
            handler.wfile.write(body[start : start + size])
            handler.wfile.flush()
        handler.close_connection = True

    return behave


def fetch(ca: LoopbackCa, server: LoopbackServer, path: str, spool_memory_bytes: int | None = None) -> bytes:
    url = f"https://media.test:{server.port}{path}"
    with fetcher(ca, spool_memory_bytes).fetch(url, deadline=time.monotonic() + 10).body as body:
        assert body.sha256 == hashlib.sha256(body.reader().read()).hexdigest()
        return body.reader().read()


def test_a_video_over_the_image_cap_streams_in_under_the_video_cap_spooled_to_a_file(
    ca: LoopbackCa, server: LoopbackServer
) -> None:
    # Given a 600 KB MP4 sent in many chunks without a length, and a fetcher keeping at most 64 KiB in memory
    data = mp4_bytes(600_000, seed=1)
    server.routes["/clip.mp4"] = in_chunks(data)
    url = f"https://media.test:{server.port}/clip.mp4"
    # When it is fetched
    with fetcher(ca, spool_memory_bytes=64 * 1024).fetch(url, deadline=time.monotonic() + 10).body as body:
        # Then it was not held in memory, and every byte arrived
        assert (body.in_memory, body.size, body.sha256) == (False, len(data), hashlib.sha256(data).hexdigest())
        assert body.reader().read() == data


def test_a_video_over_the_video_cap_is_refused_while_streaming(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given an MP4 larger than the video cap, without a length
    server.routes["/long.mp4"] = in_chunks(mp4_bytes(VIDEO_CAP + 50_000, seed=2))
    # When / Then
    with pytest.raises(SourceTooLarge):
        fetch(ca, server, "/long.mp4")


def test_a_declared_video_length_over_the_video_cap_is_refused_unread(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given / When / Then
    server.routes["/huge.mp4"] = send_bytes(mp4_bytes(VIDEO_CAP + 1, seed=3))
    with pytest.raises(SourceTooLarge, match="declared"):
        fetch(ca, server, "/huge.mp4")


@pytest.mark.parametrize("send", [send_bytes, in_chunks], ids=["declared", "streamed"])
def test_a_non_video_over_the_image_cap_is_refused_though_under_the_video_cap(
    ca: LoopbackCa, server: LoopbackServer, send: Callable[[bytes], Behaviour]
) -> None:
    # Given an image body larger than the image cap (the video cap would take it)
    image = png_bytes(8, 8)
    server.routes["/big.png"] = send(image + b"\0" * (IMAGE_CAP * 2))
    # When / Then its first bytes show no video: the image cap applies
    with pytest.raises(SourceTooLarge):
        fetch(ca, server, "/big.png")


def test_a_video_under_the_memory_share_stays_in_memory(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given a 5 KB MP4
    data = mp4_bytes(5_000, seed=4)
    server.routes["/tiny.mp4"] = send_bytes(data)
    url = f"https://media.test:{server.port}/tiny.mp4"
    # When / Then
    with fetcher(ca, spool_memory_bytes=64 * 1024).fetch(url, deadline=time.monotonic() + 10).body as body:
        assert (body.in_memory, body.data()) == (True, data)
