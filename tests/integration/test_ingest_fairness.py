"""Fair ingest on moto: each user has at most `INGEST_MAX_IN_FLIGHT` ingests in flight (429 `too_many_ingests`).

The handler runs from API Gateway events under the ingest function's role, the worker under its own. moto's
conditional writes are not atomic under threads (TOOLING-NOTES), so concurrency is a deterministic interleaving.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from devserver.iam.principal import acting_as
from functions.common.models import AssetStatus
from functions.common.repository import AssetRepository
from functions.common.storage import ObjectStore
from functions.ingest import wiring
from functions.ingest.idempotency import PowertoolsIdempotency
from functions.ingest.in_flight import PLACE_LIFETIME, take_place
from functions.ingest.logic import Ingester
from functions.ingest.urls import PUBLIC_NETWORK, HostAllowlist
from functions.ingest.worker_logic import IngestJob, run_ingest
from tests.api_events import FakeContext, http_event
from tests.builders import ingest_worker
from tests.conftest import function_environment
from tests.fakes import FakeTime, ScriptedFetcher
from tests.imagegen import png_bytes

CAP = 2
URL = "https://images.example.com/gen/cat.png"


class QueuedInvoker:
    """Queues the worker's events, as Lambda does while every worker is busy."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def invoke(self, payload: dict[str, Any]) -> None:
        self.payloads.append(payload)


@pytest.fixture
def invoker() -> QueuedInvoker:
    return QueuedInvoker()


@pytest.fixture
def time_(now: datetime) -> FakeTime:
    return FakeTime(now=now)


@pytest.fixture
def handler(
    aws: None,
    monkeypatch: pytest.MonkeyPatch,
    idempotency_table: str,
    repository: AssetRepository,
    store: ObjectStore,
    time_: FakeTime,
    invoker: QueuedInvoker,
) -> Iterator[Any]:
    from functions.ingest import handler as ingest

    environment = function_environment(monkeypatch, STRICT_PROBLEMS="true")
    next(environment)
    wiring.collaborators.use(
        Ingester(
            repository=repository,
            store=store,
            clock=time_.clock,
            invoker=invoker,
            idempotency=PowertoolsIdempotency.on_table(idempotency_table),
            allowlist=HostAllowlist(),
            network=PUBLIC_NETWORK,
            read_ttl_seconds=600,
            max_in_flight=CAP,
            sleep=time_.sleep,
            monotonic=time_.monotonic,
        )
    )
    yield ingest.handler
    wiring.collaborators.reset()
    next(environment, None)


def post_ingest(handler: Any, sub: str, **headers: str) -> dict[str, Any]:
    body = json.dumps({"url": URL})
    event = http_event("POST", "/ingest", sub=sub, body=body, headers={"content-type": "application/json", **headers})
    result: dict[str, Any] = handler(event, FakeContext())
    return result


def finish(repository: AssetRepository, store: ObjectStore, time_: FakeTime, payload: dict[str, Any]) -> str:
    worker = ingest_worker(repository, store, time_, ScriptedFetcher([png_bytes()]))
    with acting_as("ingest_worker"):
        return run_ingest(IngestJob.model_validate(payload), worker=worker)


def test_one_user_over_the_cap_gets_429_while_another_user_is_accepted(handler: Any) -> None:
    # Given alice has as many ingests in flight as one user may
    assert [post_ingest(handler, "alice")["statusCode"] for _ in range(CAP)] == [202] * CAP
    # When she starts one more, and bob starts one
    refused = post_ingest(handler, "alice")
    accepted = post_ingest(handler, "bob")
    # Then hers is a 429 with Retry-After, and bob's is accepted
    assert refused["statusCode"] == 429
    assert json.loads(refused["body"])["code"] == "too_many_ingests"
    assert int(refused["headers"]["Retry-After"]) > 0
    assert accepted["statusCode"] == 202


def test_a_refused_ingest_creates_nothing_and_starts_no_worker(
    handler: Any, repository: AssetRepository, invoker: QueuedInvoker
) -> None:
    # Given
    for _ in range(CAP):
        post_ingest(handler, "alice")
    # When
    post_ingest(handler, "alice")
    # Then only the accepted ones exist and were handed to the worker
    assert len(invoker.payloads) == CAP
    assert repository.ingest_slots("alice") == {payload["assetId"] for payload in invoker.payloads}


@pytest.mark.parametrize("source", [png_bytes(), b"not an image"], ids=["stored", "failed"])
def test_a_finished_ingest_frees_its_place(
    handler: Any,
    repository: AssetRepository,
    store: ObjectStore,
    time_: FakeTime,
    invoker: QueuedInvoker,
    source: bytes,
) -> None:
    # Given alice is at the cap
    for _ in range(CAP):
        post_ingest(handler, "alice")
    # When the worker finishes one of them, stored or failed
    worker = ingest_worker(repository, store, time_, ScriptedFetcher([source]))
    with acting_as("ingest_worker"):
        run_ingest(IngestJob.model_validate(invoker.payloads[0]), worker=worker)
    # Then she may start another
    assert post_ingest(handler, "alice")["statusCode"] == 202


def test_a_duplicate_frees_its_place_and_a_second_run_frees_nothing_else(
    handler: Any, repository: AssetRepository, store: ObjectStore, time_: FakeTime, invoker: QueuedInvoker
) -> None:
    # Given two ingests of the same bytes, both finished, the second as a duplicate
    for _ in range(CAP):
        post_ingest(handler, "alice")
    first, second = invoker.payloads
    assert finish(repository, store, time_, first) == "stored"
    assert finish(repository, store, time_, second) == "duplicate"
    # When Lambda runs the second job again (freeing its place twice)
    finish(repository, store, time_, second)
    # Then both places are free, and the cap still holds: exactly CAP more are accepted
    answers = [post_ingest(handler, "alice")["statusCode"] for _ in range(CAP + 1)]
    assert answers == [202] * CAP + [429]


def test_a_worker_that_could_not_be_invoked_frees_its_place(
    handler: Any, repository: AssetRepository, invoker: QueuedInvoker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the worker cannot be started
    def broken(payload: dict[str, Any]) -> None:
        raise ConnectionError("lambda is down")

    monkeypatch.setattr(invoker, "invoke", broken)
    # When alice tries more often than the cap
    answers = [post_ingest(handler, "alice")["statusCode"] for _ in range(CAP + 1)]
    # Then each failure is a plain error, never a 429: no place stays held by an ingest nobody runs
    assert 429 not in answers
    assert repository.ingest_slots("alice") == set()


def test_the_cap_holds_when_two_requests_race_for_the_last_place(repository: AssetRepository, now: datetime) -> None:
    # Given alice holds all but one place
    with acting_as("ingest"):
        assert repository.take_ingest_slot("alice", "01J00000000000000000000001", cap=CAP)
        # When two requests, having both seen one place free, take it one after the other
        first = repository.take_ingest_slot("alice", "01J00000000000000000000002", cap=CAP)
        second = repository.take_ingest_slot("alice", "01J00000000000000000000003", cap=CAP)
    # Then only the first gets it: the check and the write are one conditional update
    assert (first, second) == (True, False)
    assert len(repository.ingest_slots("alice")) == CAP


def test_a_place_a_crashed_worker_never_freed_is_taken_back(
    handler: Any, repository: AssetRepository, time_: FakeTime, invoker: QueuedInvoker
) -> None:
    # Given alice is at the cap and both workers crashed through their retries (the assets stay `ingesting`)
    for _ in range(CAP):
        post_ingest(handler, "alice")
    assert post_ingest(handler, "alice")["statusCode"] == 429
    # When longer than any worker runs has passed
    time_.now += PLACE_LIFETIME + timedelta(seconds=1)
    # Then she may ingest again, up to the cap
    answers = [post_ingest(handler, "alice")["statusCode"] for _ in range(CAP + 1)]
    assert answers == [202] * CAP + [429]
    assert all(repository.get("alice", p["assetId"]).asset.status == AssetStatus.INGESTING for p in invoker.payloads)


def test_a_finished_asset_whose_worker_died_before_freeing_is_taken_back_at_once(
    repository: AssetRepository, time_: FakeTime
) -> None:
    # Given a place held for an asset that is no longer ingesting (its worker died between the two writes)
    from tests.builders import new_asset

    done = new_asset(owner="alice", created_at=time_.now, status=AssetStatus.READY)
    with acting_as("ingest"):
        repository.create(done)
        repository.take_ingest_slot("alice", done.id, cap=1)
        # When alice starts another with a cap of one
        take_place(owner="alice", asset_id="01J00000000000000000000009", cap=1, records=repository, now=time_.now)
        # Then the finished one's place was taken back
        assert repository.ingest_slots("alice") == {"01J00000000000000000000009"}


def test_the_in_flight_item_is_no_asset(handler: Any, repository: AssetRepository, invoker: QueuedInvoker) -> None:
    # Given alice has ingests in flight
    from functions.common.models import View
    from functions.common.repository.tooling import every_asset, remove_all

    for _ in range(CAP):
        post_ingest(handler, "alice")
    ids = {payload["assetId"] for payload in invoker.payloads}
    # When / Then neither her gallery nor a scan of the table counts it as an asset, and emptying the table removes it
    assert {asset.id for asset in repository.page("alice", View.ALL, None, 50, None).items} == ids
    assert {asset.id for asset in every_asset(repository)} == ids
    remove_all(repository)
    assert repository.ingest_slots("alice") == set()


def test_a_refused_idempotency_key_can_be_retried_once_a_place_is_free(
    handler: Any, repository: AssetRepository, store: ObjectStore, time_: FakeTime, invoker: QueuedInvoker
) -> None:
    # Given alice is at the cap and an ingest with an Idempotency-Key is refused
    for _ in range(CAP):
        post_ingest(handler, "alice")
    assert post_ingest(handler, "alice", **{"Idempotency-Key": "k1"})["statusCode"] == 429
    # When a place frees and she retries with the same key
    finish(repository, store, time_, invoker.payloads[0])
    retried = post_ingest(handler, "alice", **{"Idempotency-Key": "k1"})
    # Then the key was not spent on the refusal: the retry starts the ingest
    assert retried["statusCode"] == 202
    assert json.loads(retried["body"])["id"] == invoker.payloads[-1]["assetId"]
