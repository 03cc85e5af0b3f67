"""The ``[tool.archverify]`` schema: validates a parsed table into a ``Config``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

from archverify.core.config import (
    BUILTIN_IO_NAMES,
    DEFAULT_BASELINE_FILE,
    STEP_ORDER,
    BoundaryRule,
    Config,
    ContractConfig,
    CyclesConfig,
    PurityConfig,
    ToolConfig,
)
from archverify.core.config.errors import KeyPath
from archverify.core.config.fields import FieldReader
from archverify.core.contracts import (
    COMMON_OPTIONS,
    REGISTRY,
    ContractError,
    ContractOption,
    referenced_modules,
)
from archverify.core.contracts.ignores import parse_expressions
from archverify.core.steps import (
    AUTO_WORKERS,
    BY_ID,
    STEPS,
    WHOLE_KINDS,
    StepOption,
    StepSpec,
    default,
)
from archverify.core.tool_args import argument_file, refused_argument

# The keys of ``[tool.archverify]`` that are not a step's section.
GENERAL_KEYS: tuple[str, ...] = (
    "source_roots",
    "packages",
    "exclude",
    "steps",
    "include_type_checking_imports",
    "contracts_file",
    "baseline",
)
TOP_LEVEL_KEYS: frozenset[str] = frozenset(GENERAL_KEYS) | frozenset(
    spec.id for spec in STEPS if spec.section != "none"
)

# The one question about the disk that validation asks, answered by the edge: where a path
# relative to the root lands once symbolic links are followed, if that is outside the root
# (``None`` when it is inside).
OutsideRoot = Callable[[str], "str | None"]


def build_config(
    data: Mapping[str, Any],
    reader: FieldReader,
    root: str,
    config_file: str,
    outside_root: OutsideRoot,
) -> Config:
    """Validate the archverify table ``data`` (keys at its top level) into a ``Config``.

    Absent ``source_roots`` and ``packages`` stay empty: discovery fills them in.
    """
    reader.check_keys(data, TOP_LEVEL_KEYS, ())
    purity = _purity(data, reader)
    contracts = _contracts(data, reader)
    boundaries = _boundaries(data, reader)
    contracts_file = reader.string(data, "contracts_file", ())
    cycles = reader.table(data, "cycles", ())
    reader.check_keys(cycles, _keys("cycles"), ("cycles",))
    tools = _tools(data, reader)
    snapshots = reader.table(data, "snapshots", ())
    snapshots_default = str(default("snapshots", "file"))
    _file_inside_root(
        reader, snapshots, "file", ("snapshots",), outside_root, snapshots_default, ""
    )
    return Config(
        root=root,
        config_file=config_file,
        source_roots=_source_roots(data, reader),
        packages=reader.modules(data, "packages", (), wildcards=False, non_empty=True),
        exclude=reader.strings(data, "exclude", ()),
        steps=_steps(data, reader),
        purity=purity,
        contracts=contracts,
        include_type_checking_imports=reader.boolean(
            data, "include_type_checking_imports", (), False
        ),
        boundaries=boundaries,
        cycles=CyclesConfig(packages=_reader_of("cycles", cycles, ("cycles",), reader)("packages")),
        tools=tools,
        has_rules=bool(purity.packages or contracts or boundaries or contracts_file),
        contracts_file=contracts_file,
        baseline=_file_inside_root(
            reader, data, "baseline", (), outside_root, "", DEFAULT_BASELINE_FILE
        ),
    )


def _source_roots(data: Mapping[str, Any], reader: FieldReader) -> tuple[str, ...]:
    roots: list[str] = []
    for given in reader.strings(data, "source_roots", (), non_empty=True):
        path = PurePosixPath(given.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or not given.strip():
            raise reader.error(
                ("source_roots",), f"{given!r} must be a relative path inside the root", given
            )
        if str(path) not in roots:
            roots.append(str(path))
    return tuple(roots)


def _file_inside_root(
    reader: FieldReader,
    table: Mapping[str, Any],
    key: str,
    path: KeyPath,
    outside_root: OutsideRoot,
    default: str,
    used_when_empty: str,
) -> str:
    """A file archverify writes (baseline, snapshot): it must resolve, symbolic links followed,
    inside the root, or a repository could make ``archverify baseline`` overwrite any file of
    the user's. The default file is checked too (it may be a committed link)."""
    value = reader.string(table, key, path, default)
    written = value or used_when_empty
    target = outside_root(written)
    if target is not None:
        raise reader.error(
            path + (key,),
            f"{written!r} resolves outside the project root (to {target}); "
            "archverify writes only inside the root",
            value or None,
        )
    return value


def _steps(data: Mapping[str, Any], reader: FieldReader) -> tuple[str, ...]:
    if "steps" not in data:
        return STEP_ORDER
    chosen = reader.strings(data, "steps", (), non_empty=True)
    for step in chosen:
        if step not in STEP_ORDER:
            raise reader.error(
                ("steps",), f"unknown step {step!r} (known: {', '.join(STEP_ORDER)})", step
            )
    return tuple(step for step in STEP_ORDER if step in chosen)


def normalise_call(pattern: str) -> str:
    """A bare builtin (``open``) means ``builtins.open``; other patterns stay as written."""
    return f"builtins.{pattern}" if pattern in BUILTIN_IO_NAMES else pattern


def _purity(data: Mapping[str, Any], reader: FieldReader) -> PurityConfig:
    path: KeyPath = ("purity",)
    table = reader.table(data, "purity", ())
    reader.check_keys(table, _keys("purity"), path)
    read = _reader_of("purity", table, path, reader)
    base = read("forbid_calls")
    calls = dict.fromkeys(normalise_call(p) for p in base + read("extend_forbid_calls"))
    if not calls:
        # An empty forbid_calls with nothing added would make every module pure by definition.
        raise reader.error(
            path + ("forbid_calls",), "must not be empty (remove the key for the built-in list)"
        )
    return PurityConfig(
        packages=read("packages"),
        forbid_calls=tuple(calls),
        allow_main_block=read("allow_main_block"),
        allow_environment=read("allow_environment"),
    )


def _contracts(data: Mapping[str, Any], reader: FieldReader) -> tuple[ContractConfig, ...]:
    found: list[ContractConfig] = []
    seen: set[str] = set()
    for index, table in enumerate(reader.tables(data, "contracts", ())):
        path: KeyPath = ("contracts", index)
        reader.require(table, "name", path)
        reader.require(table, "type", path)
        name = reader.string(table, "name", path)
        kind = reader.choice(table, "type", path, tuple(REGISTRY))
        declared: dict[str, ContractOption] = {
            option.key: option for option in (*REGISTRY[kind].options, *COMMON_OPTIONS)
        }
        reader.check_keys(table, declared.keys() | {"name", "type"}, path)
        for required in declared.values():
            if required.required:
                reader.require(table, required.key, path)
        if name in seen:
            raise reader.error(path + ("name",), f"duplicate contract name {name!r}", name)
        seen.add(name)
        for key in table:
            option = declared.get(key)
            if option is None:
                continue
            if option.kind == "boolean":
                reader.boolean(table, key, path, False)
            elif option.kind == "list":
                # Layers hold ``a | b``, ``a : b`` and ``(a)``: their names are checked later.
                reader.strings(table, key, path)
        # An integer (acyclic_siblings' depth) is checked with its contract.
        for choice in declared.values():
            if choice.kind == "choice" and choice.key in table:
                reader.choice(table, choice.key, path, choice.choices)
        options = {key: value for key, value in table.items() if key not in {"name", "type"}}
        contract = ContractConfig(name=name, type=kind, options=options, origin=reader.origin(path))
        try:
            # The contract types' own parsing (empty layers, layers inside layers, a malformed
            # ignore_imports entry): the same rules as for contracts read from import-linter files.
            referenced_modules(contract)
            parse_expressions(contract)
        except ContractError as error:
            at = path + (error.key,) if error.key in table else path
            raise reader.error(at, error.problem) from None
        found.append(contract)
    return tuple(found)


def _boundaries(data: Mapping[str, Any], reader: FieldReader) -> tuple[BoundaryRule, ...]:
    found: list[BoundaryRule] = []
    keys = _keys("boundaries")
    for index, table in enumerate(reader.tables(data, "boundaries", ())):
        path: KeyPath = ("boundaries", index)
        reader.check_keys(table, keys, path)
        for option in BY_ID["boundaries"].options:
            if option.required:
                reader.require(table, option.key, path)
        read = _reader_of("boundaries", table, path, reader)
        rule = BoundaryRule(
            name=read("name"),
            packages=read("packages"),
            forbid_calls=read("forbid_calls"),
            forbid_imports=read("forbid_imports"),
            except_modules=read("except_modules"),
            origin=reader.origin(path),
        )
        if not rule.forbid_calls and not rule.forbid_imports:
            raise reader.error(path, "forbids nothing: give forbid_calls or forbid_imports")
        found.append(rule)
    return tuple(found)


def _keys(step_id: str) -> frozenset[str]:
    return frozenset(option.key for option in BY_ID[step_id].options)


def _reader_of(
    step_id: str, table: Mapping[str, Any], path: KeyPath, reader: FieldReader
) -> Callable[[str], Any]:
    """Reads one key of a typed section as the catalogue declares it (kind, default, bounds)."""
    spec = BY_ID[step_id]
    return lambda key: _option(spec.option(key), table, path, reader)


def _tools(data: Mapping[str, Any], reader: FieldReader) -> dict[str, ToolConfig]:
    """Every step whose section holds options gets an entry, with its defaults filled in."""
    tools: dict[str, ToolConfig] = {}
    for spec in STEPS:
        if spec.section == "options":
            tools[spec.id] = _tool(spec, reader.table(data, spec.id, ()), reader)
    return tools


def _tool(spec: StepSpec, table: Mapping[str, Any], reader: FieldReader) -> ToolConfig:
    """The options of ``spec`` read in their declared order (``args`` last: its checks follow)."""
    path: KeyPath = (spec.id,)
    reader.check_keys(table, _keys(spec.id), path)
    options: dict[str, Any] = {}
    args: tuple[str, ...] = ()
    for option in spec.options:
        if not option.filled and option.key not in table:
            continue  # the step applies the default itself
        value = _option(option, table, path, reader)
        if option.key == "args":
            args = value
        else:
            options[option.key] = value
    _refuse_writing_args(spec.id, args, reader)
    return ToolConfig(args=args, options=options)


def _option(
    option: StepOption, table: Mapping[str, Any], path: KeyPath, reader: FieldReader
) -> Any:
    """One option's value, validated as its kind says (``core.steps.StepOptionKind``)."""
    key, kind = option.key, option.kind
    if option.required:
        reader.require(table, key, path)
    if kind in {"strings", "modules"}:
        if key not in table:
            return option.default
        if kind == "modules":
            return reader.modules(table, key, path, non_empty=option.non_empty)
        return reader.strings(table, key, path, non_empty=option.non_empty)
    if kind == "string":
        return reader.string(table, key, path, option.default)
    if kind == "boolean":
        return reader.boolean(table, key, path, option.default)
    if kind == "choice":
        return reader.choice(table, key, path, option.choices)
    if kind == "workers" and table.get(key) == AUTO_WORKERS:
        return AUTO_WORKERS
    if kind == "workers" and isinstance(table.get(key), str):
        raise reader.error(
            path + (key,), f'must be a whole number or "{AUTO_WORKERS}", got {table[key]!r}'
        )
    value = reader.number(
        table, key, path, option.default, option.low, option.high, option.low_inclusive
    )
    if kind == "seconds":
        return float(value)
    if kind == "count":
        return int(value)
    if kind in WHOLE_KINDS and not isinstance(value, int):
        raise reader.error(path + (key,), f"must be a whole number, got {value!r}")
    return value


def _refuse_writing_args(step: str, args: tuple[str, ...], reader: FieldReader) -> None:
    """Tools run read-only: an argument that would let one change files is refused."""
    refused = refused_argument(step, args)
    if refused is not None:
        raise reader.error(
            (step, "args"),
            f"{refused!r} would let {step} write files; archverify runs its tools read-only, "
            "so remove it",
            refused,
        )
    hidden = argument_file(step, args)
    if hidden is not None:
        raise reader.error(
            (step, "args"),
            f"{hidden!r}: {step} would read more arguments from that file, unseen by the "
            "read-only check and the cache key; write them in args instead",
            hidden,
        )
