"""One local execution environment: a process that loads one function's handler and runs its events one at a time.

`python -m devserver.runtime FUNCTION REQUESTS_FD ANSWERS_FD [HANDLER]`, started by `devserver.environments`. Once its
init is over (the handler imported, or failed to), it writes one JSON line `{"ready": true}`; then each request is one
JSON line `{"event", "remainingMs", "requestId"}` and each answer one JSON line, `{"result"}` or `{"error"}`. The
handler's own output (logs) goes to the inherited stdout and stderr, as Lambda sends it to CloudWatch. HANDLER
("module.attribute") replaces the function's handler; only tests of the environment itself give it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from typing import Any

from devserver.environments import Handler, LambdaContext, load_handler


def _error(error: BaseException) -> dict[str, Any]:
    frames = traceback.format_list(traceback.extract_tb(error.__traceback__))
    return {
        "error": {
            "type": type(error).__name__,
            "message": str(error),
            "trace": traceback.format_exc(),
            "stackTrace": frames,
        }
    }


def _load(function: str, handler: str | None = None) -> Handler:
    if (
        handler is None
        and function in ("ingest", "ingest_worker")
        and os.environ.get("DEV_INGEST_ALLOW_LOOPBACK") == "1"
    ):
        from devserver.lambda_api import loopback_ingest_handler

        return loopback_ingest_handler(function)
    return load_handler(function, handler)


def _answer(handler: Handler, function: str, message: dict[str, Any]) -> str:
    try:
        context = LambdaContext(function, message["remainingMs"] / 1000, message.get("requestId"))
        return json.dumps({"result": handler(message["event"], context)})
    except Exception as error:  # the handler's failure (or an answer JSON cannot carry) is the invocation's error
        return json.dumps(_error(error))


def _enforce_policy(function: str) -> None:
    """From here on every AWS call of this process runs with only `function`'s deployed permissions."""
    from devserver.config import local_names
    from devserver.iam.enforce import install, set_principal

    install(local_names())
    set_principal(function)


def serve(function: str, requests_fd: int, answers_fd: int, handler_path: str | None = None) -> None:
    """Init (import the handler), then answer events until the server closes the request pipe."""
    handler: Handler | None = None
    init_error = ""
    _enforce_policy(function)
    try:
        handler = _load(function, handler_path)
    except Exception as error:  # reported with every event, as Lambda reports a failed init
        init_error = json.dumps(_error(error))
    with os.fdopen(requests_fd, encoding="utf-8") as requests, os.fdopen(answers_fd, "w", encoding="utf-8") as answers:
        answers.write(json.dumps({"ready": True}) + "\n")
        answers.flush()
        for line in requests:
            answer = init_error if handler is None else _answer(handler, function, json.loads(line))
            answers.write(answer + "\n")
            answers.flush()


if __name__ == "__main__":
    # Ctrl-C in `make dev` reaches the whole process group; the server ends its environments itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
