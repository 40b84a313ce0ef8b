"""One absolute deadline for a whole fetch: name lookup, connect, TLS, request, headers (and 1xx) and body.

httpx only bounds each read, so a source dripping one byte at a time, or sending `100 Continue` for ever, would
never time out. Here every socket operation waits at most the time left and none starts once it is gone. That is
enough: CPython bounds a whole TLS handshake (and each TLS read) by one socket timeout, not each underlying read.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import httpcore
import httpx

Monotonic = Callable[[], float]
T = TypeVar("T")


class LookupTimedOut(Exception):
    """The resolver gave no answer within its bounded wait."""


def resolve_within(lookup: Callable[[], T], seconds: float) -> T:
    """Run `lookup` (getaddrinfo has no timeout) in a daemon thread and wait at most `seconds` for it."""
    outcome: list[Any] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append((True, lookup()))
        except Exception as error:  # handed to the caller below
            outcome.append((False, error))
        done.set()

    threading.Thread(target=run, name="ingest-resolve", daemon=True).start()
    if not done.wait(max(0.0, seconds)):
        raise LookupTimedOut(f"no answer within {seconds:.1f} s")
    succeeded, value = outcome[0]
    if not succeeded:
        raise value
    return value  # type: ignore[no-any-return]


class DeadlineBackend(httpcore.NetworkBackend):
    """Dials through httpcore's own backend; no socket operation waits past the deadline, none starts after it."""

    def __init__(self, deadline: float, monotonic: Monotonic) -> None:
        self._deadline = deadline
        self._monotonic = monotonic
        self._inner = httpcore.SyncBackend()

    def left(self, timeout: float | None, error: type[httpcore.TimeoutException]) -> float:
        """The wait for one socket operation: its own timeout, never past the deadline."""
        remaining = self._deadline - self._monotonic()
        if remaining <= 0:
            raise error("deadline passed")
        return remaining if timeout is None else min(timeout, remaining)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        wait = self.left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_tcp(host, port, wait, local_address, socket_options), self)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, backend: DeadlineBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        wait = self._backend.left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, wait), self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """httpcore's errors as the httpx ones the fetcher handles (httpx's own mapping is private)."""
    try:
        yield
    except httpcore.TimeoutException as error:
        raise httpx.TimeoutException(str(error)) from error
    except httpcore.ProtocolError as error:
        raise httpx.RemoteProtocolError(str(error)) from error
    except (httpcore.NetworkError, httpcore.UnsupportedProtocol) as error:
        raise httpx.TransportError(str(error)) from error


class _BodyStream(httpx.SyncByteStream):
    def __init__(self, inner: Iterable[bytes]) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._inner

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


class DeadlineTransport(httpx.BaseTransport):
    """An HTTP/1.1 transport over `DeadlineBackend`: no proxies, no retries, one connection at a time."""

    def __init__(self, ssl_context: ssl.SSLContext, backend: DeadlineBackend) -> None:
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=backend, max_connections=1)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            response = self._pool.handle_request(core_request)
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_BodyStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()
