"""Which IP addresses a fetch may reach: our own table of forbidden ranges, not `ipaddress`' version-dependent flags.

`ipaddress` is used only to parse and to test membership (plain arithmetic); every classification is ours.
"""

from __future__ import annotations

import ipaddress
import re

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Everything that is not public unicast IPv4 (RFC 6890 special-purpose registry and friends).
FORBIDDEN_V4 = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # CGNAT
        "127.0.0.0/8",  # loopback (includes the Lambda runtime API on 127.0.0.1:9001)
        "169.254.0.0/16",  # link-local, including the metadata service 169.254.169.254
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)

# IPv6 must be global unicast (2000::/3) and outside these; everything embedding IPv4 is refused outright.
GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
FORBIDDEN_V6 = tuple(
    ipaddress.IPv6Network(cidr)
    for cidr in (
        "2001::/32",  # Teredo (embeds IPv4)
        "2001:2::/48",  # benchmarking
        "2001:10::/28",  # ORCHID
        "2001:20::/28",  # ORCHIDv2
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4 (embeds IPv4)
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 SIDs
    )
)

_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


def is_public_unicast(address: IPAddress) -> bool:
    """True only for an address that is public unicast by our own table."""
    if isinstance(address, ipaddress.IPv4Address):
        return not any(address in network for network in FORBIDDEN_V4)
    if address.scope_id:
        return False
    if address not in GLOBAL_UNICAST_V6:
        return False
    return not any(address in network for network in FORBIDDEN_V6)


def _inet_aton_value(labels: list[str]) -> int | None:
    """The 32-bit value of a BSD `inet_aton` spelling (decimal, 0-octal, 0x-hex, 1 to 4 parts), else None."""
    values = []
    for label in labels:
        if label.lower().startswith("0x"):
            values.append(int(label[2:] or "0", 16))
        elif len(label) > 1 and label.startswith("0"):
            if any(ch in "89" for ch in label):
                return None
            values.append(int(label, 8))
        else:
            values.append(int(label))
    *head, last = values
    if any(value > 255 for value in head) or last >= 256 ** (5 - len(values)):
        return None
    total = 0
    for value in head:
        total = total * 256 + value
    return (total << (8 * (4 - len(head)))) | last


def ip_literal(host: str) -> IPAddress | None:
    """The address a host spelled as an IP literal stands for (any IPv6 form, any inet_aton IPv4 form), else None."""
    candidate = host.strip().rstrip(".").lower()
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        pass
    labels = candidate.split(".")
    if 1 <= len(labels) <= 4 and all(_NUMERIC_LABEL.match(label) for label in labels):
        value = _inet_aton_value(labels)
        if value is not None:
            return ipaddress.IPv4Address(value)
    return None


def looks_numeric(host: str) -> bool:
    """True when a host is, or could be read by some resolver as, an IP literal (its last label is numeric)."""
    candidate = host.strip().rstrip(".").lower()
    if ":" in candidate or ip_literal(candidate) is not None:
        return True
    return bool(_NUMERIC_LABEL.match(candidate.rsplit(".", 1)[-1]))
