"""``archverify explain RULE``: what a rule checks, why, a bad and a good example, and the fix."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from archverify.processors.rule_docs import find_rule_doc, rule_docs

_EPILOG = """\
examples:
  archverify explain purity/io-call
  archverify explain cycles/import-cycle
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
    explain.add_argument("rule", nargs="?", help="a rule id as reports show it (purity/io-call)")
    explain.add_argument("--list", action="store_true", help="list every documented rule id")
    explain.set_defaults(handler=explain_from_args)


def explain_from_args(args: argparse.Namespace) -> int:
    return explain(args.rule, list_rules=args.list)


def explain(
    rule: str | None, *, list_rules: bool = False, docs: Mapping[str, str] | None = None
) -> int:
    """Print the rule's section (exit 0), or the known rule ids (exit 0 with --list, else 2).

    ``docs`` defaults to the documentation installed with archverify.
    """
    if docs is None:
        docs = rule_docs()
    if not docs:
        print(
            "archverify: error: no rule documentation is installed with this archverify "
            "(the package folder archverify/rule_docs is missing)",
            file=sys.stderr,
        )
        return 2
    if list_rules:
        print("\n".join(known_rules(docs)))
        return 0
    if not rule:
        print("archverify: error: name a rule, or use --list", file=sys.stderr)
        return 2
    section = find_rule_doc(rule.strip(), docs)
    if section is None:
        print(
            f"archverify: error: unknown rule {rule!r}. Known rules:\n  "
            + "\n  ".join(known_rules(docs)),
            file=sys.stderr,
        )
        return 2
    print(section, end="")
    return 0


def known_rules(docs: Mapping[str, str]) -> list[str]:
    """Rule ids first (``step/name``), then the steps documented as a whole, each sorted."""
    return sorted(docs, key=lambda rule: ("/" not in rule, rule))
