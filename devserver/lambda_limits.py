"""Lambda's own limits as the local server applies them: each function's timeout and asynchronous retry policy.

The numbers come from `infra.capabilities.PROFILES`, the table the stack deploys from, so local and deployed agree.
Tests (and impatient developers) can shrink them with environment variables read here only:

- `LOCAL_LAMBDA_TIMEOUT_SCALE` multiplies every function's timeout (default 1);
- `LOCAL_LAMBDA_TIMEOUTS` sets some outright, in seconds: `purge=2,thumbnail=0.5`;
- `LOCAL_ASYNC_RETRY_DELAYS` is the wait before each retry of an asynchronous event, in seconds (default `1,2`;
  Lambda waits about one minute, then about two).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from infra.capabilities import PROFILES

# What Lambda's errors name as the limit of a synchronous invocation's response (6 MB plus a small envelope).
RESPONSE_LIMIT_BYTES = 6_291_556
# Lambda's limit on an environment's init phase; a longer init is re-run inside the invocation, under its timeout.
INIT_TIMEOUT_SECONDS = 10.0
DEFAULT_RETRY_DELAYS = (1.0, 2.0)
LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class AsyncPolicy:
    """The stack's EventInvokeConfig for one function: how often to retry and how old an event may get."""

    retry_attempts: int
    max_event_age_seconds: float
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS

    def delay_before_retry(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1-based); the last delay repeats."""
        if not self.retry_delays:
            return 0.0
        return self.retry_delays[min(retry, len(self.retry_delays)) - 1]


@dataclass(frozen=True)
class LambdaLimits:
    timeout_scale: float = 1.0
    timeouts: Mapping[str, float] = field(default_factory=dict)
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> LambdaLimits:
        timeouts: dict[str, float] = {}
        for entry in environ.get("LOCAL_LAMBDA_TIMEOUTS", "").split(","):
            name, _, seconds = entry.partition("=")
            if name.strip():
                if name.strip() not in PROFILES:
                    raise ValueError(f"LOCAL_LAMBDA_TIMEOUTS: no such function: {name.strip()}")
                timeouts[name.strip()] = float(seconds)
        raw_delays = environ.get("LOCAL_ASYNC_RETRY_DELAYS", "")
        delays = tuple(float(d) for d in raw_delays.split(",") if d.strip()) if raw_delays else DEFAULT_RETRY_DELAYS
        return cls(
            timeout_scale=float(environ.get("LOCAL_LAMBDA_TIMEOUT_SCALE", "1")),
            timeouts=timeouts,
            retry_delays=delays,
        )

    def timeout(self, function: str) -> float:
        """The function's configured timeout in seconds (the profile's, unless overridden here)."""
        if function in self.timeouts:
            return self.timeouts[function]
        profile = PROFILES.get(function)
        return (profile.timeout_seconds if profile else LAMBDA_DEFAULT_TIMEOUT_SECONDS) * self.timeout_scale

    def async_policy(self, function: str) -> AsyncPolicy:
        profile = PROFILES[function]
        if not profile.invocation.asynchronous:  # the stack sets no EventInvokeConfig: Lambda's defaults apply
            return AsyncPolicy(retry_attempts=2, max_event_age_seconds=6 * 3600, retry_delays=self.retry_delays)
        return AsyncPolicy(
            retry_attempts=profile.retry_attempts,
            max_event_age_seconds=profile.max_event_age_seconds,
            retry_delays=self.retry_delays,
        )
