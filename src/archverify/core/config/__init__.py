"""The validated configuration: plain values, no file access.

The key names mirror ``[tool.archverify]`` and are a public contract. Loading and validating
TOML is ``schema`` (with ``fields``, ``locate`` and ``errors``, all pure); reading the files is
``archverify.orchestrator.config.loader``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Re-exported: the contracts own their declaration; a Config holds them.
from archverify.core.contracts.common import ContractConfig as ContractConfig
from archverify.core.steps import STEPS, default

# Where ``archverify baseline`` writes and ``run`` reads the baseline unless ``baseline`` says.
DEFAULT_BASELINE_FILE = "archverify-baseline.json"

# The runbook's order (``--fail-fast`` runs them strictly in it), and the steps that parse the
# code once and run nothing. Both derive from the step catalogue.
STEP_ORDER: tuple[str, ...] = tuple(spec.id for spec in STEPS)
STATIC_STEPS: tuple[str, ...] = tuple(spec.id for spec in STEPS if spec.static)

# Forbidden in pure packages unless ``forbid_calls`` replaces the list (declared with the
# option, in the step catalogue, where its patterns are explained).
DEFAULT_FORBIDDEN_CALLS: tuple[str, ...] = default("purity", "forbid_calls")

# Builtins that a bare name in a user's ``forbid_calls`` means (``open`` -> ``builtins.open``).
BUILTIN_IO_NAMES: frozenset[str] = frozenset(
    {"open", "input", "print", "breakpoint", "exec", "eval", "compile", "__import__"}
)


@dataclass(frozen=True)
class PurityConfig:
    packages: tuple[str, ...] = ()
    forbid_calls: tuple[str, ...] = DEFAULT_FORBIDDEN_CALLS
    allow_main_block: bool = False
    allow_environment: bool = False


@dataclass(frozen=True)
class BoundaryRule:
    name: str
    packages: tuple[str, ...]
    forbid_calls: tuple[str, ...] = ()
    forbid_imports: tuple[str, ...] = ()
    except_modules: tuple[str, ...] = ()
    origin: str = ""


@dataclass(frozen=True)
class CyclesConfig:
    packages: tuple[str, ...] = ()  # empty: every verified package


@dataclass(frozen=True)
class ToolConfig:
    """Settings of a step backed by an external tool (``[tool.archverify.<step>]``)."""

    args: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """Everything a run needs to know, validated.

    ``root`` is the verified directory (absolute, as a string: core does no path I/O).
    ``packages`` are the dotted names to verify; ``source_roots`` are relative to ``root``.
    ``steps`` is the selected steps in the runbook's order. ``has_rules`` is False when no
    config was found or it states no purity, contracts or boundaries.
    """

    root: str
    config_file: str = ""
    # Where the archverify keys sit in ``config_file``: ("tool", "archverify") in a
    # pyproject-style file, () when they are at its top level (archverify.toml).
    config_table: tuple[str, ...] = ()
    source_roots: tuple[str, ...] = (".",)
    packages: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    steps: tuple[str, ...] = STEP_ORDER
    purity: PurityConfig = field(default_factory=PurityConfig)
    contracts: tuple[ContractConfig, ...] = ()
    include_type_checking_imports: bool = False
    boundaries: tuple[BoundaryRule, ...] = ()
    cycles: CyclesConfig = field(default_factory=CyclesConfig)
    tools: Mapping[str, ToolConfig] = field(default_factory=dict)
    has_rules: bool = True
    contracts_file: str = ""  # an import-linter INI file of extra contracts, relative to root
    baseline: str = ""  # the baseline file, relative to root ("" when not configured)

    def tool(self, step: str) -> ToolConfig:
        return self.tools.get(step, ToolConfig())
