"""Import cycles: import-time components are errors, lazy-only ones warnings."""

from __future__ import annotations

from archverify.core.cycles import find_cycles
from archverify.core.facts import FileFacts, ImportFact


def ff(module: str, *imports: ImportFact) -> FileFacts:
    return FileFacts(
        path=module.replace(".", "/") + ".py",
        module=module,
        is_package=False,
        content_hash="x",
        imports=imports,
    )


def imp(
    module: str, line: int = 1, *, in_function: bool = False, type_checking: bool = False
) -> ImportFact:
    return ImportFact(module, line, 1, in_function=in_function, type_checking=type_checking)


def test_import_time_cycle_with_path_and_edges() -> None:
    facts = [
        ff("p.a", imp("p.b", 3)),
        ff("p.b", imp("p.c", 4)),
        ff("p.c", imp("p.a", 5)),
        ff("p.d", imp("p.a")),
    ]
    (cycle,) = find_cycles(facts, ())
    assert not cycle.lazy
    assert cycle.modules == ("p.a", "p.b", "p.c")
    assert cycle.chain == ["p.a", "p.b", "p.c", "p.a"]
    assert [(e.path, e.line) for e in cycle.path] == [("p/a.py", 3), ("p/b.py", 4), ("p/c.py", 5)]
    assert len(cycle.edges) == 3


def test_lazy_cycle_is_separate_and_type_checking_never_cycles() -> None:
    facts = [
        ff("p.a", imp("p.b")),
        ff("p.b", imp("p.a", 2, in_function=True)),
        ff("p.c", imp("p.d")),
        ff("p.d", imp("p.c", 7, type_checking=True)),
    ]
    (cycle,) = find_cycles(facts, ())
    assert cycle.lazy and cycle.modules == ("p.a", "p.b")


def test_eager_cycle_grown_by_lazy_import_reports_both() -> None:
    facts = [
        ff("p.b", imp("p.a")),
        ff("p.c", imp("p.a")),
        ff("p.a", imp("p.b"), imp("p.c", 2, in_function=True)),
    ]
    found = find_cycles(facts, ())
    assert [(c.modules, c.lazy) for c in found] == [
        (("p.a", "p.b"), False),
        (("p.a", "p.b", "p.c"), True),
    ]


def test_acyclic_graph_and_package_restriction() -> None:
    assert find_cycles([ff("p.a", imp("p.b")), ff("p.b")], ()) == []
    facts = [ff("p.a", imp("q.b")), ff("q.b", imp("p.a"))]
    assert len(find_cycles(facts, ())) == 1
    assert find_cycles(facts, ("p",)) == []


def test_cycle_path_is_deterministic() -> None:
    facts = [ff("m.a", imp("m.c"), imp("m.b", 2)), ff("m.b", imp("m.a")), ff("m.c", imp("m.a"))]
    first = find_cycles(facts, ())
    assert first == find_cycles(list(reversed(facts)), ())
    assert first[0].chain == ["m.a", "m.b", "m.a"]


def test_main_guarded_imports_never_close_a_cycle() -> None:
    guarded = ImportFact("p.a", 5, 1, main_guarded=True)
    facts = [ff("p.a", imp("p.b")), ff("p.b", guarded)]
    assert find_cycles(facts, ()) == []


def test_a_cycle_through_a_parent_package_is_found_and_marked() -> None:
    package = FileFacts("p/b/__init__.py", "p.b", True, "x", imports=(imp("p.a", 2),))
    facts = [ff("p.a", imp("p.b.c")), package, ff("p.b.c")]
    (cycle,) = find_cycles(facts, ())
    assert not cycle.lazy and cycle.chain == ["p.a", "p.b", "p.a"]
    assert [(e.implicit, e.via) for e in cycle.path] == [(True, "p.b.c"), (False, "")]


def test_a_lazy_cycle_is_shown_through_a_lazy_hop() -> None:
    facts = [
        ff("p.a", imp("p.b"), imp("p.c", 5, in_function=True)),
        ff("p.b", imp("p.a")),
        ff("p.c", imp("p.a")),
    ]
    eager, lazy = find_cycles(facts, ())
    assert eager.chain == ["p.a", "p.b", "p.a"]
    assert lazy.lazy and lazy.chain == ["p.a", "p.c", "p.a"]
    assert lazy.path[0].in_function and (lazy.path[0].path, lazy.path[0].line) == ("p/a.py", 5)


def test_a_hop_imported_both_ways_is_shown_by_its_import_time_statement() -> None:
    facts = [
        ff("p.a", imp("p.b", 1)),
        ff("p.b", imp("p.c", 2, in_function=True), imp("p.c", 7)),
        ff("p.c", imp("p.a", 3, in_function=True)),
    ]
    (lazy,) = find_cycles(facts, ())
    assert lazy.chain == ["p.c", "p.a", "p.b", "p.c"]
    assert [(e.line, e.in_function) for e in lazy.path] == [(3, True), (1, False), (7, False)]
