"""Imports, calls, definitions, main blocks and suppressions found by extract_facts."""

from __future__ import annotations

import textwrap

from archverify.core.extract import extract_facts
from archverify.core.facts import FileFacts, ImportFact


def facts(source: str, module: str = "pkg.mod", is_package: bool = False) -> FileFacts:
    path = module.replace(".", "/") + ("/__init__.py" if is_package else ".py")
    result = extract_facts(textwrap.dedent(source).encode(), path, module, is_package)
    assert result.compile_error is None, result.compile_error
    return result


def imports(source: str, **kwargs: object) -> list[ImportFact]:
    return list(facts(source, **kwargs).imports)  # type: ignore[arg-type]


def qualnames(source: str, module: str = "pkg.mod") -> list[tuple[str, str]]:
    return [(c.name, c.qualname) for c in facts(source, module).calls]


def test_plain_and_aliased_imports() -> None:
    found = imports("import a.b\nimport a.b as c\nfrom a import b, c\n")
    assert [(i.module, i.names) for i in found] == [("a.b", ()), ("a.b", ()), ("a", ("b", "c"))]
    assert (found[0].line, found[0].column) == (1, 8)


def test_relative_imports_in_a_module_and_a_package() -> None:
    in_module = imports("from . import x\nfrom .y import z\nfrom .. import w\n", module="a.b.c")
    assert [i.module for i in in_module] == ["a.b", "a.b.y", "a"]
    in_package = imports("from . import x\nfrom .y import z\n", module="a.b", is_package=True)
    assert [i.module for i in in_package] == ["a.b", "a.b.y"]


def test_relative_import_beyond_the_top_package_is_unresolved() -> None:
    result = facts("import os\nfrom ... import x\n", module="a.b")
    assert [i.module for i in result.imports] == ["os"]
    assert result.extra["unresolved_relative"] == [2]


def test_function_level_imports_and_class_bodies() -> None:
    found = imports(
        """
        class C:
            import a
            def m(self):
                import b
        f = lambda: __import__("c")
        """
    )
    assert [(i.module, i.in_function) for i in found] == [("a", False), ("b", True), ("c", True)]


def test_type_checking_variants() -> None:
    found = imports(
        """
        import typing as t
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import a
        else:
            import b
        if t.TYPE_CHECKING:
            import c
        if typing_missing_but_named.TYPE_CHECKING:
            import d
        if not TYPE_CHECKING:
            import e
        else:
            import f
        if condition:
            import g
        """
    )
    flags = {i.module: i.type_checking for i in found}
    assert flags == {
        "typing": False,
        "a": True,
        "b": False,
        "c": True,
        "d": True,
        "e": False,
        "f": True,
        "g": False,
    }


def test_guarded_imports() -> None:
    found = imports(
        """
        try:
            import a
        except ImportError:
            import b
        try:
            import c
        except (ValueError, ModuleNotFoundError):
            pass
        try:
            import d
        except:
            pass
        try:
            import e
        except ValueError:
            pass
        try:
            import f
        finally:
            pass
        """
    )
    flags = {i.module: i.guarded for i in found}
    assert flags == {"a": True, "b": False, "c": True, "d": True, "e": False, "f": False}


def test_dynamic_imports() -> None:
    found = imports(
        """
        import importlib
        from importlib import import_module
        importlib.import_module("x.y")
        import_module("z")
        __import__("a.b")
        importlib.import_module(".sub", "pkg.inner")
        importlib.import_module("..up", package="pkg.inner")
        importlib.import_module(name)
        """
    )
    dynamic = [i.module for i in found if i.dynamic]
    assert dynamic == ["x.y", "z", "a.b", "pkg.inner.sub", "pkg.up"]


def test_calls_resolve_through_imports_and_aliases() -> None:
    found = qualnames(
        """
        import json as j
        from json import load as parse_it
        from os import path
        import builtins
        import builtins as b
        import io
        j.load(f)
        parse_it(f)
        path.exists(p)
        builtins.open(p)
        b.open(p)
        io.open(p)
        open(p)
        """
    )
    assert found == [
        ("load", "json.load"),
        ("parse_it", "json.load"),
        ("exists", "os.path.exists"),
        ("open", "builtins.open"),
        ("open", "builtins.open"),
        ("open", "io.open"),
        ("open", "builtins.open"),
    ]


def test_call_results_and_tracked_assignments() -> None:
    found = qualnames(
        """
        import json, pathlib, requests, importlib
        from pathlib import Path
        def f(p):
            Path(p).read_text()
            pathlib.Path(p).open()
            q = Path(p)
            q.read_text()
            r: Path = make()
            r.read_text()
            q = make()
            q.read_text()
            j = json
            j.load(p)
            load = json.load
            load(p)
            __import__("json").load(p)
            importlib.import_module("json").load(p)
            requests.Session().get(u)
        """
    )
    resolved = [q for _, q in found]
    assert resolved.count("pathlib.Path.read_text") == 3
    assert "pathlib.Path.open" in resolved
    assert resolved.count("json.load") == 4
    assert "requests.Session.get" in resolved
    assert ("read_text", "") in found  # after ``q = make()``


def test_with_statement_still_records_the_call() -> None:
    assert ("open", "builtins.open") in qualnames("with open(p) as fh:\n    fh.read()\n")


def test_unresolvable_callees() -> None:
    found = qualnames(
        """
        class C(Base):
            def m(self, obj):
                self.load()
                obj.read()
                super().x()
                f()()
        """
    )
    assert ("load", "") in found and ("read", "") in found and ("x", "") in found
    assert ("", "") in found


def test_shadowing_open() -> None:
    assert qualnames("def open(p): pass\nopen(1)\n") == [("open", "pkg.mod.open")]
    assert qualnames("def f(open):\n    open(1)\n") == [("open", "")]
    assert qualnames("def f():\n    open = g\n    open(1)\n")[-1] == ("open", "")
    assert qualnames("from gzip import open\nopen(1)\n") == [("open", "gzip.open")]
    # A shadow in one function does not leak into another.
    assert qualnames("def f(open): pass\ndef g():\n    open(1)\n") == [("open", "builtins.open")]


def test_class_bodies_do_not_leak_into_methods() -> None:
    found = qualnames(
        """
        class C:
            open = other
            open(1)
            def m(self):
                open(2)
        """
    )
    assert found[-2:] == [("open", "pkg.mod.C.open"), ("open", "builtins.open")]


def test_module_names_and_relative_from_imports() -> None:
    found = qualnames("from .x import y\ndef helper(): pass\ny()\nhelper()\n", module="a.b")
    assert found == [("y", "a.x.y"), ("helper", "a.b.helper")]


def test_decorators_defaults_bases_keywords_are_walked() -> None:
    found = qualnames(
        """
        import json
        @json.a()
        def f(x=json.b(), *, y=json.c()) -> json.d():
            pass
        class C(json.e(), metaclass=json.f()):
            pass
        print(key=json.g())
        """
    )
    assert {q for _, q in found} >= {f"json.{n}" for n in "abcdefg"}


def test_words_in_strings_comments_and_names_are_not_calls() -> None:
    found = facts(
        '''
        """Open the file and call open(p) in prose."""
        openness = 1  # open(p)
        text = "open(p)"
        '''
    )
    assert found.calls == ()


def test_calls_have_one_based_character_columns() -> None:
    found = facts("x = 'é'; print(x)\n").calls
    assert (found[0].line, found[0].column) == (1, 10)


def test_main_blocks() -> None:
    found = facts(
        """
        if __name__ == "__main__":
            pass
        if "__main__" == __name__:
            pass
        if __name__ != "__main__":
            pass
        if __name__ == "x":
            pass
        def f():
            if __name__ == "__main__":
                pass
        """
    ).main_blocks
    assert [(m.line, m.column) for m in found] == [(2, 1), (4, 1), (11, 5)]


def test_definitions_nested_and_methods() -> None:
    found = facts(
        """
        class C:
            def m(self):
                def inner():
                    pass
        async def g():
            pass
        """
    ).definitions
    assert [(d.qualname, d.kind, d.line, d.end_line) for d in found] == [
        ("C", "class", 2, 5),
        ("C.m", "function", 3, 5),
        ("C.m.inner", "function", 4, 5),
        ("g", "function", 6, 7),
    ]


def test_suppressions_only_in_real_comments() -> None:
    found = facts(
        """
        x = 1  # archverify: ignore[purity/io-call, layers/x] reads config once
        y = "# archverify: ignore[nope] not a comment"
        z = 2  # archverify: ignore[cycles/cycle]
        """
    ).suppressions
    assert [(s.line, s.rules, s.reason) for s in found] == [
        (2, ("purity/io-call", "layers/x"), "reads config once"),
        (4, ("cycles/cycle",), ""),
    ]


def test_main_guarded_imports() -> None:
    found = imports(
        """
        import a
        if __name__ == "__main__":
            import b
            if verbose:
                import c
            def demo():
                import d
            class Demo:
                import e
        else:
            import f
        if "__main__" == __name__:
            import g
        if x:
            if __name__ == "__main__":
                import h
        if __name__ != "__main__":
            import i
        if __name__ == "__main__" and x:
            import j
        class K:
            if __name__ == "__main__":
                import k
        """
    )
    flags = {i.module: i.main_guarded for i in found}
    assert flags == {
        "a": False,
        "b": True,
        "c": True,
        "d": True,
        "e": True,
        "f": False,
        "g": True,
        "h": True,
        "i": False,
        "j": False,
        "k": True,
    }
    assert {i.module for i in found if i.in_function} == {"d"}
