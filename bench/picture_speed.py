"""Benchmark: rendering the HTML report (its picture and drill-downs) of a real project.

    python bench/picture_speed.py [PROJECT] [--runs N]

PROJECT defaults to the bench's Django 5.2 tree (``~/.cache/archverify-bench/src/django-5.2*``,
which ``bench/run.py`` unpacks with its ``archverify.toml``). The steps compile, contracts and
cycles run once (no cache written); then the page is rendered N times: best and median.
To compare with an older archverify, run the same file with ``PYTHONPATH=OLD/src``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import archverify
from archverify.orchestrator.commands.run import RunOptions, execute
from archverify.processors.formats import html
from archverify.processors.formats.base import RenderInputs

CACHE = Path.home() / ".cache" / "archverify-bench" / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = next(iter(sorted(CACHE.glob("django-5.2*"))), None)
    parser.add_argument("project", nargs="?", default=str(default) if default else None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.project is None:
        parser.error("no project given and no Django tree in the bench cache")
    options = RunOptions(path=args.project, steps="compile,contracts,cycles", no_cache=True)
    result = execute(options)
    inputs = RenderInputs(report=result.report, project=result.project, config=result.config)
    times: list[float] = []
    size = 0
    for _ in range(args.runs):
        start = time.perf_counter()
        size = len(html.FORMAT.render(inputs))
        times.append(time.perf_counter() - start)
    print(
        f"archverify {Path(archverify.__file__).parent}: HTML page of {args.project} "
        f"({len(result.project.modules)} modules): best {min(times) * 1000:.0f} ms, "
        f"median {statistics.median(times) * 1000:.0f} ms, {size / 1e6:.2f} MB"
    )


if __name__ == "__main__":
    main()
