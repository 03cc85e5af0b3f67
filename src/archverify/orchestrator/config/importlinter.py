"""Reads import-linter's own configuration files (INI or TOML) into archverify contracts."""

from __future__ import annotations

import configparser
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archverify.core.config import ContractConfig
from archverify.core.config.errors import ConfigError
from archverify.core.config.locate import TomlLocator
from archverify.core.contracts import (
    COMMON_OPTIONS,
    REGISTRY,
    ContractError,
    ContractOption,
    ContractType,
    referenced_modules,
)
from archverify.core.contracts.ignores import INCLUDE_EXTERNAL_OPTION, parse_expressions
from archverify.core.project import in_any_package

__all__ = ["IMPORTLINTER_FILES", "ImportLinterConfig", "load_importlinter_contracts"]

# import-linter's own search order: its INI reader (setup.cfg, then .importlinter) goes first.
IMPORTLINTER_FILES: tuple[str, ...] = ("setup.cfg", ".importlinter", "pyproject.toml")
SECTION = "importlinter"
CONTRACT_PREFIX = "importlinter:contract:"
# import-linter reads every ``[importlinter:<anything>]`` section as a contract (its id is the
# part after the last colon); ``importlinter:contract:<id>`` is only the documented spelling.
_ANY_CONTRACT_PREFIX = f"{SECTION}:"
_NO_CONTRACTS = (
    'no contracts found (lint-imports stops with "No contracts found"): each contract goes in '
    "an [importlinter:contract:<name>] section (INI files) or a [[tool.importlinter.contracts]] "
    "table (TOML files)"
)

# Every contract type's options come from its declaration (core/contracts/<type>.py); options
# import-linter does not know are ignored, as import-linter ignores them.
_INI_SECTION = re.compile(r"\[([^\]]+)\]")
_INI_KEY = re.compile(r"([^\s=:;#\[][^=:]*?)\s*[=:]")


@dataclass(frozen=True)
class ImportLinterConfig:
    """What an import-linter configuration says, in archverify's terms.

    ``file`` is the file read, relative to the root. Every contract carries
    ``include_type_checking_imports`` (the opposite of ``exclude_type_checking_imports``,
    import-linter's default being to include them) and an ``origin`` of "file:line".
    """

    file: str
    root_packages: tuple[str, ...]
    include_external_packages: bool = False
    exclude_type_checking_imports: bool = False
    contracts: tuple[ContractConfig, ...] = ()


@dataclass
class _Section:
    """One table of settings with the line of each key (0 when unknown)."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    mistake: str = ""  # a likely misspelling that explains why no contract was found

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


def load_importlinter_contracts(root: Path, contracts_file: str = "") -> ImportLinterConfig | None:
    """import-linter's configuration under ``root``, or None when there is none.

    ``contracts_file`` (relative to ``root``) names the file to read, which must exist and
    hold the configuration; without it, the first of :data:`IMPORTLINTER_FILES` that holds an
    ``importlinter`` section is read. Malformed files raise ``ConfigError`` with file:line.
    """
    if contracts_file:
        path = root / contracts_file
        if not path.is_file():
            raise ConfigError("import-linter configuration file not found", contracts_file)
        found = _read(path, contracts_file)
        if found is None:
            raise ConfigError(f"no [{_section_name(path)}] section in this file", contracts_file)
        return _build(contracts_file, *found)
    unread = ""
    for name in IMPORTLINTER_FILES:
        path = root / name
        if path.is_file():
            found = _read(path, name)
            if found is not None:
                return _build(name, *found)
            if name == ".importlinter":
                unread = name
    if unread:
        # setup.cfg and pyproject.toml hold other tools' settings too, but .importlinter exists
        # only for import-linter: one that states nothing is a mistake, not an absence.
        raise ConfigError(
            f"no [{SECTION}] section in this file (lint-imports reads none of it)", unread
        )
    return None


def _section_name(path: Path) -> str:
    return "tool.importlinter" if path.suffix == ".toml" else SECTION


def _read(path: Path, shown: str) -> tuple[_Section, list[_Section]] | None:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read the file: {error.strerror or error}", shown) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError("not valid UTF-8", shown, line) from None
    if path.suffix == ".toml":
        return _read_toml(text, shown)
    return _read_ini(text, shown)


def _read_ini(text: str, shown: str) -> tuple[_Section, list[_Section]] | None:
    # The same parser as import-linter, so that comments, continuation lines and
    # interpolation mean what they mean to lint-imports.
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text, source=shown)
    except configparser.MissingSectionHeaderError as error:
        raise ConfigError("invalid INI: no [section] before it", shown, error.lineno) from None
    except configparser.ParsingError as error:
        # The line number only: contracts_file may name a file outside the project, whose
        # lines must not reach the report (or a CI log).
        line = error.errors[0][0] if error.errors else 0
        raise ConfigError(
            "invalid INI: cannot parse this line (not a section, a key or a value)", shown, line
        ) from None
    except configparser.Error as error:
        line = int(getattr(error, "lineno", 0) or 0)
        message = str(getattr(error, "message", error)).splitlines()[0]
        raise ConfigError(f"invalid INI: {message}", shown, line) from None
    if SECTION not in parser.sections():
        return None
    lines = _ini_lines(text)
    sections: dict[str, _Section] = {}
    for name in parser.sections():
        if name != SECTION and not name.startswith(f"{SECTION}:"):
            continue
        header, keys = lines.get(name, (0, {}))
        section = _Section(header, lines=keys)
        for key in parser[name]:
            try:
                value = parser[name][key]
            except configparser.Error as error:
                message = str(getattr(error, "message", error)).splitlines()[0]
                raise ConfigError(
                    f"[{name}] {key}: {message}", shown, section.line_of(key)
                ) from None
            # import-linter's rule: a value spanning lines is a list, one line is a string.
            section.values[key] = value.strip().split("\n") if "\n" in value else value
        sections[name] = section
    contracts = [s for n, s in sections.items() if n.startswith(_ANY_CONTRACT_PREFIX)]
    stray = [n for n in parser.sections() if n.startswith("contract:")]
    if stray:
        sections[SECTION].mistake = f"[{stray[0]}] is not read, name it [{SECTION}:{stray[0]}]"
    return sections[SECTION], contracts


def _ini_lines(text: str) -> dict[str, tuple[int, dict[str, int]]]:
    """Each section's header line and the line of each of its keys (lower-cased)."""
    found: dict[str, tuple[int, dict[str, int]]] = {}
    keys: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _INI_SECTION.fullmatch(line.strip()) if line[:1] == "[" else None
        if header:
            keys = {}
            found.setdefault(header.group(1), (number, keys))
            continue
        key = _INI_KEY.match(line)
        if key and not line[:1].isspace():
            keys.setdefault(key.group(1).strip().lower(), number)
    return found


def _read_toml(text: str, shown: str) -> tuple[_Section, list[_Section]] | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column \d+\)", str(error))
        line = int(found.group(1)) if found else 0
        raise ConfigError(f"invalid TOML: {str(error).split(' (at')[0]}", shown, line) from None
    table = data.get("tool", {}).get(SECTION) if isinstance(data.get("tool"), dict) else None
    if not table:
        return None
    locator = TomlLocator(text)
    base: tuple[str | int, ...] = ("tool", SECTION)
    if not isinstance(table, dict):
        raise ConfigError("tool.importlinter must be a table", shown, locator.line_of(base))
    contracts_raw = table.get("contracts", [])
    if not isinstance(contracts_raw, list) or not all(isinstance(c, dict) for c in contracts_raw):
        line = locator.line_of((*base, "contracts"))
        raise ConfigError("tool.importlinter.contracts must be [[...]] tables", shown, line)
    session = _toml_section(locator, base, {k: v for k, v in table.items() if k != "contracts"})
    if "contract" in table:
        session.mistake = "the key is 'contracts', not 'contract'"
    contracts = [
        _toml_section(locator, (*base, "contracts", index), contract)
        for index, contract in enumerate(contracts_raw)
    ]
    _check_contract_ids(shown, contracts)
    return session, contracts


def _check_contract_ids(shown: str, contracts: list[_Section]) -> None:
    """lint-imports' rules for TOML ids (an INI id is its section name, unique already)."""
    seen: set[str] = set()
    for contract in contracts:
        given = contract.values.get("id")
        if given is None:
            continue
        text = str(given)
        if ":" in text:
            raise ConfigError(
                f"contract id {text!r} is invalid: contract ids may not contain a colon",
                shown,
                contract.line_of("id"),
            )
        if text in seen:
            raise ConfigError(
                f"more than one contract has the id {text!r}: ids must be unique within a file",
                shown,
                contract.line_of("id"),
            )
        seen.add(text)


def _toml_section(
    locator: TomlLocator, path: tuple[str | int, ...], values: dict[str, Any]
) -> _Section:
    lines = {key: locator.line_of((*path, key)) for key in values}
    return _Section(locator.line_of(path), dict(values), lines)


def _build(shown: str, session: _Section, contracts: list[_Section]) -> ImportLinterConfig:
    roots = _root_packages(shown, session)
    if not contracts:
        hint = f"; {session.mistake}" if session.mistake else ""
        raise ConfigError(_NO_CONTRACTS + hint, shown, session.line)
    include_external = _session_flag(session, "include_external_packages")
    exclude_tc = _session_flag(session, "exclude_type_checking_imports")
    built = [_contract(shown, section, not exclude_tc, include_external) for section in contracts]
    for contract, section in zip(built, contracts, strict=True):
        if contract.type == "forbidden":
            _check_external(shown, contract, section, roots, include_external)
    return ImportLinterConfig(
        file=shown,
        root_packages=roots,
        include_external_packages=include_external,
        exclude_type_checking_imports=exclude_tc,
        contracts=tuple(built),
    )


def _session_flag(session: _Section, key: str) -> bool:
    # import-linter reads these two loosely: only "True" or "true" turn them on.
    value = session.values.get(key, False)
    return value is True or value in ("True", "true")


def _root_packages(shown: str, session: _Section) -> tuple[str, ...]:
    for key in ("root_packages", "root_package"):
        if key in session.values:
            names = _strings(shown, session, key)
            if not names:
                raise ConfigError(f"[{SECTION}] {key} is empty", shown, session.line_of(key))
            for name in names:
                if not all(part.isidentifier() for part in name.split(".")):
                    raise ConfigError(
                        f"[{SECTION}] {key}: {name!r} is not a package name",
                        shown,
                        session.line_of(key),
                    )
                if "." in name:
                    # grimp builds its graph from top-level packages only (NotATopLevelModule).
                    raise ConfigError(
                        f"[{SECTION}] {key}: {name!r} is not a top-level package; "
                        "lint-imports accepts only top-level root packages (grimp: "
                        "NotATopLevelModule), name a subpackage in the contracts instead",
                        shown,
                        session.line_of(key),
                    )
            return tuple(names)
    raise ConfigError(f"[{SECTION}] needs root_package or root_packages", shown, session.line)


def _strings(shown: str, section: _Section, key: str) -> list[str]:
    """A list option: a list, or one string (INI lines already split, TOML strings as one)."""
    value = section.values[key]
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ConfigError(f"{key} must be a list of strings", shown, section.line_of(key))
    return [item.strip() for item in items if item.strip()]


def _single(shown: str, section: _Section, key: str) -> str:
    value = section.values[key]
    if isinstance(value, bool | int):
        return str(value)  # TOML spells them natively; import-linter reads their text
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a single value", shown, section.line_of(key))
    return value.strip()


def _contract(
    shown: str, section: _Section, include_tc: bool, include_external: bool
) -> ContractConfig:
    for key in ("name", "type"):
        if key not in section.values:
            raise ConfigError(f"contract has no {key!r}", shown, section.line)
    name = _single(shown, section, "name")
    kind = _single(shown, section, "type")
    types = _importlinter_types()
    if kind not in types:
        raise ConfigError(
            f"contract {name!r}: type {kind!r} is not supported (supported: "
            f"{', '.join(sorted(types))})",
            shown,
            section.line_of("type"),
        )
    declared = {
        option.key: option
        for option in (*types[kind].options, *COMMON_OPTIONS)
        if option.importlinter != "ignored"
    }
    for required in declared.values():
        if (
            required.required
            and required.importlinter == "read"
            and required.key not in section.values
        ):
            raise ConfigError(
                f"contract {name!r}: missing required {required.key!r}", shown, section.line
            )
    options: dict[str, Any] = {}
    for key in section.values:
        option = declared.get(key)
        if option is not None:
            options[key] = _option(shown, section, name, option)
    options["include_type_checking_imports"] = include_tc
    # Without external packages in lint-imports' graph, an ignored import of one matches nothing.
    options[INCLUDE_EXTERNAL_OPTION] = include_external
    contract = ContractConfig(name, kind, options, f"{shown}:{section.line}")
    if options.get("as_packages") is False and kind == "forbidden":
        raise ConfigError(
            f"contract {name!r}: as_packages = False is not supported for forbidden contracts",
            shown,
            section.line_of("as_packages"),
        )
    try:
        referenced_modules(contract)
        parse_expressions(contract)
    except ContractError as error:
        line = section.line_of(error.key) if error.key else section.line
        raise ConfigError(f"contract {name!r}: {error.problem}", shown, line) from None
    return contract


def _importlinter_types() -> dict[str, ContractType[Any]]:
    return {name: kind for name, kind in REGISTRY.items() if kind.importlinter}


def _option(shown: str, section: _Section, name: str, option: ContractOption) -> object:
    """One declared option of contract ``name``, validated as lint-imports reads it."""
    key = option.key
    if option.kind == "boolean":
        return _boolean(shown, section, key)
    if option.kind == "choice":
        return _choice(shown, section, key, option.choices)
    if option.kind == "integer":
        return _natural(shown, section, key)
    items = _strings(shown, section, key)
    starred = [item for item in items if "*" in item]
    if starred and not option.wildcards:
        raise ConfigError(
            f"contract {name!r}: {key}: wildcards ({starred[0]!r}) are not supported "
            "here by archverify; list the modules",
            shown,
            section.line_of(key),
        )
    return items


def _boolean(shown: str, section: _Section, key: str) -> bool:
    text = _single(shown, section, key).lower()
    if text not in ("true", "false"):
        raise ConfigError(f"{key} must be true or false, not {text!r}", shown, section.line_of(key))
    return text == "true"


def _choice(shown: str, section: _Section, key: str, choices: tuple[str, ...]) -> str:
    text = _single(shown, section, key)
    if text not in choices:
        raise ConfigError(
            f"{key} must be one of {', '.join(choices)}, not {text!r}", shown, section.line_of(key)
        )
    return text


def _natural(shown: str, section: _Section, key: str) -> int:
    text = _single(shown, section, key)
    if not text.isdigit():
        raise ConfigError(
            f"{key} must be an integer >= 0, not {text!r}", shown, section.line_of(key)
        )
    return int(text)


def _check_external(
    shown: str,
    contract: ContractConfig,
    section: _Section,
    roots: tuple[str, ...],
    include_external: bool,
) -> None:
    """import-linter refuses external forbidden modules unless externals are in its graph, and
    then every one that is not a top-level name (its graph holds no external submodule)."""
    for module in contract.options["forbidden_modules"]:
        if in_any_package(module, roots):
            continue
        if not include_external:
            problem = "is outside the root packages; set include_external_packages = True"
        elif "." in module:
            problem = (
                "is a subpackage of an external package, which lint-imports refuses; forbid "
                f"the top-level package {module.split('.', 1)[0]!r}"
            )
        else:
            continue
        raise ConfigError(
            f"contract {contract.name!r}: forbidden module {module!r} {problem}",
            shown,
            section.line_of("forbidden_modules"),
        )
