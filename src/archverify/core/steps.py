"""The step catalogue: every step, in the runbook's order, with what the rest of archverify
needs to know about it (static or not, scheduling priority, whether it runs the project's
code, its one-line summary and its ``[tool.archverify.<id>]`` options with their defaults).

Every list of steps derives from ``STEPS``: ``core.config.STEP_ORDER`` and ``STATIC_STEPS``,
the config schema's key tables, the scheduler's priorities, ``--untrusted``'s
``RUNS_PROJECT_CODE`` and the step lines of ``archverify run --help``. What cannot import it
(``.pre-commit-hooks.yaml``) is pinned by a test. The step classes are in
``archverify.executors.registry`` (id -> class).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

# How a TOML value of an option is read (all in ``core.config.fields.FieldReader``):
#   strings   a list of strings          modules  a list of dotted module names (wildcards)
#   string    a non-empty string         boolean  true or false
#   choice    one of ``choices``         number   a number within ``low``..``high``
#   seconds   a number of seconds within the bounds, as a float
#   count     a number within the bounds, truncated to a whole number
#   whole     a whole number within the bounds (a float is refused)
#   workers   a whole number within the bounds, or the string "auto"
StepOptionKind = Literal[
    "strings",
    "modules",
    "string",
    "boolean",
    "choice",
    "number",
    "seconds",
    "count",
    "whole",
    "workers",
]

# How a step's ``[tool.archverify.<id>]`` section is validated:
#   none     the step has no section
#   options  a table validated from ``options`` into ``ToolConfig.options`` (``args`` into
#            ``ToolConfig.args``)
#   typed    a table whose ``options`` the schema parses into the step's own config dataclass
#   array    an array of tables (``[[tool.archverify.<id>]]``) with a parser of its own
Section = Literal["none", "options", "typed", "array"]

# Upper bounds: a longer timeout is a mistake (and 1e300 s overflows the timers that enforce it).
MAX_TIMEOUT_S = 86_400.0
MAX_OUTPUT_LIMIT = 64 * 1024 * 1024
# An import child's memory cap, in MiB: at most 1 TiB (a larger one is no cap at all).
MAX_MEMORY_MB = 1024 * 1024
# The tests step's pytest-xdist workers: "auto" is one per CPU (xdist's ``-n auto``).
AUTO_WORKERS = "auto"
MAX_WORKERS = 1024
WHOLE_KINDS = frozenset({"whole", "workers"})


@dataclass(frozen=True)
class StepOption:
    """One key of a step's section: how it is read and what holds when it is absent.

    ``filled`` False: an absent key stays absent from ``ToolConfig.options`` and the step
    applies ``default`` itself (the tools' ``timeout_s``: the options are part of the steps'
    cache keys, which a filled-in default would change).
    """

    key: str
    kind: StepOptionKind
    default: Any
    summary: str
    low: float = 0
    high: float | None = None
    low_inclusive: bool = True
    choices: tuple[str, ...] = ()  # ``choice``: the allowed values, the default first
    non_empty: bool = False  # ``strings``/``modules``: ``[]`` is refused when given
    required: bool = False  # the key must be given (``default`` is then None)
    filled: bool = True

    def accepts(self, value: object) -> bool:
        """Whether ``value`` fits this option's kind and bounds. The schema says why in its own
        words; this serves a step handed a Config built without the schema."""
        kind = self.kind
        if kind == "boolean":
            return isinstance(value, bool)
        if kind in ("strings", "modules"):
            return (
                isinstance(value, tuple | list)
                and all(isinstance(item, str) for item in value)
                and not (self.non_empty and not value)
            )
        if kind == "string":
            return isinstance(value, str)
        if kind == "choice":
            return value in self.choices
        if kind == "workers" and value == AUTO_WORKERS:
            return True
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if not math.isfinite(value) or (kind in WHOLE_KINDS and not isinstance(value, int)):
            return False
        above = value >= self.low if self.low_inclusive else value > self.low
        return above and (self.high is None or value <= self.high)

    def __post_init__(self) -> None:
        # The config reader takes a choice's default as its first choice: one value, said once.
        if self.kind == "choice" and (not self.choices or self.default != self.choices[0]):
            raise ValueError(f"{self.key}: a choice's default must be its first choice")


@dataclass(frozen=True)
class StepSpec:
    """One step.

    ``static`` steps parse the code once (through the facts) and run nothing. ``priority``
    orders the other steps' start, lowest first (longest first, so that the slowest tool starts
    at once and the others fill in beside it) until a project's own durations are recorded
    (``orchestrator.durations``); it is None for static steps.
    ``runs_project_code`` is why the step executes the project by design ("" when it does
    not): ``--untrusted`` leaves it out, and such steps take turns. ``options`` are validated
    in their order, so the first error a table has is the one reported (``args`` comes last: its
    read-only checks follow its type check).
    """

    id: str
    summary: str
    static: bool
    priority: int | None = None
    runs_project_code: str = ""
    section: Section = "none"
    options: tuple[StepOption, ...] = ()
    # Rule families this step reports besides its own id (``coverage/below-minimum`` is the
    # tests step's): a finding's step, and the step a suppression of the family waits for.
    rule_families: tuple[str, ...] = ()

    def option(self, key: str) -> StepOption:
        for option in self.options:
            if option.key == key:
                return option
        raise KeyError(f"{self.id} has no option {key!r}")


def _args(tool: str) -> StepOption:
    return StepOption("args", "strings", (), f"extra arguments to {tool} (read-only ones only)")


def _tool_timeout(seconds: float) -> StepOption:
    return StepOption(
        "timeout_s",
        "seconds",
        seconds,
        "seconds the tool may run before it is stopped",
        high=MAX_TIMEOUT_S,
        low_inclusive=False,
        filled=False,
    )


# Forbidden in pure packages unless ``forbid_calls`` replaces the list. Patterns are dotted
# names matched against the resolved callee: ``*`` matches within one name, ``**`` any number
# of names. Builtins are written ``builtins.X`` so that a method ``self.open()`` never matches.
_FORBIDDEN_CALLS: tuple[str, ...] = (
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
    # The writers only (``to_dict`` and ``to_numpy`` do no I/O), on a DataFrame or a Series.
    # ``to_csv``, ``to_json``, ``to_html``... called without a destination return the text and
    # are not flagged (``fact_walker.OPTIONAL_DESTINATIONS``).
    "pandas.*.to_csv",
    "pandas.*.to_json",
    "pandas.*.to_xml",
    "pandas.*.to_html",
    "pandas.*.to_latex",
    "pandas.*.to_markdown",
    "pandas.*.to_string",
    "pandas.*.to_excel",
    "pandas.*.to_parquet",
    "pandas.*.to_orc",
    "pandas.*.to_feather",
    "pandas.*.to_hdf",
    "pandas.*.to_pickle",
    "pandas.*.to_sql",
    "pandas.*.to_stata",
    "pandas.*.to_clipboard",
    "sys.stdin.**",
    "sys.stdout.**",
    "sys.stderr.**",
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

# In the runbook's order. ``--fail-fast`` runs them strictly in this order.
STEPS: tuple[StepSpec, ...] = (
    StepSpec(
        "compile",
        "every file compiles (syntax and symtable errors, undecodable bytes)",
        static=True,
    ),
    StepSpec(
        "purity",
        "no I/O call and no __main__ block in the pure packages",
        static=True,
        section="typed",
        options=(
            StepOption("packages", "modules", (), "the pure packages"),
            StepOption(
                "forbid_calls",
                "strings",
                _FORBIDDEN_CALLS,
                "the forbidden calls, replacing the built-in list (it must not end up empty)",
            ),
            StepOption(
                "extend_forbid_calls", "strings", (), "calls forbidden besides forbid_calls"
            ),
            StepOption(
                "allow_main_block", "boolean", False, "allow an `if __name__ == '__main__'`"
            ),
            StepOption(
                "allow_environment",
                "boolean",
                False,
                "allow reading the environment (`os.environ`, `os.getenv`)",
            ),
        ),
    ),
    StepSpec(
        "contracts",
        "import-linter contracts: layers, forbidden, independence, ...",
        static=True,
        section="array",  # each contract type owns its keys (core.contracts)
    ),
    StepSpec(
        "ruff",
        "ruff, with the project's own configuration",
        static=False,
        priority=4,
        section="options",
        options=(_tool_timeout(600.0), _args("ruff")),
    ),
    StepSpec(
        "mypy",
        "mypy, with the project's own configuration",
        static=False,
        priority=1,
        section="options",
        options=(
            _tool_timeout(1800.0),
            StepOption(
                "daemon",
                "boolean",
                False,
                "check through a dmypy daemon kept warm between runs (off when CI is set)",
                filled=False,  # absent, the cache keys stay those of before the option
            ),
            _args("mypy"),
        ),
    ),
    StepSpec(
        "boundaries",
        "calls and imports forbidden in some packages",
        static=True,
        section="array",  # the keys of each [[tool.archverify.boundaries]] rule
        options=(
            StepOption("name", "string", None, "the rule's name, shown in findings", required=True),
            StepOption(
                "packages",
                "modules",
                None,
                "where the rule applies",
                non_empty=True,
                required=True,
            ),
            StepOption("forbid_calls", "strings", (), "calls forbidden there"),
            StepOption("forbid_imports", "modules", (), "imports forbidden there"),
            StepOption("except_modules", "modules", (), "modules the rule exempts"),
        ),
    ),
    StepSpec(
        "snapshots",
        "the public API against the snapshot file (archverify snapshot)",
        static=True,
        section="options",
        options=(
            StepOption("packages", "modules", (), "the packages whose public API is snapshotted"),
            StepOption("file", "string", "contracts.snapshot.json", "the snapshot file"),
        ),
    ),
    StepSpec(
        "cycles",
        "import cycles at import time (errors) and through lazy imports",
        static=True,
        section="typed",
        options=(
            StepOption(
                "packages", "modules", (), "where to look (default: every package)", non_empty=True
            ),
        ),
    ),
    StepSpec(
        "imports",
        "every module imports in a clean interpreter",
        static=False,
        priority=3,
        runs_project_code="it imports the project's modules, which runs their code",
        section="options",
        options=(
            StepOption(
                "timeout_s",
                "seconds",
                10.0,
                "seconds one module's import may take",
                high=MAX_TIMEOUT_S,
                low_inclusive=False,
            ),
            # How much of what a module prints at import is kept, and whether a fork server
            # is used (false: one fresh interpreter per module, slower but needs no fork()).
            StepOption(
                "output_limit",
                "count",
                2048,
                "bytes kept of what a module prints at import",
                low=1,
                high=MAX_OUTPUT_LIMIT,
            ),
            StepOption("fork", "boolean", True, "import through a fork server"),
            # The import child's memory cap (RLIMIT_DATA), in MiB: a positive whole number.
            StepOption(
                "memory_mb",
                "whole",
                2048,
                "the import child's memory cap (RLIMIT_DATA), in MiB",
                high=MAX_MEMORY_MB,
                low_inclusive=False,
            ),
            # Per-module verdicts replayed while their keys hold (rule_docs/imports.md says what
            # a key cannot hold: false for a project whose imports read the clock or the net).
            StepOption(
                "replay",
                "boolean",
                True,
                "replay a module's verdict while nothing its import reads changed",
                filled=False,
            ),
            # The whole environment keys each verdict; a CI runner sets per-run variables
            # (GITHUB_RUN_ID, RUNNER_NAME) that would end replay on every run (docs/ci.md).
            StepOption(
                "unread_variables",
                "strings",
                (),
                "environment variables (names or globs) the project's imports never read: left "
                "out of the replay keys",
                filled=False,
            ),
        ),
    ),
    StepSpec(
        "bandit",
        "bandit, with a severity threshold",
        static=False,
        priority=2,
        section="options",
        options=(
            _tool_timeout(900.0),
            StepOption(
                "engine",
                "choice",
                "bandit",
                "what runs bandit's checks: bandit, or ruff's flake8-bandit rules (S)",
                choices=("bandit", "ruff"),
                filled=False,  # absent, the cache keys stay those of before the option
            ),
            StepOption(
                "severity",
                "choice",
                "medium",
                "the lowest severity reported",
                choices=("medium", "low", "high"),
            ),
            _args("bandit"),
        ),
    ),
    StepSpec(
        "tests",
        "pytest with coverage and a minimum percentage",
        static=False,
        priority=0,
        runs_project_code="it runs the project's tests and conftest.py files",
        section="options",
        options=(
            _tool_timeout(1800.0),
            StepOption("paths", "strings", ("tests",), "where the tests are", non_empty=True),
            StepOption(
                "coverage_min", "number", 0, "the lowest total coverage, in percent", high=100
            ),
            # pytest-xdist workers (``-n N``) when xdist is installed, coverage combined; 1 is
            # one process. Absent, the cache keys stay those of before the option.
            StepOption(
                "workers",
                "workers",
                1,
                'pytest-xdist workers (a number, or "auto": one per CPU); 1 runs serially',
                low=1,
                high=MAX_WORKERS,
                filled=False,
            ),
            _args("pytest"),
        ),
        rule_families=("coverage",),
    ),
)

BY_ID: dict[str, StepSpec] = {spec.id: spec for spec in STEPS}


# A rule family (the part of a rule id before "/") -> the step that reports it.
STEP_OF_FAMILY: dict[str, str] = {
    family: spec.id for spec in STEPS for family in (spec.id, *spec.rule_families)
}


def step_of_rule(rule_id: str) -> str:
    """The step that reports ``rule_id``: its family's step, or the family itself (``process``,
    ``suppressions``: families of the run rather than of one step)."""
    family = rule_id.split("/", 1)[0]
    return STEP_OF_FAMILY.get(family, family)


def default(step_id: str, key: str) -> Any:
    """The default of option ``key`` of step ``step_id``: its one declaration."""
    return BY_ID[step_id].option(key).default
