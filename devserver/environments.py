"""Lambda's execution model, locally: every execution environment is its own process running one event at a time.

Handlers rely on that isolation. Powertools' resolver keeps the current request in a class attribute shared by every
app and router of a process, so two requests in one process at once, even for different functions, could read each
other's body and caller. A busy function gets another environment (up to `ENVIRONMENTS_PER_FUNCTION`), and the first
event of each environment pays its cold start, as on Lambda.

Lambda's limits hold here too: an event still running at the function's timeout (`devserver.lambda_limits`) has its
environment killed and fails as `Sandbox.Timedout` (the next event gets a new environment and pays a cold start), and
a synchronous invocation whose response is over 6 MB fails as `Function.ResponseSizeTooLarge`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from devserver.config import function_credentials
from devserver.lambda_limits import INIT_TIMEOUT_SECONDS, RESPONSE_LIMIT_BYTES, LambdaLimits
from functions.system import FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS_PER_FUNCTION = 4

Handler = Callable[[dict[str, Any], Any], Any]


class LambdaContext:
    """Just enough of the Lambda context object for Powertools, with the function's configured timeout."""

    def __init__(self, function_name: str, timeout_seconds: float | None = None, request_id: str | None = None) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 1024
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}"
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self.timeout_seconds = LambdaLimits().timeout(function_name) if timeout_seconds is None else timeout_seconds
        self.deadline = time.monotonic() + self.timeout_seconds

    def restart(self) -> None:
        """Start the clock when the handler gets the event: waiting for an environment or its init does not count."""
        self.deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def load_handler(function: str, path: str | None = None) -> Handler:
    """The function's handler, imported from the module its spec names (or from `path`, "module.attribute")."""
    module_name, _, attribute = (path or FUNCTIONS[function].handler).rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


class FunctionError(Exception):
    """The invocation failed (Lambda's `FunctionError: Unhandled`): the handler raised, with its traceback."""

    def __init__(self, function: str, error: dict[str, Any]) -> None:
        self.function = function
        self.error_type = str(error.get("type"))
        self.message = str(error.get("message", ""))
        self.trace = str(error.get("trace", ""))
        self.stack_trace = [str(line) for line in error.get("stackTrace") or []]
        self.request_id = str(error.get("requestId") or "")
        super().__init__(f"{function}: {self.error_type}: {self.message}\n{self.trace}".rstrip())

    def payload(self) -> dict[str, Any]:
        """The error as Lambda reports it: the Invoke response's body and a failure record's `responsePayload`."""
        body: dict[str, Any] = {"errorMessage": self.message, "errorType": self.error_type}
        if self.request_id:
            body["requestId"] = self.request_id
        body["stackTrace"] = self.stack_trace
        return body


class LambdaReportedError(FunctionError):
    """A failure Lambda itself reports, not the handler: `errorType` and `errorMessage` only."""

    def payload(self) -> dict[str, Any]:
        return {"errorType": self.error_type, "errorMessage": self.message}


class EnvironmentLost(LambdaReportedError):
    """The environment's process ended mid-event (a crash, or the server shutting down)."""

    def __init__(self, function: str, exit_code: int | None, request_id: str = "") -> None:
        status = "signal: killed" if exit_code == -9 else f"exit status {exit_code}"
        prefix = f"RequestId: {request_id} " if request_id else ""
        message = f"{prefix}Error: Runtime exited with error: {status}"
        super().__init__(function, {"type": "Runtime.ExitError", "message": message, "requestId": request_id})


class FunctionTimeout(LambdaReportedError):
    """The handler was still running at the function's timeout; its environment was stopped."""

    def __init__(self, function: str, timeout_seconds: float, request_id: str) -> None:
        message = f"RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds"
        super().__init__(function, {"type": "Sandbox.Timedout", "message": message, "requestId": request_id})


class ResponseTooLarge(LambdaReportedError):
    """A synchronous invocation answered more than Lambda returns."""

    def __init__(self, function: str, size: int, request_id: str = "") -> None:
        limit = RESPONSE_LIMIT_BYTES
        message = f"Response payload size ({size} bytes) exceeded maximum allowed payload size ({limit} bytes)."
        super().__init__(
            function, {"type": "Function.ResponseSizeTooLarge", "message": message, "requestId": request_id}
        )


def response_size(result: Any) -> int:
    """The bytes of the response payload, serialized as the Python runtime serializes it."""
    return len(json.dumps(result).encode())


class Environment(Protocol):
    def __call__(self, event: dict[str, Any], context: LambdaContext) -> Any: ...

    def close(self) -> None: ...


class _Lines:
    """Lines from a pipe, each read with a deadline (a handler past its timeout must not hold the server)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()

    def readline(self, deadline: float) -> bytes | None:
        """The next line; b"" once the writer is gone, None if `deadline` (monotonic) passed first."""
        while (end := self._buffer.find(b"\n")) < 0:
            ready, _, _ = select.select([self._fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return None
            chunk = os.read(self._fd, 1 << 20)
            if not chunk:
                return b""
            self._buffer += chunk
        line = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        return line

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


class ProcessEnvironment:
    """One execution environment: `python -m devserver.runtime` for one function, spoken to over two pipes.

    `handler` ("module.attribute") runs another handler in the function's place; only tests of the environment
    itself pass it (the server never does).
    """

    def __init__(self, function: str, handler: str | None = None) -> None:
        self.function = function
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        command = [sys.executable, "-m", "devserver.runtime", function, str(requests_read), str(answers_write)]
        # The child inherits the server's environment variables: the same ones the stack gives the function.
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, a function name from FUNCTIONS
            [*command, handler] if handler else command,
            cwd=ROOT,
            env={**os.environ, **function_credentials(function)},
            pass_fds=(requests_read, answers_write),
        )
        os.close(requests_read)
        os.close(answers_write)
        self._requests = os.fdopen(requests_write, "w", encoding="utf-8")
        self._answers = _Lines(answers_read)
        self._initialized = False

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> Any:
        if not self._initialized:
            # The runtime announces the end of its init; Lambda gives init 10 s, then re-runs it under the timeout.
            self._read(time.monotonic() + INIT_TIMEOUT_SECONDS + context.timeout_seconds, context)
            self._initialized = True
        context.restart()
        remaining_ms = context.get_remaining_time_in_millis()
        request = {"event": event, "remainingMs": remaining_ms, "requestId": context.aws_request_id}
        try:
            self._requests.write(json.dumps(request) + "\n")
            self._requests.flush()
        except (BrokenPipeError, ValueError):
            raise EnvironmentLost(self.function, self._exit_code(), context.aws_request_id) from None
        answer = json.loads(self._read(context.deadline, context))
        if "error" in answer:
            raise FunctionError(self.function, {**answer["error"], "requestId": context.aws_request_id})
        return answer["result"]

    def _read(self, deadline: float, context: LambdaContext) -> bytes:
        line = self._answers.readline(deadline)
        if line is None:  # as Lambda does at the timeout: stop the environment, never reuse it
            self.kill()
            raise FunctionTimeout(self.function, context.timeout_seconds, context.aws_request_id)
        if not line:
            raise EnvironmentLost(self.function, self._exit_code(), context.aws_request_id)
        return line

    def _exit_code(self) -> int | None:
        try:  # the pipe closes a moment before the process is reaped
            return self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._requests.close()
        self._answers.close()
        try:  # the runtime exits when its request pipe closes
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()


class ExecutionEnvironments:
    """Environments per function: an idle one takes the event, else a new one up to `limit`, else the event waits."""

    def __init__(
        self,
        factory: Callable[[str], Environment] = ProcessEnvironment,
        limit: int = ENVIRONMENTS_PER_FUNCTION,
        limits: LambdaLimits | None = None,
    ) -> None:
        self._factory = factory
        self._limit = limit
        self._limits = limits or LambdaLimits.from_environ()
        self._idle: dict[str, list[Environment]] = {}
        self._made: dict[str, int] = {}
        self._changed = threading.Condition()

    def run(
        self, function: str, event: dict[str, Any], *, request_id: str | None = None, synchronous: bool = True
    ) -> Any:
        """The handler's result; a synchronous invocation's is held to Lambda's 6 MB response limit."""
        if function not in FUNCTIONS:
            raise KeyError(f"no such function: {function}")
        context = LambdaContext(function, self._limits.timeout(function), request_id)
        environment = self._acquire(function)
        # A result or the handler's own error: the environment takes the next event, as on Lambda. Not after a
        # timeout (Lambda stops it) or a lost process.
        answered = False
        try:
            result = environment(event, context)
            answered = True
        except FunctionError as error:
            answered = not isinstance(error, (EnvironmentLost, FunctionTimeout))
            raise
        finally:
            self._release(function, environment, answered)
        if synchronous and (size := response_size(result)) > RESPONSE_LIMIT_BYTES:
            raise ResponseTooLarge(function, size, context.aws_request_id)
        return result

    def close(self) -> None:
        """End every idle environment (the server is stopping)."""
        with self._changed:
            idle = [environment for environments in self._idle.values() for environment in environments]
            self._idle.clear()
            self._made.clear()
        for environment in idle:
            environment.close()

    def _acquire(self, function: str) -> Environment:
        with self._changed:
            idle = self._idle.setdefault(function, [])
            while not idle and self._made.get(function, 0) >= self._limit:
                self._changed.wait()
            if idle:
                return idle.pop()
            self._made[function] = self._made.get(function, 0) + 1
        try:
            return self._factory(function)
        except BaseException:
            self._forget(function)
            raise

    def _release(self, function: str, environment: Environment, answered: bool) -> None:
        if not answered:
            environment.close()
            self._forget(function)
            return
        with self._changed:
            self._idle.setdefault(function, []).append(environment)
            self._changed.notify_all()

    def _forget(self, function: str) -> None:
        with self._changed:
            self._made[function] = max(0, self._made.get(function, 0) - 1)
            self._changed.notify_all()


ENVIRONMENTS = ExecutionEnvironments()


def invoke(function: str, event: dict[str, Any]) -> Any:
    """Run the function's real handler on the event synchronously, in an execution environment, as Lambda would."""
    return ENVIRONMENTS.run(function, event)
