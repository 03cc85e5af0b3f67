"""The baseline on hand-built findings: fingerprints, counts, stale entries and the file format."""

from __future__ import annotations

import json

import pytest

from archverify.core.facts import Definition, FileFacts
from archverify.core.findings import Finding, Severity
from archverify.processors.baseline import (
    BaselineEntry,
    BaselineError,
    apply,
    dump,
    enclosing_symbol,
    entries_for,
    parse,
    symbols_from_facts,
)

PATH = "src/pkg/core/model.py"
STEPS = frozenset({"purity", "contracts", "mypy"})

SOURCE = """\
import json


def load(path):
    with open(path) as handle:
        return json.load(handle)


class Store:
    def read(self, path):
        return open(path).read()
"""
DEFINITIONS = (
    Definition("load", "function", 4, 6),
    Definition("Store", "class", 9, 11),
    Definition("Store.read", "function", 10, 11),
)


class Tree:
    """Source lines by path, standing in for the orchestrator's lazy file reader."""

    def __init__(self, source: str = SOURCE, definitions: tuple[Definition, ...] = DEFINITIONS):
        self.lines = source.splitlines()
        self.symbol_at = symbols_from_facts(
            [FileFacts(PATH, "pkg.core.model", False, "x", definitions=definitions)]
        )

    def line_text(self, path: str, line: int) -> str:
        if path != PATH or not 1 <= line <= len(self.lines):
            return ""
        return self.lines[line - 1]

    def record(self, findings: list[Finding]) -> list[BaselineEntry]:
        return entries_for(findings, symbol_at=self.symbol_at, line_text=self.line_text)

    def apply(
        self, findings: list[Finding], entries: list[BaselineEntry]
    ) -> tuple[list[Finding], list[Finding], list[BaselineEntry]]:
        result = apply(
            findings, entries, symbol_at=self.symbol_at, line_text=self.line_text, steps_ran=STEPS
        )
        return result.new, result.baselined, result.stale


def io_call(line: int, message: str = "call to builtins.open in pure package pkg.core") -> Finding:
    return Finding("purity", "purity/io-call", Severity.ERROR, PATH, line, 10, message)


def shifted(source: str, count: int) -> tuple[str, tuple[Definition, ...]]:
    """The same code with ``count`` lines inserted at the top."""
    moved = tuple(
        Definition(d.qualname, d.kind, d.line + count, d.end_line + count) for d in DEFINITIONS
    )
    return "# new comment\n" * count + source, moved


def test_a_finding_stays_baselined_when_lines_are_inserted_above() -> None:
    entries = Tree().record([io_call(5)])
    source, definitions = shifted(SOURCE, 3)
    new, baselined, stale = Tree(source, definitions).apply([io_call(8)], entries)
    assert new == [] and baselined == [io_call(8)] and stale == []


def test_reindenting_the_line_keeps_the_fingerprint() -> None:
    entries = Tree().record([io_call(5)])
    source = SOURCE.replace("    with open(path) as handle:", "    with  open(path)   as handle:")
    new, baselined, _ = Tree(source).apply([io_call(5)], entries)
    assert new == [] and baselined == [io_call(5)]


def test_the_same_rule_in_another_function_is_new() -> None:
    entries = Tree().record([io_call(5)])
    new, baselined, stale = Tree().apply([io_call(5), io_call(11)], entries)
    assert new == [io_call(11)] and baselined == [io_call(5)] and stale == []


def test_identical_findings_are_counted() -> None:
    source = SOURCE.replace(
        "        return open(path).read()\n",
        "        return open(path).read()\n        return open(path).read()\n",
    )
    definitions = (*DEFINITIONS[:2], Definition("Store.read", "function", 10, 12))
    tree = Tree(source, definitions)
    entries = tree.record([io_call(11), io_call(12)])
    assert [e.count for e in entries] == [2]
    assert entries[0].fingerprint.symbol == "Store.read"

    new, baselined, _ = tree.apply([io_call(11), io_call(12)], entries)
    assert new == [] and len(baselined) == 2

    three = source.replace(
        "        return open(path).read()\n",
        "        return open(path).read()\n        return open(path).read()\n",
        1,
    )
    bigger = Tree(three, (*DEFINITIONS[:2], Definition("Store.read", "function", 10, 13)))
    new, baselined, _ = bigger.apply([io_call(11), io_call(12), io_call(13)], entries)
    assert new == [io_call(13)] and baselined == [io_call(11), io_call(12)]


def test_a_fixed_finding_becomes_stale_with_the_missing_count() -> None:
    entries = [BaselineEntry(Tree().record([io_call(11)])[0].fingerprint, 2)]
    new, baselined, stale = Tree().apply([io_call(11)], entries)
    assert new == [] and baselined == [io_call(11)]
    assert [(s.fingerprint.rule, s.count) for s in stale] == [("purity/io-call", 1)]
    assert "Store.read" in stale[0].describe() and "(project)" not in stale[0].describe()


def test_entries_of_steps_that_did_not_run_are_not_stale() -> None:
    typed = Finding("mypy", "mypy/arg-type", Severity.ERROR, PATH, 6, 1, "bad argument")
    entries = Tree().record([typed])
    result = apply(
        [], entries, symbol_at=Tree().symbol_at, line_text=Tree().line_text, steps_ran={"purity"}
    )
    assert result.stale == []


def test_project_wide_findings_fingerprint_by_rule_and_message() -> None:
    unmatched = Finding(
        "contracts", "contracts/layers", Severity.ERROR, "", 0, 0, "contract 'x' matched no module"
    )
    other = Finding(
        "contracts", "contracts/layers", Severity.ERROR, "", 0, 0, "contract 'y' matched no module"
    )
    entries = Tree().record([unmatched])
    assert entries[0].fingerprint.message == "contract 'x' matched no module"
    new, baselined, _ = Tree().apply([other, unmatched], entries)
    assert new == [other] and baselined == [unmatched]


def test_a_changed_message_on_a_line_keeps_the_fingerprint() -> None:
    # Messages may mention line numbers or counts; the line's code identifies the finding.
    entries = Tree().record([io_call(5, "call to open (line 5)")])
    new, _, _ = Tree().apply([io_call(5, "call to open (line 6)")], entries)
    assert new == []


def test_a_line_that_cannot_be_read_falls_back_to_the_message() -> None:
    gone = Finding("purity", "purity/io-call", Severity.ERROR, "gone.py", 3, 1, "call to open")
    [entry] = Tree().record([gone])
    assert entry.fingerprint.code == "" and entry.fingerprint.message == "call to open"


def test_suppression_warnings_are_not_recorded() -> None:
    warning = Finding("suppressions", "suppressions/unused", Severity.WARNING, PATH, 5, 0, "x")
    assert Tree().record([warning]) == []


def test_enclosing_symbol_is_the_innermost_definition() -> None:
    assert enclosing_symbol(DEFINITIONS, 11) == "Store.read"
    assert enclosing_symbol(DEFINITIONS, 9) == "Store"
    assert enclosing_symbol(DEFINITIONS, 1) == ""
    assert enclosing_symbol(DEFINITIONS, 7) == ""


def test_the_file_is_canonical_and_round_trips() -> None:
    findings = [io_call(11), io_call(5), io_call(11)]
    text = dump(Tree().record(findings))
    assert text == dump(reversed(Tree().record(list(reversed(findings)))))
    data = json.loads(text)
    assert data["schema"] == 1
    assert [e["symbol"] for e in data["entries"]] == ["Store.read", "load"]
    assert data["entries"][0] == {
        "code": "return open(path).read()",
        "count": 2,
        "path": PATH,
        "rule": "purity/io-call",
        "step": "purity",
        "symbol": "Store.read",
    }
    assert "line" not in data["entries"][0]
    assert parse(text) == Tree().record(findings)


@pytest.mark.parametrize(
    ("text", "expected", "line"),
    [
        ('{"schema": 1,\n "entries": [\n', "not valid JSON", 3),
        ("[]", "expected a JSON object", 1),
        ('{"schema": 9, "entries": []}', "unsupported baseline schema 9", 0),
        ('{"schema": 1}', "'entries' must be a list", 0),
        ('{"schema": 1, "entries": [3]}', "entries[0]: expected an object", 0),
        ('{"schema": 1, "entries": [{"rule": "a/b"}]}', "'step' and 'rule' are required", 0),
        ('{"schema": 1, "entries": [{"step": "a", "rule": "a/b", "count": 0}]}', "count", 0),
        ('{"schema": 1, "entries": [{"step": "a", "rule": "a/b", "count": true}]}', "count", 0),
        ('{"schema": 1, "entries": [{"step": "a", "rule": 1}]}', "entries[0].rule", 0),
        ('{"schema": 1, "entries": [{"step": "a", "rule": "a/b", "line": 3}]}', "line", 0),
    ],
)
def test_a_corrupted_file_is_a_clear_error(text: str, expected: str, line: int) -> None:
    with pytest.raises(BaselineError) as raised:
        parse(text)
    assert expected in raised.value.message
    assert raised.value.line == line


def test_duplicate_entries_in_a_merged_file_add_up() -> None:
    entry = {"step": "purity", "rule": "purity/io-call", "path": PATH, "code": "x", "count": 1}
    [merged] = parse(json.dumps({"schema": 1, "entries": [entry, entry]}))
    assert merged.count == 2
