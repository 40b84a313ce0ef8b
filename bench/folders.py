"""GET /gallery?folderId= and GET /folders: DynamoDB items read per page of a folder inside a large gallery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench.in_process_aws import in_process_aws

TITLE = "Folder listing (GET /gallery?folderId=, GET /folders)"
OUTSIDE, INSIDE, TRASHED, FOLDERS, PAGE = 10_000, 200, 60, 20, 50


def _items_read() -> dict[str, int]:
    """Items read by one page of each view of a folder, by the same page of the whole gallery, by GET /folders."""

    from functions.common.models import AssetType, Folder, View
    from functions.common.repository import AssetRepository
    from functions.common.repository.tooling import dynamodb_client, put_all
    from functions.gallery.folders import list_folders
    from tests.builders import new_asset, new_gallery
    from tests.fakes import MemoryStore

    with in_process_aws():
        repository = AssetRepository("bench-assets")
        repository.create_table()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        folder_ids = [f"01KB{number:022d}" for number in range(FOLDERS)]
        for folder_id in folder_ids:
            made = Folder(owner="alice", id=folder_id, name=folder_id, created_at=start, updated_at=start)
            repository.create_folder(made, max_folders=FOLDERS)
        assets = []
        for index in range(OUTSIDE + INSIDE):
            moment = start + timedelta(seconds=index)
            inside = index >= OUTSIDE
            trashed = moment + timedelta(days=1) if inside and index < OUTSIDE + TRASHED else None
            fields: dict[str, Any] = {"folder_id": folder_ids[0] if inside else None, "starred": index % 2 == 0}
            assets.append(new_asset(created_at=moment, trashed_at=trashed, **fields))
        # The folder's own through `create`, which counts them, while the table is small (moto copies the whole table
        # for every transaction); then the rest, raw.
        for asset in assets[OUTSIDE:]:
            repository.create(asset)
        put_all(repository, assets[:OUTSIDE])
        scanned: list[int] = []

        def count(parsed: dict[str, Any], **_: Any) -> None:
            scanned.append(int(parsed.get("ScannedCount", 0)))

        def read(call: Any) -> int:
            scanned.clear()
            call()
            return sum(scanned)

        client = dynamodb_client(repository)
        client.meta.events.register("after-call.dynamodb.Query", count)
        folder = folder_ids[0]
        gallery = new_gallery(repository, MemoryStore(), lambda: start)
        return {
            "gallery all": read(lambda: repository.page("alice", View.ALL, None, PAGE, None)),
            "folder all": read(lambda: repository.folder_page("alice", folder, View.ALL, None, PAGE, None)),
            "folder trash": read(lambda: repository.folder_page("alice", folder, View.TRASH, None, PAGE, None)),
            "folder starred": read(lambda: repository.folder_page("alice", folder, View.STARRED, None, PAGE, None)),
            "folder type": read(
                lambda: repository.folder_page("alice", folder, View.ALL, AssetType.UPLOADED, PAGE, None)
            ),
            "folders": read(lambda: list_folders(owner="alice", gallery=gallery)),
        }


def run() -> str:
    read = _items_read()
    rows = "\n".join(
        f"| DynamoDB items read for one page of `{view}` in the folder | {read[f'folder {view}']} | ≤ {PAGE + 1} |"
        for view in ("all", "trash", "starred", "type")
    )
    ratio = read["folder all"] / read["gallery all"]
    return f"""
{OUTSIDE:,} assets outside the folder and {INSIDE} in it ({TRASHED} of those in the trash, half of all starred) for
one user with {FOLDERS} folders; page size {PAGE}.

| measure | value | target |
|---|---|---|
{rows}
| DynamoDB items read for one page of `all` of the whole gallery (baseline) | {read["gallery all"]} | ≤ {PAGE + 1} |
| folder page ÷ gallery page | {ratio:.2f}× | ≤ 1.02× |
| DynamoDB items read by `GET /folders` ({FOLDERS} folders, one of them not empty) | {read["folders"]} | {FOLDERS + 1} |

Items read are the `ScannedCount` of every Query: each view inside a folder is its own sparse index keyed by owner,
folder and view, so a page reads its items plus one that tells whether another page follows, whatever the size of
the gallery or of the folder's trash. `GET /folders` reads each folder item once (one Query of the owner's
`folder#` items) and, per non-empty folder, one cover item (a `Limit 1` Query of the cover index).
"""
