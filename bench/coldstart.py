"""Cold start: CPU of each handler module's import and init in a fresh interpreter, against boto3 + a client."""

from __future__ import annotations

import functools
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench import lambda_site
from bench.interleave import Spread, ratios, spread
from functions.system import FUNCTIONS

TITLE = "Cold start (handler import and init)"
ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 24
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


def _cpu(code: str) -> float:
    """CPU seconds `code` takes in a fresh interpreter (bytecode cached, as a precompiled asset would be).

    Measured inside the child around `code` only, so the interpreter's own start (the same for every function)
    does not dilute the ratio; CPU time, so waiting for a core another process holds does not count.
    """
    script = f"import time\nstart = time.process_time()\n{code}\nprint(time.process_time() - start)\n"
    environment = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    }
    environment.update(FAKE_ENVIRONMENT, PYTHONPATH=str(_site()))
    # -S: no site-packages; the layers' distributions only, as on Lambda (bench/lambda_site.py).
    result = subprocess.run(
        [sys.executable, "-S", "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip().splitlines()[-1])


@functools.cache
def _site() -> Path:
    return lambda_site.build(ROOT / "bench" / ".work" / "lambda-site")


def _modules() -> dict[str, str]:
    """Each function's handler module that imports in this tree (a function being built may not, yet)."""
    modules = {}
    for name, spec in FUNCTIONS.items():
        module = spec.handler.rpartition(".")[0]
        try:
            _cpu(f"import {module}")  # also the warm-up: writes bytecode, fills the OS file cache
        except subprocess.CalledProcessError:
            continue
        modules[name] = module
    return modules


def measure(modules: dict[str, str], rounds: int = ROUNDS) -> dict[str, list[float]]:
    """CPU seconds per round of each handler module (key: the function) and of the baseline started right beside it
    (key `baseline:<function>`), one subprocess each: every round runs each function's pair, the functions' order and
    each pair's order reversed every other round.

    A baseline of its own next to each import: this VM's speed drifts over seconds, and one baseline per round lay up
    to sixteen imports away from the function it divided (IQR of a ratio ±12 %, against ±6 % paired).
    """
    samples: dict[str, list[float]] = {}
    for number in range(1 + rounds):
        names = list(modules) if number % 2 == 0 else list(modules)[::-1]
        for name in names:
            handler = f"import {modules[name]}"
            if number % 2 == 0:
                baseline, function = _cpu(BASELINE), _cpu(handler)
            else:
                function, baseline = _cpu(handler), _cpu(BASELINE)
            if number:  # round 0 is the warm-up
                samples.setdefault(name, []).append(function)
                samples.setdefault(f"baseline:{name}", []).append(baseline)
    return samples


def run() -> str:
    modules = _modules()
    samples = measure(modules)
    baseline = spread([value for name, values in samples.items() if name.startswith("baseline:") for value in values])
    rows = [
        "CPU time of importing each handler module (with its module-level init) in a fresh interpreter that sees "
        "only what the layers and the runtime hold (`bench/lambda_site.py`, as `/opt/python` on Lambda), against "
        "`import boto3` plus one S3 client. Every round starts, for each function, its subprocess and one of the "
        "baseline right beside it (the functions' order and each pair's order alternating by round); "
        f"{ROUNDS} rounds after a warm-up, the ratio taken within each pair, median with its interquartile range. "
        f"Baseline here: {_ms(baseline)}. "
        f"Target: at most {TARGET_RATIO}x.",
        "",
        "| function | handler module | ms CPU (median) | ratio (IQR) | within target |",
        "|---|---|---:|---:|---|",
    ]
    for name, module in modules.items():
        ratio = ratios(samples, name, f"baseline:{name}")
        rows.append(
            f"| {name} | `{module}` | {statistics.median(samples[name]) * 1000:.0f} | {ratio.ratio()} | "
            f"{'yes' if ratio.median <= TARGET_RATIO else 'NO'} |"
        )
    missing = [name for name in FUNCTIONS if name not in modules]
    if missing:
        rows += ["", f"Not measured (the handler module does not import in this tree): {', '.join(missing)}."]
    return "\n".join(rows)


def _ms(figure: Spread) -> str:
    return f"{figure.median * 1000:.0f} ms (IQR {figure.q1 * 1000:.0f}–{figure.q3 * 1000:.0f})"


if __name__ == "__main__":
    print(json.dumps(measure(_modules()), indent=2))
