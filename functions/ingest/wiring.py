"""The ingest API function's collaborators, built from its settings."""

from __future__ import annotations

from functions.common.quota import quota_from
from functions.common.settings import IngestSettings, settings_for
from functions.common.wiring import Collaborators, data_access
from functions.ingest.idempotency import PowertoolsIdempotency
from functions.ingest.invoker import LambdaInvoker
from functions.ingest.logic import Ingester
from functions.ingest.urls import PUBLIC_NETWORK, HostAllowlist, NetworkPolicy


def build(settings: IngestSettings | None = None, network: NetworkPolicy = PUBLIC_NETWORK) -> Ingester:
    """`network` is the public-only policy unless the local server passes its own."""
    settings = settings or settings_for(IngestSettings)
    return Ingester(
        **data_access(settings),
        invoker=LambdaInvoker(settings.ingest_worker_function_name),
        idempotency=PowertoolsIdempotency.on_table(settings.idempotency_table_name),
        allowlist=HostAllowlist.parse(settings.asset_host_allowlist),
        network=network,
        read_ttl_seconds=settings.read_url_ttl_seconds,
        max_in_flight=settings.ingest_max_in_flight,
        quota=quota_from(settings),
    )


collaborators = Collaborators(build)
