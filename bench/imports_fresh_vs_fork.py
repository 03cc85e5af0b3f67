"""Compare the imports step's verdicts with fresh interpreters across a whole installed package.

    .venv/bin/python bench/imports_fresh_vs_fork.py pydantic mypy --sample 0 --jobs 2

Copies each package into a temporary project, imports its modules (all of them with
``--sample 0``) through the imports step's machinery and in ``python -I -c "import M"``, and
prints the step's stats, the time taken and every disagreement (exit 1 if there is one).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))

from imports_differential import compare  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="+")
    parser.add_argument("--sample", type=int, default=0, help="modules per package (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    disagreements = 0
    for package in args.packages:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="archverify-bench-") as folder:
            found = compare(
                package, Path(folder), sample=args.sample or None, seed=args.seed, jobs=args.jobs
            )
        lines = found.disagreements()
        disagreements += len(lines)
        elapsed = time.monotonic() - started
        print(f"{package}: {len(found.step)} modules, {elapsed:.1f} s, {len(lines)} disagreements")
        keys = ("preloaded", "preload_dropped", "rechecked_fresh", "fork_disagreed", "failed")
        print("  " + ", ".join(f"{k}={found.stats.get(k)}" for k in keys))
        for line in lines:
            print("  " + line)
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
