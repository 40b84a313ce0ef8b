"""The asset table: the only package that knows pynamodb; it takes and returns domain models.

`schema` (keys and indexes as plain data), `model` (the pynamodb model built from it), `mapping` (items and every
key format), `errors` (pynamodb failures as domain errors), `assets` (`AssetRepository`: CRUD and paging),
`claims` (deletion claims), `sweeps` (the scheduled runs' selections), `tooling` (raw access for tests and bench).
"""

from functions.common.ports import Candidate, Page, StoredAsset, candidate_for
from functions.common.repository.assets import AssetRepository
from functions.common.repository.schema import TableSchema, table_schema

__all__ = ["AssetRepository", "Candidate", "Page", "StoredAsset", "TableSchema", "candidate_for", "table_schema"]
