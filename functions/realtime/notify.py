"""A batch of the asset table's stream → one message per change to every open connection of that asset's owner.

Per owner: the connections are read once, each message is posted to each of them, a connection API Gateway says is
gone is forgotten. A failure of one owner (a read, a post that is not `Gone`) fails only that owner's records, which
the event source mapping retries (ReportBatchItemFailures): clients may see a message twice, and drop it by version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aws_lambda_powertools import Logger

from functions.common.bucket_ports import ReadSigner
from functions.common.clock import Clock
from functions.common.ports import ConnectionPoster, ConnectionStore
from functions.common.presenter import present
from functions.realtime.changes import Change, change_of, latest_per_asset
from functions.realtime.messages import AssetChanged, AssetDeleted, AssetsChanged
from functions.system import REALTIME_MAX_MESSAGE_BYTES

logger = Logger(service="realtime_notifier")

# More changes of one owner than this in one batch (a bulk action, emptying the trash) make one `assets.changed`.
COALESCE_ABOVE = 10
# Room left under API Gateway's frame limit for what JSON adds around the ids.
_ENVELOPE_BYTES = 64


@dataclass(frozen=True)
class Notifier:
    """What notifying needs: the connections, the poster, and what presenting an asset takes."""

    connections: ConnectionStore
    poster: ConnectionPoster
    store: ReadSigner
    clock: Clock
    read_ttl_seconds: int


@dataclass(frozen=True)
class StreamItem:
    """One record of the batch: its sequence number (the item identifier Lambda retries by) and raw parts."""

    sequence_number: str
    event_name: str
    stream_record: Mapping[str, Any]


def encode(message: AssetChanged | AssetDeleted | AssetsChanged) -> bytes:
    return message.model_dump_json(by_alias=True).encode()


def _ids_messages(ids: list[str]) -> Iterator[bytes]:
    """`assets.changed` listing `ids`, split so that each message stays under the frame limit."""
    chunk: list[str] = []
    size = _ENVELOPE_BYTES
    for asset_id in ids:
        cost = len(json.dumps(asset_id)) + 1
        if chunk and size + cost > REALTIME_MAX_MESSAGE_BYTES:
            yield encode(AssetsChanged(ids=chunk))
            chunk, size = [], _ENVELOPE_BYTES
        chunk.append(asset_id)
        size += cost
    if chunk:
        yield encode(AssetsChanged(ids=chunk))


def messages_for(changes: list[Change], *, notifier: Notifier) -> list[bytes]:
    """The messages one owner's changes make: one per asset, or one listing them all for a burst."""
    latest = latest_per_asset(changes)
    if len(latest) > COALESCE_ABOVE:
        return list(_ids_messages([change.asset_id for change in latest]))
    messages = []
    for change in latest:
        if change.asset is None:
            messages.append(encode(AssetDeleted(id=change.asset_id, version=change.version)))
            continue
        kind: Literal["asset.created", "asset.updated"] = (
            "asset.created" if change.kind == "created" else "asset.updated"
        )
        data = encode(AssetChanged(type=kind, asset=present(change.asset, by=notifier), version=change.version))
        # An asset too large for one frame (a prompt of many KB): the client fetches it instead.
        messages.append(
            data if len(data) <= REALTIME_MAX_MESSAGE_BYTES else encode(AssetsChanged(ids=[change.asset_id]))
        )
    return messages


def _deliver(owner: str, changes: list[Change], *, notifier: Notifier) -> None:
    """Post every message to every live connection of the owner; a gone connection is forgotten, not retried."""
    connection_ids = notifier.connections.connections_of(owner, now=int(notifier.clock().timestamp()))
    if not connection_ids:
        return  # nobody listening: no URL is signed
    messages = messages_for(changes, notifier=notifier)
    for connection_id in connection_ids:
        for data in messages:
            if not notifier.poster.post(connection_id, data):
                notifier.connections.delete_connection(owner, connection_id)
                break


def notify(items: Iterable[StreamItem], *, notifier: Notifier) -> list[str]:
    """Deliver the batch's changes; returns the sequence numbers of the records that failed (to be retried)."""
    by_owner: dict[str, list[tuple[StreamItem, Change]]] = {}
    failed: list[str] = []
    for item in items:
        try:
            change = change_of(item.event_name, item.stream_record)
        except Exception:  # a record we cannot read must not hold up the others
            logger.exception("unreadable stream record", extra={"sequence_number": item.sequence_number})
            failed.append(item.sequence_number)
            continue
        if change is not None:
            by_owner.setdefault(change.owner, []).append((item, change))
    for owner, entries in by_owner.items():
        try:
            _deliver(owner, [change for _, change in entries], notifier=notifier)
        except Exception:  # at least once: this owner's records come again; the other owners' are done
            logger.exception("delivery failed", extra={"records": len(entries)})
            failed.extend(item.sequence_number for item, _ in entries)
    return failed
