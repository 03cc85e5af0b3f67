"""The mypy step cold and warm, plain and through the kept dmypy daemon, on a copied package.

Run: python bench/mypy_daemon.py [--package src/archverify] [--runs 3]
Prints a Markdown table of medians (docs/internal/performance.md quotes one).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archverify.core.config import ToolConfig  # noqa: E402
from archverify.executors.base import StepContext  # noqa: E402
from archverify.executors.tools import mypy_daemon  # noqa: E402
from archverify.executors.tools.mypy import MypyStep  # noqa: E402
from tests.helpers.factories import MemoryCache  # noqa: E402
from tests.helpers.tool_project import make_context  # noqa: E402

# The edits, each applied to the hub module and measured as a warm run.
EDITS = ("comment added", "function added", "edit undone")


def context(
    root: Path, package: str, cache_dir: Path, kv: MemoryCache, daemon: bool
) -> StepContext:
    tool = ToolConfig(args=("--strict",), options={"daemon": daemon})
    return make_context(
        root, packages=(package,), cache_dir=cache_dir, cache=kv, tools={"mypy": tool}
    )


def timed(step_context: StepContext) -> float:
    started = time.perf_counter()
    outcome = MypyStep().run(step_context)
    if outcome.status.value not in ("passed", "failed"):
        raise SystemExit(f"mypy step could not run: {outcome.message}")
    return time.perf_counter() - started


def measure(root: Path, package: str, hub: Path, runs: int, daemon: bool) -> dict[str, list[float]]:
    original = hub.read_bytes()
    times: dict[str, list[float]] = {}
    for index in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-mypy-") as tmp:
            cache_dir, kv = Path(tmp), MemoryCache()
            times.setdefault("cold", []).append(
                timed(context(root, package, cache_dir, kv, daemon))
            )
            edits = (
                original + f"\n# edit {index}\n".encode(),
                original + f"\n\ndef added_{index}(x: int) -> int:\n    return x\n".encode(),
                original,
            )
            try:
                for name, text in zip(EDITS, edits, strict=True):
                    hub.write_bytes(text)
                    times.setdefault(name, []).append(
                        timed(context(root, package, cache_dir, kv, daemon))
                    )
            finally:
                hub.write_bytes(original)
                if daemon:
                    mypy_daemon.stop("mypy.dmypy", cache_dir, kv, mypy_daemon.Launch(root, 30))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, default=REPO / "src" / "archverify")
    parser.add_argument("--hub", default="core/findings.py", help="the module edited")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.pop("CI", None)
    with tempfile.TemporaryDirectory(prefix="bench-mypy-tree-") as tmp:
        root = Path(tmp)
        shutil.copytree(args.package, root / args.package.name)
        hub = root / args.package.name / args.hub
        plain = measure(root, args.package.name, hub, args.runs, daemon=False)
        daemon = measure(root, args.package.name, hub, args.runs, daemon=True)
    print("| run | mypy | dmypy (kept daemon) |")
    print("| --- | --- | --- |")
    for name in ("cold", *EDITS):
        print(
            f"| {name} | {statistics.median(plain[name]):.2f} s | "
            f"{statistics.median(daemon[name]):.2f} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
