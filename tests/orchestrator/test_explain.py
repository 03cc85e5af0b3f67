"""``archverify explain``: rule sections from the Markdown docs, the fallbacks, unknown rules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from archverify.core.steps import STEP_OF_FAMILY
from archverify.orchestrator.commands.explain import explain
from archverify.processors.rule_docs import (
    find_rule_doc,
    parse_rule_docs,
    plain_text,
    rule_docs,
    step_pages,
)

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "src" / "archverify"

PURITY_PAGE = """\
# purity/io-call

## What it checks
Calls that do I/O.

## Bad
```python
# app/core/pricing.py
open("prices.json")
```

# purity/main-block

## What it checks
A `__main__` block.
"""

CYCLES_PAGE = """\
# cycles

| rule | severity | meaning |
|---|---|---|
| `cycles/import-cycle` | error | modules import each other (see `cycles/lazy-cycle`) |
| `cycles/lazy-cycle` | warning | only with lazy imports |
"""

RUFF_PAGE = """\
# ruff

Findings of ruff, one rule id per ruff code (`ruff/E501`).
"""

DOCS = parse_rule_docs({"purity.md": PURITY_PAGE, "cycles.md": CYCLES_PAGE, "ruff.md": RUFF_PAGE})


def test_each_rule_heading_starts_a_section_and_fenced_comments_do_not() -> None:
    section = DOCS["purity/io-call"]
    assert section.startswith("# purity/io-call\n")
    assert "# app/core/pricing.py" in section
    assert "purity/main-block" not in section
    assert "app/core/pricing.py" not in DOCS
    assert DOCS["purity/main-block"].startswith("# purity/main-block\n")


def test_rules_listed_in_a_step_page_table_get_that_page() -> None:
    assert DOCS["cycles/import-cycle"] == DOCS["cycles"] == DOCS["cycles/lazy-cycle"]
    assert DOCS["cycles"].startswith("# cycles\n")


def test_a_rule_with_its_own_section_keeps_it_over_a_table_mention() -> None:
    docs = parse_rule_docs(
        {"a.md": "# purity\n| `purity/io-call` | error |\n", "b.md": PURITY_PAGE}
    )
    assert docs["purity/io-call"].startswith("# purity/io-call")


def test_tool_rules_fall_back_to_the_tool_page_and_unknown_rules_find_nothing() -> None:
    assert find_rule_doc("ruff/E501", DOCS) == DOCS["ruff"]
    assert find_rule_doc("purity/no-such-rule", DOCS) is None
    assert find_rule_doc("nothing", DOCS) is None
    starred = parse_rule_docs({"mypy.md": "# mypy/*\nAny mypy code.\n"})
    assert find_rule_doc("mypy/arg-type", starred) == "# mypy/*\nAny mypy code.\n"
    for heading in ("# bandit/&lt;test id&gt; (bandit/B602, ...)", "# bandit/<test id>"):
        placeholder = parse_rule_docs({"bandit.md": f"{heading}\nAny bandit test.\n"})
        assert list(placeholder) == ["bandit/*"]
        assert find_rule_doc("bandit/B602", placeholder) == f"{heading}\nAny bandit test.\n"


def test_prose_headings_are_not_sections() -> None:
    docs = parse_rule_docs({"t.md": "# The tests step\nintro\n# tests/failed\nfailed\n"})
    assert docs == {"tests/failed": "# tests/failed\nfailed\n"}


def test_explain_prints_the_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert explain("purity/main-block", docs=DOCS) == 0
    assert capsys.readouterr().out == DOCS["purity/main-block"]


def test_explain_of_an_unknown_rule_lists_the_known_ones_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert explain("purity/io-cal", docs=DOCS) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown rule 'purity/io-cal'" in captured.err
    assert "  purity/io-call\n" in captured.err and "  cycles/lazy-cycle\n" in captured.err


def test_explain_list_prints_rule_ids_then_steps(capsys: pytest.CaptureFixture[str]) -> None:
    assert explain(None, list_rules=True, docs=DOCS) == 0
    assert capsys.readouterr().out.split() == [
        "cycles/import-cycle",
        "cycles/lazy-cycle",
        "purity/io-call",
        "purity/main-block",
        "cycles",
        "ruff",
    ]


def test_explain_without_a_rule_or_without_docs_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert explain(None, docs=DOCS) == 2
    assert explain("purity/io-call", docs={}) == 2
    assert "no rule documentation" in capsys.readouterr().err


def _produced_rule_ids() -> tuple[set[str], set[str]]:
    """Rule ids written literally in core/ and executors/, and steps whose ids are built at run
    time (``f"ruff/{code}"``), found by reading the source so that a new rule cannot hide."""
    prefixes = set(STEP_OF_FAMILY)
    literal = re.compile(r"^([a-z]+)/[a-z][a-z0-9_-]*$")
    fixed: set[str] = set()
    dynamic: set[str] = set()
    for path in [
        *SOURCE.joinpath("core").rglob("*.py"),
        *SOURCE.joinpath("executors").rglob("*.py"),
    ]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found = literal.match(node.value)
                if found and found.group(1) in prefixes:
                    fixed.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values:
                head = node.values[0]
                if isinstance(head, ast.Constant) and isinstance(head.value, str):
                    step = head.value.rstrip("/")
                    if head.value.endswith("/") and step in prefixes:
                        dynamic.add(step)
    return fixed, dynamic


def _shipped_docs() -> dict[str, str]:
    docs = rule_docs()
    assert docs, "no rule documentation found in the package (src/archverify/rule_docs/)"
    return docs


def test_the_source_scan_sees_the_rules_it_must() -> None:
    fixed, dynamic = _produced_rule_ids()
    assert {"purity/io-call", "compile/syntax-error", "imports/timeout"} <= fixed
    assert {"ruff", "mypy", "bandit"} <= dynamic


def _documents(docs: dict[str, str], rule: str) -> bool:
    """A section of its own, or the tool's or step's section naming the rule."""
    section = find_rule_doc(rule, docs)
    return section is not None and (rule in docs or f"`{rule}`" in section)


def test_every_rule_id_archverify_produces_is_documented() -> None:
    docs = _shipped_docs()
    fixed, dynamic = _produced_rule_ids()
    missing = sorted(rule for rule in fixed if not _documents(docs, rule))
    missing += sorted(f"{step}/*" for step in dynamic if find_rule_doc(f"{step}/X", docs) is None)
    assert missing == [], f"rules without documentation: {', '.join(missing)}"


def test_what_explain_prints_has_no_markup_comments_nor_paths_of_the_source_tree() -> None:
    # A pip user has neither archverify's tests nor its source folder; an HTML comment is a
    # note for the docs' maintainers (the bandit page's generated-table markers).
    for name, page in step_pages().items():
        shown = plain_text(page)
        assert "<!--" not in shown, name
        assert not re.search(r"`(tests|src/archverify)/[\w/]+\.py`", shown), name


def test_the_installed_rule_docs_are_parsed_once_and_handed_out_as_copies() -> None:
    from archverify.processors import rule_docs as docs_module

    docs_module._installed_sections.cache_clear()
    first = docs_module.rule_docs()
    first["purity/io-call"] = "changed by a caller"
    second = docs_module.rule_docs()
    assert second["purity/io-call"] != "changed by a caller"
    assert docs_module._installed_sections.cache_info().misses == 1
