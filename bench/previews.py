"""The viewer's preview (#17), part of the thumbnail section: bytes to show one image full screen, and CPU per image.

(a) What the browser downloads to show an image full screen: the preview (what the viewer loads now) against the
original (what it loaded before), over the thumbnail corpus. (b) The thumbnail function's CPU per image making
both renditions (256 px thumbnail + PREVIEW_SIZE preview, one decode) against sharp making the same two, in one
interleaved loop; and against ours making the thumbnail alone, the cost the preview adds.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PIL import Image

from bench.interleave import cpu_seconds, interleaved, ratios, spread
from functions.system import LIMIT_DEFAULTS

PREVIEW = int(LIMIT_DEFAULTS["PREVIEW_SIZE"])
ROUNDS = 15

# sharp's idiomatic two renditions: one input, two cloned pipelines, each with shrink-on-load.
SHARP_BOTH_SCRIPT = r"""
const sharp = require('sharp');
const fs = require('fs');
sharp.cache(false);
const both = async (input) => {
  const image = sharp(input).rotate();
  const fit = (size) => image.clone().resize(size, size, {fit: 'inside', withoutEnlargement: true}).webp({quality: 80});
  return Promise.all([fit(__PREVIEW__).toBuffer(), fit(256).toBuffer()]);
};
const [reps, file] = process.argv.slice(2);
(async () => {
  const input = fs.readFileSync(file);
  await both(input);
  const start = process.cpuUsage();
  for (let i = 0; i < Number(reps); i++) await both(input);
  const used = process.cpuUsage(start);
  console.log(JSON.stringify((used.user + used.system) / 1000 / Number(reps)));
})().catch((error) => { console.error(String(error)); process.exit(1); });
"""


def _sharp_both_ms(work: Path, path: Path, repetitions: int) -> float | None:
    script = work / "sharp-both.js"
    script.write_text(SHARP_BOTH_SCRIPT.replace("__PREVIEW__", str(PREVIEW)))
    result = subprocess.run(
        ["node", str(script), str(repetitions), str(path)], cwd=work, capture_output=True, text=True
    )
    return float(json.loads(result.stdout)) if result.returncode == 0 else None  # HEIC: no HEVC decoder in sharp


def _sharp_or_zero(work: Path, path: Path, repetitions: int) -> float:
    return _sharp_both_ms(work, path, repetitions) or 0.0


def _cpu_ms(action: Callable[[], object], repetitions: int) -> float:
    return cpu_seconds(action, repetitions) * 1000


def _kb(size: int) -> str:
    return f"{size / 1024:,.0f} KiB"


def section(paths: dict[str, Path], cases: tuple[tuple[str, str, int], ...], *, work: Path, sharp: bool) -> list[str]:
    """The Markdown lines of the preview part of the thumbnail section."""
    from functions.thumbnail.imaging import make_thumbnail

    size_rows = ["| Image | Original | Preview (size) | Preview / original |", "|---|---|---|---|"]
    cpu_rows = [
        "| Image | Both, ours (ms CPU, IQR) | Both, sharp (ms, IQR) | Ours / sharp (IQR) "
        "| Both / thumbnail alone, ours |",
        "|---|---|---|---|---|",
    ]
    total_original = total_preview = 0
    for name, _, repetitions in cases:
        data = paths[name].read_bytes()
        made = make_thumbnail(data, box=256, max_pixels=50_000_000, preview_box=PREVIEW)
        preview = made.preview or b""
        with Image.open(io.BytesIO(preview)) as shown:
            dimensions = f"{shown.width}x{shown.height}"
        total_original, total_preview = total_original + len(data), total_preview + len(preview)
        size_rows.append(
            f"| {name} | {_kb(len(data))} | {_kb(len(preview))} ({dimensions}) | {len(preview) / len(data):.2f}× |"
        )
        runs = max(1, repetitions // 2)

        def both(data: bytes = data) -> None:
            make_thumbnail(data, box=256, max_pixels=50_000_000, preview_box=PREVIEW)

        def alone(data: bytes = data) -> None:
            make_thumbnail(data, box=256, max_pixels=50_000_000)

        contenders: dict[str, Callable[[], float]] = {
            "both": partial(_cpu_ms, both, runs),
            "alone": partial(_cpu_ms, alone, runs),
        }
        if sharp and _sharp_both_ms(work, paths[name], 1) is not None:
            contenders["sharp"] = partial(_sharp_or_zero, work, paths[name], runs)
        samples = interleaved(contenders, rounds=ROUNDS, warmup=1)
        theirs = spread(samples["sharp"]) if "sharp" in samples else None
        against = ratios(samples, "both", "sharp").ratio() if "sharp" in samples else "n/a"
        cpu_rows.append(
            f"| {name} | {spread(samples['both']).value(1)} | {theirs.value(1) if theirs else 'n/a'} | {against} "
            f"| {ratios(samples, 'both', 'alone').ratio()} |"
        )
    size_rows.append(
        f"| **all** | {_kb(total_original)} | {_kb(total_preview)} | **{total_preview / total_original:.2f}×** |"
    )
    return [
        f"### Previews ({PREVIEW}px WebP, #17)",
        "",
        "(a) Bytes the browser downloads to show one image full screen: the preview the viewer loads against the "
        "original it loaded before (the object's size is what a GET transfers).",
        "",
        *size_rows,
        "",
        f"(b) CPU per image making both renditions (the {PREVIEW}px preview and the 256px thumbnail from one decode; "
        "ours shrinks the preview from the drafted decode and the thumbnail from the preview, with the placeholder) "
        "against sharp making the same two (one input, two cloned pipelines, quality 80), and against ours making "
        f"the thumbnail alone. One interleaved loop, {ROUNDS} rounds after a warm-up; ratios within each round.",
        "",
        *cpu_rows,
    ]
