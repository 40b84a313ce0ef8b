"""The optional metadata a client attaches to a new asset, shared by signed, direct and ingested uploads.

Every field ends up in the asset's one DynamoDB item (400 KB at most), so each is bounded here, before any write:
the largest item these bounds allow stays far below DynamoDB's limit (tests/integration/test_request_limits.py).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, field_validator

from functions.common.ids import ULID_PATTERN
from functions.common.models import AssetType, CamelModel
from functions.system import MAX_BULK_IDS

MAX_FILENAME_LENGTH = 255
MAX_PROMPT_LENGTH = 10_000
MAX_MODEL_LENGTH = 200
MAX_PARAMS_BYTES = 16 * 1024
MAX_PARAMS_DEPTH = 10

AssetIdRef = Annotated[str, Field(pattern=ULID_PATTERN.pattern, description="An asset id (a ULID)")]


def json_depth(value: Any) -> int:
    """How deeply objects and arrays nest in `value` (a scalar is 0, `{}` is 1); iterative, so any depth is safe."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        current, depth = pending.pop()
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def check_params(value: dict[str, Any]) -> dict[str, Any]:
    """`params` as the contract bounds it: nesting, then size as compact UTF-8 JSON, finite numbers only."""
    if json_depth(value) > MAX_PARAMS_DEPTH:
        raise ValueError(f"must nest at most {MAX_PARAMS_DEPTH} levels deep")
    try:
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except ValueError as error:
        raise ValueError("must hold only finite numbers") from error
    if len(encoded) > MAX_PARAMS_BYTES:
        raise ValueError(f"must be at most {MAX_PARAMS_BYTES} bytes as JSON")
    return value


class AssetMetadata(CamelModel):
    """The optional metadata a client may attach to a new asset."""

    filename: str | None = Field(default=None, max_length=MAX_FILENAME_LENGTH)
    prompt: str | None = Field(default=None, max_length=MAX_PROMPT_LENGTH)
    model: str | None = Field(default=None, max_length=MAX_MODEL_LENGTH)
    params: dict[str, Any] = Field(
        default_factory=dict,
        description=f"A JSON object, at most {MAX_PARAMS_BYTES} bytes as compact UTF-8 JSON"
        f" and {MAX_PARAMS_DEPTH} levels deep",
    )
    asset_type: AssetType = AssetType.UPLOADED
    source_asset_ids: list[AssetIdRef] = Field(default_factory=list, max_length=MAX_BULK_IDS)

    @field_validator("params", mode="after")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_params(value)
