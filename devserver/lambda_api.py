"""The Lambda Invoke API on loopback, so handlers' `lambda.invoke(...)` runs the real handler locally.

moto's Lambda needs Docker to run code; this answers `POST /2015-03-31/functions/{name}/invocations` itself:
`Event` hands the event to the async queue (`devserver.async_invocations`: retries, failure queue) and answers 202 at
once; `RequestResponse` waits for the handler's result (a failure is a 200 with `X-Amz-Function-Error`). With
`DEV_INGEST_ALLOW_LOOPBACK=1` the ingest functions are built with a network policy that also reaches loopback (for
local demos and the e2e test); that policy exists only in the local server.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import ssl
from collections.abc import Callable
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devserver.environments import FunctionError, Handler, invoke, load_handler
from devserver.serving import serve_in_background
from functions.system import FUNCTIONS

log = logging.getLogger("devserver")
_PATH_PREFIX = "/2015-03-31/functions/"


class LoopbackDevNetwork:
    """Local-only policy: public addresses as in production, plus loopback on any port and any name."""

    def allows_address(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        from functions.ingest.addresses import is_public_unicast

        return address.is_loopback or is_public_unicast(address)

    def allows_port(self, port: int) -> bool:
        return True

    def allows_name(self, host: str) -> bool:
        return True


def loopback_ingest_handler(function: str) -> Handler:
    """The real `ingest` or `ingest_worker` handler, given the loopback-allowing policy (and `DEV_INGEST_CA_FILE`)."""
    from functions.ingest import wiring, worker_wiring

    network = LoopbackDevNetwork()
    if function == "ingest":
        wiring.collaborators.use(wiring.build(network=network))
    else:
        ca_file = os.environ.get("DEV_INGEST_CA_FILE")
        context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        worker_wiring.collaborators.use(worker_wiring.build(network=network, ssl_context=context))
    return load_handler(function)


class LambdaApi:
    """A second loopback listener answering the Invoke API for the functions in `functions.system.FUNCTIONS`."""

    def __init__(
        self,
        submit: Callable[[str, dict[str, Any]], str],
        on_change: Callable[[], None] = lambda: None,
        invoke: Callable[[str, dict[str, Any]], Any] = invoke,
    ) -> None:
        self._submit = submit
        self._invoke = invoke
        self._on_change = on_change
        self._http: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self._respond(Request(environ))(environ, start_response)

    def _respond(self, request: Request) -> Response:
        path = request.path
        if request.method != "POST" or not path.startswith(_PATH_PREFIX) or not path.endswith("/invocations"):
            return Response(json.dumps({"message": "Not found"}), status=404, content_type="application/json")
        name = path[len(_PATH_PREFIX) : -len("/invocations")].rsplit(":", 1)[-1]
        if name not in FUNCTIONS:
            body = json.dumps({"Type": "User", "Message": f"Function not found: {name}"})
            return Response(body, status=404, headers={"x-amzn-ErrorType": "ResourceNotFoundException"})
        payload = json.loads(request.get_data() or b"{}")
        if request.headers.get("X-Amz-Invocation-Type", "RequestResponse") == "Event":
            # Lambda's async queue: 202 at once; retries and the failure queue are the queue's business.
            request_id = self._submit(name, payload)
            return Response(b"", status=202, headers={"x-amzn-RequestId": request_id})
        try:
            result = self._invoke(name, payload)
        except FunctionError as error:  # the Invoke API answers 200 and flags the function's error
            log.error("%s", error)
            body = json.dumps(error.payload())
            headers = {"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST"}
            return Response(body, status=200, headers=headers, content_type="application/json")
        finally:
            self._on_change()
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        return Response(json.dumps(result), status=200, headers=headers, content_type="application/json")

    def start(self) -> str:
        self._http = make_server("127.0.0.1", 0, self, threaded=True)
        serve_in_background(self._http, "lambda-api")
        return f"http://127.0.0.1:{self._http.server_port}"

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
