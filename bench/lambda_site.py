"""What a function's interpreter can import on Lambda: the layers' pinned distributions, all they require, and the
runtime's own boto3; linked from this virtualenv into one folder, as the layers fill `/opt/python`.

The cold-start bench imports the handlers with only this folder (and the repository) on the path. In the dev
virtualenv, libraries find optional packages no layer holds and import them: httpx loads its command-line client
when rich and click are installed (about 80 ms), which a Lambda function never pays.
"""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# Every layer the stack can attach (infra/bundling.py builds each `layers/<name>/requirements.txt`; not imported
# here, since it loads the CDK and starts its node process).
LAYERS = ROOT / "layers"
# In the python3.12 runtime itself, so in no layer; what it requires follows (infra/bundling.py RUNTIME_PROVIDED).
RUNTIME_PROVIDED = ("boto3",)


def _roots() -> list[Requirement]:
    roots = [Requirement(name) for name in RUNTIME_PROVIDED]
    for path in sorted(LAYERS.glob("*/requirements.txt")):
        for line in path.read_text().splitlines():
            text = line.split("#", 1)[0].strip()
            if text and not text.startswith("-"):
                roots.append(Requirement(text))
    return roots


def distributions() -> dict[str, metadata.Distribution]:
    """The installed distributions the layers would hold, by canonical name: the roots and what they require."""
    found: dict[str, metadata.Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = _roots()
    while pending:
        requirement = pending.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        distribution = metadata.distribution(requirement.name)
        found[key[0]] = distribution
        for text in distribution.requires or []:
            needed = Requirement(text)
            extras = requirement.extras or {""}
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra}) for extra in extras):
                pending.append(needed)
    return found


def build(target: Path) -> Path:
    """`target`, emptied, then filled with a link to every top-level package, module and vendored library folder of
    those distributions; returns it."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for distribution in distributions().values():
        for file in distribution.files or []:
            top = file.parts[0]
            if top in ("..", "__pycache__") or top.endswith((".dist-info", ".egg-info", ".data")):
                continue
            link = target / top
            if not link.exists():
                link.symlink_to(Path(str(distribution.locate_file(top))).resolve())
    return target
