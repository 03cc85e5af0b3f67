"""Public API items of a module for contract snapshots (filled in by the snapshots work)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any


def api_items(tree: ast.Module, module: str) -> tuple[Mapping[str, Any], ...]:
    """The module's public API as canonical, JSON-ready mappings. Placeholder: none yet."""
    return ()
