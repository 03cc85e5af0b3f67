"""Import cycles: import-time components are errors, lazy-only ones warnings."""

from __future__ import annotations

from archverify.core.cycles import find_cycles
from archverify.core.facts import FileFacts, ImportFact
from tests.helpers.factories import imp, module_facts


def test_import_time_cycle_with_path_and_edges() -> None:
    facts = [
        module_facts("p.a", imp("p.b", line=3)),
        module_facts("p.b", imp("p.c", line=4)),
        module_facts("p.c", imp("p.a", line=5)),
        module_facts("p.d", imp("p.a")),
    ]
    (cycle,) = find_cycles(facts, ())
    assert not cycle.lazy
    assert cycle.modules == ("p.a", "p.b", "p.c")
    assert cycle.chain == ["p.a", "p.b", "p.c", "p.a"]
    assert [(e.path, e.line) for e in cycle.path] == [("p/a.py", 3), ("p/b.py", 4), ("p/c.py", 5)]
    assert len(cycle.edges) == 3


def test_lazy_cycle_is_separate_and_type_checking_never_cycles() -> None:
    facts = [
        module_facts("p.a", imp("p.b")),
        module_facts("p.b", imp("p.a", line=2, in_function=True)),
        module_facts("p.c", imp("p.d")),
        module_facts("p.d", imp("p.c", line=7, type_checking=True)),
    ]
    (cycle,) = find_cycles(facts, ())
    assert cycle.lazy and cycle.modules == ("p.a", "p.b")


def test_eager_cycle_grown_by_lazy_import_reports_both() -> None:
    facts = [
        module_facts("p.b", imp("p.a")),
        module_facts("p.c", imp("p.a")),
        module_facts("p.a", imp("p.b"), imp("p.c", line=2, in_function=True)),
    ]
    found = find_cycles(facts, ())
    assert [(c.modules, c.lazy) for c in found] == [
        (("p.a", "p.b"), False),
        (("p.a", "p.b", "p.c"), True),
    ]


def test_acyclic_graph_and_package_restriction() -> None:
    assert find_cycles([module_facts("p.a", imp("p.b")), module_facts("p.b")], ()) == []
    facts = [module_facts("p.a", imp("q.b")), module_facts("q.b", imp("p.a"))]
    assert len(find_cycles(facts, ())) == 1
    assert find_cycles(facts, ("p",)) == []


def test_cycle_path_is_deterministic() -> None:
    facts = [
        module_facts("m.a", imp("m.c"), imp("m.b", line=2)),
        module_facts("m.b", imp("m.a")),
        module_facts("m.c", imp("m.a")),
    ]
    first = find_cycles(facts, ())
    assert first == find_cycles(list(reversed(facts)), ())
    assert first[0].chain == ["m.a", "m.b", "m.a"]


def test_main_guarded_imports_never_close_a_cycle() -> None:
    guarded = ImportFact("p.a", 5, 1, main_guarded=True)
    facts = [module_facts("p.a", imp("p.b")), module_facts("p.b", guarded)]
    assert find_cycles(facts, ()) == []


def test_a_cycle_through_a_parent_package_is_found_and_marked() -> None:
    package = FileFacts("p/b/__init__.py", "p.b", True, "x", imports=(imp("p.a", line=2),))
    facts = [module_facts("p.a", imp("p.b.c")), package, module_facts("p.b.c")]
    (cycle,) = find_cycles(facts, ())
    assert not cycle.lazy and cycle.chain == ["p.a", "p.b", "p.a"]
    assert [(e.implicit, e.via) for e in cycle.path] == [(True, "p.b.c"), (False, "")]


def test_a_lazy_cycle_is_shown_through_a_lazy_hop() -> None:
    facts = [
        module_facts("p.a", imp("p.b"), imp("p.c", line=5, in_function=True)),
        module_facts("p.b", imp("p.a")),
        module_facts("p.c", imp("p.a")),
    ]
    eager, lazy = find_cycles(facts, ())
    assert eager.chain == ["p.a", "p.b", "p.a"]
    assert lazy.lazy and lazy.chain == ["p.a", "p.c", "p.a"]
    assert lazy.path[0].in_function and (lazy.path[0].path, lazy.path[0].line) == ("p/a.py", 5)


def test_a_hop_imported_both_ways_is_shown_by_its_import_time_statement() -> None:
    facts = [
        module_facts("p.a", imp("p.b", line=1)),
        module_facts("p.b", imp("p.c", line=2, in_function=True), imp("p.c", line=7)),
        module_facts("p.c", imp("p.a", line=3, in_function=True)),
    ]
    (lazy,) = find_cycles(facts, ())
    assert lazy.chain == ["p.c", "p.a", "p.b", "p.c"]
    assert [(e.line, e.in_function) for e in lazy.path] == [(3, True), (1, False), (7, False)]
