"""Lambda's execution model, locally: every execution environment is its own process running one event at a time.

Handlers rely on that isolation. Powertools' resolver keeps the current request in a class attribute shared by every
app and router of a process, so two requests in one process at once, even for different functions, could read each
other's body and caller. A busy function gets another environment (up to `ENVIRONMENTS_PER_FUNCTION`), and the first
event of each environment pays its cold start, as on Lambda.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from functions.system import FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS_PER_FUNCTION = 4
TIMEOUT_SECONDS = 30.0

Handler = Callable[[dict[str, Any], Any], Any]


class LambdaContext:
    """Just enough of the Lambda context object for Powertools."""

    def __init__(self, function_name: str, timeout_seconds: float = TIMEOUT_SECONDS) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 1024
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(function: str) -> Handler:
    """The function's handler, imported from the module its spec names."""
    module_name, _, attribute = FUNCTIONS[function].handler.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


class FunctionError(Exception):
    """The handler raised (or its environment died): Lambda's `FunctionError`, with the handler's traceback."""

    def __init__(self, function: str, error: dict[str, Any]) -> None:
        self.error_type = str(error.get("type"))
        self.trace = str(error.get("trace", ""))
        super().__init__(f"{function}: {self.error_type}: {error.get('message')}\n{self.trace}".rstrip())


class Environment(Protocol):
    def __call__(self, event: dict[str, Any], context: LambdaContext) -> Any: ...

    def close(self) -> None: ...


class ProcessEnvironment:
    """One execution environment: `python -m devserver.runtime` for one function, spoken to over two pipes."""

    def __init__(self, function: str) -> None:
        self.function = function
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        # The child inherits the server's environment variables: the same ones the stack gives the function.
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, a function name from FUNCTIONS
            [sys.executable, "-m", "devserver.runtime", function, str(requests_read), str(answers_write)],
            cwd=ROOT,
            pass_fds=(requests_read, answers_write),
        )
        os.close(requests_read)
        os.close(answers_write)
        self._requests = os.fdopen(requests_write, "w", encoding="utf-8")
        self._answers = os.fdopen(answers_read, encoding="utf-8")

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> Any:
        request = {"event": event, "remainingMs": context.get_remaining_time_in_millis()}
        try:
            self._requests.write(json.dumps(request) + "\n")
            self._requests.flush()
            line = self._answers.readline()
        except (BrokenPipeError, ValueError):
            line = ""
        if not line:
            raise EnvironmentLost(self.function, self.process.poll())
        answer = json.loads(line)
        if "error" in answer:
            raise FunctionError(self.function, answer["error"])
        return answer["result"]

    def close(self) -> None:
        for pipe in (self._requests, self._answers):
            with contextlib.suppress(OSError):
                pipe.close()
        try:  # the runtime exits when its request pipe closes
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class EnvironmentLost(FunctionError):
    """The environment's process ended mid-event (a crash, or the server shutting down)."""

    def __init__(self, function: str, exit_code: int | None) -> None:
        super().__init__(function, {"type": "Runtime.ExitError", "message": f"runtime exited with {exit_code}"})


class ExecutionEnvironments:
    """Environments per function: an idle one takes the event, else a new one up to `limit`, else the event waits."""

    def __init__(
        self, factory: Callable[[str], Environment] = ProcessEnvironment, limit: int = ENVIRONMENTS_PER_FUNCTION
    ) -> None:
        self._factory = factory
        self._limit = limit
        self._idle: dict[str, list[Environment]] = {}
        self._made: dict[str, int] = {}
        self._changed = threading.Condition()

    def run(self, function: str, event: dict[str, Any]) -> Any:
        if function not in FUNCTIONS:
            raise KeyError(f"no such function: {function}")
        environment = self._acquire(function)
        answered = False  # a result or the handler's own error: the environment can take the next event, as on Lambda
        try:
            result = environment(event, LambdaContext(function))
            answered = True
            return result
        except FunctionError as error:
            answered = not isinstance(error, EnvironmentLost)
            raise
        finally:
            self._release(function, environment, answered)

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
    """Run the function's real handler on the event, in an execution environment of its own, as Lambda would."""
    return ENVIRONMENTS.run(function, event)
