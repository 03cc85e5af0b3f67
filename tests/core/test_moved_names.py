"""Public core names that moved stay importable where users found them (the API snapshot sees
only definitions, so it cannot protect a re-export)."""

from __future__ import annotations

import importlib

import pytest

# old module, name -> the module that defines it now
MOVED = {
    ("archverify.core.config", "ContractConfig"): "archverify.core.contracts.common",
}


@pytest.mark.parametrize(("old", "name"), sorted(MOVED))
def test_a_moved_name_is_the_same_object_from_its_old_module(old: str, name: str) -> None:
    new = MOVED[(old, name)]
    assert getattr(importlib.import_module(old), name) is getattr(
        importlib.import_module(new), name
    )
