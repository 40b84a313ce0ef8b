"""The SSRF-safe fetch: resolve once, check every answer, dial the checked address, keep Host and SNI.

httpx would resolve the name again when it connects (a DNS-rebinding hole), so the request goes to the
checked IP literal while the `Host` header and TLS SNI (and certificate check) keep the original name.
Redirects are followed by hand, each hop checked like the first; the body is streamed raw under a byte
cap. One total deadline bounds everything, name lookups and every socket operation included (see `deadline`).
"""

from __future__ import annotations

import io
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urljoin

import certifi
import httpx

from functions.ingest.addresses import IPAddress
from functions.ingest.deadline import DeadlineBackend, DeadlineTransport, LookupTimedOut, resolve_within
from functions.ingest.urls import CheckedUrl, HostAllowlist, NetworkPolicy, UrlRefused, check_url

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], list[str]]
Monotonic = Callable[[], float]

MAX_REDIRECTS = 3
# The longest single wait for bytes; the total deadline is also checked after every chunk.
IDLE_TIMEOUT_SECONDS = 10.0
# The longest wait for one name lookup: a resolver that does not answer is a network failure, retried.
LOOKUP_TIMEOUT_SECONDS = 5.0
NOT_READY_STATUSES = frozenset({202, 404, 425, 429})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "gallery-ingest/1.0"


class FetchBlocked(Exception):
    """The URL or an address it resolves to is not allowed. One message for every case."""

    MESSAGE = UrlRefused.MESSAGE

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGE)
        self.reason = reason  # logged, never shown


class SourceNotReady(Exception):
    """The source answered "not yet" (404, 202, 425, 429, 5xx); `retry_after` is its hint in seconds."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"source answered {status}")
        self.status = status
        self.retry_after = retry_after


class SourceUnreachable(Exception):
    """Network failure (`retryable`) or an answer that will never become an image (not retryable)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class SourceTooLarge(Exception):
    """The body is over the byte cap."""


class SourceTimeout(Exception):
    """The total deadline passed while fetching."""


class HostNotFound(OSError):
    """The name does not exist (NXDOMAIN, no address): it will not start existing while we wait."""


_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, in its order; `HostNotFound` when the name does not exist."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        if error.errno in _NO_SUCH_NAME:
            raise HostNotFound(str(error)) from error
        raise
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def default_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def _refuse_all_cookies() -> CookieJar:
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def parse_retry_after(value: str | None, now_epoch: float) -> float | None:
    """`Retry-After` as seconds from now (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now_epoch)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


@dataclass(frozen=True)
class Fetched:
    data: bytes


@dataclass
class SafeFetcher:
    """Fetches one image URL under the network policy, the host allowlist, a byte cap and a deadline."""

    network: NetworkPolicy
    allowlist: HostAllowlist
    max_bytes: int
    resolver: Resolver = system_resolver
    ssl_context: ssl.SSLContext = field(default_factory=default_ssl_context)
    monotonic: Monotonic = time.monotonic
    wall_clock: Callable[[], float] = time.time
    lookup_timeout: float = LOOKUP_TIMEOUT_SECONDS

    def fetch(self, url: str, *, deadline: float) -> Fetched:
        """GET `url` (following at most 3 checked redirects) until `deadline` (a `monotonic` time)."""
        with httpx.Client(
            transport=DeadlineTransport(self.ssl_context, DeadlineBackend(deadline, self.monotonic)),
            trust_env=False,
            follow_redirects=False,
            cookies=_refuse_all_cookies(),
            headers={"User-Agent": USER_AGENT, "Accept": "image/*", "Accept-Encoding": "identity"},
        ) as client:
            current = url
            for _ in range(MAX_REDIRECTS + 1):
                checked = self._check(current)
                address = self._resolve(checked, deadline)
                response = self._send(client, checked, address, deadline)
                try:
                    location = response.headers.get("location")
                    if response.status_code in REDIRECT_STATUSES and location:
                        current = urljoin(str(checked.url), location)
                        continue
                    return self._read(response, deadline)
                finally:
                    response.close()
        raise SourceUnreachable("too many redirects", retryable=False)

    def _check(self, url: str) -> CheckedUrl:
        try:
            return check_url(url, allowlist=self.allowlist, network=self.network)
        except UrlRefused as error:
            raise FetchBlocked(error.reason) from error

    def _resolve(self, checked: CheckedUrl, deadline: float) -> IPAddress:
        """Resolve once; every answer must be allowed (a mixed answer set is refused), the first is dialled."""
        remaining = deadline - self.monotonic()
        if remaining <= 0:
            raise SourceTimeout("deadline passed")
        wait = min(remaining, self.lookup_timeout)
        try:
            found = resolve_within(lambda: self.resolver(checked.host, checked.port), wait)
            answers = [ipaddress.ip_address(answer) for answer in found]
        except HostNotFound as error:
            raise SourceUnreachable(f"no such host {checked.host}", retryable=False) from error
        except LookupTimedOut as error:
            if wait >= remaining:
                raise SourceTimeout("deadline passed while resolving") from error
            raise SourceUnreachable(f"no answer for {checked.host}", retryable=True) from error
        except (OSError, UnicodeError) as error:
            raise SourceUnreachable(f"cannot resolve {checked.host}", retryable=True) from error
        except ValueError as error:
            raise FetchBlocked("unparseable resolver answer") from error
        if not answers:
            raise SourceUnreachable(f"no address for {checked.host}", retryable=True)
        refused = [answer for answer in answers if not self.network.allows_address(answer)]
        if refused:
            raise FetchBlocked(f"{checked.host} resolves to {refused}")
        return answers[0]

    def _send(self, client: httpx.Client, checked: CheckedUrl, address: IPAddress, deadline: float) -> httpx.Response:
        remaining = deadline - self.monotonic()
        if remaining <= 0:
            raise SourceTimeout("deadline passed")
        wait = min(remaining, IDLE_TIMEOUT_SECONDS)
        host_header = checked.host if checked.port == 443 else f"{checked.host}:{checked.port}"
        request = client.build_request(
            "GET",
            checked.url.copy_with(host=str(address)),
            headers={"Host": host_header},
            extensions={"sni_hostname": checked.host},
            timeout=httpx.Timeout(wait),
        )
        try:
            return client.send(request, stream=True)
        except httpx.RemoteProtocolError as error:
            # httpx parses a redirect's Location even when not following it; an unparseable one is a refused URL.
            if "location header" in str(error):
                raise FetchBlocked("unparseable redirect location") from error
            raise self._timeout_or_unreachable(deadline, error) from error
        except httpx.HTTPError as error:
            raise self._timeout_or_unreachable(deadline, error) from error

    def _timeout_or_unreachable(self, deadline: float, error: Exception) -> Exception:
        """Any failure once the deadline passed is the deadline's; before it, a network failure worth a retry."""
        if self.monotonic() >= deadline:
            return SourceTimeout("deadline passed")
        return SourceUnreachable(f"network failure: {type(error).__name__}: {error}", retryable=True)

    def _read(self, response: httpx.Response, deadline: float) -> Fetched:
        status = response.status_code
        if status in NOT_READY_STATUSES or status >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"), self.wall_clock())
            raise SourceNotReady(status, retry_after)
        if status not in (200, 203):
            raise SourceUnreachable(f"source answered {status}", retryable=False)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise SourceTooLarge(f"declared {declared} bytes")
        # BytesIO hands its buffer to getvalue() without a copy, so the body is held once.
        body = io.BytesIO()
        size = 0
        try:
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > self.max_bytes:
                    raise SourceTooLarge(f"over {self.max_bytes} bytes")
                body.write(chunk)
                if self.monotonic() >= deadline:
                    raise SourceTimeout("deadline passed while reading")
        except httpx.HTTPError as error:
            raise self._timeout_or_unreachable(deadline, error) from error
        return Fetched(data=body.getvalue())
