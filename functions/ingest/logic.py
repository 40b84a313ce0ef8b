"""Ingest API: check the URL at once, create the asset as `ingesting`, hand the fetch to the worker, maybe wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from posixpath import basename
from typing import Any

from pydantic import Field

from functions.common.bucket_ports import ReadSigner
from functions.common.clock import Clock
from functions.common.duplicates import DUPLICATE_CODE, find_duplicate
from functions.common.errors import IdempotencyInProgress, InvalidRequest, UrlNotAllowed
from functions.common.identity import owner_key
from functions.common.metadata import MAX_FILENAME_LENGTH, AssetMetadata
from functions.common.models import Asset, AssetOut, AssetSource, AssetStatus, AssetType, new_asset
from functions.common.ports import Quota
from functions.common.presenter import present
from functions.common.quota import DEFAULT_QUOTA, create_within_quota
from functions.ingest.idempotency import Idempotency, KeyAlreadyInProgress
from functions.ingest.in_flight import IngestRecords, take_place
from functions.ingest.invoker import WorkerInvoker
from functions.ingest.urls import MAX_URL_LENGTH, HostAllowlist, NetworkPolicy, UrlRefused, check_url
from functions.system import LIMIT_DEFAULTS

WAIT_POLL_SECONDS = 0.5
# How long a request waits for another request with the same Idempotency-Key before answering 409.
IN_PROGRESS_WAIT_SECONDS = 5.0
MAX_IDEMPOTENCY_KEY_LENGTH = 200


class IngestRequest(AssetMetadata):
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    asset_type: AssetType = AssetType.GENERATED


@dataclass(frozen=True)
class IngestAnswer:
    """The asset as shown, and 202 while it is still `ingesting` (201 once finished)."""

    asset: AssetOut
    status_code: int


@dataclass(frozen=True)
class Ingester:
    repository: IngestRecords
    store: ReadSigner
    clock: Clock
    invoker: WorkerInvoker
    idempotency: Idempotency
    allowlist: HostAllowlist
    network: NetworkPolicy
    read_ttl_seconds: int
    max_in_flight: int = int(LIMIT_DEFAULTS["INGEST_MAX_IN_FLIGHT"])  # per user; 0: no cap
    quota: Quota = DEFAULT_QUOTA
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic


def start_ingest(
    *, owner: str, request: IngestRequest, idempotency_key: str | None, wait_seconds: int, ingester: Ingester
) -> IngestAnswer:
    """Refuse a URL that can never be fetched (422); else create or replay the asset and wait up to `wait_seconds`."""
    try:
        checked = check_url(request.url, allowlist=ingester.allowlist, network=ingester.network)
    except UrlRefused as error:
        raise UrlNotAllowed(UrlRefused.MESSAGE) from error
    source_url = str(checked.url)

    def create() -> dict[str, Any]:
        return {"assetId": _create(owner=owner, request=request, source_url=source_url, ingester=ingester)}

    if idempotency_key is None:
        asset_id = create()["assetId"]
    else:
        if not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
            raise InvalidRequest(f"Idempotency-Key: 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters")
        body = request.model_dump(mode="json")
        asset_id = _once(owner_key(owner, idempotency_key), body, create, ingester)["assetId"]
    asset = _wait(owner, asset_id, wait_seconds, ingester)
    return _answer(asset, ingester)


def _once(key: str, body: dict[str, Any], action: Callable[[], dict[str, Any]], ingester: Ingester) -> dict[str, Any]:
    """Run `action` once per key; while another request holds the key, wait a little for its result."""
    give_up = ingester.monotonic() + IN_PROGRESS_WAIT_SECONDS
    while True:
        try:
            return ingester.idempotency.once(key=key, body=body, action=action)
        except KeyAlreadyInProgress as error:
            if ingester.monotonic() >= give_up:
                raise IdempotencyInProgress("A request with this Idempotency-Key is still running; retry.") from error
            ingester.sleep(WAIT_POLL_SECONDS)


def _create(*, owner: str, request: IngestRequest, source_url: str, ingester: Ingester) -> str:
    now = ingester.clock()
    metadata = request.model_dump(include=set(AssetMetadata.model_fields))
    derived = basename(request.url.split("?")[0].split("#")[0])[:MAX_FILENAME_LENGTH]
    metadata["filename"] = metadata.get("filename") or derived or None
    asset = new_asset(
        owner=owner,
        now=now,
        status=AssetStatus.INGESTING,
        source=AssetSource.INGEST,
        source_url=source_url,
        **metadata,
    )
    records = ingester.repository
    take_place(owner=owner, asset_id=asset.id, cap=ingester.max_in_flight, records=records, now=now)
    try:
        stored = create_within_quota(asset, records=records, quota=ingester.quota)
        try:
            ingester.invoker.invoke({"owner": owner, "assetId": asset.id})
        except Exception:
            records.delete(stored)  # never leave an asset that no worker will finish
            raise
    except Exception:
        records.free_ingest_slots(owner, [asset.id])  # no worker will free it
        raise
    return asset.id


def _wait(owner: str, asset_id: str, wait_seconds: int, ingester: Ingester) -> Asset:
    """Poll the asset until it leaves `ingesting` or `wait_seconds` pass."""
    give_up = ingester.monotonic() + wait_seconds
    while True:
        asset = ingester.repository.get(owner, asset_id).asset
        remaining = give_up - ingester.monotonic()
        if asset.status != AssetStatus.INGESTING or remaining <= 0:
            return asset
        ingester.sleep(min(WAIT_POLL_SECONDS, remaining))


def _answer(asset: Asset, ingester: Ingester) -> IngestAnswer:
    if asset.error is not None and asset.error.code == DUPLICATE_CODE and asset.sha256:
        existing = find_duplicate(ingester.repository, asset.owner, asset.sha256)
        if existing is not None:
            return IngestAnswer(asset=present(existing, by=ingester, duplicate=True), status_code=201)
    return IngestAnswer(
        asset=present(asset, by=ingester), status_code=202 if asset.status == AssetStatus.INGESTING else 201
    )
