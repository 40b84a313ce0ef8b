"""The scheduled purge: trash older than the retention and abandoned uploads go, record and every object.

Selection reads only what it will purge: the keys-only `by_trash_time` index is queried per shard for
`trash_ms < now - retention` (and `by_pending` for `pending_ms < now - ABANDONED_UPLOAD_HOURS`). Each
candidate is claimed with a conditional write (still trashed at the same time, or still pending), so a
restore after selection wins; claimed assets are deleted in DeleteObjects calls of up to 1,000 keys across
assets, then their records. All times are UTC epoch milliseconds.

When the invocation's remaining time drops below the safety margin, the run stops claiming, finishes what
it claimed and reports `incomplete`; the next scheduled run takes the rest (it selects the same way).

A pending upload whose original did arrive is never "abandoned": its S3 event was lost, and the sweep that
runs before the purge (`functions.common.sweep`) finishes it, so nothing a user uploaded is deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from functions.common.bucket_ports import MultipartAborter, PurgeStore, ScheduledStore
from functions.common.clock import Clock, epoch_ms
from functions.common.deletion import BatchDeleter, DeletionResult, claim
from functions.common.errors import Conflict
from functions.common.models import Asset, AssetStatus
from functions.common.object_keys import original_key
from functions.common.ports import Candidate, PurgeRecords, ScheduledRecords
from functions.common.settings import PurgeSettings
from functions.common.sweep import sweep_unfinished
from functions.system import PURGE_SHARDS

MS_PER_HOUR = 3_600_000
MS_PER_DAY = 24 * MS_PER_HOUR
MAX_REPORTED_FAILURES = 50
# Pending this long with its original stored means S3's event was lost (uploads sign for at most 5 minutes);
# processing this long means a reprocess's event was (the thumbnail function times out well within it).
SWEEP_UNFINISHED_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Purger:
    """The purge function's collaborators."""

    repository: ScheduledRecords
    store: ScheduledStore
    clock: Clock
    settings: PurgeSettings
    # An abandoned multipart upload's parts (#16) go with its record (the bucket's lifecycle rule is the backstop).
    uploads: MultipartAborter | None = None


class MetricsSink(Protocol):
    """Where a run's counts go (Powertools `Metrics`, flushed as EMF after the invocation)."""

    namespace: str | None

    def add_metric(self, name: str, unit: Any, value: float) -> None: ...


class RunLog(Protocol):
    def info(self, msg: str, *, extra: dict[str, Any]) -> None: ...

    def warning(self, msg: str, *, extra: dict[str, Any]) -> None: ...


@dataclass
class PurgeReport:
    """What one run did; each count is also a metric."""

    examined: int = 0
    purged: int = 0
    abandoned_removed: int = 0
    skipped_restored: int = 0
    kept_uploaded: int = 0
    swept: int = 0
    failed: int = 0
    s3_delete_calls: int = 0
    incomplete: bool = False
    time_left_ms: int = 0
    failures: list[str] = field(default_factory=list)

    def record(self, result: DeletionResult) -> None:
        for asset in result.deleted:
            if asset.in_trash:
                self.purged += 1
            else:
                self.abandoned_removed += 1
        for asset_id, reason in result.failed.items():
            self.fail(f"{asset_id}: {reason}")
        self.s3_delete_calls += result.s3_calls

    def record_sweep(self, swept: int, failed: Mapping[str, str]) -> None:
        """What the sweep of lost upload events did before the purge (`functions.common.sweep`)."""
        self.swept += swept
        for asset_id, reason in failed.items():
            self.fail(f"{asset_id}: {reason}")

    def fail(self, reason: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_REPORTED_FAILURES:
            self.failures.append(reason)

    def metrics(self) -> dict[str, int]:
        """Counts by metric name."""
        return {
            "Examined": self.examined,
            "Purged": self.purged,
            "AbandonedRemoved": self.abandoned_removed,
            "SkippedRestored": self.skipped_restored,
            "KeptUploaded": self.kept_uploaded,
            "Swept": self.swept,
            "Failed": self.failed,
            "S3DeleteCalls": self.s3_delete_calls,
            "Incomplete": int(self.incomplete),
        }


def cutoffs(now: datetime, settings: PurgeSettings) -> tuple[int, int]:
    """Epoch ms before which trash is expired and before which a pending upload is abandoned."""
    now_ms = epoch_ms(now)
    return (
        now_ms - settings.trash_retention_days * MS_PER_DAY,
        now_ms - settings.abandoned_upload_hours * MS_PER_HOUR,
    )


def selections(
    *, repository: PurgeRecords, trash_cutoff_ms: int, pending_cutoff_ms: int, shards: int = PURGE_SHARDS
) -> list[Callable[[], Iterator[Candidate]]]:
    """One lazy Query per shard of each index: expired trash first, then abandoned uploads."""
    queries: list[Callable[[], Iterator[Candidate]]] = []
    for shard in range(shards):
        queries.append(lambda shard=shard: repository.expired_trash(shard, trash_cutoff_ms))  # type: ignore[misc]
    for shard in range(shards):
        queries.append(lambda shard=shard: repository.abandoned_uploads(shard, pending_cutoff_ms))  # type: ignore[misc]
    return queries


def purge(
    *,
    now: datetime,
    settings: PurgeSettings,
    repository: PurgeRecords,
    store: PurgeStore,
    time_left_ms: Callable[[], int],
    uploads: MultipartAborter | None = None,
) -> PurgeReport:
    """Run the purge as of `now` within `time_left_ms() - safety margin`; one failing item never stops the others."""
    report = PurgeReport()
    trash_cutoff_ms, pending_cutoff_ms = cutoffs(now, settings)
    margin_ms = settings.safety_margin_seconds * 1000
    lease_ms = settings.claim_lease_seconds * 1000
    deleter = BatchDeleter(repository=repository, store=store)
    for query in selections(
        repository=repository, trash_cutoff_ms=trash_cutoff_ms, pending_cutoff_ms=pending_cutoff_ms
    ):
        if report.incomplete:
            break
        try:
            for candidate in query():
                if time_left_ms() < margin_ms:
                    report.incomplete = True
                    break
                report.examined += 1
                try:
                    key = original_key(candidate.owner, candidate.asset_id, candidate.kind)
                    if candidate.pending and store.exists(key):
                        report.kept_uploaded += 1  # its event was lost, not the upload: the sweep finishes it
                        continue
                    claimed = claim(candidate, repository=repository, now=now, lease_ms=lease_ms)
                except Conflict:  # restored, re-trashed, finished or held by a concurrent run since selection
                    report.skipped_restored += 1
                    continue
                except Exception as error:  # one failing item never stops the others
                    report.fail(f"{candidate.asset_id}: not claimed: {error}")
                    continue
                if not _abort_upload(claimed.asset, uploads=uploads, report=report):
                    continue  # stays claimed: once its lease is over, a later run takes it over and tries again
                report.record(deleter.add(claimed.asset))
        except Exception as error:  # a failed Query loses only its shard for this run
            report.fail(f"selection failed: {error}")
    report.record(deleter.flush())
    report.time_left_ms = time_left_ms()
    return report


def _abort_upload(asset: Asset, *, uploads: MultipartAborter | None, report: PurgeReport) -> bool:
    """Drop the open multipart upload of a pending asset about to be deleted; False (reported) if S3 failed."""
    if uploads is None or asset.upload_id is None or asset.status != AssetStatus.PENDING:
        return True
    try:
        uploads.abort_upload(key=asset.original_key, upload_id=asset.upload_id)  # False: already gone, as good
    except Exception as error:  # one failing item never stops the others
        report.fail(f"{asset.id}: multipart upload not aborted: {error}")
        return False
    return True


def scheduled_run(
    *,
    scheduled_at: datetime | None,
    purger: Purger,
    time_left_ms: Callable[[], int],
    metrics: MetricsSink,
    log: RunLog,
) -> PurgeReport:
    """The scheduled job as of its slot (else the clock): sweep lost events, purge, then record metrics and a log."""
    now = scheduled_at or purger.clock()
    repository, store = purger.repository, purger.store
    sweep = sweep_unfinished(now=now, repository=repository, store=store, older_than=SWEEP_UNFINISHED_AFTER)
    report = purge(
        now=now,
        settings=purger.settings,
        repository=repository,
        store=store,
        time_left_ms=time_left_ms,
        uploads=purger.uploads,
    )
    report.record_sweep(sweep.swept, sweep.failed)
    metrics.namespace = purger.settings.metrics_namespace
    for name, value in report.metrics().items():
        metrics.add_metric(name=name, unit="Count", value=value)
    metrics.add_metric(name="TimeLeft", unit="Milliseconds", value=report.time_left_ms)
    (log.warning if report.failed or report.incomplete else log.info)("purge finished", extra=asdict(report))
    return report
