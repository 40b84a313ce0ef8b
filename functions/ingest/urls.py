"""What a URL must be before anything is fetched: https, port 443, an allowed public host name, no credentials."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import httpx

from functions.ingest.addresses import IPAddress, is_public_unicast, looks_numeric

MAX_URL_LENGTH = 2048
MAX_HOST_LENGTH = 253
# A DNS host name label: letters, digits and inner hyphens (RFC 1123); non-ASCII names arrive IDNA-encoded (xn--).
_LDH_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Names that only ever mean something inside a network (RFC 6761/6762 and common cloud conventions).
_INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".corp")
_INTERNAL_NAMES = frozenset({"localhost", "metadata", "instance-data"})


class UrlRefused(Exception):
    """A URL we will never fetch. One message for every reason, so refusals cannot map the internal network."""

    MESSAGE = "The URL cannot be fetched: it must be an https URL on port 443 of an allowed public host."

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGE)
        self.reason = reason  # for our logs only; never shown to the client


class NetworkPolicy(Protocol):
    """Where fetches may go. Production uses `PublicNetwork`; tests inject one that reaches loopback test servers."""

    def allows_address(self, address: IPAddress) -> bool: ...

    def allows_port(self, port: int) -> bool: ...

    def allows_name(self, host: str) -> bool: ...


class PublicNetwork:
    """Only public unicast addresses, only port 443, no names that are internal by convention."""

    def allows_address(self, address: IPAddress) -> bool:
        return is_public_unicast(address)

    def allows_port(self, port: int) -> bool:
        return port == 443

    def allows_name(self, host: str) -> bool:
        if "." not in host or host in _INTERNAL_NAMES:
            return False
        return not any(host.endswith(suffix) for suffix in _INTERNAL_SUFFIXES)


PUBLIC_NETWORK = PublicNetwork()


@dataclass(frozen=True)
class HostAllowlist:
    """`ASSET_HOST_ALLOWLIST`: exact names and `*.suffix` wildcards (subdomains only); empty allows any host."""

    entries: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: str) -> HostAllowlist:
        return cls(tuple(entry.strip().lower().rstrip(".") for entry in raw.split(",") if entry.strip()))

    def allows(self, host: str) -> bool:
        if not self.entries:
            return True
        for entry in self.entries:
            if entry.startswith("*."):
                if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                    return True
            elif host == entry:
                return True
        return False


@dataclass(frozen=True)
class CheckedUrl:
    """A URL that passed every static check; `host` is its ASCII (IDNA) lower-case name."""

    url: httpx.URL
    host: str
    port: int


def is_host_name(host: str) -> bool:
    """True for a name DNS can hold (LDH labels): escapes, spaces and control characters never reach a resolver."""
    return len(host) <= MAX_HOST_LENGTH and all(_LDH_LABEL.match(label) for label in host.split("."))


def check_url(raw: str, *, allowlist: HostAllowlist, network: NetworkPolicy) -> CheckedUrl:
    """Parse and check a URL without touching the network; raises `UrlRefused` with one message for every reason."""
    if len(raw) > MAX_URL_LENGTH:
        raise UrlRefused("too long")
    try:
        url = httpx.URL(raw.strip())
        host = url.raw_host.decode("ascii").lower().rstrip(".")
    except (httpx.InvalidURL, UnicodeError, ValueError) as error:
        raise UrlRefused(f"unparseable: {error}") from error
    if url.scheme != "https":
        raise UrlRefused("not https")
    if url.userinfo:
        raise UrlRefused("credentials in URL")
    if not host or looks_numeric(host):
        raise UrlRefused("IP literal")
    if not is_host_name(host):
        raise UrlRefused("not a DNS host name")
    port = url.port or 443
    if not network.allows_port(port):
        raise UrlRefused(f"port {port}")
    if not network.allows_name(host):
        raise UrlRefused("internal name")
    if not allowlist.allows(host):
        raise UrlRefused("not in allowlist")
    return CheckedUrl(url=url.copy_with(fragment=None), host=host, port=port)
