"""The ingest worker Lambda, invoked asynchronously by `POST /ingest` with `{"owner", "assetId"}`."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from collections.abc import Callable
    from functools import lru_cache
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.common.wiring import ingest_worker_service
    from functions.ingest.worker_logic import IngestJob, IngestWorker, run_ingest

logger = Logger(service="ingest-worker")


def build_handler(worker: Callable[[], IngestWorker]) -> Callable[[dict[str, Any], Any], dict[str, str]]:
    """The Lambda handler over the collaborators `worker()` builds (the local server passes its own)."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, str]:
        job = IngestJob.model_validate(event)
        logger.append_keys(asset_id=job.asset_id)
        return {"assetId": job.asset_id, "outcome": run_ingest(job, worker=worker())}

    return handle


_handle = build_handler(lru_cache(maxsize=1)(ingest_worker_service))


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return _handle(event, context)
