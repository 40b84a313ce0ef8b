"""Raw access to the asset table for tests, the bench and the local server; never on a request path.

The functions' roles hold none of what this needs (Scan, BatchWriteItem, unconditional DeleteItem).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import UpdateError

from functions.common.models import Asset
from functions.common.repository.assets import AssetRepository
from functions.common.repository.errors import CONDITION_FAILED, error_code
from functions.common.repository.folders import FOLDER_PREFIX
from functions.common.repository.ingests import IN_FLIGHT_KEY
from functions.common.repository.mapping import to_asset, to_attributes
from functions.common.repository.shares import ShareRepository
from functions.common.repository.usage import USAGE_KEY


def dynamodb_client(repository: AssetRepository) -> Any:
    """The botocore client the repository's calls go through: to observe them (event hooks) or stub them."""
    return repository._model._get_connection().connection.client


def every_asset(repository: AssetRepository) -> list[Asset]:
    """Every asset in the table, of every owner: a Scan."""
    model = repository._model
    counters = (model.asset_id == IN_FLIGHT_KEY) | (model.asset_id == USAGE_KEY)
    not_an_asset = counters | model.asset_id.startswith(FOLDER_PREFIX)
    records = model.scan(~not_an_asset)
    return [to_asset(record).asset for record in records]


def backfill_kinds(repository: AssetRepository) -> int:
    """Give every asset item written before kinds (#16) its `kind` and per-kind index keys; how many it wrote.

    A one-off after upgrading a table (a Scan; run it with credentials that may Scan and UpdateItem the table). Each
    update holds only while the item has no `kind` and its version is the one read: an item written meanwhile (which
    then has its keys, or another state) is left alone. The version is not bumped: the item's content is unchanged.
    """
    model = repository._model
    connection = model._get_connection()
    written = 0
    for record in model.scan(model.view_pk.exists() & model.kind.does_not_exist()):  # type: ignore[attr-defined]
        keys = to_attributes(to_asset(record).asset)
        names = ("kind", "view_kind_pk", "starred_kind_pk")
        actions = [getattr(model, name).set(keys[name]) for name in names if keys[name] is not None]
        read_version = model.version == record.version if record.version else model.version.does_not_exist()
        try:
            connection.update_item(
                record.owner,
                range_key=record.asset_id,
                actions=actions,
                condition=model.kind.does_not_exist() & read_version,  # type: ignore[attr-defined]
            )
        except UpdateError as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            continue
        written += 1
    return written


def put_all(repository: AssetRepository, assets: Iterable[Asset], *, version: int | None = None) -> None:
    """Write the assets as they are, unconditionally, with BatchWriteItem (seeding)."""
    model = repository._model
    with model.batch_write() as batch:
        for asset in assets:
            attributes: dict[str, Any] = to_attributes(asset) | ({} if version is None else {"version": version})
            batch.save(model(**attributes))


def remove(repository: AssetRepository, owner: str, asset_id: str) -> None:
    """Delete a record whatever its state (as a crashed run may have left the table)."""
    repository._model._get_connection().delete_item(owner, range_key=asset_id)


def remove_all(repository: AssetRepository) -> None:
    """Empty the table."""
    model = repository._model
    with model.batch_write() as batch:
        for record in model.scan():
            batch.delete(record)


def stream_image(asset: Asset, *, version: int = 1) -> dict[str, Any]:
    """The asset's item as the table's stream shows it (`NewImage`/`OldImage`, DynamoDB JSON), for notifier tests."""
    from functions.common.repository.model import asset_model

    model = asset_model("stream-image")
    attributes = {name: value for name, value in to_attributes(asset).items() if value is not None}
    return dict(model(**attributes, version=version).serialize())


def share_items_client(shares: ShareRepository) -> Any:
    """The botocore client the share items' calls go through (one per pynamodb model): to observe them."""
    return shares._model._get_connection().connection.client
