"""The local server throttles each route as the stack does (functions.system) and answers 429 as API Gateway does."""

from __future__ import annotations

from typing import Any

from werkzeug.test import Client

from devserver.auth import LocalAuthority
from devserver.gateway import Gateway
from devserver.throttle import RouteThrottles, TokenBucket
from functions.system import PUBLIC_THROTTLE, ROUTES, STAGE_THROTTLE, Throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# The bucket


def test_a_bucket_admits_its_burst_at_once_then_refuses() -> None:
    # Given a full bucket of 3 that refills 2 tokens a second, and a clock that stands still
    clock = FakeClock()
    bucket = TokenBucket(Throttle(rate_per_second=2, burst=3), clock)
    # When 4 requests arrive at the same instant, Then the first 3 pass and the 4th is refused
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_a_bucket_refills_at_its_rate_and_never_above_its_burst() -> None:
    # Given an emptied bucket of 3 refilling 2 a second
    clock = FakeClock()
    bucket = TokenBucket(Throttle(rate_per_second=2, burst=3), clock)
    while bucket.take():
        pass
    # When half a second passes, Then one request passes and the next does not
    clock.now += 0.5
    assert [bucket.take(), bucket.take()] == [True, False]
    # When an hour passes, Then the bucket holds its burst and no more
    clock.now += 3600
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_each_route_has_its_own_bucket_sized_by_the_route_table() -> None:
    # Given the deployed limits and a clock that stands still
    throttles = RouteThrottles(ROUTES, clock=FakeClock())
    health = next(route for route in ROUTES if route.route_key == "GET /health")
    gallery = next(route for route in ROUTES if route.route_key == "GET /gallery")
    # When /health is called past its burst
    admitted = [throttles.admit(health) for _ in range(PUBLIC_THROTTLE.burst + 1)]
    # Then its last call is refused, and /gallery still has its whole, larger burst
    assert admitted.count(True) == PUBLIC_THROTTLE.burst and admitted[-1] is False
    assert all(throttles.admit(gallery) for _ in range(STAGE_THROTTLE.burst))
    assert not throttles.admit(gallery)


def test_the_scale_multiplies_the_limits_and_zero_turns_them_off() -> None:
    # Given /health's route
    health = next(route for route in ROUTES if route.route_key == "GET /health")
    # When the limits are doubled, Then twice the burst passes
    doubled = RouteThrottles(ROUTES, scale=2, clock=FakeClock())
    assert [doubled.admit(health) for _ in range(2 * PUBLIC_THROTTLE.burst + 1)].count(
        True
    ) == 2 * PUBLIC_THROTTLE.burst
    # When the scale is 0, Then nothing is throttled
    off = RouteThrottles(ROUTES, scale=0, clock=FakeClock())
    assert all(off.admit(health) for _ in range(10 * PUBLIC_THROTTLE.burst))


# The gateway


def _gateway(calls: list[str], clock: FakeClock) -> tuple[Client, LocalAuthority]:
    def invoke(function: str, event: dict[str, Any]) -> Any:
        calls.append(event["routeKey"])
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    authority = LocalAuthority(b"k" * 32)
    gateway = Gateway(
        authority=authority,
        allowed_origins=(),
        dev_routes={},
        invoke=invoke,
        throttles=RouteThrottles(ROUTES, clock=clock),
    )
    return Client(gateway), authority


def test_anonymous_requests_past_their_burst_get_429_while_signed_in_routes_still_answer() -> None:
    # Given the local gateway with the deployed limits and a clock that stands still
    calls: list[str] = []
    client, authority = _gateway(calls, FakeClock())
    bearer = {"Authorization": f"Bearer {authority.issue('alice')}"}

    # When an anonymous client calls /health one more time than its burst
    answers = [client.get("/health") for _ in range(PUBLIC_THROTTLE.burst + 1)]

    # Then the burst is served, and the next one is API Gateway's 429, without invoking the function
    assert [answer.status_code for answer in answers[:-1]] == [200] * PUBLIC_THROTTLE.burst
    throttled = answers[-1]
    assert throttled.status_code == 429
    assert throttled.json is not None and throttled.json["message"] == "Too Many Requests"
    assert (throttled.json["status"], throttled.json["code"]) == (429, "throttled")
    assert calls == ["GET /health"] * PUBLIC_THROTTLE.burst
    # And a signed-in user's route still answers
    assert client.get("/gallery", headers=bearer).status_code == 200
    assert calls[-1] == "GET /gallery"


def test_unmatched_paths_share_the_default_routes_small_bucket() -> None:
    # Given the local gateway with the deployed limits and a clock that stands still
    calls: list[str] = []
    client, authority = _gateway(calls, FakeClock())
    # When a scanner tries many unknown paths without a token
    answers = [client.get(f"/scan/{n}").status_code for n in range(PUBLIC_THROTTLE.burst + 1)]
    # Then the authorizer refuses the burst and the bucket (checked first) the next one, and no function ever runs
    assert answers == [401] * PUBLIC_THROTTLE.burst + [429]
    assert calls == []
    # And a signed-in user's unknown path shares that small bucket: `$default` has one bucket, whoever calls
    bearer = {"Authorization": f"Bearer {authority.issue('alice')}"}
    assert client.get("/scan/mine", headers=bearer).status_code == 429
