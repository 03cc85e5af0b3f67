"""Boundary rules: calls and imports a set of packages must not make."""

from __future__ import annotations

from archverify.core.config import BoundaryRule
from archverify.core.facts import FileFacts, ImportFact
from archverify.core.findings import Finding, Rule, Severity
from archverify.core.patterns import CallPatterns, validate_pattern
from archverify.core.project import in_any_package, in_package
from archverify.core.purity import describe_call

STEP = "boundaries"

CALL_HINT = (
    "receive what this call provides as a parameter (or through an interface) instead of "
    "reaching for it here"
)
IMPORT_HINT = (
    "depend on an interface this package owns and let an outer layer pass the implementation in"
)
TYPE_CHECKING_NOTE = (
    " (only under TYPE_CHECKING, so it does not run, but the dependency is still written)"
)

FORBIDDEN_CALL = Rule("boundaries/forbidden-call", Severity.ERROR, CALL_HINT)
# An import only under TYPE_CHECKING does not run: that finding is a warning (see .at below).
FORBIDDEN_IMPORT = Rule("boundaries/forbidden-import", Severity.ERROR, IMPORT_HINT)
# The ids by their old names, part of the public core API before the rules were values.
RULE_FORBIDDEN_CALL = FORBIDDEN_CALL.id
RULE_FORBIDDEN_IMPORT = FORBIDDEN_IMPORT.id


def _rule_label(rule: BoundaryRule) -> str:
    return f"{rule.name} ({rule.origin})" if rule.origin else rule.name


def import_targets(fact: ImportFact) -> list[str]:
    """What an import reaches: the module itself, and ``m.name`` for ``from m import name``."""
    targets = [fact.module]
    targets.extend(f"{fact.module}.{name}" for name in fact.names if name != "*")
    return targets


class _CompiledRule:
    def __init__(self, rule: BoundaryRule) -> None:
        self.rule = rule
        label = _rule_label(rule)
        if not rule.packages:
            raise ValueError(f"boundary {label}: 'packages' is empty")
        for package in (*rule.packages, *rule.except_modules, *rule.forbid_imports):
            if validate_pattern(package) is not None or "*" in package:
                raise ValueError(f"boundary {label}: {package!r} is not a dotted module name")
        try:
            self.calls = CallPatterns(rule.forbid_calls)
        except ValueError as exc:
            raise ValueError(f"boundary {label}: forbid_calls: {exc}") from exc

    def applies_to(self, module: str) -> bool:
        return in_any_package(module, self.rule.packages) and not in_any_package(
            module, self.rule.except_modules
        )

    def forbidden_package(self, importer: str, target: str) -> str | None:
        for package in self.rule.forbid_imports:
            # A forbidden package may still import itself when the boundary covers it.
            if in_package(target, package) and not in_package(importer, package):
                return package
        return None


class BoundaryChecker:
    """Every configured boundary, compiled once.

    Raises ``ValueError`` naming the boundary (and where it was declared) when a rule is
    malformed: no packages, a bad pattern, or a wildcard where a module name belongs.
    """

    def __init__(self, rules: tuple[BoundaryRule, ...] | list[BoundaryRule]) -> None:
        self.rules = [_CompiledRule(rule) for rule in rules]

    def check(self, facts: FileFacts) -> list[Finding]:
        """Findings for one file; none when it did not compile."""
        if facts.compile_error is not None:
            return []
        found: list[Finding] = []
        for compiled in self.rules:
            if compiled.applies_to(facts.module):
                found.extend(_call_findings(compiled, facts))
                found.extend(_import_findings(compiled, facts))
        return found


def _call_findings(compiled: _CompiledRule, facts: FileFacts) -> list[Finding]:
    if not compiled.calls:
        return []
    name = compiled.rule.name
    found: list[Finding] = []
    for call, pattern in compiled.calls.forbidden_calls(facts.calls):
        message = (
            f"boundary '{name}': {facts.module} calls {describe_call(call)} "
            f"(forbidden by `{pattern}`)"
        )
        extra = {"boundary": name, "call": call.qualname or call.name, "pattern": pattern}
        found.append(FORBIDDEN_CALL.at(facts.path, call.line, call.column, message, extra=extra))
    return found


def _import_findings(compiled: _CompiledRule, facts: FileFacts) -> list[Finding]:
    if not compiled.rule.forbid_imports:
        return []
    name = compiled.rule.name
    found: list[Finding] = []
    for fact in facts.imports:
        # ``from app.adapters import db`` is one forbidden dependency, not one per name.
        targets = import_targets(fact)
        if compiled.forbidden_package(facts.module, fact.module) is not None:
            targets = targets[:1]
        for target in targets:
            forbidden = compiled.forbidden_package(facts.module, target)
            if forbidden is None:
                continue
            note = TYPE_CHECKING_NOTE if fact.type_checking else ""
            message = (
                f"boundary '{name}': {facts.module} imports {target} "
                f"(inside forbidden {forbidden}){note}"
            )
            found.append(
                FORBIDDEN_IMPORT.at(
                    facts.path,
                    fact.line,
                    fact.column,
                    message,
                    severity=Severity.WARNING if fact.type_checking else None,
                    extra={"boundary": name, "import": target, "forbidden": forbidden},
                )
            )
    return found
