"""The SSRF-safe fetcher against real HTTPS servers on loopback, reached only through a test resolver and policy."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from functions.ingest.fetcher import HostNotFound, Resolver, SafeFetcher
from functions.ingest.outcomes import FetchBlocked, SourceNotReady, SourceTimeout, SourceTooLarge, SourceUnreachable
from functions.ingest.urls import HostAllowlist
from tests.fetch_servers import Behaviour as ServerBehaviour
from tests.fetch_servers import (
    DrippingTlsServer,
    HangingResolver,
    LoopbackCa,
    LoopbackNetwork,
    LoopbackServer,
    ScriptedResolver,
    drip_headers,
    endless_continue,
    make_ca,
    redirect,
    send_bytes,
)

BODY = b"\x89PNG pretend image bytes" * 100


@pytest.fixture(scope="module")
def ca() -> LoopbackCa:
    return make_ca(["images.test", "internal.test", "hop.test"])


@pytest.fixture
def server(ca: LoopbackCa) -> Iterator[LoopbackServer]:
    running = LoopbackServer(ca).start()
    yield running
    running.stop()


def fetcher_for(
    ca: LoopbackCa,
    resolver: Resolver,
    *,
    allowed: tuple[str, ...] = ("127.0.0.1",),
    max_bytes: int = 1_000_000,
    lookup_timeout: float = 5.0,
) -> SafeFetcher:
    return SafeFetcher(
        network=LoopbackNetwork(allowed),
        allowlist=HostAllowlist(),
        max_bytes=max_bytes,
        resolver=resolver,
        ssl_context=ca.client_context(),
        lookup_timeout=lookup_timeout,
    )


def soon(seconds: float = 10.0) -> float:
    return time.monotonic() + seconds


def test_fetch_dials_the_checked_address_keeping_host_and_sni(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given a server for images.test reachable only through the test resolver
    server.routes["/a.png"] = send_bytes(BODY)
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    # When
    fetched = fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/a.png", deadline=soon())
    # Then the bytes arrive, and the server saw the name (not the IP) in Host and SNI, and no credentials
    assert fetched.data == BODY
    seen = server.seen[0]
    assert seen.host == f"images.test:{server.port}"
    assert seen.sni == "images.test"
    assert seen.authorization is None
    assert seen.cookie is None
    assert seen.accept_encoding == "identity"


def test_dns_answer_changing_between_check_and_connect_is_not_used(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given a resolver that answers an allowed address first and a forbidden one on any later lookup
    server.routes["/a.png"] = send_bytes(BODY)
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"], ["127.0.0.2"]]})
    # When
    fetched = fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/a.png", deadline=soon())
    # Then the name was resolved exactly once and the checked address was the one dialled
    assert fetched.data == BODY
    assert resolver.lookups == ["images.test"]


def test_mixed_public_and_internal_answers_are_refused_before_connecting(
    ca: LoopbackCa, server: LoopbackServer
) -> None:
    # Given a name whose answer set mixes an allowed and a forbidden address
    server.routes["/a.png"] = send_bytes(BODY)
    resolver = ScriptedResolver({"images.test": [["127.0.0.1", "127.0.0.2"]]})
    # When / Then
    with pytest.raises(FetchBlocked):
        fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/a.png", deadline=soon())
    assert server.seen == []


@pytest.mark.parametrize(
    "target",
    [
        "https://internal.test:{port}/secret",  # a name that resolves to a forbidden address
        "https://127.0.0.1:{port}/secret",  # an IP literal, even one the test policy would allow
        "https://2130706433:{port}/secret",  # decimal spelling
        "https://0x7f.0.0.1:{port}/secret",  # hex spelling
        "https://0177.0.0.1:{port}/secret",  # octal spelling
        "http://images.test:{port}/secret",  # a downgrade to http
    ],
)
def test_redirect_to_an_internal_target_is_refused(ca: LoopbackCa, server: LoopbackServer, target: str) -> None:
    # Given an allowed server redirecting somewhere forbidden
    server.routes["/r"] = redirect(target.format(port=server.port))
    server.routes["/secret"] = send_bytes(b"internal data")
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]], "internal.test": [["127.0.0.2"]]})
    # When
    with pytest.raises(FetchBlocked) as refused:
        fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/r", deadline=soon())
    # Then the hop was never made and the refusal says nothing about why
    assert [seen.path for seen in server.seen] == ["/r"]
    assert str(refused.value) == FetchBlocked.MESSAGE


def test_three_redirects_are_followed_and_a_fourth_is_not(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given a chain of redirects (relative and absolute)
    server.routes["/1"] = redirect("/2")
    server.routes["/2"] = redirect(f"https://hop.test:{server.port}/3")
    server.routes["/3"] = redirect("/img", status=307)
    server.routes["/img"] = send_bytes(BODY)
    server.routes["/0"] = redirect("/1")
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]], "hop.test": [["127.0.0.1"]]})
    fetcher = fetcher_for(ca, resolver)
    # When / Then three hops are fine
    assert fetcher.fetch(f"https://images.test:{server.port}/1", deadline=soon()).data == BODY
    assert [seen.sni for seen in server.seen] == ["images.test", "images.test", "hop.test", "hop.test"]
    # and four are too many
    with pytest.raises(SourceUnreachable):
        fetcher.fetch(f"https://images.test:{server.port}/0", deadline=soon())


def test_cookies_set_by_a_hop_are_not_sent_to_the_next(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given a server that sets a cookie and redirects
    server.routes["/set"] = redirect("/img", headers={"Set-Cookie": "session=abc; Path=/"})
    server.routes["/img"] = send_bytes(BODY)
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    # When
    fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/set", deadline=soon())
    # Then
    assert [seen.cookie for seen in server.seen] == [None, None]


def _endless(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Connection", "close")
    handler.end_headers()
    chunk = b"\0" * 65536
    while True:
        handler.wfile.write(chunk)


def test_a_body_that_never_ends_stops_at_the_byte_cap(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given a server streaming forever without a length
    server.routes["/endless"] = _endless
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    # When / Then
    with pytest.raises(SourceTooLarge):
        fetcher_for(ca, resolver, max_bytes=512 * 1024).fetch(
            f"https://images.test:{server.port}/endless", deadline=soon()
        )


def test_a_declared_length_over_the_cap_is_refused_unread(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given
    server.routes["/big"] = send_bytes(b"x" * 2048)
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    # When / Then
    with pytest.raises(SourceTooLarge):
        fetcher_for(ca, resolver, max_bytes=1024).fetch(f"https://images.test:{server.port}/big", deadline=soon())


def _dripping(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for _ in range(100000):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(0.05)


def test_a_dripping_body_is_cut_at_the_total_deadline(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given a server sending one byte at a time, each well within any per-read timeout
    server.routes["/drip"] = _dripping
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    # When / Then the one total deadline ends it
    with pytest.raises(SourceTimeout):
        fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/drip", deadline=soon(0.6))


# A correctness bound, not a speed check: without the total deadline these take many times the deadline.
SLACK_SECONDS = 2.0


@pytest.mark.parametrize("behaviour", [drip_headers(), endless_continue()], ids=["drip-headers", "endless-100"])
def test_headers_that_never_finish_are_cut_at_the_total_deadline(
    ca: LoopbackCa, server: LoopbackServer, behaviour: ServerBehaviour
) -> None:
    # Given a server whose every byte arrives well within any per-read timeout, but whose headers never end
    server.routes["/slow"] = behaviour
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    started = time.monotonic()
    # When
    with pytest.raises(SourceTimeout):
        fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/slow", deadline=started + 1.0)
    # Then it ended at the deadline, not when the source stopped
    assert time.monotonic() - started < 1.0 + SLACK_SECONDS


def test_a_tls_handshake_that_never_finishes_is_cut_at_the_total_deadline(ca: LoopbackCa) -> None:
    # Given a server dripping its TLS handshake a byte at a time
    server = DrippingTlsServer().start()
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    started = time.monotonic()
    # When
    try:
        with pytest.raises(SourceTimeout):
            fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/a.png", deadline=started + 1.0)
    finally:
        server.stop()
    # Then the handshake counted against the one deadline
    assert time.monotonic() - started < 1.0 + SLACK_SECONDS


def _no_such_host(host: str, port: int) -> list[str]:
    raise HostNotFound(f"{host}: Name or service not known")


def _resolver_down(host: str, port: int) -> list[str]:
    raise OSError(f"{host}: Temporary failure in name resolution")


def test_a_name_that_does_not_exist_is_final_at_once() -> None:
    # Given a resolver saying the name does not exist
    fetcher = fetcher_for(make_ca(["images.test"]), _no_such_host)
    # When
    with pytest.raises(SourceUnreachable) as failed:
        fetcher.fetch("https://nowhere.test/a.png", deadline=soon())
    # Then it is not retried until the deadline: the name will not start existing
    assert not failed.value.retryable


def test_a_failing_resolver_is_a_retryable_network_failure() -> None:
    # Given / When
    with pytest.raises(SourceUnreachable) as failed:
        fetcher_for(make_ca(["images.test"]), _resolver_down).fetch("https://images.test/a.png", deadline=soon())
    # Then
    assert failed.value.retryable


def test_a_resolver_that_never_answers_is_bounded_by_the_lookup_timeout() -> None:
    # Given a resolver that hangs, and a deadline far away
    resolver = HangingResolver()
    started = time.monotonic()
    # When
    with pytest.raises(SourceUnreachable) as failed:
        fetcher_for(make_ca(["images.test"]), resolver, lookup_timeout=0.3).fetch(
            "https://images.test/a.png", deadline=started + 60
        )
    resolver.released.set()
    # Then it is a retryable network failure long before the deadline
    assert failed.value.retryable
    assert time.monotonic() - started < 0.3 + SLACK_SECONDS


def test_a_resolver_that_never_answers_is_bounded_by_the_total_deadline() -> None:
    # Given a resolver that hangs past the deadline
    resolver = HangingResolver()
    started = time.monotonic()
    # When / Then
    with pytest.raises(SourceTimeout):
        fetcher_for(make_ca(["images.test"]), resolver).fetch("https://images.test/a.png", deadline=started + 0.5)
    resolver.released.set()
    assert time.monotonic() - started < 0.5 + SLACK_SECONDS


@pytest.mark.parametrize(("status", "retry_after"), [(425, 7.0), (429, 3.0), (503, None), (404, None), (202, 0.0)])
def test_not_ready_answers_carry_retry_after(
    ca: LoopbackCa, server: LoopbackServer, status: int, retry_after: float | None
) -> None:
    # Given
    headers = {} if retry_after is None else {"Retry-After": str(int(retry_after))}
    server.routes["/later"] = send_bytes(b"", status, headers)
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    # When
    with pytest.raises(SourceNotReady) as not_ready:
        fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/later", deadline=soon())
    # Then
    assert not_ready.value.status == status
    assert not_ready.value.retry_after == retry_after


def test_other_client_errors_are_final(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given
    server.routes["/gone"] = send_bytes(b"", 410)
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    # When / Then
    with pytest.raises(SourceUnreachable) as failed:
        fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/gone", deadline=soon())
    assert not failed.value.retryable


def test_the_body_is_not_decompressed(ca: LoopbackCa, server: LoopbackServer) -> None:
    # Given a gzip-encoded body
    packed = gzip.compress(BODY)
    server.routes["/gz"] = send_bytes(packed, headers={"Content-Encoding": "gzip"})
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    # When
    fetched = fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/gz", deadline=soon())
    # Then the raw bytes are what we got
    assert fetched.data == packed


def test_a_certificate_for_another_name_fails(server: LoopbackServer) -> None:
    # Given a server whose certificate does not name the host we asked for
    server.routes["/a.png"] = send_bytes(BODY)
    other_ca = make_ca(["elsewhere.test"])
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    # When / Then TLS verification (done against the name via SNI) refuses it
    with pytest.raises(SourceUnreachable):
        fetcher_for(other_ca, resolver).fetch(f"https://images.test:{server.port}/a.png", deadline=soon())


def test_proxy_environment_variables_are_ignored(
    ca: LoopbackCa, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given proxy variables pointing nowhere
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    server.routes["/a.png"] = send_bytes(BODY)
    resolver = ScriptedResolver({"images.test": [["127.0.0.1"]]})
    # When / Then the fetch goes direct
    assert fetcher_for(ca, resolver).fetch(f"https://images.test:{server.port}/a.png", deadline=soon()).data == BODY
