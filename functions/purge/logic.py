"""The trash purge: everything trashed longer than the retention goes, record and objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from functions.common.deletion import delete_forever
from functions.common.errors import Conflict, NotFound, NotInTrash
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.system import PURGE_SHARDS


@dataclass
class PurgeReport:
    examined: int = 0
    purged: int = 0
    skipped_restored: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)


def purge_expired(
    *, now: datetime, retention_days: int, repository: AssetRepository, store: ObjectStore
) -> PurgeReport:
    """Delete forever every asset trashed before `now - retention`; a restore that got there first wins."""
    cutoff = now - timedelta(days=retention_days)
    report = PurgeReport()
    for shard in range(PURGE_SHARDS):
        for candidate in list(repository.trash_older_than(shard, cutoff)):
            report.examined += 1
            try:
                stored = repository.get(candidate.owner, candidate.id)
                if stored.asset.trashed_at != candidate.trashed_at:
                    report.skipped_restored += 1
                    continue
                delete_forever(stored, repository=repository, store=store)
                report.purged += 1
            except (NotFound, NotInTrash, Conflict):
                report.skipped_restored += 1
            except Exception as error:  # one failing item never stops the others
                report.failed += 1
                report.failures.append(f"{candidate.id}: {error}")
    return report
