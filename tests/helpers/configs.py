"""The ``[tool.archverify]`` texts of the small projects the CLI tests run on, by named parts.

A test's config is the sum of its parts, e.g. ``APP + PURITY_CORE``: the parts keep their blank
line in front, so a sum reads exactly as the hand-written file it stands for.
"""

from __future__ import annotations

# One package, ``app``, below ``src``.
APP = '[tool.archverify]\nsource_roots = ["src"]\npackages = ["app"]\n'
PURITY_CORE = '\n[tool.archverify.purity]\npackages = ["app.core"]\n'


def with_tests_step(coverage_min: int) -> str:
    """The tests step on ``tests/`` with ``coverage_min``."""
    return f'\n[tool.archverify.tests]\npaths = ["tests"]\ncoverage_min = {coverage_min}\n'


def layers_contract(*layers: str) -> str:
    """A layers contract named ``layers`` over ``layers``, highest first."""
    listed = ", ".join(f'"{layer}"' for layer in layers)
    return (
        f'\n[[tool.archverify.contracts]]\nname = "layers"\ntype = "layers"\nlayers = [{listed}]\n'
    )
