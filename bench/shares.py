"""GET /public/shares/{token}: DynamoDB items read per public page of a folder share and of a selection share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from bench.in_process_aws import in_process_aws

TITLE = "Public share pages (GET /public/shares/{token})"
OUTSIDE, INSIDE, SELECTED = 5_000, 200, 120


def _items_read() -> dict[str, int]:
    """Items read (and written) by a first and a second public page of each kind, and by the gallery's own page.

    Both repositories' clients are one client per pynamodb model; hooks on both see every call.
    """

    from functions.common.metadata_strip import strip_metadata
    from functions.common.models import Folder, View
    from functions.common.repository import AssetRepository
    from functions.common.repository.shares import ShareRepository
    from functions.common.repository.tooling import dynamodb_client, put_all, share_items_client
    from functions.public_shares.logic import PublicShares, share_page
    from functions.shares.logic import ShareIn, Shares, create_share
    from functions.system import PUBLIC_SHARE_PAGE_SIZE
    from tests.builders import new_asset
    from tests.fakes import MemoryStore

    with in_process_aws():
        repository = AssetRepository("bench-assets")
        repository.create_table()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        folder_id = "01KB" + "0" * 22
        repository.create_folder(
            Folder(owner="alice", id=folder_id, name="f", created_at=start, updated_at=start), max_folders=1
        )
        assets = [
            new_asset(
                created_at=start + timedelta(seconds=index),
                folder_id=folder_id if index >= OUTSIDE else None,
                thumb_key=f"thumbs/k{index}.webp",
            )
            for index in range(OUTSIDE + INSIDE)
        ]
        put_all(repository, assets[:OUTSIDE])
        for asset in assets[OUTSIDE:]:
            repository.create(asset)
        store, clock = MemoryStore(), lambda: start + timedelta(days=1)
        owner_side = Shares(shares=ShareRepository("bench-assets"), assets=repository, store=store, clock=clock)
        folder_token = create_share(owner="alice", request=ShareIn(folder_id=folder_id), shares=owner_side).token
        chosen = [asset.id for asset in assets[:SELECTED]]
        selection_token = create_share(owner="alice", request=ShareIn(asset_ids=chosen), shares=owner_side).token
        links = ShareRepository("bench-assets")
        strip = partial(strip_metadata, max_pixels=50_000_000)
        public = PublicShares(shares=links, assets=repository, store=store, clock=clock, strip=strip)
        read: list[int] = []
        written: list[int] = []

        def count(operation: str) -> Any:
            def hook(parsed: dict[str, Any], **_: Any) -> None:
                if operation == "Query":
                    read.append(int(parsed.get("ScannedCount", 0)))
                elif operation == "BatchGetItem":
                    read.append(sum(len(items) for items in parsed.get("Responses", {}).values()))
                elif operation == "GetItem":
                    read.append(1 if parsed.get("Item") else 0)
                else:
                    written.append(1)

            return hook

        # The share items' model has a client of its own (one per pynamodb model): observe both.
        for client in (dynamodb_client(repository), share_items_client(links)):
            for operation in ("Query", "BatchGetItem", "GetItem", "UpdateItem"):
                client.meta.events.register(f"after-call.dynamodb.{operation}", count(operation))

        def measure(call: Any) -> tuple[int, int, Any]:
            read.clear()
            written.clear()
            result = call()
            return sum(read), sum(written), result

        figures: dict[str, int] = {}
        for kind, token in (("folder", folder_token), ("selection", selection_token)):
            first_read, first_written, page = measure(
                lambda token=token: share_page(token=token, cursor=None, access=None, public=public)
            )
            second_read, _, _ = measure(
                lambda token=token, page=page: share_page(
                    token=token, cursor=page.next_cursor, access=None, public=public
                )
            )
            figures |= {f"{kind} first": first_read, f"{kind} next": second_read, f"{kind} writes": first_written}
            figures[f"{kind} items"] = len(page.items)
        gallery_read, _, _ = measure(lambda: repository.page("alice", View.ALL, None, PUBLIC_SHARE_PAGE_SIZE, None))
        figures["gallery"] = gallery_read
        return figures


def run() -> str:
    from functions.system import PUBLIC_SHARE_PAGE_SIZE as PAGE

    got = _items_read()
    rows = "\n".join(
        f"| items read, {which} page of a {kind} share ({got[f'{kind} items']} shown) | {got[f'{kind} {which}']} "
        f"| ≤ 2 + {PAGE + 1} |"
        for kind in ("folder", "selection")
        for which in ("first", "next")
    )
    return f"""
{OUTSIDE:,} assets outside the shared folder and {INSIDE} in it; a selection share of {SELECTED} assets; page size
{PAGE}. Counted on moto: `ScannedCount` of each Query, items returned by each BatchGetItem and GetItem.

| measure | value | target |
|---|---|---|
{rows}
| items read, one gallery page of the owner (baseline, same run) | {got["gallery"]} | ≤ {PAGE + 1} |
| writes of a first page (the view counter, one conditional UpdateItem) | {got["folder writes"]} | 1 |

Each public page reads the link (one GetItem of `token#…`) and the share (one GetItem of `share#…`) — the "+ 2" —
then its assets: a folder share one Query of page + 1 on the folder's sparse index, a selection share one
BatchGetItem of exactly the page's ids (they are kept in the share, in order). Nothing scans or filters, whatever
the size of the owner's gallery.
"""
