"""A handler module whose import (the environment's init) takes longer than the tiny timeout its tests give it."""

from __future__ import annotations

import time
from typing import Any

INIT_SECONDS = 1.0
time.sleep(INIT_SECONDS)


def handler(event: dict[str, Any], context: Any) -> str:
    return "initialized"
