"""CPython 3.12 bytecode for the Lambda assets, compiled by Pyodide (CPython 3.12 in WebAssembly) under node.

Lambda runs python3.12 and ignores bytecode of any other version, so the host's Python cannot precompile the
assets. Pyodide 0.27 is CPython 3.12.7 built for WebAssembly; bytecode depends only on the minor version (magic
number 3531 for every 3.12.x), so what it writes is what Lambda's python3.12 loads.

The pycs are hash-based and unchecked (PEP 552): the CDK CLI zips every asset with all modification times set to
1980-01-01 (cdk-assets `zipDirectory`: "reset dates to get the same hash for the same content"), so a
timestamp-based pyc, which records the source's build-time mtime, never matches its source in Lambda: the runtime
recompiles every module on each cold start and cannot save the result (the code is read-only). An unchecked pyc is
used without looking at the source; the asset is immutable once deployed, so there is nothing to check.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "pycompile.mjs"
LOCKFILE = HERE / "package-lock.json"
LAMBDA_CACHE_TAG = "cpython-312"
LAMBDA_MAGIC = 3531
# PEP 552 flags (pyc bytes 4-7): bit 0 = hash-based, bit 1 = check the source. 0b01 is "unchecked hash".
UNCHECKED_HASH_FLAGS = 0b01


class BytecodeCompilerError(RuntimeError):
    """The bytecode compiler could not start or answered with an error."""


@dataclass(frozen=True)
class CompileReport:
    """What compiling one folder did: how many modules were compiled, which could not be, and why."""

    compiled: int
    failed: dict[str, str] = field(default_factory=dict)


def pyodide_version(lockfile: Path = LOCKFILE) -> str:
    """The exact Pyodide the lockfile pins: part of the assets' recipe, so a new compiler rebuilds them."""
    return str(json.loads(lockfile.read_text())["packages"]["node_modules/pyodide"]["version"])


class Python312:
    """One Pyodide process (a few seconds to start) that byte-compiles host folders; use it as a context manager."""

    def __init__(self, node: str | None = None) -> None:
        node = node or shutil.which("node")
        if node is None:
            raise BytecodeCompilerError("node (>= 18) is needed to byte-compile for python3.12; install Node.js")
        if not (HERE / "node_modules" / "pyodide").is_dir():
            raise BytecodeCompilerError(f"Pyodide is not installed: run `make install` (npm ci in {HERE})")
        self._process = subprocess.Popen(  # noqa: S603 - node running our own script
            [node, str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE
        )
        version = self._request({"op": "version"})
        if version["cacheTag"] != LAMBDA_CACHE_TAG or version["magic"] != LAMBDA_MAGIC:
            self.close()
            raise BytecodeCompilerError(f"Pyodide's Python is not Lambda's 3.12: {version}")
        self.version = str(version["version"])

    def _request(self, request: dict[str, Any]) -> dict[str, Any]:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
        except BrokenPipeError as error:
            raise BytecodeCompilerError(f"the compiler exited ({self._process.poll()})") from error
        line = stdout.readline()
        if not line:
            raise BytecodeCompilerError(f"the compiler exited ({self._process.wait()}); see its output above")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise BytecodeCompilerError(answer["error"])
        return answer

    def compile_tree(self, folder: Path, *, deployed_as: str) -> CompileReport:
        """Write `__pycache__/<module>.cpython-312.pyc` (unchecked hash) next to every `.py` under `folder`."""
        answer = self._request({"op": "compile", "dir": str(folder.resolve()), "deployedAs": deployed_as})
        return CompileReport(
            compiled=answer["compiled"], failed={item["path"]: item["error"] for item in answer["failed"]}
        )

    def run(self, folder: Path, code: str) -> Any:
        """Run `code` in Python 3.12 with `folder` first on sys.path; returns the JSON value it assigns to `result`."""
        return self._request({"op": "run", "dir": str(folder.resolve()), "code": code})["result"]

    def close(self) -> None:
        """End the process (it exits when its input closes)."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> Python312:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
