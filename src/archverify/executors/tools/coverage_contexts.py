"""Coverage data by test module, and back: run as ``python -m`` in the tests step's environment.

``split DATA ROOT OUT STORED MERGED``: the lines (or arcs) each dynamic context of the data
file executed, as JSON ``{"arcs": bool, "problems": [...], "contexts": {context: {path:
[...]}}}`` with paths relative to ROOT (the empty context is what ran outside any test module);
and MERGED, a data file without contexts holding everything DATA holds and the lines or arcs of
STORED (``{path: [...]}``, relative to ROOT): the data a full run would have written, for
``coverage json`` to total. One process: coverage's import and the data's read happen once.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def split(data_file: str, root: str, out: str) -> None:
    from coverage import CoverageData

    data = CoverageData(data_file)
    data.read()
    arcs = data.has_arcs()
    problems = []
    files = sorted(data.measured_files())
    if any(data.file_tracer(f) for f in files):
        problems.append("a coverage plugin traces files")
    contexts: dict[str, dict[str, list[Any]]] = {}
    for context in sorted(data.measured_contexts()):
        data.set_query_contexts([f"^{re.escape(context)}$"])
        by_file: dict[str, list[Any]] = {}
        for path in files:
            found = data.arcs(path) if arcs else data.lines(path)
            if found:
                by_file[_relative(path, root)] = sorted(found)
        contexts[context] = by_file
    Path(out).write_text(
        json.dumps({"arcs": arcs, "problems": problems, "contexts": contexts}), "utf-8"
    )


def merge(data_file: str, stored: str, root: str, out: str) -> None:
    from coverage import CoverageData

    fresh = CoverageData(data_file)
    fresh.read()
    records: dict[str, list[Any]] = json.loads(Path(stored).read_text("utf-8"))
    # Records of arcs are pairs: they tell when this session measured nothing itself.
    arcs = fresh.has_arcs() or any(isinstance(v, list) for vs in records.values() for v in vs)
    merged = CoverageData(out)
    by_file: dict[str, set[Any]] = {}
    for path in fresh.measured_files():
        found = fresh.arcs(path) if arcs else fresh.lines(path)
        by_file.setdefault(path, set()).update(found or ())
    for relative, values in records.items():
        path = os.path.join(root, relative)
        by_file.setdefault(path, set()).update(tuple(v) if arcs else v for v in values)
    if arcs:
        merged.add_arcs({path: sorted(found) for path, found in by_file.items()})
    else:
        merged.add_lines({path: sorted(found) for path, found in by_file.items()})
    merged.write()


def _relative(path: str, root: str) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def main(argv: Sequence[str]) -> int:
    if len(argv) == 6 and argv[0] == "split":
        data, root, out, stored, merged = argv[1:]
        split(data, root, out)
        merge(data, stored, root, merged)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
