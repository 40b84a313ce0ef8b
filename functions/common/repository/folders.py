"""Folders: one item per folder under its owner, and the folder counts every asset write keeps.

A folder item's sort key is `folder#{ulid}`: never an asset id, so no view, the notifier or the usage counts see it.
Its counts change in the same TransactWriteItems as the asset record that changes them (like the owner's usage,
`usage.py`), so they cannot drift: `folder_assets` counts the members not in the trash (what the API shows),
`folder_members` all of them (a folder is deleted only when it holds none). Entering a folder is conditioned on the
folder item existing, and deleting a folder on it having no members, so no asset ever points at a deleted folder.
The cover is not stored: it is one `Limit 1` Query of the sparse `by_folder_cover` index, read when listing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.models import Model

from functions.common.errors import FolderNotEmpty, FolderNotFound, TooManyFolders
from functions.common.models import Asset, AssetType, Folder, View
from functions.common.ports import Page
from functions.common.repository.errors import CONDITION_FAILED, error_code, raise_domain
from functions.common.repository.mapping import folder_partition, to_asset
from functions.common.repository.usage import USAGE_KEY, raise_cancelled

FOLDER_PREFIX = "folder#"


def folder_sort(folder_id: str) -> str:
    return f"{FOLDER_PREFIX}{folder_id}"


def _counted_in(asset: Asset | None, folder_id: str) -> tuple[int, int]:
    """(not in trash, member) of `asset` in the folder: what it adds to the folder's two counts."""
    if asset is None or asset.folder_id != folder_id:
        return 0, 0
    return (0 if asset.in_trash else 1), 1


def folder_updates(model: type[Model], before: Asset | None, after: Asset | None) -> list[dict[str, Any]]:
    """The folder items' UpdateItems of a write turning `before` into `after` (None: absent); entering is checked."""
    asset = after or before
    if asset is None:
        return []
    connection = model._get_connection()
    folders = dict.fromkeys(folder for folder in (before and before.folder_id, after and after.folder_id) if folder)
    updates = []
    for folder in folders:
        was, now = _counted_in(before, folder), _counted_in(after, folder)
        assets, members = now[0] - was[0], now[1] - was[1]
        if not assets and not members:
            continue
        actions = [
            *([model.folder_assets.add(assets)] if assets else []),  # type: ignore[attr-defined]
            *([model.folder_members.add(members)] if members else []),  # type: ignore[attr-defined]
        ]
        # Only an asset entering needs the folder to exist; one leaving never fails (the folder holds it, so exists).
        condition = model.folder_name.exists() if members > 0 else None  # type: ignore[attr-defined]
        updates.append(
            connection.get_operation_kwargs(
                asset.owner, range_key=folder_sort(folder), actions=actions, condition=condition
            )
        )
    return updates


def _folder(record: Model) -> Folder:
    return Folder(
        owner=record.owner,
        id=record.asset_id.removeprefix(FOLDER_PREFIX),
        name=record.folder_name,
        asset_count=int(record.folder_assets or 0),
        members=int(record.folder_members or 0),
        created_at=datetime.fromisoformat(record.created_at).astimezone(UTC),
        updated_at=datetime.fromisoformat(record.updated_at).astimezone(UTC),
    )


class FolderTable:
    """An owner's folders, their pages of assets and their covers."""

    _model: type[Model]

    def create_folder(self, folder: Folder, *, max_folders: int) -> Folder:
        """Store a new folder and count it, in one transaction; `TooManyFolders` at `max_folders`."""
        model = self._model
        connection = model._get_connection()
        # Not an asset record: written raw (the model's required asset attributes do not apply).
        attributes = {
            "folder_name": {"S": folder.name},
            "created_at": {"S": folder.created_at.isoformat()},
            "updated_at": {"S": folder.updated_at.isoformat()},
            "folder_assets": {"N": "0"},
            "folder_members": {"N": "0"},
        }
        put = connection.get_operation_kwargs(
            folder.owner,
            range_key=folder_sort(folder.id),
            key="Item",
            attributes=attributes,
            condition=model.asset_id.does_not_exist(),
        )
        counter = model.usage_folders  # type: ignore[attr-defined]
        count = connection.get_operation_kwargs(
            folder.owner,
            range_key=USAGE_KEY,
            actions=[counter.add(1)],
            condition=counter.does_not_exist() | (counter < max_folders),
        )
        try:
            connection.connection.transact_write_items(
                condition_check_items=[], delete_items=[], put_items=[put], update_items=[count]
            )
        except TransactWriteError as error:
            reasons = [reason.code if reason else None for reason in error.cancellation_reasons]
            if reasons[-1:] == ["ConditionalCheckFailed"]:
                raise TooManyFolders(f"You already have {max_folders} folders.") from error
            raise_cancelled(error)
        return folder

    def folders(self, owner: str) -> list[Folder]:
        """Every folder of the owner (at most `MAX_FOLDERS` small items), by name."""
        model = self._model
        try:
            records = model.query(owner, model.asset_id.startswith(FOLDER_PREFIX), consistent_read=True)
            found = [_folder(record) for record in records if record.folder_name is not None]
        except PynamoDBException as error:
            raise_domain(error)
        return sorted(found, key=lambda folder: (folder.name.casefold(), folder.id))

    def get_folder(self, owner: str, folder_id: str) -> Folder:
        try:
            record = self._model.get(owner, folder_sort(folder_id), consistent_read=True)
        except DoesNotExist as error:
            raise FolderNotFound("No such folder.") from error
        except PynamoDBException as error:
            raise_domain(error)
        if record.folder_name is None:
            raise FolderNotFound("No such folder.")
        return _folder(record)

    def rename_folder(self, owner: str, folder_id: str, name: str, now: datetime) -> Folder:
        model = self._model
        try:
            data = model._get_connection().update_item(
                owner,
                range_key=folder_sort(folder_id),
                actions=[model.folder_name.set(name), model.updated_at.set(now.isoformat())],  # type: ignore[attr-defined]
                condition=model.folder_name.exists(),  # type: ignore[attr-defined]
                return_values="ALL_NEW",
            )
        except UpdateError as error:
            if error_code(error) == CONDITION_FAILED:
                raise FolderNotFound("No such folder.") from error
            raise_domain(error)
        return _folder(model.from_raw_data(data["Attributes"]))

    def delete_folder(self, owner: str, folder_id: str) -> None:
        """Delete an empty folder and uncount it; `FolderNotEmpty` while it has members, `FolderNotFound` if absent."""
        model = self._model
        connection = model._get_connection()
        members = model.folder_members  # type: ignore[attr-defined]
        empty = model.folder_name.exists() & (members.does_not_exist() | (members == 0))  # type: ignore[attr-defined]
        delete = connection.get_operation_kwargs(owner, range_key=folder_sort(folder_id), condition=empty)
        uncount = connection.get_operation_kwargs(
            owner,
            range_key=USAGE_KEY,
            actions=[model.usage_folders.add(-1)],  # type: ignore[attr-defined]
        )
        try:
            connection.connection.transact_write_items(
                condition_check_items=[], delete_items=[delete], put_items=[], update_items=[uncount]
            )
        except TransactWriteError as error:
            reasons = [reason.code if reason else None for reason in error.cancellation_reasons]
            if reasons[:1] != ["ConditionalCheckFailed"]:
                raise_cancelled(error)
            self.get_folder(owner, folder_id)  # absent: `FolderNotFound`
            raise FolderNotEmpty("The folder still holds assets (the trash included).") from error

    def folder_page(
        self,
        owner: str,
        folder_id: str,
        view: View,
        asset_type: AssetType | None,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Page:
        """One Query of `limit + 1` items on the folder's sparse index, as `page` does for the whole gallery."""
        model = self._model
        starred = view == View.STARRED
        name = f"folder{'_starred' if starred else ''}{'_type' if asset_type else ''}"
        index = getattr(model, f"by_{name}")
        partition = folder_partition(owner, folder_id, view, asset_type)
        caller = {"owner": {"S": owner}, f"{name}_pk": {"S": partition}}
        try:
            records = list(
                index.query(
                    partition,
                    scan_index_forward=False,
                    limit=limit + 1,
                    page_size=limit + 1,
                    last_evaluated_key=None if start is None else start | caller,
                )
            )
        except PynamoDBException as error:
            raise_domain(error)
        assets = [to_asset(record).asset for record in records[:limit]]
        if len(records) <= limit:
            return Page(items=assets, next_position=None)
        attrs = records[limit - 1].serialize()
        names = ["asset_id"] if starred else ["asset_id", "view_sk"]
        return Page(items=assets, next_position={key: attrs[key] for key in names})

    def folder_cover(self, owner: str, folder_id: str) -> Asset | None:
        """The folder's newest ready asset not in the trash: one Query reading at most one item."""
        try:
            for record in self._model.by_folder_cover.query(  # type: ignore[attr-defined]
                folder_partition(owner, folder_id, "cover"), scan_index_forward=False, limit=1, page_size=1
            ):
                return to_asset(record).asset
        except PynamoDBException as error:
            raise_domain(error)
        return None

    def folder_members(self, owner: str, folder_id: str) -> Iterator[Asset]:
        """Every asset in the folder, the trash included (what moving its assets out goes through)."""
        try:
            for view in (View.ALL, View.TRASH):
                for record in self._model.by_folder.query(  # type: ignore[attr-defined]
                    folder_partition(owner, folder_id, view)
                ):
                    yield to_asset(record).asset
        except PynamoDBException as error:
            raise_domain(error)
