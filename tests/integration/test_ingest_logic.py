"""Ingest on moto: URL checks, Idempotency-Key (Powertools on DynamoDB), ?wait, and the worker's outcomes.

The worker's logic that needs no AWS (deadline, failure codes, a job run twice) is tested over in-memory fakes in
tests/unit/test_ingest_worker_units.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from devserver.iam.principal import acting_as
from functions.common.errors import IdempotencyInProgress, IdempotencyKeyReused, UrlNotAllowed
from functions.common.models import AssetStatus, View
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.ingest.fetcher import HostNotFound, SafeFetcher
from functions.ingest.idempotency import PowertoolsIdempotency
from functions.ingest.logic import Ingester, IngestRequest, start_ingest
from functions.ingest.outcomes import SourceNotReady
from functions.ingest.urls import PUBLIC_NETWORK, HostAllowlist
from functions.ingest.worker_logic import IngestJob, run_ingest
from tests.builders import ingest_worker
from tests.conftest import BUCKET
from tests.fakes import FakeTime, ScriptedFetcher
from tests.imagegen import png_bytes

URL = "https://images.example.com/gen/cat.png"


@dataclass
class RecordingInvoker:
    payloads: list[dict[str, Any]] = field(default_factory=list)
    on_invoke: Callable[[dict[str, Any]], None] = lambda payload: None

    def invoke(self, payload: dict[str, Any]) -> None:
        self.payloads.append(payload)
        self.on_invoke(payload)


@pytest.fixture
def idempotency(idempotency_table: str) -> PowertoolsIdempotency:
    return PowertoolsIdempotency.on_table(idempotency_table)


@pytest.fixture
def time_(now: datetime) -> FakeTime:
    return FakeTime(now=now)


@pytest.fixture
def invoker() -> RecordingInvoker:
    return RecordingInvoker()


@pytest.fixture
def ingester(
    repository: AssetRepository,
    store: ObjectStore,
    idempotency: PowertoolsIdempotency,
    time_: FakeTime,
    invoker: RecordingInvoker,
) -> Ingester:
    return Ingester(
        repository=repository,
        store=store,
        clock=time_.clock,
        invoker=invoker,
        idempotency=idempotency,
        allowlist=HostAllowlist(),
        network=PUBLIC_NETWORK,
        read_ttl_seconds=600,
        sleep=time_.sleep,
        monotonic=time_.monotonic,
    )


def started(ingester: Ingester, url: str = URL) -> str:
    return start_ingest(
        owner="alice", request=IngestRequest(url=url), idempotency_key=None, wait_seconds=0, ingester=ingester
    ).asset.id


def gallery_ids(repository: AssetRepository) -> list[str]:
    return [asset.id for asset in repository.page("alice", View.ALL, None, 100, None).items]


@pytest.mark.parametrize("url", ["https://169.254.169.254/latest/meta-data", "https://127.0.0.1%09/a.png"])
def test_url_that_can_never_be_fetched_is_a_422_at_once(
    ingester: Ingester, repository: AssetRepository, invoker: RecordingInvoker, url: str
) -> None:
    # Given / When
    with pytest.raises(UrlNotAllowed) as refused:
        started(ingester, url)
    # Then nothing was created or started
    assert refused.value.status == 422
    assert gallery_ids(repository) == []
    assert invoker.payloads == []


def test_ingest_creates_an_ingesting_asset_and_starts_the_worker(ingester: Ingester, invoker: RecordingInvoker) -> None:
    # Given / When
    answer = start_ingest(
        owner="alice",
        request=IngestRequest(url=URL, prompt="a cat"),
        idempotency_key=None,
        wait_seconds=0,
        ingester=ingester,
    )
    # Then
    assert answer.status_code == 202
    assert answer.asset.status == AssetStatus.INGESTING
    assert answer.asset.source_url == URL
    assert answer.asset.filename == "cat.png"
    assert invoker.payloads == [{"owner": "alice", "assetId": answer.asset.id}]


def test_wait_returns_201_with_the_finished_asset(
    ingester: Ingester, repository: AssetRepository, store: ObjectStore, time_: FakeTime, invoker: RecordingInvoker
) -> None:
    # Given a worker that finishes the job while the API waits
    fetcher = ScriptedFetcher([png_bytes(30, 20)])
    worker = ingest_worker(repository, store, FakeTime(now=time_.now), fetcher)
    jobs: list[dict[str, Any]] = []
    invoker.on_invoke = jobs.append

    def run_jobs() -> None:
        with acting_as("ingest_worker"):  # the worker is another function, with its own role
            for job in jobs:
                run_ingest(IngestJob.model_validate(job), worker=worker)

    time_.on_sleep = run_jobs
    # When
    answer = start_ingest(
        owner="alice", request=IngestRequest(url=URL), idempotency_key=None, wait_seconds=10, ingester=ingester
    )
    # Then
    assert answer.status_code == 201
    assert answer.asset.status == AssetStatus.PROCESSING
    assert (answer.asset.width, answer.asset.height, answer.asset.mime) == (30, 20, "image/png")
    assert answer.asset.url


def test_wait_gives_up_with_202_when_the_worker_is_slow(ingester: Ingester, time_: FakeTime) -> None:
    # Given a worker that never finishes / When
    answer = start_ingest(
        owner="alice", request=IngestRequest(url=URL), idempotency_key=None, wait_seconds=3, ingester=ingester
    )
    # Then it waited about the asked time and no longer
    assert answer.status_code == 202
    assert 3 <= time_.elapsed < 4


def test_same_idempotency_key_and_body_returns_the_same_asset(
    ingester: Ingester, repository: AssetRepository, invoker: RecordingInvoker
) -> None:
    # Given
    request = IngestRequest(url=URL, prompt="p")
    first = start_ingest(owner="alice", request=request, idempotency_key="k1", wait_seconds=0, ingester=ingester)
    # When
    second = start_ingest(owner="alice", request=request, idempotency_key="k1", wait_seconds=0, ingester=ingester)
    # Then
    assert second.asset.id == first.asset.id
    assert gallery_ids(repository) == [first.asset.id]
    assert len(invoker.payloads) == 1


def test_same_key_from_another_user_is_another_request(ingester: Ingester, invoker: RecordingInvoker) -> None:
    # Given / When
    request = IngestRequest(url=URL)
    mine = start_ingest(owner="alice", request=request, idempotency_key="k", wait_seconds=0, ingester=ingester)
    theirs = start_ingest(owner="bob", request=request, idempotency_key="k", wait_seconds=0, ingester=ingester)
    # Then
    assert mine.asset.id != theirs.asset.id


def test_owners_whose_sub_and_key_join_to_the_same_string_make_two_requests(
    ingester: Ingester, invoker: RecordingInvoker
) -> None:
    # Given owner `team#alice` with key `k1`, and owner `team` with key `alice#k1`: both join to `team#alice#k1`
    request = IngestRequest(url=URL)
    theirs = start_ingest(owner="team#alice", request=request, idempotency_key="k1", wait_seconds=0, ingester=ingester)
    # When the second sends the same body
    mine = start_ingest(owner="team", request=request, idempotency_key="alice#k1", wait_seconds=0, ingester=ingester)
    # Then it is a request of its own, with its own asset, not a replay of the other owner's
    assert mine.asset.id != theirs.asset.id
    assert len(invoker.payloads) == 2


def test_same_key_with_another_body_is_a_409(ingester: Ingester) -> None:
    # Given
    start_ingest(owner="alice", request=IngestRequest(url=URL), idempotency_key="k2", wait_seconds=0, ingester=ingester)
    # When / Then
    with pytest.raises(IdempotencyKeyReused) as reused:
        start_ingest(
            owner="alice",
            request=IngestRequest(url=URL, prompt="other"),
            idempotency_key="k2",
            wait_seconds=0,
            ingester=ingester,
        )
    assert (reused.value.status, reused.value.code) == (409, "idempotency_key_reused")


def test_same_key_twice_at_once_makes_one_asset(
    ingester: Ingester, repository: AssetRepository, invoker: RecordingInvoker, time_: FakeTime
) -> None:
    # Given the second request arriving while the first still holds the key (a deterministic interleaving)
    request = IngestRequest(url=URL)
    second: list[Exception] = []

    def concurrent_request(_: dict[str, Any]) -> None:
        try:
            start_ingest(owner="alice", request=request, idempotency_key="k3", wait_seconds=0, ingester=ingester)
        except Exception as error:
            second.append(error)

    invoker.on_invoke = concurrent_request
    # When
    first = start_ingest(owner="alice", request=request, idempotency_key="k3", wait_seconds=0, ingester=ingester)
    invoker.on_invoke = lambda payload: None
    third = start_ingest(owner="alice", request=request, idempotency_key="k3", wait_seconds=0, ingester=ingester)
    # Then the overlapping request waited, then got a 409 to retry; the retry got the same single asset
    assert len(second) == 1 and isinstance(second[0], IdempotencyInProgress)
    assert time_.sleeps  # it waited for the first before giving up
    assert third.asset.id == first.asset.id
    assert gallery_ids(repository) == [first.asset.id]
    assert [payload["assetId"] for payload in invoker.payloads] == [first.asset.id]  # one worker started


# The worker


def test_worker_retries_not_ready_honouring_retry_after_then_stores(
    ingester: Ingester, repository: AssetRepository, store: ObjectStore, time_: FakeTime, s3_client: Any
) -> None:
    # Given a source that is not ready twice, then delivers
    asset_id = started(ingester)
    data = png_bytes(40, 30)
    fetcher = ScriptedFetcher([SourceNotReady(425, 7.0), SourceNotReady(503, None), data])
    # When
    outcome = run_ingest(
        IngestJob(owner="alice", assetId=asset_id), worker=ingest_worker(repository, store, time_, fetcher)
    )
    # Then
    assert outcome == "stored"
    assert time_.sleeps == [7.0, 2.0]  # Retry-After, then exponential backoff
    asset = repository.get("alice", asset_id).asset
    assert asset.status == AssetStatus.PROCESSING
    assert (asset.mime, asset.width, asset.height, asset.size) == ("image/png", 40, 30, len(data))
    assert asset.source_url == URL
    assert s3_client.get_object(Bucket=BUCKET, Key=asset.original_key)["Body"].read() == data


def test_ingesting_bytes_already_stored_points_at_the_existing_asset(
    ingester: Ingester, repository: AssetRepository, store: ObjectStore, time_: FakeTime
) -> None:
    # Given an image already ingested
    data = png_bytes(12, 12)
    first = started(ingester)
    run_ingest(
        IngestJob(owner="alice", assetId=first), worker=ingest_worker(repository, store, time_, ScriptedFetcher([data]))
    )
    second = started(ingester, "https://images.example.com/again.png")
    # When the same bytes come in again
    outcome = run_ingest(
        IngestJob(owner="alice", assetId=second),
        worker=ingest_worker(repository, store, time_, ScriptedFetcher([data])),
    )
    answer = start_ingest(
        owner="alice", request=IngestRequest(url=URL), idempotency_key=None, wait_seconds=0, ingester=ingester
    )
    # Then no second original is kept, and a waiting client is shown the existing asset as a duplicate
    assert outcome == "duplicate"
    assert repository.get("alice", second).asset.error.code == "duplicate"  # type: ignore[union-attr]
    from functions.ingest.logic import _answer

    shown = _answer(repository.get("alice", second).asset, ingester)
    assert (shown.asset.id, shown.asset.duplicate, shown.status_code) == (first, True, 201)
    assert answer.status_code == 202


def test_a_job_queued_past_the_deadline_still_gets_its_whole_budget(
    ingester: Ingester, repository: AssetRepository, store: ObjectStore, time_: FakeTime
) -> None:
    # Given an asset created long before its worker starts (queued behind other users' ingests)
    asset_id = started(ingester)
    time_.elapsed += 300  # > INGEST_DEADLINE_SECONDS (120)
    fetcher = ScriptedFetcher([SourceNotReady(425, 5.0), png_bytes(20, 20)])
    # When the worker runs
    outcome = run_ingest(
        IngestJob(owner="alice", assetId=asset_id), worker=ingest_worker(repository, store, time_, fetcher)
    )
    # Then the deadline counted from the worker's start: it waited for the source and stored the image
    assert outcome == "stored"
    assert time_.sleeps == [5.0]


def _no_such_host(host: str, port: int) -> list[str]:
    raise HostNotFound(f"{host}: Name or service not known")


def test_a_host_that_does_not_resolve_fails_at_once_as_unreachable(
    ingester: Ingester, repository: AssetRepository, store: ObjectStore, time_: FakeTime
) -> None:
    # Given the real fetcher over a resolver saying the name does not exist
    asset_id = started(ingester, "https://nowhere.example.com/a.png")
    fetcher = SafeFetcher(
        network=PUBLIC_NETWORK,
        allowlist=HostAllowlist(),
        max_bytes=1_000_000,
        resolver=_no_such_host,
        monotonic=time_.monotonic,
    )
    worker = dataclasses.replace(ingest_worker(repository, store, time_, ScriptedFetcher([])), fetcher=fetcher)
    # When the worker runs
    outcome = run_ingest(IngestJob(owner="alice", assetId=asset_id), worker=worker)
    # Then it failed as unreachable without waiting out the deadline
    asset = repository.get("alice", asset_id).asset
    assert outcome == "source_unreachable"
    assert asset.status == AssetStatus.FAILED and asset.error and asset.error.code == "source_unreachable"
    assert time_.sleeps == []
