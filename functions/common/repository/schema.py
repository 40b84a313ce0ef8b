"""The asset table's keys and indexes as plain data: the one definition the model, the stack and the local
server's DynamoDB limits are built from.

Keys: `owner` (the verified `sub`) + `asset_id` (a ULID). Every gallery view is its own sparse index, so a
page is one Query that reads only the items it returns. In a composite key `{owner}` is the owner's encoding
(`functions.common.identity.owner_key`), which holds no `#`:

- `by_view`:        `{owner}#all` (sorted by id) or `{owner}#trash` (sorted by trash time, then id)
- `by_view_type`:   the same per asset type (`{owner}#all#generated`, ...)
- `by_starred`:     `{owner}#starred` (starred and not in trash), and `by_starred_type` per asset type
- `by_view_kind`, `by_starred_kind`: the same views per asset kind (#16), `{owner}#{view}#k#{kind}` (`image` or
                    `video`); set on every asset written since (older items have no `kind`: they are images)
- `by_trash_time`:  `trash#{shard}` sorted by trash epoch ms, across users, keys only: what the purge reads
- `by_pending`:     `pending#{shard}` sorted by creation epoch ms (abandoned uploads, lost S3 events) and
                    `processing#{shard}` sorted by the epoch ms it was set (a reprocess whose S3 event was lost)
- `by_sha256`:      `{owner}#{sha256}` (assets whose bytes are known): the same bytes stored twice
- `by_folder`, `by_folder_type`, `by_folder_starred`, `by_folder_starred_type`: the same views inside one folder,
                    `{owner}#f#{folder}#{view}` (+ `#{type}`), set only on assets in a folder
- `by_folder_cover`: `{owner}#f#{folder}#cover` sorted by id, only ready assets not in trash: a folder's cover
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AttributeType = Literal["S", "N"]
Projection = Literal["ALL", "KEYS_ONLY"]


@dataclass(frozen=True)
class KeyAttribute:
    name: str
    type: AttributeType  # DynamoDB's scalar type: "S" string, "N" number


@dataclass(frozen=True)
class Key:
    partition: KeyAttribute
    sort: KeyAttribute | None = None

    @property
    def attributes(self) -> tuple[KeyAttribute, ...]:
        return (self.partition,) if self.sort is None else (self.partition, self.sort)


@dataclass(frozen=True)
class Index:
    """A global secondary index (on-demand, so no capacity of its own)."""

    name: str
    key: Key
    projection: Projection = "ALL"


@dataclass(frozen=True)
class TableSchema:
    key: Key
    indexes: tuple[Index, ...]

    @property
    def key_attributes(self) -> dict[str, AttributeType]:
        """Every attribute a key of the table or of an index uses, with its type."""
        keys = [self.key, *(index.key for index in self.indexes)]
        return {attribute.name: attribute.type for key in keys for attribute in key.attributes}


def _s(name: str) -> KeyAttribute:
    return KeyAttribute(name, "S")


def _n(name: str) -> KeyAttribute:
    return KeyAttribute(name, "N")


ASSET_TABLE = TableSchema(
    key=Key(_s("owner"), _s("asset_id")),
    indexes=(
        Index("by_view", Key(_s("view_pk"), _s("view_sk"))),
        Index("by_view_type", Key(_s("view_type_pk"), _s("view_sk"))),
        Index("by_starred", Key(_s("starred_pk"), _s("asset_id"))),
        Index("by_starred_type", Key(_s("starred_type_pk"), _s("asset_id"))),
        # Per kind (#16): not combined with the type or folder indexes, which would take six more indexes.
        Index("by_view_kind", Key(_s("view_kind_pk"), _s("view_sk"))),
        Index("by_starred_kind", Key(_s("starred_kind_pk"), _s("asset_id"))),
        # Keys only: the purge needs nothing else to claim an item, and the index stays small.
        Index("by_trash_time", Key(_s("trash_pk"), _n("trash_ms")), projection="KEYS_ONLY"),
        Index("by_pending", Key(_s("pending_pk"), _n("pending_ms"))),
        Index("by_sha256", Key(_s("sha256_pk"), _s("asset_id"))),
        Index("by_folder", Key(_s("folder_pk"), _s("view_sk"))),
        Index("by_folder_type", Key(_s("folder_type_pk"), _s("view_sk"))),
        Index("by_folder_starred", Key(_s("folder_starred_pk"), _s("asset_id"))),
        Index("by_folder_starred_type", Key(_s("folder_starred_type_pk"), _s("asset_id"))),
        Index("by_folder_cover", Key(_s("folder_cover_pk"), _s("asset_id"))),
    ),
)


def table_schema() -> TableSchema:
    """The asset table's key schema and global secondary indexes."""
    return ASSET_TABLE


# The real-time connections table (#14): an owner's open WebSocket connections under `owner#{owner}` (sort
# `connection#{id}`), and the single-use tickets that open them under `ticket#{sha256 of the ticket}` (sort `ticket`).
# Both expire through the TTL attribute (epoch seconds); DynamoDB's TTL deletes lazily, so readers also compare it.
CONNECTIONS_TABLE = TableSchema(key=Key(_s("pk"), _s("sk")), indexes=())
CONNECTIONS_TTL_ATTRIBUTE = "expires_at"
