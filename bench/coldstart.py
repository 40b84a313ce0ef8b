"""Cold start: each handler module's import and module-level init in a fresh interpreter, against boto3 + a client."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from functions.system import FUNCTIONS

TITLE = "Cold start (handler import and init)"
ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
TARGET_RATIO = 1.3
BASELINE = "import boto3\nboto3.client('s3', region_name='us-east-1')"
# What a deployed function's settings would hold; only read lazily, but present as on Lambda.
FAKE_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "ASSET_TABLE_NAME": "bench-assets",
    "MEDIA_BUCKET_NAME": "bench-media",
    "IDEMPOTENCY_TABLE_NAME": "bench-idempotency",
    "INGEST_WORKER_FUNCTION_NAME": "bench-worker",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def _timed(code: str) -> float:
    """Seconds `code` takes in a fresh interpreter (bytecode cached, as a precompiled asset would be)."""
    script = f"import time\nstart = time.perf_counter()\n{code}\nprint(time.perf_counter() - start)\n"
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    environment.update(FAKE_ENVIRONMENT)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip().splitlines()[-1])


def _median(code: str) -> float:
    _timed(code)  # warm-up: writes bytecode and fills the OS file cache
    return statistics.median(_timed(code) for _ in range(RUNS))


def measure() -> dict[str, float]:
    """Median seconds per handler module, and the baseline under the key `baseline`."""
    timings = {"baseline": _median(BASELINE)}
    for name, spec in FUNCTIONS.items():
        module = spec.handler.rpartition(".")[0]
        timings[name] = _median(f"import {module}")
    return timings


def run() -> str:
    timings = measure()
    baseline = timings.pop("baseline")
    rows = [
        "Import of each handler module (with its module-level init) in a fresh interpreter, median of "
        f"{RUNS} runs, against `import boto3` plus one S3 client in the same run ({baseline * 1000:.0f} ms here). "
        f"Target: at most {TARGET_RATIO}x.",
        "",
        "| function | handler module | ms | ratio | within target |",
        "|---|---|---:|---:|---|",
    ]
    for name, seconds in timings.items():
        ratio = seconds / baseline
        module = FUNCTIONS[name].handler.rpartition(".")[0]
        rows.append(
            f"| {name} | `{module}` | {seconds * 1000:.0f} | {ratio:.2f} | {'yes' if ratio <= TARGET_RATIO else 'NO'} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
