"""Hostile repositories for the security tests: build one, run the real CLI, prove what changed.

Every security test follows one shape: build a small repository (and a sibling folder standing for
"outside the tree") in a temp folder, take digests, run ``python -m archverify`` as a separate
process with a unique marker in its environment, then assert the honest verdict, unchanged
digests, and that no process carrying the marker is still alive.

The pieces live in ``tests.helpers`` (``cli``: running the CLI and its leftovers; ``tree``:
writing and digesting a tree; ``configs``: the config texts); their names stay importable from
here. What is the security tests' own stays here: the layered project most attacks aim at.
"""

from __future__ import annotations

from tests.helpers.cli import (
    MARKER_VARIABLE,
    CliRun,
    assert_no_leftover_processes,
    processes_with_marker,
    run_cli,
)
from tests.helpers.configs import APP, PURITY_CORE, layers_contract
from tests.helpers.tree import CACHE_FOLDER, tree_digest, write_tree

__all__ = [
    "CACHE_FOLDER",
    "LAYERED_CONFIG",
    "MARKER_VARIABLE",
    "CliRun",
    "assert_no_leftover_processes",
    "processes_with_marker",
    "run_cli",
    "tree_digest",
    "write_tree",
]

# The layered project most attacks are aimed at: purity on app.core, app.edge above it.
LAYERED_CONFIG = APP + PURITY_CORE + layers_contract("app.edge", "app.core")
