"""Rules as values: each ``Rule`` constant is documented, and each documented rule id greppable.

A newcomer finds a rule's code and its doc by the rule id alone (STYLE.md): the first test
walks the constants the source declares and asks ``archverify explain``'s own lookup for each;
the second reads the rule ids out of ``rule_docs/*.md`` and looks for each, quoted, in ``src/``.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import archverify
from archverify.core.findings import Rule
from archverify.processors.rule_docs import DOCS_FOLDER, find_rule_doc, parse_rule_docs

SOURCE = Path(archverify.__file__).resolve().parent
DOCS = SOURCE / DOCS_FOLDER
REPO = SOURCE.parents[1]

# Importing ``archverify.__main__`` runs the command line.
_NOT_IMPORTED = frozenset({"archverify.__main__"})


def rule_constants() -> dict[str, list[list[str]]]:
    """Rule id -> one entry per ``Rule`` object with that id: every ``module.NAME`` binding it.

    Found by importing every module, so a new constant anywhere in ``src/`` is seen; a module
    that imports a constant from another binds the same object, which stays one entry.
    """
    found: dict[int, tuple[Rule, list[str]]] = {}
    names = [
        info.name
        for info in pkgutil.walk_packages(archverify.__path__, "archverify.")
        if info.name not in _NOT_IMPORTED
    ]
    for name in ["archverify", *names]:
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if isinstance(value, Rule):
                found.setdefault(id(value), (value, []))[1].append(f"{name}.{attribute}")
    by_id: dict[str, list[list[str]]] = {}
    for value, homes in found.values():
        by_id.setdefault(value.id, []).append(homes)
    return by_id


def shipped_docs() -> dict[str, str]:
    pages = {page.name: page.read_text(encoding="utf-8") for page in DOCS.glob("*.md")}
    return parse_rule_docs(pages)


def documents(docs: dict[str, str], rule: str) -> bool:
    """``explain``'s lookup finds a section that is the rule's own or names it (a tool page)."""
    section = find_rule_doc(rule, docs)
    return section is not None and (rule in docs or f"`{rule}`" in section)


def test_the_scan_finds_the_constants_of_every_family() -> None:
    constants = rule_constants()
    families = {rule.split("/", 1)[0] for rule in constants}
    assert {
        "bandit",
        "boundaries",
        "compile",
        "coverage",
        "cycles",
        "imports",
        "process",
        "purity",
        "shards",
        "snapshots",
        "suppressions",
        "tests",
    } <= families
    assert {"compile/read-error", "compile/shadowed-module", "process/leftover"} <= set(constants)


def test_each_rule_id_is_one_constant() -> None:
    twice = {rule: homes for rule, homes in rule_constants().items() if len(homes) > 1}
    assert twice == {}, f"rule ids declared by more than one Rule: {twice}"


def test_every_rule_constant_has_its_documentation_section() -> None:
    docs = shipped_docs()
    missing = []
    for rule, homes in sorted(rule_constants().items()):
        if not documents(docs, rule):
            missing.append(f"{rule} ({', '.join(name for names in homes for name in names)})")
    assert missing == [], "Rule constants without a documentation section: " + "; ".join(missing)


def documented_rule_ids() -> set[str]:
    """Every rule id ``rule_docs/*.md`` gives a section or a table row, tool families aside.

    A tool family (``# ruff/<code> (ruff/F401, ...)``, key ``ruff/*``) stands for ids the tool
    makes up; its own fixed rules (``bandit/parse-error``) are constants, checked above.
    """
    return {rule for rule in shipped_docs() if "/" in rule and not rule.endswith("/*")}


def test_the_docs_scan_finds_sections_and_table_rows() -> None:
    rules = documented_rule_ids()
    assert {"purity/io-call", "cycles/lazy-cycle", "contracts/config-error"} <= rules
    assert not any(rule.endswith("/*") for rule in rules)


def test_grep_finds_every_documented_rule_id_as_a_literal_in_src() -> None:
    sources = [path.read_text(encoding="utf-8") for path in sorted(SOURCE.rglob("*.py"))]
    missing = sorted(
        rule
        for rule in documented_rule_ids()
        if not any(f'"{rule}"' in text or f"'{rule}'" in text for text in sources)
    )
    assert missing == [], f"documented rule ids written nowhere in src/: {', '.join(missing)}"
