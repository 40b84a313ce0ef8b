"""The SSRF-safe fetch: resolve once, check every answer, dial the checked address, keep Host and SNI.

httpx would resolve the name again when it connects (a DNS-rebinding hole), so the request goes to the
checked IP literal while the `Host` header and TLS SNI (and certificate check) keep the original name.
Redirects are followed by hand, each hop checked like the first; the body is streamed raw under a byte
cap (the video cap once its first bytes show a video, else the image cap) into a `SpooledBody`, which moves to a
temporary file past the image cap, so a large video is never held in memory. One total deadline bounds everything,
name lookups and every socket operation included (see `deadline`).
"""

from __future__ import annotations

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

from functions.common.formats import VIDEO_SNIFF_BYTES, sniff_video
from functions.ingest.addresses import IPAddress
from functions.ingest.body import SpooledBody
from functions.ingest.deadline import DeadlineBackend, DeadlineTransport, LookupTimedOut, resolve_within
from functions.ingest.outcomes import FetchBlocked, SourceNotReady, SourceTimeout, SourceTooLarge, SourceUnreachable
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
    """The body of a fetch, streamed in; its owner closes it (`with fetched.body:`)."""

    body: SpooledBody

    @classmethod
    def of(cls, data: bytes) -> Fetched:
        return cls(SpooledBody.of(data))

    @property
    def data(self) -> bytes:
        """The whole body in memory: for images and tests, never for a video (use `body.reader()`)."""
        return self.body.data()


@dataclass
class SafeFetcher:
    """Fetches one image or video URL under the network policy, the host allowlist, byte caps and a deadline."""

    network: NetworkPolicy
    allowlist: HostAllowlist
    max_bytes: int  # the cap of a body that is no video
    max_video_bytes: int | None = None  # the cap of a body whose first bytes are a video; None: `max_bytes`
    # How much of a body stays in memory before it moves to a temporary file; None: `max_bytes`.
    spool_memory_bytes: int | None = None
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
            headers={"User-Agent": USER_AGENT, "Accept": "image/*, video/*", "Accept-Encoding": "identity"},
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
        declared_header = response.headers.get("content-length", "")
        declared = int(declared_header) if declared_header.isdigit() else None
        largest = max(self.max_bytes, self.max_video_bytes or 0)
        if declared is not None and declared > largest:
            raise SourceTooLarge(f"declared {declared} bytes")
        body = SpooledBody(self.max_bytes if self.spool_memory_bytes is None else self.spool_memory_bytes)
        try:
            cap = largest
            for chunk in response.iter_raw():
                if not body.head_complete:
                    head = (body.head + chunk)[:VIDEO_SNIFF_BYTES]
                    cap = self._cap_for(head) if len(head) == VIDEO_SNIFF_BYTES else largest
                    if declared is not None and declared > cap:
                        raise SourceTooLarge(f"declared {declared} bytes")
                if body.size + len(chunk) > cap:
                    raise SourceTooLarge(f"over {cap} bytes")
                body.write(chunk)
                if self.monotonic() >= deadline:
                    raise SourceTimeout("deadline passed while reading")
            cap = self._cap_for(body.head)  # decided at the end for a body shorter than a head
            if body.size > cap:
                raise SourceTooLarge(f"over {cap} bytes")
        except BaseException as error:
            body.close()
            if isinstance(error, httpx.HTTPError):
                raise self._timeout_or_unreachable(deadline, error) from error
            raise
        return Fetched(body)

    def _cap_for(self, head: bytes) -> int:
        """The byte cap of a body starting with `head`: the video cap if it is a video, else the image cap."""
        if self.max_video_bytes is not None and sniff_video(head) is not None:
            return self.max_video_bytes
        return self.max_bytes
