"""Stream records of the asset table as changes of assets: what was created, changed visibly, or deleted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from functions.common.models import Asset
from functions.common.repository.streams import asset_from_image, asset_id_of

Kind = Literal["created", "updated", "deleted"]
# What `GET /assets/{id}` never shows (functions.common.presenter): a change of only these is no event.
_HIDDEN = frozenset({"owner", "deleting", "original_etag", "retriggers"})


@dataclass(frozen=True)
class Change:
    """One asset's change: its owner, id, kind, the asset as it now is (None once deleted) and the stream version."""

    owner: str
    asset_id: str
    kind: Kind
    asset: Asset | None
    version: str


def _visible(asset: Asset) -> dict[str, Any]:
    return asset.model_dump(exclude=set(_HIDDEN))


def change_of(event_name: str, stream_record: Mapping[str, Any]) -> Change | None:
    """The change one stream record makes (its `dynamodb` part, raw), or None: not an asset, or nothing visible."""
    if asset_id_of(stream_record.get("Keys")) is None:
        return None  # an owner's internal item (in-flight ingests, usage), never an asset
    version = str(stream_record["SequenceNumber"])
    old = asset_from_image(stream_record.get("OldImage"))
    new = asset_from_image(stream_record.get("NewImage"))
    if event_name == "REMOVE" or new is None:
        if old is None:
            return None
        return Change(owner=old.owner, asset_id=old.id, kind="deleted", asset=None, version=version)
    if event_name == "INSERT" or old is None:
        return Change(owner=new.owner, asset_id=new.id, kind="created", asset=new, version=version)
    if _visible(old) == _visible(new):
        return None  # a deletion claim, a sweep's re-trigger count: nothing a client shows changed
    return Change(owner=new.owner, asset_id=new.id, kind="updated", asset=new, version=version)


def latest_per_asset(changes: list[Change]) -> list[Change]:
    """One change per asset, the last of the batch (the asset as it now is); created-then-changed stays `created`."""
    latest: dict[str, Change] = {}
    for change in changes:
        before = latest.pop(change.asset_id, None)
        if before is not None and before.kind == "created" and change.kind == "updated":
            change = Change(change.owner, change.asset_id, "created", change.asset, change.version)
        latest[change.asset_id] = change
    return list(latest.values())
