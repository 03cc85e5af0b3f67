"""The import graph: resolution of targets, filters, chains and components."""

from __future__ import annotations

import itertools

from archverify.core.facts import ImportFact
from archverify.core.graph import (
    ImportEdge,
    ImportGraph,
    ImportTable,
    describe_stats,
    edge_records,
    implicit_parents,
)
from archverify.core.project import existing_names
from tests.helpers.factories import imp, module_facts

BASE = [
    module_facts("pkg", package=True),
    module_facts("pkg.a", package=True),
    module_facts("pkg.a.b"),
    module_facts("pkg.c"),
]


def pairs(graph: ImportGraph) -> set[tuple[str, str]]:
    return {(e.importer, e.imported) for e in graph.edges()}


def test_from_import_targets_submodule_or_package() -> None:
    graph = ImportGraph.build([*BASE, module_facts("pkg.d", imp("pkg.a", "b", "helper", line=3))])
    assert pairs(graph) == {("pkg.d", "pkg.a.b"), ("pkg.d", "pkg.a")}
    assert [e.line for e in graph.edges_between("pkg.d", "pkg.a.b")] == [3]


def test_missing_name_targets_its_parent_module_only() -> None:
    # As grimp: a name that is not a module is an attribute of its parent, one level up only.
    graph = ImportGraph.build([*BASE, module_facts("pkg.d", imp("pkg.a.b.attribute"))])
    assert pairs(graph) == {("pkg.d", "pkg.a.b")}


def test_import_two_levels_below_a_module_reaches_nothing() -> None:
    # ``import pkg.a.b.nothing.deeper`` and ``from pkg.missing import x`` fail at run time (or
    # name a module that is not in the sources): no edge to an ancestor, as grimp does.
    facts = [
        *BASE,
        module_facts(
            "pkg.d",
            imp("pkg.a.b.nothing.deeper"),
            imp("pkg.missing", "x", line=2),
            imp("pkg.missing", "*", line=3),
            imp("pkg.a.missing.deeper", line=4),
        ),
    ]
    assert pairs(ImportGraph.build(facts)) == set()
    assert pairs(ImportGraph.build(facts, include_external=True)) == set()


def test_star_import_targets_the_module_itself() -> None:
    graph = ImportGraph.build(
        [*BASE, module_facts("pkg.d", imp("pkg.a.b", "*", line=1), imp("pkg.a", "*", line=2))]
    )
    assert pairs(graph) == {("pkg.d", "pkg.a.b"), ("pkg.d", "pkg.a")}


def test_self_imports_are_dropped() -> None:
    graph = ImportGraph.build([*BASE, module_facts("pkg.d", imp("pkg.d"), imp("pkg", "d", line=2))])
    assert pairs(graph) == set()


def test_externals_are_squashed_and_optional() -> None:
    facts = [*BASE, module_facts("pkg.d", imp("django.db.models"), imp("os.path", line=2))]
    assert pairs(ImportGraph.build(facts)) == set()
    graph = ImportGraph.build(facts, include_external=True)
    assert pairs(graph) == {("pkg.d", "django"), ("pkg.d", "os")}
    assert graph.external_modules == {"django", "os"}
    assert "django" not in graph.modules


def test_type_checking_and_function_level_filters() -> None:
    facts = [
        *BASE,
        module_facts(
            "pkg.d",
            imp("pkg.c", line=1, type_checking=True),
            imp("pkg.a.b", line=2, in_function=True),
        ),
    ]
    assert pairs(ImportGraph.build(facts)) == {("pkg.d", "pkg.a.b")}
    assert pairs(ImportGraph.build(facts, include_function_level=False)) == set()
    assert pairs(ImportGraph.build(facts, include_type_checking=True)) == {
        ("pkg.d", "pkg.a.b"),
        ("pkg.d", "pkg.c"),
    }


def test_import_count_counts_distinct_pairs() -> None:
    graph = ImportGraph.build(
        [*BASE, module_facts("pkg.d", imp("pkg.c", line=1), imp("pkg.c", line=5))]
    )
    assert graph.import_count == 1
    assert len(graph.edges()) == 2
    assert describe_stats(graph) == "5 modules, 1 imports analysed"


def test_shortest_chain_and_avoiding() -> None:
    facts = [
        module_facts("m.a", imp("m.b")),
        module_facts("m.b", imp("m.c")),
        module_facts("m.c", imp("m.d")),
        module_facts("m.a2", imp("m.x")),
        module_facts("m.x", imp("m.y")),
        module_facts("m.y", imp("m.z")),
        module_facts("m.z", imp("m.d")),
        module_facts("m.d"),
    ]
    graph = ImportGraph.build(facts)
    assert graph.shortest_chain({"m.a", "m.a2"}, {"m.d"}) == ["m.a", "m.b", "m.c", "m.d"]
    assert graph.shortest_chain({"m.a", "m.a2"}, {"m.d"}, avoiding={"m.b"}) == [
        "m.a2",
        "m.x",
        "m.y",
        "m.z",
        "m.d",
    ]
    assert graph.shortest_chain({"m.d"}, {"m.a"}) is None
    assert graph.importers_of("m.d") == {"m.c", "m.z"}
    assert graph.imports_of("m.a") == {"m.b"}


def test_strongly_connected_components() -> None:
    facts = [
        module_facts("m.a", imp("m.b")),
        module_facts("m.b", imp("m.a")),
        module_facts("m.c", imp("m.d")),
        module_facts("m.d", imp("m.e")),
        module_facts("m.e", imp("m.c")),
        module_facts("m.f", imp("m.a")),
    ]
    graph = ImportGraph.build(facts)
    assert graph.strongly_connected_components() == [["m.a", "m.b"], ["m.c", "m.d", "m.e"]]


def test_long_chain_does_not_overflow_recursion() -> None:
    n = 5000
    facts = [module_facts(f"m.n{i}", imp(f"m.n{(i + 1) % n}")) for i in range(n)]
    components = ImportGraph.build(facts).strongly_connected_components()
    assert len(components) == 1 and len(components[0]) == n


def test_edges_are_deterministic() -> None:
    facts = [*BASE, module_facts("pkg.d", imp("pkg.c", line=2), imp("pkg.a", line=1))]
    first = ImportGraph.build(facts).edges()
    assert first == ImportGraph.build(list(reversed(facts))).edges()
    assert [e.imported for e in first] == ["pkg.a", "pkg.c"]


def test_strongly_connected_lists_dependencies_first_and_keeps_singletons() -> None:
    from archverify.core.graph import strongly_connected

    components = strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"b", "d"}, "e": set()})
    order = [sorted(c) for c in components]
    assert sorted(order) == [["a"], ["b", "c"], ["d"], ["e"]]
    assert order.index(["d"]) < order.index(["b", "c"]) < order.index(["a"])


def test_main_guarded_imports_count_unless_left_out() -> None:
    facts = [*BASE, module_facts("pkg.c", ImportFact("pkg.a.b", 2, 1, main_guarded=True))]
    assert ("pkg.c", "pkg.a.b") in pairs(ImportGraph.build(facts))
    graph = ImportGraph.build(facts, include_main_guarded=False)
    assert ("pkg.c", "pkg.a.b") not in pairs(graph)


def test_implicit_parents_are_those_the_importer_has_not_run() -> None:
    internal = {"a", "a.b", "a.b.c", "a.b.d", "x", "x.y"}
    assert implicit_parents("x.y", "a.b.c", internal) == ["a", "a.b"]
    assert implicit_parents("a.b.d", "a.b.c", internal) == []  # its own parents ran already
    assert implicit_parents("a", "a.b.c", internal) == ["a.b"]
    assert implicit_parents("a.b", "a.b.c", internal) == []
    # A folder without __init__.py (no module) runs nothing.
    assert implicit_parents("x", "ns.m", {"x", "ns.m"}) == []


def test_implicit_edges_are_marked_and_optional() -> None:
    facts = [
        module_facts("pkg", package=True),
        module_facts("pkg.a", imp("pkg.b.c", "C", line=3)),
        module_facts("pkg.b", package=True),
        module_facts("pkg.b.c"),
        module_facts("pkg.b.d", imp("pkg.b.c", line=1)),
    ]
    assert ("pkg.a", "pkg.b") not in pairs(ImportGraph.build(facts))
    graph = ImportGraph.build(facts, include_implicit=True)
    (edge,) = graph.edges_between("pkg.a", "pkg.b")
    assert edge.implicit and edge.via == "pkg.b.c" and (edge.path, edge.line) == ("pkg/a.py", 3)
    assert not graph.edges_between("pkg.a", "pkg")  # pkg is pkg.a's own parent
    assert not graph.edges_between("pkg.b.d", "pkg.b")
    (explicit,) = graph.edges_between("pkg.a", "pkg.b.c")
    assert not explicit.implicit and explicit.via == ""
    records = edge_records(graph.chain_edges(["pkg.a", "pkg.b"]))
    assert records == [
        {
            "importer": "pkg.a",
            "imported": "pkg.b",
            "path": "pkg/a.py",
            "line": 3,
            "implicit": True,
            "via": "pkg.b.c",
        }
    ]


def test_a_statement_naming_the_parent_too_gets_no_implicit_copy() -> None:
    facts = [
        module_facts("pkg", package=True),
        module_facts("pkg.b", package=True),
        module_facts("pkg.b.c"),
        module_facts("q", imp("pkg.b", "c", "helper", line=1)),  # from pkg.b import c, helper
    ]
    graph = ImportGraph.build(facts, include_implicit=True)
    assert [e.implicit for e in graph.edges_between("q", "pkg.b")] == [False]
    assert [e.via for e in graph.edges_between("q", "pkg")] == ["pkg.b.c"]


def test_existing_names_are_modules_and_every_package_above_one() -> None:
    names = existing_names(["flask.app", "flask.sansio.scaffold"])
    assert names == {"flask", "flask.app", "flask.sansio", "flask.sansio.scaffold"}
    graph = ImportGraph(["flask.sansio.scaffold"], [], external_modules=["werkzeug"])
    assert graph.exists("flask.sansio") and graph.exists("werkzeug")
    assert not graph.exists("flask.san") and not graph.exists("flask.sansio.other")


def test_graphs_derived_by_the_cut_search_answer_exists_like_their_source() -> None:
    # without_pairs/only_pairs build their copy by hand: an index __init__ sets and the copy
    # lacks crashed every layers cut (the contracts step errored on any broken layers contract).
    edge = ImportEdge("app.sub.low", "app.high", "app/sub/low.py", 1, 0)
    graph = ImportGraph(["app.sub.low", "app.high"], [edge])
    for derived in (
        graph.without_pairs([("app.sub.low", "app.high")]),
        graph.only_pairs([("app.sub.low", "app.high")]),
    ):
        assert derived.exists("app.sub") and not derived.exists("app.other")


def test_a_graph_without_a_few_pairs_still_answers_what_exists() -> None:
    # The cut search asks a contract about such copies: every attribute must be there.
    graph = ImportGraph(["app.a", "app.b"], [ImportEdge("app.a", "app.b", "app/a.py", 1, 0)])
    assert graph.exists("app")
    copy = graph.without_pairs([("app.a", "app.b")])
    assert copy.exists("app.b") and not copy.exists("app.c")
    assert not copy.edges_between("app.a", "app.b")
    fresh = ImportGraph(["app.a", "app.b"], [ImportEdge("app.a", "app.b", "app/a.py", 1, 0)])
    assert fresh.without_pairs([("app.a", "app.b")]).exists("app")


OPTION_NAMES = (
    "include_type_checking",
    "include_function_level",
    "include_external",
    "include_main_guarded",
    "include_implicit",
)

MIXED = [
    *BASE,
    module_facts(
        "pkg.d",
        imp("pkg.c", line=1, type_checking=True),
        imp("pkg.c", line=2),  # the same pair, once of a left-out kind and once not
        imp("pkg.a.b", line=3, in_function=True),  # and pkg.a implicitly
        imp("os", "path", line=4),
        imp("json", line=5, main_guarded=True),
        imp("pkg.a.b", line=6, type_checking=True, in_function=True),
    ),
    module_facts("pkg.c", imp("pkg.d", line=1, main_guarded=True), imp("typing", line=2)),
]


def _allowed(edge: ImportEdge, external: bool, options: dict[str, bool]) -> bool:
    return not (
        (edge.type_checking and not options["include_type_checking"])
        or (edge.in_function and not options["include_function_level"])
        or (edge.main_guarded and not options["include_main_guarded"])
        or (edge.implicit and not options["include_implicit"])
        or (external and not options["include_external"])
    )


def test_every_graph_of_one_table_is_the_graph_of_the_edges_its_options_allow() -> None:
    # The steps' graphs all filter one ImportTable: each must be exactly the graph built from
    # the edges of the allowed kinds (pairs with mixed kinds keep only their allowed edges).
    table = ImportTable(MIXED)
    everything = table.graph(**dict.fromkeys(OPTION_NAMES, True))
    assert everything.external_modules == {"os", "json", "typing"}
    for values in itertools.product((False, True), repeat=len(OPTION_NAMES)):
        options = dict(zip(OPTION_NAMES, values, strict=True))
        graph = table.graph(**options)
        kept = [
            e
            for e in everything.edges()
            if _allowed(e, e.imported in everything.external_modules, options)
        ]
        externals = {e.imported for e in kept if e.imported in everything.external_modules}
        expected = ImportGraph(everything.modules, kept, externals, everything.paths)
        assert graph.edges() == expected.edges(), options
        assert graph.external_modules == expected.external_modules, options
        assert graph.import_count == expected.import_count, options
        for module in ("pkg.c", "pkg.d", "pkg.a", "os"):
            assert graph.sorted_imports_of(module) == expected.sorted_imports_of(module)
            assert graph.importers_of(module) == expected.importers_of(module)
        assert graph.edges() == ImportGraph.build(MIXED, **options).edges()
    plain = table.graph()
    assert [e.line for e in plain.edges_between("pkg.d", "pkg.c")] == [2]
    assert [
        e.line for e in table.graph(include_type_checking=True).edges_between("pkg.d", "pkg.c")
    ] == [1, 2]


def test_every_way_to_make_a_graph_sets_every_attribute() -> None:
    # Derived graphs are assembled without __init__; an attribute one of them lacked crashed
    # the contracts step once. They all go through ImportGraph._adopt.
    graph = ImportTable(MIXED).graph(include_external=True, include_implicit=True)
    made = {
        "table": graph,
        "init": ImportGraph(graph.modules, graph.edges(), graph.external_modules, graph.paths),
        "without_pairs": graph.without_pairs([("pkg.d", "pkg.c")]),
        "only_pairs": graph.only_pairs([("pkg.d", "pkg.c")]),
        "restricted_to": graph.restricted_to({"pkg.c", "pkg.d"}),
    }
    expected = set(vars(made["init"]))
    for how, derived in made.items():
        assert set(vars(derived)) == expected, how
        assert derived.exists("pkg") and derived.members("pkg") >= {"pkg.c"}, how
