"""The rule documentation shipped inside the package: one Markdown section per rule id."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources

# The Markdown files live in the package (src/archverify/rule_docs/*.md) so that a wheel
# carries them: `archverify explain` and the SARIF help text must work without a checkout.
# A line that is only an HTML comment, with its newline.
_COMMENT_LINE = re.compile(r"^[ \t]*<!--.*?-->[ \t]*\n?", re.MULTILINE)
DOCS_PACKAGE = "archverify"
DOCS_FOLDER = "rule_docs"

_HEADING = re.compile(r"^# ([a-z][a-z0-9_-]*)(?:/(.*))?$")
_RULE_NAME = re.compile(r"[A-Za-z0-9_.*-]+")
# ``# ruff/<code> (ruff/F401, ...)``: one section for every rule of a tool.
_PLACEHOLDER = re.compile(r"(<|&lt;)[^>&]*(>|&gt;)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_RULE = re.compile(r"`([a-z][a-z0-9_-]*/[A-Za-z0-9_.*-]+)`")


def parse_rule_docs(pages: Mapping[str, str]) -> dict[str, str]:
    """Rule id -> Markdown section, from pages given as file name -> text.

    A section starts at a level-1 heading that is a rule id (``# purity/io-call``) or a step
    (``# cycles``), outside code fences, and runs to the next such heading. A step page that
    lists its rules in a table (``| `cycles/import-cycle` | ...``) documents each listed rule
    that has no section of its own.
    """
    sections: dict[str, str] = {}
    for name in sorted(pages):
        sections.update(_sections(pages[name]))
    listed: dict[str, str] = {}
    for section_id, text in sections.items():
        if "/" in section_id:
            continue
        for line in text.splitlines():
            if line.lstrip().startswith("|"):
                first_cell = line.strip().strip("|").split("|", 1)[0]
                for rule in _TABLE_RULE.findall(first_cell):
                    listed.setdefault(rule, text)
    for rule, text in listed.items():
        sections.setdefault(rule, text)
    return sections


def step_pages() -> dict[str, str]:
    """Step (or rule family) -> its whole page, from the installed package: what ``archverify
    explain purity`` prints when the page has no section of the step's own."""
    return {name.removesuffix(".md"): text.strip() + "\n" for name, text in _installed()}


def plain_text(section: str) -> str:
    """A section as a terminal shows it: the HTML entities its Markdown carries (``&lt;code&gt;``
    in a heading, so that Markdown viewers show the brackets) written as the characters, and
    without the HTML comments (notes to the docs' maintainers, which Markdown viewers hide)."""
    return html.unescape(_COMMENT_LINE.sub("", section))


@lru_cache(maxsize=1)
def _installed() -> tuple[tuple[str, str], ...]:
    folder = resources.files(DOCS_PACKAGE).joinpath(DOCS_FOLDER)
    if not folder.is_dir():
        return ()
    pages = [
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".md") and entry.is_file()
    ]
    return tuple(sorted(pages))


def rule_docs() -> dict[str, str]:
    """Every documented rule id (and step) -> its Markdown section, from the installed package."""
    return dict(_installed_sections())


@lru_cache(maxsize=1)
def _installed_sections() -> tuple[tuple[str, str], ...]:
    # Parsed once per process: a report names a hundred rules, each looked up here.
    return tuple(parse_rule_docs(dict(_installed())).items())


def find_rule_doc(rule: str, docs: Mapping[str, str] | None = None) -> str | None:
    """The section for ``rule``: its own, else ``step/*``, else the step's page (tool rules such
    as ``ruff/E501`` are documented once per tool); None when nothing documents it."""
    found = rule_docs() if docs is None else docs
    step = rule.partition("/")[0]
    for key in (rule, f"{step}/*", step):
        if key in found:
            return found[key]
    return None


def _sections(text: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        section_id = None if in_fence else _section_id(line)
        if section_id is not None:
            if current is not None:
                sections[current] = "\n".join(lines).strip() + "\n"
            current, lines = section_id, []
        if current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip() + "\n"
    return sections


def _section_id(line: str) -> str | None:
    """The id a level-1 heading documents: ``purity/io-call``, ``cycles``, or ``ruff/*`` for a
    placeholder heading; None for any other heading or line."""
    found = _HEADING.match(line)
    if found is None:
        return None
    step, name = found.group(1), found.group(2)
    if name is None:
        return step
    if _PLACEHOLDER.match(name):
        return f"{step}/*"
    first = name.split(maxsplit=1)[0] if name.strip() else ""
    return f"{step}/{first}" if _RULE_NAME.fullmatch(first) else None
