"""The runbook's bulk import: import every module of the given packages in one process.

Run: python bench/runbook/bulk_import.py PACKAGE_PATH... (folders or module files, each under a
source root that is on PYTHONPATH). Failures are caught and counted, as the runbook's own
script does; ``__main__`` modules are skipped because importing one runs the program.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path


def module_names(package_path: Path) -> Iterator[str]:
    if package_path.is_file():
        yield package_path.stem
        return
    base = package_path.parent
    for folder, dirs, files in os.walk(package_path):
        dirs[:] = sorted(d for d in dirs if d.isidentifier())
        here = Path(folder)
        if "__init__.py" not in files and here != package_path:
            dirs[:] = []
            continue
        parts = here.relative_to(base).parts
        for name in sorted(files):
            stem = name[:-3]
            if not name.endswith(".py") or not stem.isidentifier() or stem == "__main__":
                continue
            yield ".".join(parts if stem == "__init__" else (*parts, stem))


def main(paths: list[str]) -> int:
    imported = failed = 0
    for raw in paths:
        for name in module_names(Path(raw).resolve()):
            try:
                importlib.import_module(name)
                imported += 1
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: BLE001 - a module may even call sys.exit()
                failed += 1
                print(f"{name}: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
    print(f"imported {imported}, failed {failed}")
    sys.stdout.flush()
    sys.stderr.flush()
    # Imported modules may leave non-daemon threads behind; they must not keep us alive.
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
