"""The target the e2e tests run against: the local server as a real subprocess on free loopback ports, with its own
state folder, or a deployed stack when `API_URL` is set (tests/e2e/targets.py). Tests that need the local server
itself are marked `local_only` and are skipped on a deployed stack."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import SHELL_AWS_ENVIRONMENT
from tests.e2e.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.targets import DEFAULT_ALLOWED_ORIGIN, DeployedStack, Kind, Target, deployed_stack, target_kind

ROOT = Path(__file__).resolve().parents[2]
TARGET: Kind = target_kind(os.environ)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalServer:
    kind: ClassVar[Kind] = "local"
    allowed_origin: ClassVar[str] = DEFAULT_ALLOWED_ORIGIN
    url: str
    state_dir: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    def token(self, sub: str) -> str:
        response = httpx.get(f"{self.url}/__dev/token", params={"sub": sub})
        response.raise_for_status()
        return str(response.json()["token"])

    def client(self, sub: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(sub)}"} if sub else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start_server(state_dir: Path, port: int | None = None, **extra_env: str) -> LocalServer:
    if TARGET == "deployed":
        raise RuntimeError("this test starts the local server: mark it local_only so a deployed run skips it")
    # A free port is free only when asked: another process (the other xdist worker's servers and runtimes) may bind it
    # before the server does. Ports chosen here are chosen again then; a port the caller gave is not.
    for _ in range(2):
        try:
            return _start_server(state_dir, port, **extra_env)
        except PortTaken:
            if port is not None:
                raise
    return _start_server(state_dir, port, **extra_env)


class PortTaken(RuntimeError):
    """The local server exited because one of its ports was bound by another process first."""


def _start_server(state_dir: Path, port: int | None, **extra_env: str) -> LocalServer:
    port = port or free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_PORT": str(free_port()),
        "REALTIME_PORT": str(free_port()),
        "STATE_DIR": str(state_dir),
        "PURGE_INTERVAL_SECONDS": "3600",
        # The fuzzer and the browser outrun the deployed route throttles locally; the gateway's tests prove them.
        "API_THROTTLE_SCALE": "100",
        **extra_env,
    }
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "devserver"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            failure = PortTaken if "Address already in use" in output else RuntimeError
            raise failure(f"local server exited early:\n{output}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return LocalServer(url=url, state_dir=state_dir, process=process, env=env)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("local server did not answer /health within 60 s")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if TARGET != "deployed":
        return
    for item in items:
        marker = item.get_closest_marker("local_only")
        if marker is not None:
            why = marker.args[0] if marker.args else "needs the local server itself"
            item.add_marker(pytest.mark.skip(reason=f"local only: {why}; API_URL targets a deployed stack"))


@pytest.fixture(scope="module")
def local_server_env() -> dict[str, str]:
    """Extra environment for a module's local server (a module overrides it); unused on a deployed stack."""
    return {}


def _clean_up(stack: DeployedStack) -> None:
    failures = stack.clean_up()
    if failures:
        pytest.fail(f"could not delete what the tests created on {stack.url}: {failures}")


@pytest.fixture(scope="session")
def deployed() -> Iterator[DeployedStack]:
    stack = deployed_stack(os.environ, SHELL_AWS_ENVIRONMENT)
    yield stack
    _clean_up(stack)


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The target: one local server per module, or the deployed stack `API_URL` names."""
    if TARGET == "deployed":
        stack: DeployedStack = request.getfixturevalue("deployed")
        yield stack
        _clean_up(stack)  # each module starts from the galleries the one before found, as on a fresh local server
        return
    extra: dict[str, Any] = request.getfixturevalue("local_server_env")
    running = start_server(tmp_path_factory.mktemp("state"), **extra)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, one per browser test module (each module skips itself first when it is missing)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
