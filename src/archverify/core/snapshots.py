"""Contract snapshots: the public API of packages as canonical JSON, and what changed since.

A snapshot holds every API item (``core.api``) of the configured packages keyed by
``module:qualname``, without line numbers (they move on every edit; the facts keep them), plus
each module's path so that a removed module can still be named. Its text is canonical: the same
tree gives the same bytes on every supported Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archverify.core.config import Config
from archverify.core.facts import FileFacts
from archverify.core.findings import Finding, Rule, Severity
from archverify.core.project import in_any_package
from archverify.core.steps import default

FORMAT = 1
FORMAT_KEY = "archverify_snapshot"
STEP = "snapshots"
DEFAULT_FILE = str(default(STEP, "file"))  # declared in core.steps, with the option


def snapshot_file(config: Config) -> str:
    """The snapshot file ``[tool.archverify.snapshots] file`` names, relative to the root."""
    return str(config.tool(STEP).options.get("file") or DEFAULT_FILE)


ACCEPT_HINT = "if the change is intended, run `archverify snapshot` and commit the file"
CHANGED = Rule("snapshots/changed", Severity.ERROR, ACCEPT_HINT)
REMOVED = Rule("snapshots/removed", Severity.ERROR, ACCEPT_HINT)
ADDED = Rule("snapshots/added", Severity.WARNING, ACCEPT_HINT)
_NOT_STORED = ("qualname", "line")
_MAX_DIFFS = 4


class SnapshotError(ValueError):
    """A snapshot file that cannot be read as a snapshot; ``line`` is 1-based (0: unknown)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Snapshot:
    packages: tuple[str, ...]
    modules: Mapping[str, str]  # module -> path relative to the root
    items: Mapping[str, Mapping[str, Any]]  # "module:qualname" -> item without qualname/line


@dataclass(frozen=True)
class Change:
    kind: str  # "added" | "removed" | "changed"
    key: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None

    @property
    def module(self) -> str:
        return self.key.partition(":")[0]

    @property
    def qualname(self) -> str:
        return self.key.partition(":")[2]


def build_snapshot(facts: Iterable[FileFacts], packages: Sequence[str]) -> Snapshot:
    """The snapshot of every module inside ``packages`` that compiled."""
    modules: dict[str, str] = {}
    items: dict[str, Mapping[str, Any]] = {}
    for module_facts in facts:
        if module_facts.compile_error is not None:
            continue
        if not in_any_package(module_facts.module, tuple(packages)):
            continue
        modules[module_facts.module] = module_facts.path
        for item in module_facts.api:
            key = f"{module_facts.module}:{item['qualname']}"
            items[key] = {k: v for k, v in item.items() if k not in _NOT_STORED}
    return Snapshot(packages=tuple(sorted(packages)), modules=modules, items=items)


def snapshot_text(snapshot: Snapshot) -> str:
    """Canonical JSON: sorted keys, two-space indent, a trailing newline."""
    data = {
        FORMAT_KEY: FORMAT,
        "packages": list(snapshot.packages),
        "modules": dict(snapshot.modules),
        "items": {key: dict(item) for key, item in snapshot.items.items()},
    }
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def parse_snapshot(text: str) -> Snapshot:
    """The snapshot in ``text``; raises ``SnapshotError`` naming the line of what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SnapshotError(f"not valid JSON: {error.msg}", error.lineno) from None
    if not isinstance(data, dict):
        raise SnapshotError("expected a JSON object at the top level", 1)
    version = data.get(FORMAT_KEY)
    if version != FORMAT:
        found = "missing" if version is None else f"{version!r}"
        raise SnapshotError(f"{FORMAT_KEY} must be {FORMAT} (found {found})", _line_of(text, ""))
    packages = data.get("packages", [])
    if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
        raise SnapshotError("packages must be a list of module names", _line_of(text, "packages"))
    modules = data.get("modules", {})
    if not isinstance(modules, dict) or not all(isinstance(p, str) for p in modules.values()):
        raise SnapshotError("modules must map module names to paths", _line_of(text, "modules"))
    items = data.get("items")
    if not isinstance(items, dict):
        raise SnapshotError("items must be an object", _line_of(text, "items"))
    for key, item in items.items():
        if ":" not in key or not isinstance(item, dict) or not isinstance(item.get("kind"), str):
            raise SnapshotError(
                f"item {key!r} must be keyed module:qualname and have a kind", _line_of(text, key)
            )
    return Snapshot(packages=tuple(packages), modules=modules, items=items)


def _line_of(text: str, key: str) -> int:
    """The line of ``"key":`` in ``text`` (the first line when it is absent)."""
    needle = json.dumps(key, ensure_ascii=False) + ":" if key else FORMAT_KEY
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def compare(
    old: Snapshot,
    new: Snapshot,
    packages: Sequence[str],
    unknown_modules: Iterable[str] = (),
) -> list[Change]:
    """Every item added, removed or changed in ``packages``, sorted by key.

    Modules in ``unknown_modules`` (those that do not compile now) are left out: their items
    are not known, and the compile step already reports them.
    """
    skipped = frozenset(unknown_modules)

    def wanted(key: str) -> bool:
        module = key.partition(":")[0]
        return module not in skipped and in_any_package(module, tuple(packages))

    before = {k: v for k, v in old.items.items() if wanted(k)}
    after = {k: v for k, v in new.items.items() if wanted(k)}
    changes: list[Change] = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        if was is None:
            changes.append(Change("added", key, None, now))
        elif now is None:
            changes.append(Change("removed", key, was, None))
        elif dict(was) != dict(now):
            changes.append(Change("changed", key, was, now))
    return changes


def change_findings(
    changes: Iterable[Change], old: Snapshot, facts: Mapping[str, FileFacts], file: str
) -> list[Finding]:
    """One finding per change, at the item's definition in ``facts`` (by module name)."""
    findings = [_finding(change, old, facts, file) for change in changes]
    findings.sort(key=Finding.sort_key)
    return findings


def _finding(change: Change, old: Snapshot, facts: Mapping[str, FileFacts], file: str) -> Finding:
    current = facts.get(change.module)
    lines = {str(i["qualname"]): int(i["line"]) for i in current.api} if current else {}
    item = change.new if change.new is not None else change.old
    kind = str(item["kind"]) if item is not None else "item"
    extra = {"item": change.key, "old": change.old, "new": change.new}
    if change.kind == "removed":
        rule = REMOVED
        path = current.path if current else old.modules.get(change.module, "")
        # The enclosing class, if it is still there, is the nearest place that still exists.
        enclosing = change.qualname.rpartition(".")[0]
        line = lines.get(enclosing, 1) if enclosing else 1
        message = f"{kind} {change.key} was removed from the public API (it is in {file})"
    else:
        path = current.path if current else ""
        line = lines.get(change.qualname, 1)
        if change.kind == "added":
            rule = ADDED
            message = f"{kind} {change.key} is new in the public API (not in {file})"
        else:
            rule = CHANGED
            differences = describe_changes(change.old or {}, change.new or {})
            message = f"{kind} {change.key} changed: {'; '.join(differences)}"
    column = 0 if line <= 1 and change.kind == "removed" else 1
    return rule.at(path, line, column, message, extra=extra)


def describe_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What differs between two items, one short phrase per difference, at most a few."""
    phrases: list[str] = []
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key), new.get(key)
        if was == now:
            continue
        if isinstance(was, dict) or isinstance(now, dict):
            was = [f"{k}={v}" for k, v in sorted((was or {}).items())]
            now = [f"{k}={v}" for k, v in sorted((now or {}).items())]
        if isinstance(was, list | type(None)) and isinstance(now, list | type(None)):
            phrases.append(_list_phrase(key, was or [], now or []))
        else:
            phrases.append(f"{key} was {_shown(was)}, now {_shown(now)}")
    if len(phrases) > _MAX_DIFFS:
        phrases[_MAX_DIFFS:] = [f"and {len(phrases) - _MAX_DIFFS} more"]
    return phrases


def _list_phrase(key: str, was: list[Any], now: list[Any]) -> str:
    removed = [x for x in was if x not in now]
    added = [x for x in now if x not in was]
    if not removed and not added:
        return f"{key} reordered: now {', '.join(_shown(x) for x in now)}"
    parts = [f"-{_shown(x)}" for x in removed] + [f"+{_shown(x)}" for x in added]
    return f"{key} {' '.join(parts)}"


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    return f"`{value}`"
