"""Runs a tool module after importing it from archverify's environment (run as a file, ``-I``).

``python -I -B launcher.py [--path=DIR]... [--append-path=DIR]... [--preload=MODULE]...
-- MODULE ARGS...``

Started in isolated mode, so ``sys.path`` holds only the standard library and archverify's
site-packages: ``MODULE`` and every ``--preload`` module (for ``coverage run -m pytest``:
pytest) are imported from there. Only then are the ``--path`` folders put first on
``sys.path``, for the code the tool runs by design (the tests and the project under test), and
the ``--append-path`` folders last (the user's ``PYTHONPATH`` for mypy, which searches
``sys.path`` for installed packages, without letting them shadow what is installed); a
package already imported resolves its submodules from its own folder, so a ``pytest.py`` or
``coverage/`` in those folders cannot replace it. Then ``MODULE`` runs as ``python -m`` would.
Standard library only: this file runs before anything else is importable.
"""

from __future__ import annotations

import importlib
import runpy
import sys


def main(argv: list[str]) -> None:
    if "--" not in argv:
        raise SystemExit("usage: launcher.py [--path=DIR]... [--preload=M]... -- MODULE ...")
    split = argv.index("--")
    options, rest = argv[:split], argv[split + 1 :]
    if not rest:
        raise SystemExit("launcher.py: no module to run")
    paths = [o.removeprefix("--path=") for o in options if o.startswith("--path=")]
    appended = [o.removeprefix("--append-path=") for o in options if o.startswith("--append-path=")]
    preload = [o.removeprefix("--preload=") for o in options if o.startswith("--preload=")]
    module, args = rest[0], rest[1:]
    for name in (module, *preload):
        importlib.import_module(name)
    sys.path[0:0] = paths
    sys.path.extend(appended)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
