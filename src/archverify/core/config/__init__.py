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

# Where ``archverify baseline`` writes and ``run`` reads the baseline unless ``baseline`` says.
DEFAULT_BASELINE_FILE = "archverify-baseline.json"

# The runbook's order. ``--fail-fast`` runs them strictly in this order.
STEP_ORDER: tuple[str, ...] = (
    "compile",
    "purity",
    "contracts",
    "ruff",
    "mypy",
    "boundaries",
    "snapshots",
    "cycles",
    "imports",
    "bandit",
    "tests",
)
STATIC_STEPS: tuple[str, ...] = (
    "compile",
    "purity",
    "contracts",
    "boundaries",
    "snapshots",
    "cycles",
)

# Forbidden in pure packages unless ``forbid_calls`` replaces the list. Patterns are dotted
# names matched against the resolved callee: ``*`` matches within one name, ``**`` any number
# of names. Builtins are written ``builtins.X`` so that a method ``self.open()`` never matches.
DEFAULT_FORBIDDEN_CALLS: tuple[str, ...] = (
    "builtins.open",
    "builtins.input",
    "builtins.print",
    "builtins.breakpoint",
    "io.open",
    "io.open_code",
    "codecs.open",
    "json.load",
    "json.dump",
    "pickle.load",
    "pickle.dump",
    "marshal.load",
    "marshal.dump",
    "shelve.open",
    "requests.**",
    "httpx.**",
    "urllib.request.**",
    "http.client.**",
    "socket.**",
    "subprocess.**",
    "shutil.**",
    "sqlite3.connect",
    "pandas.read_*",
    "pandas.DataFrame.to_*",
    "os.system",
    "os.popen",
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "os.removedirs",
    "os.rename",
    "os.renames",
    "os.replace",
    "os.mkdir",
    "os.makedirs",
    "os.listdir",
    "os.scandir",
    "os.walk",
    "os.fwalk",
    "os.open",
    "os.read",
    "os.write",
    "os.chdir",
    "os.chmod",
    "os.chown",
    "os.link",
    "os.symlink",
    "os.truncate",
    "os.startfile",
    "os.kill",
    "os.fork",
    "os.exec*",
    "os.spawn*",
    "os.posix_spawn*",
    "os.path.exists",
    "os.path.isfile",
    "os.path.isdir",
    "os.path.getsize",
    "os.path.getmtime",
    "pathlib.Path.read_text",
    "pathlib.Path.read_bytes",
    "pathlib.Path.write_text",
    "pathlib.Path.write_bytes",
    "pathlib.Path.open",
    "pathlib.Path.unlink",
    "pathlib.Path.mkdir",
    "pathlib.Path.rmdir",
    "pathlib.Path.touch",
    "pathlib.Path.rename",
    "pathlib.Path.replace",
    "pathlib.Path.iterdir",
    "pathlib.Path.glob",
    "pathlib.Path.rglob",
    "pathlib.Path.walk",
    "pathlib.Path.exists",
    "pathlib.Path.is_file",
    "pathlib.Path.is_dir",
    "pathlib.Path.stat",
    "pathlib.Path.chmod",
    "pathlib.Path.symlink_to",
    "pathlib.Path.hardlink_to",
    "pathlib.Path.resolve",
    "pathlib.Path.cwd",
    "pathlib.Path.home",
    "tempfile.**",
    "glob.glob",
    "glob.iglob",
)

# Builtins that a bare name in a user's ``forbid_calls`` means (``open`` -> ``builtins.open``).
BUILTIN_IO_NAMES: frozenset[str] = frozenset(
    {"open", "input", "print", "breakpoint", "exec", "eval", "compile", "__import__"}
)


@dataclass(frozen=True)
class PurityConfig:
    packages: tuple[str, ...] = ()
    forbid_calls: tuple[str, ...] = DEFAULT_FORBIDDEN_CALLS
    allow_main_block: bool = False


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
