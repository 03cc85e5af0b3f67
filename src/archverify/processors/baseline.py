"""The baseline: accepted findings as fingerprints that survive unrelated edits.

A fingerprint is step + rule + path + enclosing symbol + the finding's source line with its
whitespace collapsed, never the line number, so inserting code above a finding keeps it
accepted. Findings without a line (project-wide, or file-wide) use their message instead.
Identical fingerprints are counted: two accepted in one function, a third one is new.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archverify.core.facts import Definition, FileFacts
from archverify.core.findings import Finding
from archverify.processors.suppressions import STEP as SUPPRESSIONS_STEP
from archverify.processors.suppressions import selector_ran

BASELINE_SCHEMA = 1

# (path, line) -> the name of the enclosing class or function ("" at module level).
SymbolAt = Callable[[str, int], str]
# (path, line) -> the source text of that line ("" when unknown).
LineText = Callable[[str, int], str]

_KEYS = ("step", "rule", "path", "symbol", "code", "message")


class BaselineError(ValueError):
    """A baseline file that cannot be used; ``line`` is 1-based, 0 when unknown."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True, order=True)
class Fingerprint:
    """What identifies a finding across edits; ``code`` and ``message`` are never both set."""

    path: str
    rule: str
    symbol: str
    code: str
    message: str
    step: str


@dataclass(frozen=True)
class BaselineEntry:
    """One fingerprint and how many findings with it are accepted."""

    fingerprint: Fingerprint
    count: int

    def to_dict(self) -> dict[str, Any]:
        fp = self.fingerprint
        data: dict[str, Any] = {"step": fp.step, "rule": fp.rule, "path": fp.path}
        if fp.symbol:
            data["symbol"] = fp.symbol
        if fp.code:
            data["code"] = fp.code
        if fp.message:
            data["message"] = fp.message
        data["count"] = self.count
        return data

    def describe(self) -> str:
        fp = self.fingerprint
        where = fp.path or "(project)"
        if fp.symbol:
            where += f" in {fp.symbol}"
        what = f"`{fp.code}`" if fp.code else fp.message
        times = f" (x{self.count})" if self.count > 1 else ""
        return f"{fp.rule} at {where}: {what}{times}"


@dataclass(frozen=True)
class BaselineResult:
    """New findings (they fail), accepted ones, and entries nothing matched any more."""

    new: list[Finding]
    baselined: list[Finding]
    stale: list[BaselineEntry]
    # Unmatched entries of files that do not compile: kept, not stale (see ``apply``).
    kept: list[BaselineEntry] = field(default_factory=list)


def normalise(text: str) -> str:
    """Whitespace collapsed, so re-indenting or re-spacing a line keeps its fingerprint."""
    return " ".join(text.split())


def enclosing_symbol(definitions: Iterable[Definition], line: int) -> str:
    """The innermost class or function whose lines include ``line``; "" at module level."""
    best: Definition | None = None
    for definition in definitions:
        if definition.line <= line <= definition.end_line and (
            best is None or definition.line >= best.line
        ):
            best = definition
    return best.qualname if best is not None else ""


def symbols_from_facts(facts: Iterable[FileFacts]) -> SymbolAt:
    """A :data:`SymbolAt` over the definitions in the facts (unknown files: module level)."""
    definitions: dict[str, tuple[Definition, ...]] = {f.path: f.definitions for f in facts}

    def symbol_at(path: str, line: int) -> str:
        return enclosing_symbol(definitions.get(path, ()), line)

    return symbol_at


def fingerprint(finding: Finding, *, symbol_at: SymbolAt, line_text: LineText) -> Fingerprint:
    code = normalise(line_text(finding.path, finding.line)) if finding.path and finding.line else ""
    symbol = symbol_at(finding.path, finding.line) if finding.path and finding.line else ""
    return Fingerprint(
        path=finding.path,
        rule=finding.rule,
        symbol=symbol,
        code=code,
        # A line we cannot read (file gone, line past the end) falls back to the message.
        message="" if code else normalise(finding.message),
        step=finding.step,
    )


def entries_for(
    findings: Iterable[Finding], *, symbol_at: SymbolAt, line_text: LineText
) -> list[BaselineEntry]:
    """Today's findings as sorted baseline entries (what ``archverify baseline`` records)."""
    counts = Counter(
        fingerprint(f, symbol_at=symbol_at, line_text=line_text)
        for f in findings
        if f.step != SUPPRESSIONS_STEP  # comments to fix, not findings to accept
    )
    return [BaselineEntry(fp, n) for fp, n in sorted(counts.items())]


def apply(
    findings: Iterable[Finding],
    entries: Sequence[BaselineEntry],
    *,
    symbol_at: SymbolAt,
    line_text: LineText,
    steps_ran: Collection[str],
    not_compiling: Collection[str] = (),
) -> BaselineResult:
    """Split findings into new and baselined; list the entries that matched fewer than counted.

    Entries of steps that did not run (a partial ``--steps`` run, a tool that is missing) are
    neither used nor stale: their findings were not looked for. Nor are the entries of a file
    in ``not_compiling`` (paths of files that do not compile today), other than the compile
    step's own: no step could look at that file, and its findings come back once it compiles.
    """
    remaining: Counter[Fingerprint] = Counter()
    for entry in entries:
        remaining[entry.fingerprint] += entry.count
    new: list[Finding] = []
    baselined: list[Finding] = []
    for finding in findings:
        key = fingerprint(finding, symbol_at=symbol_at, line_text=line_text)
        if remaining[key] > 0:
            remaining[key] -= 1
            baselined.append(finding)
        else:
            new.append(finding)
    unmatched = [
        BaselineEntry(fp, n)
        for fp, n in sorted(remaining.items())
        if n > 0 and selector_ran(fp.step, steps_ran)
    ]
    kept = kept_while_not_compiling(unmatched, not_compiling)
    stale = [e for e in unmatched if e not in kept]
    return BaselineResult(new=new, baselined=baselined, stale=stale, kept=kept)


def kept_while_not_compiling(
    entries: Iterable[BaselineEntry], not_compiling: Collection[str]
) -> list[BaselineEntry]:
    """The entries of files that do not compile, but the compile step's own: no step looked
    at those files, so their accepted findings stay accepted (``run`` and ``baseline``)."""
    broken = set(not_compiling)
    return [e for e in entries if e.fingerprint.path in broken and e.fingerprint.step != "compile"]


def dump(entries: Iterable[BaselineEntry]) -> str:
    """Canonical JSON: sorted entries and keys, so the file diffs well in review."""
    data = {
        "schema": BASELINE_SCHEMA,
        "tool": "archverify",
        "entries": [e.to_dict() for e in sorted(entries, key=lambda e: e.fingerprint)],
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def parse(text: str) -> list[BaselineEntry]:
    """The entries of a baseline file; raises :class:`BaselineError` naming what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BaselineError(f"not valid JSON: {error.msg}", error.lineno) from None
    if not isinstance(data, dict):
        raise BaselineError("expected a JSON object with 'schema' and 'entries'", 1)
    schema = data.get("schema")
    if schema != BASELINE_SCHEMA:
        raise BaselineError(
            f"unsupported baseline schema {schema!r} (this archverify reads {BASELINE_SCHEMA}); "
            "run `archverify baseline` to write it again"
        )
    raw = data.get("entries")
    if not isinstance(raw, list):
        raise BaselineError("'entries' must be a list")
    counts: Counter[Fingerprint] = Counter()
    for index, item in enumerate(raw):
        fp, count = _parse_entry(item, f"entries[{index}]")
        counts[fp] += count  # a hand-merged file may name one fingerprint twice
    return [BaselineEntry(fp, n) for fp, n in sorted(counts.items())]


def _parse_entry(item: object, where: str) -> tuple[Fingerprint, int]:
    if not isinstance(item, Mapping):
        raise BaselineError(f"{where}: expected an object")
    unknown = sorted(set(item) - {*_KEYS, "count"})
    if unknown:
        raise BaselineError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    values: dict[str, str] = {}
    for key in _KEYS:
        value = item.get(key, "")
        if not isinstance(value, str):
            raise BaselineError(f"{where}.{key}: expected a string")
        values[key] = value
    if not values["rule"] or not values["step"]:
        raise BaselineError(f"{where}: 'step' and 'rule' are required")
    count = item.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise BaselineError(f"{where}.count: expected a positive integer")
    return Fingerprint(**values), count
