"""The TypeScript client (clients/typescript, #18): its generated types and committed dist/ match a fresh run, it
type-checks strictly with its examples, and its Node tests (`node --test`) pass against a real local server."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, LocalServer
from tests.fetch_servers import LoopbackServer, make_ca, send_bytes
from tests.imagegen import png_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.local_only("starts its own local server and runs Node against it")]

CLIENT = ROOT / "clients" / "typescript"
BIN = CLIENT / "node_modules" / ".bin"
NODE = shutil.which("node")


def run(*command: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    if NODE is None or not (BIN / "tsc").exists():
        pytest.fail("Node 20 and clients/typescript/node_modules are needed: `make install` runs npm ci there")
    return subprocess.run(command, cwd=CLIENT, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def same_tree(left: Path, right: Path) -> list[str]:
    """Files that differ, or are only on one side, between two folders (recursively)."""
    compared = filecmp.dircmp(left, right)
    differ = [*compared.left_only, *compared.right_only]
    differ += [name for name in compared.common_files if (left / name).read_bytes() != (right / name).read_bytes()]
    for name in compared.common_dirs:
        differ += [f"{name}/{inner}" for inner in same_tree(left / name, right / name)]
    return differ


def test_generated_types_match_the_openapi_document(tmp_path: Path) -> None:
    # Given the committed OpenAPI document / When openapi-typescript runs again
    fresh = tmp_path / "schema.ts"
    done = run(str(BIN / "openapi-typescript"), "../../functions/docs/openapi.json", "-o", str(fresh))
    # Then its output is the committed src/schema.ts
    assert done.returncode == 0, done.stderr
    assert fresh.read_text() == (CLIENT / "src" / "schema.ts").read_text(), (
        "src/schema.ts is stale: `npm run generate --prefix clients/typescript`, then `npm run build`"
    )


def test_committed_dist_is_a_fresh_build(tmp_path: Path) -> None:
    # Given the sources / When tsc builds them elsewhere
    done = run(str(BIN / "tsc"), "-p", "tsconfig.json", "--outDir", str(tmp_path / "dist"))
    # Then the committed dist/ (what the web app imports, with no build step) is exactly that build
    assert done.returncode == 0, done.stdout + done.stderr
    assert same_tree(tmp_path / "dist", CLIENT / "dist") == [], "run `npm run build --prefix clients/typescript`"


def test_the_package_and_its_examples_type_check_strictly() -> None:
    # Given / When tsc --strict --noEmit runs over the package, then its examples
    package = run(str(BIN / "tsc"), "-p", "tsconfig.json", "--noEmit", "--strict")
    examples = run(str(BIN / "tsc"), "-p", "examples/tsconfig.json", "--noEmit", "--strict")
    # Then
    assert package.returncode == 0, package.stdout
    assert examples.returncode == 0, examples.stdout


@pytest.fixture(scope="module")
def image_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LoopbackServer, Path]]:
    ca = make_ca(["localhost"])
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca_file.write_bytes(ca.ca_pem)
    source = LoopbackServer(ca).start()
    source.routes["/gen.png"] = send_bytes(png_bytes(44, 33, (90, 10, 200)))
    yield source, ca_file
    source.stop()


@pytest.fixture(scope="module")
def local_server_env(image_source: tuple[LoopbackServer, Path]) -> dict[str, str]:
    _, ca_file = image_source
    return {"DEV_INGEST_ALLOW_LOOPBACK": "1", "DEV_INGEST_CA_FILE": str(ca_file)}


def test_node_tests_pass_against_the_local_server(
    server: LocalServer, image_source: tuple[LoopbackServer, Path], tmp_path: Path
) -> None:
    # Given distinct images on disk and an HTTPS image the server may fetch
    colors = {"a": (200, 0, 0), "b": (0, 200, 0), "c1": (1, 2, 3), "c2": (4, 5, 6), "c3": (7, 8, 9)}
    colors |= {"d1": (100, 100, 0), "d2": (0, 100, 100)}
    for name, color in colors.items():
        (tmp_path / f"{name}.png").write_bytes(png_bytes(30, 20, color))
    source, _ = image_source
    env = {
        **os.environ,
        "GALLERY_API_URL": server.url,
        "GALLERY_IMAGES": str(tmp_path),
        "GALLERY_INGEST_URL": f"https://localhost:{source.port}/gen.png",
    }
    # When Node's test runner runs the client's tests (WebSocket is behind a flag in Node 20)
    done = run(
        NODE or "node", "--experimental-websocket", "--test", "--test-timeout=60000", "test/", timeout=180, env=env
    )
    # Then every one passed
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
