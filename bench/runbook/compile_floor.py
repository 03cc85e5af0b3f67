"""The single-process compile floor: read and compile() every verified file once.

Run: python bench/runbook/compile_floor.py PROJECT_ROOT. The file list is archverify's own
discovery (the same files a run verifies); only reading and compiling is timed. Prints JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from archverify.orchestrator.config.loader import load_config
from archverify.orchestrator.discovery import discover


def compile_floor(root: Path) -> dict[str, float | int]:
    files = [root / source.path for source in discover(root, load_config(root)).files]
    failed = 0
    started = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        try:
            compile(data, str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            failed += 1
    return {"files": len(files), "failed": failed, "seconds": time.perf_counter() - started}


if __name__ == "__main__":
    print(json.dumps(compile_floor(Path(sys.argv[1]).resolve())))
