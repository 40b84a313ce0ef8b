"""Tickets: the short-lived, single-use credential in the WebSocket URL, so the JWT itself is never in a URL."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from functions.common.clock import Clock
from functions.common.models import CamelModel, UtcDatetime
from functions.common.ports import TicketStore
from functions.system import REALTIME_TICKET_PARAMETER, REALTIME_TICKET_TTL_SECONDS

# 32 random bytes (256 bits) make 43 URL-safe characters; anything much longer is not one of ours.
TICKET_BYTES = 32
MAX_TICKET_CHARS = 64


class TicketOut(CamelModel):
    """Where to open the WebSocket: `url` carries the ticket, valid until `expiresAt` and for one connection."""

    url: str
    expires_at: UtcDatetime


@dataclass(frozen=True)
class Tickets:
    """What issuing and redeeming tickets needs."""

    tickets: TicketStore
    clock: Clock
    realtime_url: str = ""
    ttl_seconds: int = REALTIME_TICKET_TTL_SECONDS


def digest(ticket: str) -> str:
    """What the table keeps of a ticket: its SHA-256, so a read of the table yields nothing that opens a socket."""
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue_ticket(*, owner: str, tickets: Tickets) -> TicketOut:
    """A new ticket bound to `owner`, valid for `tickets.ttl_seconds` (the contract's minute) and one connection."""
    value = secrets.token_urlsafe(TICKET_BYTES)
    expires_at = int(tickets.clock().timestamp()) + tickets.ttl_seconds
    tickets.tickets.put_ticket(digest(value), owner=owner, expires_at=expires_at)
    url = f"{tickets.realtime_url}?{urlencode({REALTIME_TICKET_PARAMETER: value})}"
    return TicketOut(url=url, expires_at=datetime.fromtimestamp(expires_at, UTC))


def redeem_ticket(*, ticket: str | None, tickets: Tickets) -> str | None:
    """The owner a ticket was issued to, consuming it; None if it is missing, unknown, used or expired."""
    if not ticket or len(ticket) > MAX_TICKET_CHARS:
        return None
    return tickets.tickets.redeem_ticket(digest(ticket), now=int(tickets.clock().timestamp()))


def allow_policy(owner: str, method_arn: str) -> dict[str, Any]:
    """The REQUEST authorizer's answer for a redeemed ticket: this `$connect`, with the owner for every route."""
    return {
        "principalId": owner,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": method_arn}],
        },
        "context": {"owner": owner},
    }
