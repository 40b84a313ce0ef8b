"""The local moto server answers one DynamoDB request at a time (DynamoDB's conditional writes are atomic; moto's
threaded server's are not), and leaves S3 and SQS requests concurrent."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from devserver.dynamodb_serial import OneDynamoDBRequestAtATime


class MeetingApp:
    """A WSGI app whose requests each wait a little for a second one to be inside at the same time."""

    def __init__(self) -> None:
        self.meeting = threading.Barrier(2, timeout=0.5)
        self.met: list[bool] = []
        self.closed = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            self.meeting.wait()
            self.met.append(True)
        except threading.BrokenBarrierError:
            self.met.append(False)
        start_response("200 OK", [])
        return self._body()

    def _body(self) -> Any:
        app = self

        class Body(list[bytes]):
            def close(self) -> None:
                app.closed += 1

        return Body([b"{", b"}"])


def two_at_once(headers: dict[str, str]) -> tuple[MeetingApp, list[bytes]]:
    app = MeetingApp()
    served = OneDynamoDBRequestAtATime(app)
    environ = {"REQUEST_METHOD": "POST", **headers}
    with ThreadPoolExecutor(max_workers=2) as pool:
        bodies = list(pool.map(lambda _: b"".join(served(dict(environ), lambda *a: None)), range(2)))
    return app, bodies


def test_two_dynamodb_requests_never_run_at_the_same_time() -> None:
    # Given / When two DynamoDB requests arrive at once
    app, bodies = two_at_once({"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.TransactWriteItems"})
    # Then neither ever had the other inside with it, each got its whole answer, and moto's bodies were closed
    assert app.met == [False, False]
    assert bodies == [b"{}", b"{}"]
    assert app.closed == 2


def test_other_requests_stay_concurrent() -> None:
    # Given / When two S3 requests arrive at once
    app, _ = two_at_once({"PATH_INFO": "/test-media/originals/a"})
    # Then they ran together
    assert app.met == [True, True]
