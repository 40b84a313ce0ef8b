"""The forbidden-address table, IP-literal spellings and the static URL checks (no network)."""

from __future__ import annotations

import ipaddress

import pytest

from functions.ingest.addresses import ip_literal, is_public_unicast, looks_numeric
from functions.ingest.urls import PUBLIC_NETWORK, HostAllowlist, UrlRefused, check_url

FORBIDDEN = [
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # instance metadata
    "169.254.0.1",
    "100.64.0.1",  # CGNAT
    "100.127.255.255",
    "0.0.0.0",  # noqa: S104 - an address under test, not a bind
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "198.18.0.1",
    "::",
    "::1",
    "::ffff:127.0.0.1",  # mapped loopback (not is_loopback before Python 3.13)
    "::ffff:169.254.169.254",
    "::ffff:8.8.8.8",  # mapped public: still refused, IPv4 embedded in IPv6 is never dialled
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address (is_global in old Pythons)
    "64:ff9b:1::a00:1",  # local-use NAT64
    "2002:a9fe:a9fe::",  # 6to4 of the metadata address
    "2002:0808:0808::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",
    "fd00:ec2::254",  # EC2 IPv6 metadata
    "fc00::1",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "100::1",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "100.128.0.1", "172.32.0.1", "2606:4700:4700::1111", "2a00:1450::1"]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_forbidden_addresses_are_refused(address: str) -> None:
    # Given an address that is not public unicast
    parsed = ipaddress.ip_address(address)
    # When / Then the policy refuses it
    assert not is_public_unicast(parsed)
    assert not PUBLIC_NETWORK.allows_address(parsed)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    # Given / When / Then
    assert is_public_unicast(ipaddress.ip_address(address))


def test_scoped_ipv6_is_refused() -> None:
    # Given a global address with a zone id (only meaningful on one link)
    # When / Then
    assert not is_public_unicast(ipaddress.ip_address("2606:4700::1%eth0"))


@pytest.mark.parametrize(
    ("spelling", "meaning"),
    [
        ("2130706433", "127.0.0.1"),  # decimal
        ("0x7f000001", "127.0.0.1"),  # hex
        ("017700000001", "127.0.0.1"),  # octal
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("169.254.43518", "169.254.169.254"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("[::ffff:7f00:1]", "127.0.0.1"),
    ],
)
def test_numeric_spellings_are_read_as_addresses(spelling: str, meaning: str) -> None:
    # Given / When
    address = ip_literal(spelling)
    # Then it is the address every resolver would make of it
    assert address is not None
    mapped = getattr(address, "ipv4_mapped", None)
    assert str(mapped or address) == meaning


@pytest.mark.parametrize(
    "url",
    [
        "https://2130706433/a.png",
        "https://0x7f000001/a.png",
        "https://017700000001/a.png",
        "https://0x7f.0.0.1/a.png",
        "https://127.1/a.png",
        "https://8.8.8.8/a.png",  # a public literal is refused too: only names are fetched
        "https://[2606:4700::1111]/a.png",
        "https://1.2.3.04/a.png",
        "http://images.example.com/a.png",
        "ftp://images.example.com/a.png",
        "https://user:pw@images.example.com/a.png",
        "https://images.example.com:8443/a.png",
        "https://images.example.com:80/a.png",
        "https://localhost/a.png",
        "https://metadata.google.internal/a.png",
        "https://printer.local/a.png",
        "https://intranet/a.png",
        "https://images.example.com\\@evil.test/a.png",
        "not a url",
        "https://" + "a" * 3000 + ".com/",
    ],
)
def test_urls_that_can_never_be_fetched_are_refused_the_same_way(url: str) -> None:
    # Given a URL that breaks one of the static rules
    # When
    with pytest.raises(UrlRefused) as refused:
        check_url(url, allowlist=HostAllowlist(), network=PUBLIC_NETWORK)
    # Then the client-facing message is the same for every reason
    assert str(refused.value) == UrlRefused.MESSAGE


def test_a_public_https_url_passes_and_keeps_its_path() -> None:
    # Given / When
    checked = check_url(
        "https://Images.Example.com/a/b.png?x=1#frag", allowlist=HostAllowlist(), network=PUBLIC_NETWORK
    )
    # Then
    assert checked.host == "images.example.com"
    assert checked.port == 443
    assert str(checked.url) == "https://images.example.com/a/b.png?x=1"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1%09/a.png",  # a tab no DNS name can hold
        "https://images%20example.com/a.png",
        "https://images.exa%00mple.com/a.png",
        "https://images..example.com/a.png",
        "https://-images.example.com/a.png",
        "https://images-.example.com/a.png",
        "https://images_cdn.example.com/a.png",
        "https://" + "a" * 64 + ".example.com/a.png",
        "https://" + "abcdefghi." * 25 + "example.com/a.png",
    ],
)
def test_hosts_that_are_not_dns_names_are_refused_before_any_lookup(url: str) -> None:
    # Given a host with characters or a shape no DNS name can hold
    # When
    with pytest.raises(UrlRefused) as refused:
        check_url(url, allowlist=HostAllowlist(), network=PUBLIC_NETWORK)
    # Then it is refused for that reason, with the one message
    assert refused.value.reason == "not a DNS host name"
    assert str(refused.value) == UrlRefused.MESSAGE


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://bücher.example/a.png", "xn--bcher-kva.example"),
        ("https://a-b.c0.example.com/a.png", "a-b.c0.example.com"),
        ("https://" + "a" * 63 + ".example.com/a.png", "a" * 63 + ".example.com"),
    ],
)
def test_dns_names_pass_international_ones_as_idna(url: str, host: str) -> None:
    # Given / When
    checked = check_url(url, allowlist=HostAllowlist(), network=PUBLIC_NETWORK)
    # Then
    assert checked.host == host


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("cdn.example.com", True),
        ("a.b.gen.example.org", True),
        ("gen.example.org", False),  # the wildcard covers subdomains only
        ("cdn.example.com.evil.test", False),  # anchored at the end
        ("evilcdn.example.com", False),  # exact names are exact
        ("xgen.example.org", False),  # the suffix matches at a label boundary
    ],
)
def test_allowlist_matches_exact_names_and_anchored_wildcards(host: str, allowed: bool) -> None:
    # Given
    allowlist = HostAllowlist.parse("cdn.example.com, *.gen.example.org")
    # When / Then
    assert allowlist.allows(host) is allowed


def test_host_outside_the_allowlist_is_refused() -> None:
    # Given an allowlist
    allowlist = HostAllowlist.parse("cdn.example.com")
    # When / Then
    with pytest.raises(UrlRefused):
        check_url("https://other.example.com/a.png", allowlist=allowlist, network=PUBLIC_NETWORK)
    assert check_url("https://cdn.example.com/a.png", allowlist=allowlist, network=PUBLIC_NETWORK).host


def test_looks_numeric_catches_a_numeric_last_label() -> None:
    # Given / When / Then
    assert looks_numeric("foo.123")
    assert not looks_numeric("foo.example")
