"""The ingest worker Lambda, invoked asynchronously by `POST /ingest` with `{"owner", "assetId"}`."""

from __future__ import annotations

from functions.common.coldstart import imports_without_gc

with imports_without_gc():
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.ingest import worker_wiring
    from functions.ingest.worker_logic import IngestJob, run_ingest

logger = Logger(service="ingest-worker")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    job = IngestJob.model_validate(event)
    logger.append_keys(asset_id=job.asset_id)
    return {"assetId": job.asset_id, "outcome": run_ingest(job, worker=worker_wiring.collaborators())}
