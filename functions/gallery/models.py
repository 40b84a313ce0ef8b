"""The gallery's request and response bodies (what the OpenAPI document shows for its routes)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict, Field, StrictBool

from functions.common.models import AssetOut, AssetType, CamelModel
from functions.system import MAX_BULK_IDS


class PatchRequest(CamelModel):
    # Documented as the logic refuses it: an empty patch is a 422.
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    # Strict: `0`, `"false"` or `"yes"` are no booleans (pydantic would take them as one).
    starred: StrictBool | None = None
    trashed: StrictBool | None = None
    prompt: str | None = Field(default=None, max_length=10_000)
    asset_type: AssetType | None = None
    # `null` takes the asset out of its folder; absent leaves it where it is.
    folder_id: str | None = Field(default=None, max_length=64)


class BulkAction(StrEnum):
    STAR = "star"
    UNSTAR = "unstar"
    TRASH = "trash"
    RESTORE = "restore"
    DELETE = "delete"
    MOVE = "move"


class BulkRequest(CamelModel):
    action: BulkAction
    ids: list[str] = Field(min_length=1, max_length=MAX_BULK_IDS)
    # Only with `move` (and then required): the folder to move to, `null` for none.
    folder_id: str | None = Field(
        default=None, max_length=64, description="With `move` only, and required there: the folder, or null for none."
    )


class BulkResult(CamelModel):
    id: str
    result: str
    asset: AssetOut | None = None


class BulkResponse(CamelModel):
    results: list[BulkResult]


class GalleryPage(CamelModel):
    items: list[AssetOut]
    next_cursor: str | None


class EmptyTrashResponse(CamelModel):
    deleted: int
