"""The local server as a real subprocess on free loopback ports, with its own state folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalServer:
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
    port = port or free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_PORT": str(free_port()),
        "STATE_DIR": str(state_dir),
        "PURGE_INTERVAL_SECONDS": "3600",
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
            raise RuntimeError(f"local server exited early:\n{output}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return LocalServer(url=url, state_dir=state_dir, process=process, env=env)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("local server did not answer /health within 60 s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    running = start_server(tmp_path_factory.mktemp("state"))
    yield running
    running.stop()
