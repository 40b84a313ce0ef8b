"""In-memory collaborators for logic tests: the contracts of `functions.common.ports`, without AWS.

They keep the rules logic relies on (versions and `Conflict`, `NotFound`, each view's order, claims that
hold only while an asset is as selected); what DynamoDB and S3 themselves do is tested on moto.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from functions.common import bucket_ports, ports
from functions.common.clock import epoch_ms
from functions.common.errors import Conflict, FolderNotEmpty, FolderNotFound, NotFound, QuotaExceeded, TooManyFolders
from functions.common.failures import TransientError
from functions.common.formats import AssetKind
from functions.common.models import Asset, AssetStatus, AssetType, Folder, View
from functions.common.multipart_storage import PresignedPart, UploadedPart
from functions.common.objects import ObjectChanged, ObjectInfo, ObjectVersion, PresignedGet, PresignedPost
from functions.common.ports import Candidate, Page, Quota, StoredAsset, Usage
from functions.ingest.fetcher import Fetched
from functions.ingest.in_flight import IngestRecords
from functions.ingest.worker_logic import IngestStore

Key = tuple[str, str]


def _newest_first(asset: Asset, view: View) -> tuple[int, str]:
    if view == View.TRASH and asset.trashed_at is not None:
        return epoch_ms(asset.trashed_at), asset.id
    return 0, asset.id


class MemoryAssets:
    """The asset table in a dict; `conflicts`: the next writes lose to a concurrent one (which bumps the version)."""

    def __init__(self, *assets: Asset) -> None:
        self.items: dict[Key, StoredAsset] = {}
        self.claims: dict[Key, int] = {}  # epoch ms of a deletion's claim; 0: free to take over
        self.batch_gets: list[list[str]] = []
        self.reads = 0
        self.conflicts = 0
        self.in_flight: dict[str, set[str]] = {}  # owner -> ids of its ingests in flight
        self.counted: dict[str, Usage] = {}  # owner -> its usage, kept by every write as the table's transactions do
        self.folder_items: dict[Key, Folder] = {}  # (owner, folder id) -> the folder, counts kept by every write
        self.folder_pages: list[tuple[str, str, View]] = []
        for asset in assets:
            self.create(asset)

    def _refolder(self, before: Asset | None, after: Asset | None) -> None:
        """Move the folder counts from `before` to `after` as the table's transactions do; entering needs the folder."""
        asset = after or before
        assert asset is not None
        for folder_id in dict.fromkeys(a.folder_id for a in (before, after) if a is not None and a.folder_id):
            counts = [
                (0, 0) if a is None or a.folder_id != folder_id else (int(not a.in_trash), 1) for a in (before, after)
            ]
            assets, members = counts[1][0] - counts[0][0], counts[1][1] - counts[0][1]
            folder = self.folder_items.get((asset.owner, folder_id))
            if folder is None and members > 0:
                raise FolderNotFound("No such folder.")
            if folder is not None:
                update = {"asset_count": folder.asset_count + assets, "members": folder.members + members}
                self.folder_items[(asset.owner, folder_id)] = folder.model_copy(update=update)

    def _count(self, owner: str, *, assets: int = 0, bytes_: int = 0) -> None:
        was = self.counted.get(owner, Usage())
        self.counted[owner] = Usage(bytes=was.bytes + bytes_, assets=was.assets + assets)

    # AssetRecords

    def usage(self, owner: str) -> Usage:
        return self.counted.get(owner, Usage())

    def create(self, asset: Asset, *, quota: Quota | None = None) -> StoredAsset:
        key = (asset.owner, asset.id)
        if key in self.items:
            raise Conflict("The asset changed meanwhile.")
        if quota is not None and not quota.allows(self.usage(asset.owner)):
            raise QuotaExceeded("You are at or over your quota.")
        self._refolder(None, asset)
        self._count(asset.owner, assets=1, bytes_=asset.stored_bytes)
        self.items[key] = StoredAsset(asset=asset, version=1)
        if asset.deleting:
            self.claims[key] = 0
        return self.items[key]

    def get(self, owner: str, asset_id: str) -> StoredAsset:
        self.reads += 1
        try:
            return self.items[(owner, asset_id)]
        except KeyError:
            raise NotFound("No such asset.") from None

    def batch_get(self, owner: str, asset_ids: Iterable[str]) -> dict[str, StoredAsset]:
        asked = list(dict.fromkeys(asset_ids))
        self.batch_gets.append(asked)
        return {asset_id: self.items[(owner, asset_id)] for asset_id in asked if (owner, asset_id) in self.items}

    def replace(self, stored: StoredAsset, asset: Asset) -> StoredAsset:
        key = (asset.owner, asset.id)
        current = self.items.get(key)
        if current is not None and self.conflicts:
            self.conflicts -= 1
            self.items[key] = StoredAsset(asset=current.asset, version=current.version + 1)
            raise Conflict("The asset changed meanwhile.")
        if current is None or current.version != stored.version:
            raise Conflict("The asset changed meanwhile.")
        self._refolder(current.asset, asset)
        self._count(asset.owner, bytes_=asset.stored_bytes - current.asset.stored_bytes)
        self.items[key] = StoredAsset(asset=asset, version=stored.version + 1)
        return self.items[key]

    def delete(self, stored: StoredAsset) -> None:
        key = (stored.asset.owner, stored.asset.id)
        current = self.items.get(key)
        if current is None or current.version != stored.version:
            raise Conflict("The asset changed meanwhile.")
        self._refolder(current.asset, None)
        self._count(current.asset.owner, assets=-1, bytes_=-current.asset.stored_bytes)
        del self.items[key]

    def with_sha256(self, owner: str, sha256: str) -> list[Asset]:
        found = [s.asset for (who, _), s in sorted(self.items.items()) if who == owner and s.asset.sha256 == sha256]
        return found

    # GalleryRecords

    def page(
        self,
        owner: str,
        view: View,
        asset_type: AssetType | None,
        limit: int,
        start: dict[str, Any] | None,
        kind: AssetKind | None = None,
    ) -> Page:
        assert kind is None or asset_type is None, "no index has both a kind and a type"
        owned = [asset for asset in self._owned(owner) if kind is None or asset.kind == kind]
        return self._paged(owned, view, asset_type, limit, start)

    def _paged(
        self, assets: list[Asset], view: View, asset_type: AssetType | None, limit: int, start: dict[str, Any] | None
    ) -> Page:
        shown = [asset for asset in assets if self._in_view(asset, view, asset_type)]
        ordered = sorted(shown, key=lambda asset: _newest_first(asset, view), reverse=True)
        if start is not None:
            ids = [asset.id for asset in ordered]
            ordered = ordered[ids.index(start["after"]) + 1 :]
        items = ordered[:limit]
        return Page(items=items, next_position={"after": items[-1].id} if len(ordered) > limit else None)

    def all_trash(self, owner: str) -> Iterator[Asset]:
        yield from (asset for asset in self._owned(owner) if asset.in_trash)

    def _owned(self, owner: str) -> list[Asset]:
        return [stored.asset for (who, _), stored in self.items.items() if who == owner]

    @staticmethod
    def _in_view(asset: Asset, view: View, asset_type: AssetType | None) -> bool:
        if asset_type is not None and asset.asset_type != asset_type:
            return False
        if view == View.TRASH:
            return asset.in_trash
        return not asset.in_trash and (view == View.ALL or asset.starred)

    # FolderRecords

    def create_folder(self, folder: Folder, *, max_folders: int) -> Folder:
        if sum(1 for owner, _ in self.folder_items if owner == folder.owner) >= max_folders:
            raise TooManyFolders("Too many folders.")
        self.folder_items[(folder.owner, folder.id)] = folder
        return folder

    def folders(self, owner: str) -> list[Folder]:
        mine = [folder for (who, _), folder in self.folder_items.items() if who == owner]
        return sorted(mine, key=lambda folder: (folder.name.casefold(), folder.id))

    def get_folder(self, owner: str, folder_id: str) -> Folder:
        try:
            return self.folder_items[(owner, folder_id)]
        except KeyError:
            raise FolderNotFound("No such folder.") from None

    def rename_folder(self, owner: str, folder_id: str, name: str, now: datetime) -> Folder:
        renamed = self.get_folder(owner, folder_id).model_copy(update={"name": name, "updated_at": now})
        self.folder_items[(owner, folder_id)] = renamed
        return renamed

    def delete_folder(self, owner: str, folder_id: str) -> None:
        if self.get_folder(owner, folder_id).members:
            raise FolderNotEmpty("The folder still holds assets.")
        del self.folder_items[(owner, folder_id)]

    def folder_page(
        self,
        owner: str,
        folder_id: str,
        view: View,
        asset_type: AssetType | None,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Page:
        self.folder_pages.append((owner, folder_id, view))
        inside = [asset for asset in self._owned(owner) if asset.folder_id == folder_id]
        return self._paged(inside, view, asset_type, limit, start)

    def folder_cover(self, owner: str, folder_id: str) -> Asset | None:
        ready = [
            asset
            for asset in self._owned(owner)
            if asset.folder_id == folder_id and asset.status == AssetStatus.READY and not asset.in_trash
        ]
        return max(ready, key=lambda asset: asset.id, default=None)

    def folder_members(self, owner: str, folder_id: str) -> Iterator[Asset]:
        yield from (asset for asset in self._owned(owner) if asset.folder_id == folder_id)

    # ScheduledRecords: one shard holds everything (how items spread over shards is the table's business)

    def expired_trash(self, shard: int, cutoff_ms: int, page_size: int = 500) -> Iterator[Candidate]:
        trashed = [(epoch_ms(s.asset.trashed_at), s.asset) for s in self.items.values() if s.asset.trashed_at]
        for trashed_ms, asset in sorted(trashed, key=lambda item: item[0]):
            if shard == 0 and trashed_ms < cutoff_ms:
                yield Candidate(owner=asset.owner, asset_id=asset.id, selected_ms=trashed_ms)

    def abandoned_uploads(self, shard: int, cutoff_ms: int, page_size: int = 500) -> Iterator[Candidate]:
        for asset in sorted((s.asset for s in self.items.values()), key=lambda asset: asset.created_at):
            created_ms = epoch_ms(asset.created_at)
            if shard == 0 and asset.status == AssetStatus.PENDING and created_ms < cutoff_ms:
                yield Candidate(
                    owner=asset.owner, asset_id=asset.id, selected_ms=created_ms, pending=True, kind=asset.kind
                )

    def unfinished_before(self, shard: int, cutoff: datetime) -> Iterator[tuple[str, str]]:
        for status in (AssetStatus.PENDING, AssetStatus.PROCESSING):
            for asset in (s.asset for s in self.items.values() if s.asset.status == status):
                since = asset.created_at if status == AssetStatus.PENDING else asset.updated_at
                if shard == 0 and since < cutoff:
                    yield asset.owner, asset.id

    # DeletionClaims

    def claim_for_deletion(self, candidate: Candidate, *, now_ms: int, lease_ms: int | None) -> StoredAsset:
        key = (candidate.owner, candidate.asset_id)
        current = self.items.get(key)
        asset = current.asset if current else None
        if asset is None:
            raise Conflict("The asset changed meanwhile.")
        if candidate.pending:
            still_selected = asset.status == AssetStatus.PENDING and epoch_ms(asset.created_at) == candidate.selected_ms
        else:
            still_selected = asset.trashed_at is not None and epoch_ms(asset.trashed_at) == candidate.selected_ms
        held = key in self.claims and lease_ms is not None and self.claims[key] >= now_ms - lease_ms
        if not still_selected or held or current is None:
            raise Conflict("The asset changed meanwhile.")
        self.claims[key] = now_ms
        self.items[key] = StoredAsset(asset=asset.model_copy(update={"deleting": True}), version=current.version + 1)
        return self.items[key]

    def release_claim(self, owner: str, asset_id: str) -> None:
        key = (owner, asset_id)
        if key not in self.claims:
            raise Conflict("The asset changed meanwhile.")
        self.claims[key] = 0
        current = self.items[key]
        self.items[key] = StoredAsset(asset=current.asset, version=current.version + 1)

    def delete_claimed(self, keys: Iterable[tuple[str, str]]) -> dict[str, str]:
        refused: dict[str, str] = {}
        for key in dict.fromkeys(keys):
            if key in self.items and key not in self.claims:
                refused[key[1]] = "no longer claimed"
            elif key in self.items:
                gone = self.items.pop(key).asset
                self._refolder(gone, None)
                self._count(gone.owner, assets=-1, bytes_=-gone.stored_bytes)
        return refused

    # IngestPlaces: the in-flight set of each owner, taken only below the cap, freed idempotently

    def take_ingest_slot(self, owner: str, asset_id: str, *, cap: int) -> bool:
        held = self.in_flight.setdefault(owner, set())
        if len(held) >= cap:
            return False
        held.add(asset_id)
        return True

    def ingest_slots(self, owner: str) -> set[str]:
        return set(self.in_flight.get(owner, set()))

    def free_ingest_slots(self, owner: str, asset_ids: Iterable[str]) -> None:
        self.in_flight.get(owner, set()).difference_update(asset_ids)


class MemoryStore:
    """The media bucket in a dict; presigned URLs are recognisable strings. `down`: every delete fails (an outage)."""

    def __init__(self, objects: dict[str, bytes] | None = None) -> None:
        self.objects: dict[str, bytes] = dict(objects or {})
        self.announced: list[str] = []
        self.streamed: list[str] = []  # keys written with write_stream
        self.ranged_bytes = 0  # what read_range returned, in total
        self.read_signings: list[tuple[str, str | None, bool]] = []  # (key, version id, immutable) of each read URL
        self.current_versions: dict[str, str] = {}
        self.down = False

    @property
    def bucket(self) -> str:
        return "memory-media"

    def presign_get(
        self,
        *,
        key: str,
        ttl_seconds: int,
        now: datetime,
        download_name: str | None = None,
        version_id: str | None = None,
        immutable: bool = False,
    ) -> PresignedGet:
        url = f"https://media.invalid/{key}?ttl={ttl_seconds}" + (f"&download={download_name}" if download_name else "")
        self.read_signings.append((key, version_id, immutable))
        return PresignedGet(url=url, expires_at=now + timedelta(seconds=ttl_seconds))

    def presign_post(
        self, *, key: str, content_type: str, size: int, ttl_seconds: int, now: datetime, sha256_hex: str | None = None
    ) -> PresignedPost:
        fields = {"key": key, "Content-Type": content_type, "size": str(size)} | (
            {"x-amz-checksum-sha256": sha256_hex} if sha256_hex else {}
        )
        return PresignedPost(
            url="https://media.invalid/", fields=fields, expires_at=now + timedelta(seconds=ttl_seconds)
        )

    def write(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body

    def write_stream(self, key: str, body: IO[bytes], size: int, content_type: str) -> None:
        self.objects[key] = body.read(size)
        self.streamed.append(key)

    def exists(self, key: str) -> bool:
        return key in self.objects

    def stat(self, key: str) -> ObjectInfo | None:
        body = self.objects.get(key)
        return None if body is None else ObjectInfo(etag=hashlib.sha256(body).hexdigest()[:32], size=len(body))

    def read(self, key: str, *, etag: str | None = None) -> bytes:
        info = self.stat(key)
        if info is None:
            raise TransientError(f"NoSuchKey: {key}")
        if etag is not None and info.etag != etag:
            raise ObjectChanged(key)
        return self.objects[key]

    def read_range(self, key: str, start: int, end: int, *, etag: str | None = None) -> bytes:
        """Bytes `start`..`end` inclusive (the video function's ranged GETs, #16), counted in `ranged_bytes`."""
        part = self.read(key, etag=etag)[start : end + 1]
        self.ranged_bytes += len(part)
        return part

    def versions(self, key: str) -> list[ObjectVersion]:
        if self.down:
            raise TransientError("S3 is down")
        return [ObjectVersion(key, "null")] if key in self.objects else []

    def head(self, key: str) -> dict[str, Any] | None:
        """HeadObject: the current version's id is `current_versions[key]` (a test sets it), else "null"."""
        return {"VersionId": self.current_versions.get(key, "null")} if key in self.objects else None

    def delete_batch(self, versions: list[ObjectVersion]) -> set[str]:
        if self.down:
            raise TransientError("S3 is down")
        for version in versions:
            self.objects.pop(version.key, None)
        return set()

    def delete_many(self, keys: Iterable[str]) -> int:
        self.delete_batch([ObjectVersion(key, "null") for key in keys])
        return 1

    def rewrite_in_place(self, key: str) -> bool:
        if key not in self.objects:
            return False
        self.announced.append(key)
        return True


class MemoryMultipart:
    """S3's multipart uploads in dicts: `parts[upload_id][number] = bytes`; completing writes the object to `store`.

    Part URLs are recognisable strings carrying the signed size; `put_part` stands for the browser's PUT.
    """

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store or MemoryStore()
        self.open: dict[str, str] = {}  # upload id -> key
        self.content_types: dict[str, str] = {}
        self.parts: dict[str, dict[int, bytes]] = {}
        self.aborted: list[str] = []
        self.completed: list[str] = []

    def create_upload(self, *, key: str, content_type: str) -> str:
        upload_id = f"upload-{len(self.open) + len(self.aborted) + len(self.completed) + 1}"
        self.open[upload_id], self.content_types[upload_id], self.parts[upload_id] = key, content_type, {}
        return upload_id

    def presign_part(
        self, *, key: str, upload_id: str, number: int, size: int, ttl_seconds: int, now: datetime
    ) -> PresignedPart:
        url = f"https://media.invalid/{key}?uploadId={upload_id}&partNumber={number}&size={size}&ttl={ttl_seconds}"
        return PresignedPart(url=url, expires_at=now + timedelta(seconds=ttl_seconds))

    def put_part(self, upload_id: str, number: int, body: bytes) -> None:
        self.parts[upload_id][number] = body

    def uploaded_parts(self, *, key: str, upload_id: str) -> list[UploadedPart] | None:
        if self.open.get(upload_id) != key:
            return None
        held = sorted(self.parts[upload_id].items())
        return [UploadedPart(number, len(body), f'"{hashlib.md5(body).hexdigest()}"') for number, body in held]  # noqa: S324

    def complete_upload(self, *, key: str, upload_id: str, parts: list[UploadedPart]) -> bool:
        if self.open.get(upload_id) != key:
            return False
        self.store.write(key, b"".join(self.parts[upload_id][part.number] for part in parts), "")
        del self.open[upload_id]
        self.completed.append(upload_id)
        return True

    def abort_upload(self, *, key: str, upload_id: str) -> bool:
        if self.open.get(upload_id) != key:
            return False
        del self.open[upload_id]
        self.aborted.append(upload_id)
        return True


@dataclass
class FakeTime:
    """Wall clock and monotonic clock that only move when someone sleeps."""

    now: datetime
    elapsed: float = 0.0
    sleeps: list[float] = field(default_factory=list)
    on_sleep: Callable[[], None] = lambda: None

    def clock(self) -> datetime:
        return self.now + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds
        self.on_sleep()


class Ticking:
    """A clock that moves one second per call, so ids and trash times are distinct."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


@dataclass
class ScriptedFetcher:
    """Answers each fetch with the next scripted outcome (an exception to raise or bytes to return)."""

    script: list[Exception | bytes]
    calls: int = 0

    def fetch(self, url: str, *, deadline: float) -> Fetched:
        outcome = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if isinstance(outcome, Exception):
            raise outcome
        return Fetched.of(outcome)


def _conforms(assets: MemoryAssets, store: MemoryStore) -> None:
    """Never called: mypy checks here that the fakes keep the contracts logic is typed with."""
    _: tuple[ports.GalleryRecords, ports.ScheduledRecords, bucket_ports.GalleryStore, bucket_ports.ScheduledStore] = (
        assets,
        assets,
        store,
        store,
    )
    __: tuple[bucket_ports.UploadSigner, bucket_ports.UploadStore, bucket_ports.ThumbnailStore] = (store, store, store)
    ___: IngestRecords = assets
    ____: IngestStore = store


def _multipart_conforms(uploads: MemoryMultipart) -> None:
    """Never called: mypy checks here that the multipart fake keeps its contract."""
    _: bucket_ports.MultipartUploads = uploads
