"""The purity rules on hand-built facts."""

from __future__ import annotations

from typing import Any

import pytest

from archverify.core.config import PurityConfig
from archverify.core.facts import CallFact, CompileError, FileFacts, Location
from archverify.core.findings import Severity
from archverify.core.purity import (
    IO_CALL_HINT,
    RULE_IO_CALL,
    RULE_MAIN_BLOCK,
    PurityChecker,
    describe_call,
)
from tests.helpers.factories import module_facts

PURE = PurityConfig(packages=("app.core",))


def facts(module: str = "app.core.model", **fields: Any) -> FileFacts:
    return module_facts(module, **fields)


def call(qualname: str, name: str | None = None, line: int = 3, column: int = 5) -> CallFact:
    return CallFact(
        name=name or qualname.rsplit(".", 1)[-1], qualname=qualname, line=line, column=column
    )


@pytest.mark.parametrize(
    "qualname",
    [
        "builtins.open",
        "builtins.print",
        "json.load",
        "subprocess.run",
        "requests.get",
        "requests.Session.post",
        "pathlib.Path.read_text",
        "pathlib.Path.exists",
        "pandas.read_csv",
        "os.execvp",
        "tempfile.mkdtemp",
    ],
)
def test_default_io_calls_are_caught(qualname: str) -> None:
    [found] = PurityChecker(PURE).check(facts(calls=(call(qualname),)))
    assert found.rule == RULE_IO_CALL
    assert found.severity is Severity.ERROR
    assert (found.path, found.line, found.column) == ("app/core/model.py", 3, 5)
    assert qualname in found.message
    assert found.hint == IO_CALL_HINT
    assert found.extra["call"] == qualname


@pytest.mark.parametrize(
    "qualname",
    [
        "json.loads",
        "json.dumps",
        "os.path.join",
        "builtins.len",
        "pathlib.Path",
        "re.compile",
        "pathlib.PurePath.with_suffix",
        "",
    ],
)
def test_pure_calls_are_not_flagged(qualname: str) -> None:
    assert PurityChecker(PURE).check(facts(calls=(call(qualname, name="load"),))) == []


def test_unresolvable_method_named_like_io_is_not_flagged() -> None:
    # self.open(), self.load(), obj.read_text(): no resolved callee, not the I/O function.
    calls = (call("", "open"), call("", "load"), call("", "read_text"))
    assert PurityChecker(PURE).check(facts(calls=calls)) == []


def test_message_names_call_as_written_and_resolved() -> None:
    [found] = PurityChecker(PURE).check(facts(calls=(call("json.load", name="jload"),)))
    assert "`jload()` (resolves to `json.load`)" in found.message
    assert "`json.load`" in found.message
    assert found.extra == {"call": "json.load", "pattern": "json.load"}


def test_pattern_reported_is_the_one_that_matched() -> None:
    [found] = PurityChecker(PURE).check(facts(calls=(call("requests.api.get"),)))
    assert found.extra["pattern"] == "requests.**"


def test_modules_outside_pure_packages_are_not_checked() -> None:
    checker = PurityChecker(PURE)
    for module in ("app.adapters.db", "app.core_extras", "app", "other.app.core"):
        assert checker.check(facts(module=module, calls=(call("builtins.open"),))) == []


def test_the_pure_package_itself_is_checked() -> None:
    assert PurityChecker(PURE).check(facts(module="app.core", calls=(call("builtins.open"),)))


def test_user_bare_pattern_matches_any_callee_by_name() -> None:
    config = PurityConfig(packages=("app.core",), forbid_calls=("connect", "fetch_*"))
    checker = PurityChecker(config)
    found = checker.check(
        facts(
            calls=(
                call("", "connect"),
                call("db.connect", line=4),
                call("", "fetch_all", line=5),
                call("", "disconnect", line=6),
            )
        )
    )
    assert [(f.line, f.extra["pattern"]) for f in found] == [
        (3, "connect"),
        (4, "connect"),
        (5, "fetch_*"),
    ]
    assert found[0].extra["call"] == "connect"


def test_user_bare_builtin_name_means_the_builtin_only() -> None:
    checker = PurityChecker(PurityConfig(packages=("app.core",), forbid_calls=("print",)))
    found = checker.check(facts(calls=(call("builtins.print"), call("", "print", line=9))))
    assert [f.line for f in found] == [3]


def test_replacing_forbid_calls_drops_the_defaults() -> None:
    checker = PurityChecker(PurityConfig(packages=("app.core",), forbid_calls=("socket.**",)))
    assert checker.check(facts(calls=(call("builtins.open"),))) == []


def test_main_block_is_flagged_unless_allowed() -> None:
    blocks = (Location(line=20, column=1),)
    [found] = PurityChecker(PURE).check(facts(main_blocks=blocks))
    assert found.rule == RULE_MAIN_BLOCK
    assert (found.line, found.column, found.severity) == (20, 1, Severity.ERROR)
    allowed = PurityConfig(packages=("app.core",), allow_main_block=True)
    assert PurityChecker(allowed).check(facts(main_blocks=blocks)) == []


def test_files_that_did_not_compile_are_skipped() -> None:
    error = CompileError(kind="syntax", line=1, column=1, message="invalid syntax")
    broken = facts(calls=(call("builtins.open"),), compile_error=error)
    assert PurityChecker(PURE).check(broken) == []


def test_malformed_pattern_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"purity\] forbid_calls: pattern 'json\.\.load'"):
        PurityChecker(PurityConfig(packages=("app",), forbid_calls=("json..load",)))


def test_describe_call() -> None:
    assert describe_call(call("", "load")) == "`load()`"
    assert describe_call(call("json.load")) == "`json.load()`"
    assert describe_call(call("json.load", "j")) == "`j()` (resolves to `json.load`)"


class TestOnExtractedFacts:
    """End to end: facts from ``extract_facts`` on real source, then the purity rules."""

    @staticmethod
    def findings(source: str, config: PurityConfig = PURE) -> list[tuple[str, int, str]]:
        from archverify.core.extract import extract_facts

        extracted = extract_facts(source.encode(), "app/core/m.py", "app.core.m", False)
        return [
            (f.rule, f.line, str(f.extra.get("call", "")))
            for f in PurityChecker(config).check(extracted)
        ]

    def test_aliases_resolve_to_the_io_function(self) -> None:
        source = (
            "import json as j\n"
            "from json import load as l\n"
            "from builtins import open as o\n"
            "def f(x):\n"
            "    j.load(x)\n"
            "    l(x)\n"
            "    o(x)\n"
        )
        assert self.findings(source) == [
            (RULE_IO_CALL, 5, "json.load"),
            (RULE_IO_CALL, 6, "json.load"),
            (RULE_IO_CALL, 7, "builtins.open"),
        ]

    def test_docstrings_methods_and_lookalikes_are_not_calls_to_io(self) -> None:
        source = (
            '"""Never open() or json.load() here."""\n'
            "import json\n"
            "class Store:\n"
            '    """print(x) in a docstring."""\n'
            "    def load(self):\n"
            "        return self.load()\n"
            "    def open(self):\n"
            "        return self.open()\n"
            "def openness():\n"
            "    return openness()\n"
            "def f(t):\n"
            "    return json.loads(t)\n"
        )
        assert self.findings(source) == []

    def test_dynamic_import_and_path_objects(self) -> None:
        source = (
            "from pathlib import Path\n"
            "def f(p, x):\n"
            '    __import__("json").load(x)\n'
            "    Path(p).read_text()\n"
            "    q = Path(p)\n"
            "    q.read_text()\n"
        )
        assert self.findings(source) == [
            (RULE_IO_CALL, 3, "json.load"),
            (RULE_IO_CALL, 4, "pathlib.Path.read_text"),
            (RULE_IO_CALL, 6, "pathlib.Path.read_text"),
        ]

    def test_main_block_spellings(self) -> None:
        source = (
            'if __name__ != "x":\n'
            "    pass\n"
            'if __name__ == "app":\n'
            "    pass\n"
            'if "__main__" == __name__:\n'
            "    pass\n"
        )
        assert self.findings(source) == [(RULE_MAIN_BLOCK, 5, "")]

    def test_main_block_with_print_reports_both(self) -> None:
        source = 'if __name__ == "__main__":\n    print("hi")\n'
        assert sorted(self.findings(source), key=lambda f: f[1]) == [
            (RULE_MAIN_BLOCK, 1, ""),
            (RULE_IO_CALL, 2, "builtins.print"),
        ]

    def test_user_bare_name_catches_method_calls(self) -> None:
        config = PurityConfig(packages=("app.core",), forbid_calls=("connect",))
        source = "def f(db):\n    db.connect()\n    db.disconnect()\n"
        assert self.findings(source, config) == [(RULE_IO_CALL, 2, "connect")]
