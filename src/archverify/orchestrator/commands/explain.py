"""``archverify explain RULE``: what a rule checks, why, a bad and a good example, and the fix."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from archverify.processors.rule_docs import find_rule_doc, plain_text, rule_docs, step_pages

_EPILOG = """\
examples:
  archverify explain purity/io-call
  archverify explain cycles/import-cycle
  archverify explain purity              a step's whole page
  archverify explain --list
"""


def add_explain_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    explain = commands.add_parser(
        "explain",
        help="show the documentation of a rule",
        description="Print what RULE checks, why, a bad and a good example, and how to fix it.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument(
        "rule", nargs="?", help="a rule id as reports show it (purity/io-call), or a step"
    )
    explain.add_argument("--list", action="store_true", help="list every documented rule id")
    explain.set_defaults(handler=explain_from_args)


def explain_from_args(args: argparse.Namespace) -> int:
    return explain(args.rule, list_rules=args.list)


def explain(
    rule: str | None,
    *,
    list_rules: bool = False,
    docs: Mapping[str, str] | None = None,
    pages: Mapping[str, str] | None = None,
) -> int:
    """Print the rule's section (exit 0), or the known rule ids (exit 0 with --list, else 2).

    ``docs`` defaults to the documentation installed with archverify, and ``pages`` (a step's
    whole page, for ``explain purity``) to its pages; with ``docs`` given, to none.
    """
    if docs is None:
        docs = rule_docs()
        pages = step_pages() if pages is None else pages
    pages = {} if pages is None else pages
    if not docs:
        print(
            "archverify: error: no rule documentation is installed with this archverify "
            "(the package folder archverify/rule_docs is missing)",
            file=sys.stderr,
        )
        return 2
    known = known_rules({**pages, **docs})
    if list_rules:
        print("\n".join(known))
        return 0
    if not rule:
        print("archverify: error: name a rule, or use --list", file=sys.stderr)
        return 2
    wanted = rule.strip()
    section = find_rule_doc(wanted, docs)
    if section is None and "/" not in wanted:
        section = pages.get(wanted)
    if section is None:
        print(
            f"archverify: error: unknown rule {rule!r}. Known rules:\n  " + "\n  ".join(known),
            file=sys.stderr,
        )
        return 2
    # The terminal shows plain text: ``&lt;code&gt;`` (for Markdown viewers) as ``<code>``.
    print(plain_text(section), end="")
    return 0


def known_rules(docs: Mapping[str, str]) -> list[str]:
    """Rule ids first (``step/name``), then the steps documented as a whole, each sorted."""
    return sorted(docs, key=lambda rule: ("/" not in rule, rule))
