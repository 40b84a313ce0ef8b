"""What logic needs from its tables: small Protocols, and the values the asset table hands back.

Logic is annotated with these and the media bucket's (`bucket_ports`), never with the concrete classes
(`AssetRepository`, `ObjectStore`), so an in-memory fake is checked against the same contract as the real
collaborator. Each Protocol is what one group of logic functions calls; a function needing more takes a Protocol
that combines them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from functions.common.clock import epoch_ms
from functions.common.formats import AssetKind
from functions.common.models import Asset, AssetType, Folder, View


@dataclass(frozen=True)
class StoredAsset:
    """An asset with the optimistic-concurrency version it was read at."""

    asset: Asset
    version: int


@dataclass(frozen=True)
class Page:
    """One page of a query: the assets and, when more follow, the position to continue from."""

    items: list[Asset]
    next_position: dict[str, Any] | None


@dataclass(frozen=True)
class Candidate:
    """An asset a deletion selected: its key and the trash (or pending) epoch ms it was selected at."""

    owner: str
    asset_id: str
    selected_ms: int
    pending: bool = False
    # Where its original would be (#16): a pending video's upload goes to `videos/`.
    kind: AssetKind = AssetKind.IMAGE


@dataclass(frozen=True)
class Usage:
    """What an owner's assets count towards its quota: how many exist, and the bytes of their stored originals."""

    bytes: int = 0
    assets: int = 0


@dataclass(frozen=True)
class Quota:
    """One user's limits; 0 is no limit. A user at or over either one can create no asset."""

    max_bytes: int = 0
    max_assets: int = 0

    def allows(self, usage: Usage) -> bool:
        """Whether one more asset may be created at `usage`."""
        under_bytes = self.max_bytes == 0 or usage.bytes < self.max_bytes
        return under_bytes and (self.max_assets == 0 or usage.assets < self.max_assets)


def candidate_for(asset: Asset) -> Candidate:
    """The deletion candidate of an asset read whole: keyed on its trash time, or its creation time if pending."""
    if asset.trashed_at is not None:
        return Candidate(owner=asset.owner, asset_id=asset.id, selected_ms=epoch_ms(asset.trashed_at))
    created_ms = epoch_ms(asset.created_at)
    return Candidate(owner=asset.owner, asset_id=asset.id, selected_ms=created_ms, pending=True, kind=asset.kind)


# The asset table


class BytesLookup(Protocol):
    """Finds the owner's assets with the same bytes (what duplicate detection needs)."""

    def with_sha256(self, owner: str, sha256: str) -> list[Asset]: ...


class UsageLookup(Protocol):
    """Reads an owner's usage (the counts every write of an asset keeps, see `functions.common.quota`)."""

    def usage(self, owner: str) -> Usage: ...


class AssetRecords(BytesLookup, UsageLookup, Protocol):
    """Reading and writing single assets, with optimistic concurrency (`Conflict`) and `NotFound`.

    Every write also keeps the owner's `Usage` in the same transaction; `create` with a `quota` refuses
    (`QuotaExceeded`) when the owner is at or over it.
    """

    def create(self, asset: Asset, *, quota: Quota | None = None) -> StoredAsset: ...
    def get(self, owner: str, asset_id: str) -> StoredAsset: ...
    def batch_get(self, owner: str, asset_ids: Iterable[str]) -> dict[str, StoredAsset]: ...
    def replace(self, stored: StoredAsset, asset: Asset) -> StoredAsset: ...
    def delete(self, stored: StoredAsset) -> None: ...


class DeletionClaims(Protocol):
    """The claim, release and conditional delete every deletion goes through (`functions.common.deletion`)."""

    def claim_for_deletion(self, candidate: Candidate, *, now_ms: int, lease_ms: int | None) -> StoredAsset: ...
    def release_claim(self, owner: str, asset_id: str) -> None: ...
    def delete_claimed(self, keys: Iterable[tuple[str, str]]) -> dict[str, str]: ...


class FolderPages(Protocol):
    """A folder and one page of a view inside it (what a folder's share reads too)."""

    def get_folder(self, owner: str, folder_id: str) -> Folder: ...
    def folder_page(
        self,
        owner: str,
        folder_id: str,
        view: View,
        asset_type: AssetType | None,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Page: ...


class FolderRecords(FolderPages, Protocol):
    """An owner's folders: created counted (`TooManyFolders`), renamed, deleted only empty (`FolderNotEmpty`)."""

    def create_folder(self, folder: Folder, *, max_folders: int) -> Folder: ...
    def folders(self, owner: str) -> list[Folder]: ...
    def rename_folder(self, owner: str, folder_id: str, name: str, now: datetime) -> Folder: ...
    def delete_folder(self, owner: str, folder_id: str) -> None: ...
    def folder_cover(self, owner: str, folder_id: str) -> Asset | None: ...
    def folder_members(self, owner: str, folder_id: str) -> Iterator[Asset]: ...


class GalleryRecords(AssetRecords, DeletionClaims, FolderRecords, Protocol):
    """What the gallery reads and writes: single assets, a view page by page, the trash, deletions, folders."""

    def page(
        self,
        owner: str,
        view: View,
        asset_type: AssetType | None,
        limit: int,
        start: dict[str, Any] | None,
        kind: AssetKind | None = None,
    ) -> Page: ...
    def all_trash(self, owner: str) -> Iterator[Asset]: ...


class PurgeRecords(DeletionClaims, Protocol):
    """What the purge selects (keys only, oldest first) and then claims and deletes."""

    def expired_trash(self, shard: int, cutoff_ms: int, page_size: int = 500) -> Iterator[Candidate]: ...
    def abandoned_uploads(self, shard: int, cutoff_ms: int, page_size: int = 500) -> Iterator[Candidate]: ...


class UnfinishedRecords(Protocol):
    """What the sweep of lost S3 events reads (assets unfinished since before a cutoff, then each one) and writes."""

    def unfinished_before(self, shard: int, cutoff: datetime) -> Iterator[tuple[str, str]]: ...
    def get(self, owner: str, asset_id: str) -> StoredAsset: ...
    def replace(self, stored: StoredAsset, asset: Asset) -> StoredAsset: ...


class ScheduledRecords(PurgeRecords, UnfinishedRecords, Protocol):
    """The scheduled run sweeps lost events, then purges."""


# The real-time connections table and the WebSocket API's `@connections`


class TicketStore(Protocol):
    """Single-use tickets by the digest of their value: stored with owner and expiry, redeemed (consumed) once."""

    def put_ticket(self, digest: str, *, owner: str, expires_at: int) -> None: ...
    def redeem_ticket(self, digest: str, *, now: int) -> str | None: ...


class ConnectionStore(Protocol):
    """Each owner's open WebSocket connections, with their expiry in epoch seconds."""

    def put_connection(self, owner: str, connection_id: str, *, connected_ms: int, expires_at: int) -> None: ...
    def delete_connection(self, owner: str, connection_id: str) -> None: ...
    def connections_of(self, owner: str, *, now: int) -> list[str]: ...


class ConnectionPoster(Protocol):
    """Sends one message to one connection; False when API Gateway says it is gone."""

    def post(self, connection_id: str, data: bytes) -> bool: ...
