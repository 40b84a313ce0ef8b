"""`python -m bench.worker MODULE:FUNCTION [JSON-KEYWORDS]`: one measurement in a fresh interpreter, its result as JSON.

Used by `bench.interleave.in_fresh_processes`; the last line of standard output is the result.
"""

from __future__ import annotations

import importlib
import json
import sys


def main() -> None:
    module_name, _, function_name = sys.argv[1].partition(":")
    keywords = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    result = getattr(importlib.import_module(module_name), function_name)(**keywords)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
