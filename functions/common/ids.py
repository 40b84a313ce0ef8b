"""Time-sortable asset ids (ULID: 48-bit millisecond time + 80 random bits, Crockford base32)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from functions.common.clock import epoch_ms

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_PATTERN = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


def new_ulid(moment: datetime) -> str:
    """A ULID for `moment`; ids made later sort after ids made earlier (to the millisecond)."""
    value = (epoch_ms(moment) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_ulid(candidate: str) -> bool:
    return bool(ULID_PATTERN.match(candidate))
