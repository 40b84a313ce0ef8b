"""Thumbnail section of `make bench`: CPU ms per image for our pipeline, Pillow's full decode and sharp (libvips).

The preview part (#17) is bench/previews.py. The corpus is generated on first run into bench/.work (gitignored),
and sharp is installed there with npm when missing. sharp runs in a small node script that reports its own CPU
time (all threads) per image, with libvips' operation cache off so every repetition does the work.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from bench import previews
from bench.interleave import cpu_seconds, interleaved, ratios, spread

TITLE = "Thumbnails (256px WebP)"
WORK = Path(__file__).resolve().parent / ".work"
CORPUS = WORK / "thumbnail-corpus"
BOX = 256
MAX_PIXELS = 50_000_000
TARGETS = {"jpeg": 0.90, "png": 1.10, "webp": 1.10}
MEMORY_TARGET_MB = 48
SHARP_VERSION = "0.34.5"
ROUNDS = 13

# name, kind (for the targets), repetitions
CASES = (
    ("12mp-baseline.jpg", "jpeg", 8),
    ("12mp-progressive.jpg", "jpeg", 8),
    ("4mp-alpha.png", "png", 4),
    ("1mp.webp", "webp", 8),
    ("2mp.heic", "heic", 4),
)

SHARP_SCRIPT = r"""
const sharp = require('sharp');
const fs = require('fs');
sharp.cache(false);
const thumbnail = (input) => sharp(input).rotate()
  .resize(256, 256, {fit: 'inside', withoutEnlargement: true}).webp({quality: 80}).toBuffer();
const [reps, ...files] = process.argv.slice(2);
(async () => {
  const out = {};
  for (const file of files) {
    const input = fs.readFileSync(file);
    await thumbnail(input);
    const start = process.cpuUsage();
    for (let i = 0; i < Number(reps); i++) {
      await thumbnail(input);
    }
    const used = process.cpuUsage(start);
    out[file] = (used.user + used.system) / 1000 / Number(reps);
  }
  console.log(JSON.stringify(out));
})().catch((error) => { console.error(String(error)); process.exit(1); });
"""

MEMORY_SCRIPT = r"""
# argv: path, "ours" or "decode"
import sys
from functions.thumbnail.imaging import make_thumbnail
from PIL import Image
import io
warm = io.BytesIO(); Image.new("RGB", (64, 64)).save(warm, "JPEG")
make_thumbnail(warm.getvalue(), box=256, max_pixels=50_000_000)
data = open(sys.argv[1], "rb").read()
def peak_kb():
    # VmHWM, not ru_maxrss: the latter is inherited from the parent across exec on Linux.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
before = peak_kb()
if sys.argv[2] == "ours":
    make_thumbnail(data, box=256, max_pixels=50_000_000)
else:
    Image.open(io.BytesIO(data)).load()
after = peak_kb()
print((after - before) / 1024)
"""


def _photo_like(width: int, height: int, alpha: bool = False) -> Image.Image:
    """Detail at every scale (fractal, gradients, shapes, noise), so codecs work about as hard as on a photo."""
    base = Image.effect_mandelbrot((width, height), (-2.2, -1.2, 0.8, 1.2), 60)
    red = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 24)
    image = Image.merge("RGB", (base, red, Image.blend(base, noise, 0.5)))
    draw = ImageDraw.Draw(image)
    for index in range(40):
        x, y = (index * 7919) % width, (index * 104729) % height
        draw.ellipse((x, y, x + width // 10, y + height // 12), fill=((index * 50) % 255, 90, (index * 30) % 255))
    image = image.filter(ImageFilter.GaussianBlur(1))
    # Sensor-like grain after the blur: photos do not compress like flat synthetic art.
    grain = Image.merge("RGB", [Image.effect_noise((width, height), 40) for _ in range(3)])
    image = Image.blend(image, grain, 0.18)
    if alpha:
        mask = Image.radial_gradient("L").resize((width, height))
        image.putalpha(mask)
    return image


def _corpus() -> dict[str, Path]:
    """Make the corpus once; later runs reuse it."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    CORPUS.mkdir(parents=True, exist_ok=True)
    makers: dict[str, Callable[[Path], None]] = {
        "12mp-baseline.jpg": lambda p: _photo_like(4000, 3000).save(p, "JPEG", quality=90),
        "12mp-progressive.jpg": lambda p: _photo_like(4000, 3000).save(p, "JPEG", quality=90, progressive=True),
        "4mp-alpha.png": lambda p: _photo_like(2000, 2000, alpha=True).save(p, "PNG"),
        "1mp.webp": lambda p: _photo_like(1000, 1000).save(p, "WEBP", quality=85),
        "2mp.heic": lambda p: _photo_like(1600, 1200).save(p, "HEIF", quality=85),
    }
    paths = {}
    for name, make in makers.items():
        path = CORPUS / name
        if not path.exists():
            make(path)
        paths[name] = path
    return paths


def _cpu_ms(action: Callable[[], object], repetitions: int) -> float:
    """CPU ms per run of `action` in this process (the first round of the interleaved loop is the warm-up)."""
    return cpu_seconds(action, repetitions) * 1000


def _ensure_sharp() -> bool:
    if (WORK / "node_modules" / "sharp").exists():
        return True
    if shutil.which("npm") is None:
        return False
    WORK.mkdir(parents=True, exist_ok=True)
    if not (WORK / "package.json").exists():
        (WORK / "package.json").write_text('{"name": "bench-work", "private": true}\n')
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", f"sharp@{SHARP_VERSION}"], cwd=WORK, capture_output=True
    )
    return result.returncode == 0


def _sharp_ms(paths: list[Path], repetitions: int) -> dict[str, float]:
    script = WORK / "sharp-bench.js"
    script.write_text(SHARP_SCRIPT)
    result = subprocess.run(
        ["node", str(script), str(repetitions), *map(str, paths)], cwd=WORK, capture_output=True, text=True
    )
    if result.returncode != 0:  # e.g. HEIC: sharp's prebuilt libvips has no HEVC decoder
        return {}
    return {Path(name).name: value for name, value in json.loads(result.stdout).items()}


def _one_sharp_ms(path: Path, repetitions: int) -> float:
    """sharp's CPU ms per image on `path`, as its node process measures it (after its own warm-up)."""
    return _sharp_ms([path], repetitions)[path.name]


def _memory_growth_mb(path: Path, what: str) -> float:
    """Growth of the peak resident set while one image is thumbnailed ("ours") or fully decoded ("decode")."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(path), what], cwd=root, capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip())


def run() -> str:
    from functions.thumbnail.imaging import make_thumbnail

    paths = _corpus()
    have_sharp = _ensure_sharp()
    rows = [
        "| Image | Size | Ours (ms CPU, IQR) | Pillow full decode (ms) | sharp (ms, IQR) | Ours / sharp (IQR) "
        "| Target | Met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for name, kind, repetitions in CASES:
        data = paths[name].read_bytes()

        def thumbnail(data: bytes = data) -> None:
            make_thumbnail(data, box=BOX, max_pixels=MAX_PIXELS)

        def full_decode(data: bytes = data) -> None:
            with Image.open(io.BytesIO(data)) as image:
                image.load()

        contenders: dict[str, Callable[[], float]] = {
            "ours": partial(_cpu_ms, thumbnail, repetitions),
            "decode": partial(_cpu_ms, full_decode, max(1, repetitions // 2)),
        }
        if have_sharp and _sharp_ms([paths[name]], 1):  # e.g. HEIC: sharp's prebuilt libvips has no HEVC decoder
            contenders["sharp"] = partial(_one_sharp_ms, paths[name], repetitions)
        # One loop, the order alternating each round: a busy moment weighs on ours and on sharp alike.
        samples = interleaved(contenders, rounds=ROUNDS, warmup=1)
        ours, decode = spread(samples["ours"]), spread(samples["decode"])
        theirs = spread(samples["sharp"]) if "sharp" in samples else None
        ratio = ratios(samples, "ours", "sharp") if "sharp" in samples else None
        target = TARGETS.get(kind)
        met = "n/a" if target is None or ratio is None else ("yes" if ratio.median <= target else "**no**")
        if target is not None and ratio is not None:
            verdicts.append(ratio.median <= target)
        with Image.open(paths[name]) as probe:
            size = f"{probe.width}x{probe.height}, {len(data) / 1e6:.1f} MB"
        rows.append(
            f"| {name} | {size} | {ours.value(1)} | {decode.median:.1f} | "
            f"{theirs.value(1) if theirs else 'n/a'} | {ratio.ratio() if ratio else 'n/a'} | "
            f"{f'<= {target:.2f}x' if target else 'none'} | {met} |"
        )
    memory = _memory_growth_mb(paths["12mp-baseline.jpg"], "ours")
    decode_memory = _memory_growth_mb(paths["12mp-baseline.jpg"], "decode")
    lines = [
        "CPU time per image (user + system, all threads) to make the 256px WebP thumbnail from bytes in memory. "
        "Ours includes the orientation, sRGB conversion and the BlurHash/colour placeholder; sharp "
        f"{SHARP_VERSION} (libvips) does decode, auto-orient, resize and WebP (quality 80) only. "
        "Pillow full decode is the cost of `Image.open().load()` alone at full size. Ours, the decode and sharp "
        f"(one node process per round) run in one loop, the order alternating, {ROUNDS} rounds after a warm-up; "
        "medians with their interquartile range, the ratio taken within each round.",
        "",
        *rows,
        "",
        f"Peak memory growth (VmHWM) thumbnailing the 12 MP JPEG: **{memory:.1f} MB** "
        f"(target <= {MEMORY_TARGET_MB} MB: {'met' if memory <= MEMORY_TARGET_MB else '**not met**'}); "
        f"a full Pillow decode of the same file grows it by {decode_memory:.1f} MB.",
    ]
    lines += ["", *previews.section(paths, CASES, work=WORK, sharp=have_sharp)]
    if not have_sharp:
        lines.append("")
        lines.append("sharp could not be installed (no npm or no registry), so the sharp columns are empty.")
    elif verdicts and not all(verdicts):
        lines.append("")
        lines.append("Not every speed target is met in this run; see the rows marked **no**.")
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
