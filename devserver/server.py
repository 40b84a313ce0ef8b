"""`make dev`: the whole backend on one port, with no AWS account and no Docker."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devserver.async_invocations import AsyncInvoker, FailureQueues
from devserver.auth import LocalAuthority
from devserver.aws import EmbeddedAws
from devserver.config import ASSET_TABLE, LocalConfig, function_environment, local_names
from devserver.connections_api import ConnectionsApi
from devserver.environments import FunctionError
from devserver.gateway import Gateway
from devserver.iam.enforce import install
from devserver.lambda_api import LambdaApi
from devserver.serving import serve_in_background, serve_until_shutdown
from devserver.stream_relay import POLL_INTERVAL_SECONDS, StreamRelay, notifier_mapping
from devserver.throttle import RouteThrottles
from devserver.web import WebApp
from devserver.websocket_api import WebSocketApi
from devserver.workers import Loop, purge_timer, run_purge, thumbnail_poller
from functions.common.errors import PROBLEM_JSON, problem
from functions.system import ROUTES

log = logging.getLogger("devserver")
SNAPSHOT_INTERVAL_SECONDS = 2.0
# Longer than any sub the API accepts, so tests can prove that refusal; short enough for a URL.
MAX_DEV_SUB_LENGTH = 1024


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _dev_problem(status: int, detail: str, code: str) -> Response:
    """A local-only route's refusal, built as the API builds its problems (its codes are not the API's)."""
    body = problem(status, "Bad request", detail, code)
    return Response(json.dumps(body), status=status, content_type=PROBLEM_JSON)


class LocalStack:
    """Everything `make dev` runs: AWS emulation, the gateway, the thumbnail poller, the purge timer."""

    def __init__(self, config: LocalConfig) -> None:
        self.config = config
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.authority = LocalAuthority.from_state(config.state_dir)
        self.aws = EmbeddedAws(config.state_dir, config.allowed_origins)
        self._dirty = threading.Event()
        self._loops: list[Loop] = []
        self._http: Any = None
        self._web: Any = None
        self.failure_queues: FailureQueues | None = None
        self.async_invoker = AsyncInvoker(deliver_failure=self._deliver_failure, on_attempt=self.mark_changed)
        # The WebSocket API (#14): its connections live only as long as the server, never in the snapshot.
        self.realtime = WebSocketApi(
            port=config.realtime_port,
            idle_seconds=config.realtime_idle_seconds,
            max_seconds=config.realtime_max_seconds,
        )
        self._connections_api = ConnectionsApi(self.realtime)

    def _deliver_failure(self, function: str, record: dict[str, Any]) -> None:
        if self.failure_queues is None:
            raise RuntimeError("the failure queues do not exist yet")
        self.failure_queues.deliver(function, record)

    def mark_changed(self) -> None:
        self._dirty.set()

    def _snapshot_if_changed(self) -> None:
        if self._dirty.is_set():
            self._dirty.clear()
            self.aws.snapshot()

    def _token(self, request: Request) -> Response:
        # Any sub an issuer may send, as it is (the API itself refuses one over 255 bytes with a 401).
        sub = request.args.get("sub", "")
        if not sub or len(sub) > MAX_DEV_SUB_LENGTH:
            return _dev_problem(400, f"Give ?sub=ID (1 to {MAX_DEV_SUB_LENGTH} characters).", "invalid_sub")
        return _json({"token": self.authority.issue(sub)})

    def _purge(self, request: Request) -> Response:
        raw = request.args.get("now")
        try:
            now = datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else datetime.now(UTC)
        except ValueError:
            return _dev_problem(400, "`now` must be an ISO 8601 time such as 2030-01-01T00:00:00Z.", "invalid_time")
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        try:
            result = run_purge(now)
        except FunctionError as error:  # synchronous, for tests: the purge's own error, as the Invoke API gives it
            log.error("%s", error)
            return _json(error.payload(), status=500)
        finally:
            self.mark_changed()
        return _json(result)

    def start(self) -> None:
        self._lambda_api = LambdaApi(submit=self.async_invoker.submit, on_change=self.mark_changed)
        lambda_endpoint = self._lambda_api.start()
        realtime_url = self.realtime.start()
        management_endpoint = self._connections_api.start()
        environment = function_environment(
            self.aws.endpoint,
            lambda_endpoint,
            realtime_url=realtime_url,
            realtime_management_endpoint=management_endpoint,
        )
        # A share's link (#15) opens the local web app, unless SHARE_BASE_URL says where else.
        environment["SHARE_BASE_URL"] = environment["SHARE_BASE_URL"] or f"http://127.0.0.1:{self.config.web_port}"
        os.environ.update(environment)
        self.aws.start()
        self.failure_queues = FailureQueues(self.aws.client("sqs")).create()
        # After the restore, so the items it writes back are not relayed as changes.
        # Lambda reads the stream with the notifier's own role: the server's calls run under it (enforcement here
        # restricts only calls made `acting_as` a function; the server's own housekeeping stays unrestricted).
        install(local_names())
        mapping = notifier_mapping()
        relay = StreamRelay(
            streams=self.aws.client("dynamodbstreams"),
            table=ASSET_TABLE,
            mapping=mapping,
            deliver_failure=self._deliver_failure,
            forget_iterator=self.aws.forget_stream_iterator,
            forget_records=self.aws.forget_stream_records,
            role=mapping.function,
        ).start()
        gateway = Gateway(
            authority=self.authority,
            allowed_origins=self.config.allowed_origins,
            dev_routes={("GET", "/__dev/token"): self._token, ("POST", "/__dev/purge"): self._purge},
            on_change=self.mark_changed,
            throttles=RouteThrottles(ROUTES, scale=self.config.throttle_scale),
        )
        self._http = make_server("127.0.0.1", self.config.port, gateway, threaded=True)
        # The demo web app on its own origin, so the browser goes through CORS like a deployed SPA does.
        web_app = WebApp(api_base=self.url, storage_origin=self.aws.endpoint, realtime_origin=self.realtime_origin)
        self._web = make_server("127.0.0.1", self.config.web_port, web_app, threaded=True)
        serve_in_background(self._web, "webapp")
        submit = self.async_invoker.submit
        self._loops = [
            Loop("thumbnails", thumbnail_poller(self.aws.client("sqs"), self.aws.queue_url, submit), 0.05),
            Loop("videos", thumbnail_poller(self.aws.client("sqs"), self.aws.video_queue_url, submit, "video"), 0.05),
            Loop("purge-timer", purge_timer(submit, lambda: datetime.now(UTC)), self.config.purge_interval_seconds),
            Loop("snapshot", self._snapshot_if_changed, SNAPSHOT_INTERVAL_SECONDS),
            Loop("asset-stream", relay.step, POLL_INTERVAL_SECONDS),
        ]
        for loop in self._loops:
            loop.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_port}"

    @property
    def realtime_origin(self) -> str:
        return f"ws://127.0.0.1:{self.realtime.port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self._web.server_port}"

    def serve_forever(self) -> None:
        serve_until_shutdown(self._http)


def serve() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for noisy in ("werkzeug", "botocore", "boto3", "websockets"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stack = LocalStack(LocalConfig.from_environ())
    stack.start()

    def _stop(*_: Any) -> None:
        threading.Thread(target=stack._http.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    token = stack.authority.issue("alice")
    print(f"Web app       {stack.web_url}", flush=True)
    print(f"Gallery API   {stack.url}", flush=True)
    print(f"WebSocket API {stack.realtime.url}?ticket=…   (tickets: POST {stack.url}/realtime/ticket)", flush=True)
    print(f"API docs      {stack.url}/docs   (OpenAPI: {stack.url}/openapi.json)", flush=True)
    print(f"AWS emulation {stack.aws.endpoint}   state: {stack.config.state_dir}", flush=True)
    print(f"Token (alice) {token}", flush=True)
    print(f"Try: curl -H 'Authorization: Bearer {token}' {stack.url}/gallery", flush=True)
    try:
        stack.serve_forever()
    finally:
        for loop in stack._loops:
            loop.stop()
        stack.async_invoker.close()
        stack.realtime.stop()
        stack._connections_api.stop()
        stack._web.shutdown()
        stack.aws.snapshot()
        stack.aws.stop()
        print("stopped; state saved", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="devserver", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the local stack (default)")
    token = commands.add_parser("token", help="print a token the local authorizer accepts")
    token.add_argument("sub", nargs="?", default="alice")
    args = parser.parse_args(argv)
    if args.command == "token":
        print(LocalAuthority.from_state(LocalConfig.from_environ().state_dir).issue(args.sub))
        return
    serve()


if __name__ == "__main__":
    main(sys.argv[1:])
