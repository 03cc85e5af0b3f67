"""Boundary rules on hand-built facts."""

from __future__ import annotations

from typing import Any

import pytest

from archverify.core.boundaries import (
    RULE_FORBIDDEN_CALL,
    RULE_FORBIDDEN_IMPORT,
    BoundaryChecker,
    import_targets,
)
from archverify.core.config import BoundaryRule
from archverify.core.facts import CallFact, CompileError, FileFacts
from archverify.core.findings import Severity
from tests.helpers.factories import imp, module_facts

DOMAIN = BoundaryRule(
    name="domain stays clean",
    packages=("app.domain",),
    forbid_calls=("get_questionnaire_provider", "app.wiring.**"),
    forbid_imports=("app.adapters", "sqlalchemy"),
    except_modules=("app.domain.legacy",),
    origin="pyproject.toml:40",
)


def facts(module: str = "app.domain.model", **fields: Any) -> FileFacts:
    return module_facts(module, **fields)


def check(*rules: BoundaryRule, **kwargs: Any) -> list[tuple[str, int, str]]:
    found = BoundaryChecker(rules or (DOMAIN,)).check(facts(**kwargs))
    return [(f.rule, f.line, f.message) for f in found]


class TestForbiddenCalls:
    def test_bare_name_matches_method_alias_and_plain_call(self) -> None:
        calls = (
            CallFact("get_questionnaire_provider", "", 3, 1),  # x.get_questionnaire_provider()
            CallFact("g", "app.wiring.get_questionnaire_provider", 4, 1),  # aliased import
            CallFact("get_questionnaire_provider", "app.x.get_questionnaire_provider", 5, 1),
        )
        found = BoundaryChecker([DOMAIN]).check(facts(calls=calls))
        assert [(f.rule, f.line) for f in found] == [
            (RULE_FORBIDDEN_CALL, 3),
            (RULE_FORBIDDEN_CALL, 4),
            (RULE_FORBIDDEN_CALL, 5),
        ]
        assert all(f.extra["boundary"] == "domain stays clean" for f in found)
        assert found[0].extra["pattern"] == "get_questionnaire_provider"
        assert "boundary 'domain stays clean'" in found[0].message

    def test_dotted_pattern_uses_the_resolved_name_with_wildcards(self) -> None:
        calls = (
            CallFact("build", "app.wiring.container.build", 3, 1),
            CallFact("build", "", 4, 1),
            CallFact("build", "app.wiringx.build", 5, 1),
        )
        found = BoundaryChecker([DOMAIN]).check(facts(calls=calls))
        assert [(f.line, f.extra["pattern"]) for f in found] == [(3, "app.wiring.**")]
        assert found[0].severity is Severity.ERROR

    def test_similar_names_are_not_flagged(self) -> None:
        calls = (
            CallFact("get_questionnaire", "", 3, 1),
            CallFact("get_questionnaire_providers", "", 4, 1),
        )
        assert check(calls=calls) == []


class TestForbiddenImports:
    def test_import_of_forbidden_package_or_inside_it(self) -> None:
        imports = (
            imp("app.adapters", line=2),
            imp("app.adapters.db", line=3),
            imp("sqlalchemy.orm", "Session", line=4),
        )
        assert [line for _, line, _ in check(imports=imports)] == [2, 3, 4]

    def test_from_import_of_forbidden_submodule(self) -> None:
        found = BoundaryChecker([DOMAIN]).check(facts(imports=(imp("app", "adapters", "domain"),)))
        assert [f.extra["import"] for f in found] == ["app.adapters"]
        assert found[0].extra == {
            "boundary": "domain stays clean",
            "import": "app.adapters",
            "forbidden": "app.adapters",
        }

    def test_from_import_inside_forbidden_package_is_one_finding(self) -> None:
        found = check(imports=(imp("app.adapters.db", "engine", "session"),))
        assert len(found) == 1

    def test_prefix_lookalikes_and_allowed_imports_pass(self) -> None:
        imports = (
            imp("app.adapters_api"),
            imp("app.domain.values"),
            imp("app", "adapters_x"),
            imp("sqlalchemyx"),
            imp("app", "*"),
        )
        assert check(imports=imports) == []

    def test_function_level_import_is_an_error(self) -> None:
        [found] = BoundaryChecker([DOMAIN]).check(
            facts(imports=(imp("app.adapters.db", in_function=True),))
        )
        assert found.severity is Severity.ERROR
        assert found.rule == RULE_FORBIDDEN_IMPORT

    def test_type_checking_import_is_a_warning(self) -> None:
        [found] = BoundaryChecker([DOMAIN]).check(
            facts(imports=(imp("app.adapters.db", type_checking=True),))
        )
        assert found.severity is Severity.WARNING
        assert "TYPE_CHECKING" in found.message

    def test_forbidden_package_may_import_itself(self) -> None:
        rule = BoundaryRule(name="r", packages=("app",), forbid_imports=("app.adapters",))
        assert check(rule, module="app.adapters.db", imports=(imp("app.adapters.base"),)) == []
        assert check(rule, module="app.service", imports=(imp("app.adapters.base"),)) != []


class TestScope:
    def test_modules_outside_the_rule_are_not_checked(self) -> None:
        bad = {
            "imports": (imp("app.adapters"),),
            "calls": (CallFact("get_questionnaire_provider", "", 3, 1),),
        }
        for module in ("app.service", "app.domainx", "app.domain.legacy", "app.domain.legacy.old"):
            assert check(module=module, **bad) == [], module
        assert len(check(module="app.domain", **bad)) == 2

    def test_every_rule_reports_separately(self) -> None:
        other = BoundaryRule(name="no db", packages=("app",), forbid_imports=("sqlalchemy",))
        found = BoundaryChecker([DOMAIN, other]).check(facts(imports=(imp("sqlalchemy"),)))
        assert sorted(f.extra["boundary"] for f in found) == ["domain stays clean", "no db"]

    def test_files_that_did_not_compile_are_skipped(self) -> None:
        error = CompileError(kind="syntax", line=1, column=1, message="bad")
        assert check(imports=(imp("app.adapters"),), compile_error=error) == []


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (BoundaryRule(name="r", packages=()), "'packages' is empty"),
        (BoundaryRule(name="r", packages=("a",), forbid_calls=("a..b",)), "forbid_calls"),
        (BoundaryRule(name="r", packages=("a.*",)), "not a dotted module name"),
        (BoundaryRule(name="r", packages=("a",), forbid_imports=("b.",)), "not a dotted"),
    ],
)
def test_malformed_rules_are_named(rule: BoundaryRule, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        BoundaryChecker([rule])
    assert "boundary r" in str(raised.value)


def test_origin_is_in_error_messages() -> None:
    rule = BoundaryRule(name="r", packages=(), origin="pyproject.toml:7")
    with pytest.raises(ValueError, match=r"r \(pyproject\.toml:7\)"):
        BoundaryChecker([rule])


def test_import_targets() -> None:
    assert import_targets(imp("a.b", "c", "*")) == ["a.b", "a.b.c"]


class TestOnExtractedFacts:
    """End to end: facts from ``extract_facts`` on real source, then the boundary rules."""

    @staticmethod
    def findings(source: str) -> list[tuple[str, int, Severity]]:
        from archverify.core.extract import extract_facts

        extracted = extract_facts(source.encode(), "app/domain/m.py", "app.domain.m", False)
        return [(f.rule, f.line, f.severity) for f in BoundaryChecker([DOMAIN]).check(extracted)]

    def test_calls_by_method_alias_and_dotted_pattern(self) -> None:
        source = (
            "from app.wiring import get_questionnaire_provider as g\n"
            "from app import wiring\n"
            "def f(x):\n"
            "    x.get_questionnaire_provider()\n"
            "    g()\n"
            "    wiring.container.build()\n"
            "    x.get_questionnaire()\n"
        )
        calls = [
            (line, sev) for rule, line, sev in self.findings(source) if rule == RULE_FORBIDDEN_CALL
        ]
        assert calls == [(4, Severity.ERROR), (5, Severity.ERROR), (6, Severity.ERROR)]

    def test_imports_everywhere_count_and_type_checking_warns(self) -> None:
        source = (
            "from typing import TYPE_CHECKING\n"
            "from app import adapters\n"
            "if TYPE_CHECKING:\n"
            "    from app.adapters.db import Session\n"
            "try:\n"
            "    import sqlalchemy\n"
            "except ImportError:\n"
            "    sqlalchemy = None\n"
            "def f():\n"
            "    from app.adapters import db\n"
            "    import app.domain.values\n"
        )
        assert self.findings(source) == [
            (RULE_FORBIDDEN_IMPORT, 2, Severity.ERROR),
            (RULE_FORBIDDEN_IMPORT, 4, Severity.WARNING),
            (RULE_FORBIDDEN_IMPORT, 6, Severity.ERROR),
            (RULE_FORBIDDEN_IMPORT, 10, Severity.ERROR),
        ]

    def test_relative_import_is_resolved(self) -> None:
        source = "from ..adapters import db\nfrom . import values\n"
        assert self.findings(source) == [(RULE_FORBIDDEN_IMPORT, 1, Severity.ERROR)]
