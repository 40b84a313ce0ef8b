"""API Gateway's route throttles: one token bucket per route key, sized by the route table (functions.system)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from functions.system import Route, Throttle


class TokenBucket:
    """Holds at most `burst` tokens, refilled at `rate_per_second`; each request takes one or is refused."""

    def __init__(self, throttle: Throttle, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = throttle.rate_per_second
        self._burst = float(throttle.burst)
        self._clock = clock
        self._tokens = self._burst
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
            self._last = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


class RouteThrottles:
    """Every route's bucket, each route's limits multiplied by `scale` (0: no throttling, as for the test suites)."""

    def __init__(self, routes: Iterable[Route], *, scale: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self._buckets: dict[str, TokenBucket] = {}
        if scale <= 0:
            return
        for route in routes:
            limits = route.effective_throttle
            scaled = Throttle(limits.rate_per_second * scale, max(1, round(limits.burst * scale)))
            self._buckets[route.route_key] = TokenBucket(scaled, clock)

    def admit(self, route: Route) -> bool:
        bucket = self._buckets.get(route.route_key)
        return bucket is None or bucket.take()
