"""What to cut: every cut restores its contract or breaks its cycles, and where the method is
exact no smaller cut exists (brute force over small hypothesis-generated graphs)."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archverify.core import cuts
from archverify.core.config import ContractConfig
from archverify.core.contracts import check_contract, cut_contract
from archverify.core.cuts import (
    BRANCH_AND_BOUND,
    ELS,
    EXACT_ORDER,
    MIN_CUT,
    cost,
    feedback_arc_set,
    max_flow,
)
from archverify.core.graph import ImportEdge, ImportGraph, strongly_connected

MODULES = ("p", "p.a", "p.a.x", "p.a.y", "p.b", "p.b.x", "p.c", "p.c.x", "p.d", "p.e")


def graph_of(edges: list[tuple[str, str, int]], modules: tuple[str, ...] = MODULES) -> ImportGraph:
    """One statement per (importer, imported, count) unit, on lines 1, 2, ... of the importer."""
    found: list[ImportEdge] = []
    for importer, imported, count in edges:
        for _ in range(count):
            line = 1 + sum(1 for e in found if e.importer == importer)
            found.append(
                ImportEdge(importer, imported, importer.replace(".", "/") + ".py", line, 1)
            )
    return ImportGraph(modules, found)


def broken(graph: ImportGraph, contract: ContractConfig) -> bool:
    return any(v.chain for v in check_contract(graph, contract).violations)


def cheapest(graph: ImportGraph, contract: ContractConfig) -> int:
    """The minimum cost over every set of pairs whose removal keeps the contract."""
    pairs = sorted({(e.importer, e.imported) for e in graph.edges()})
    best = sum(cost(graph, p) for p in pairs)
    for size in range(len(pairs) + 1):
        for chosen in combinations(pairs, size):
            spent = sum(cost(graph, p) for p in chosen)
            if spent < best and not broken(graph.without_imports(chosen), contract):
                best = spent
    return best


CONTRACTS = (
    ContractConfig("layers", "layers", {"layers": ["p.a", "p.b", "p.c"]}),
    ContractConfig("two layers", "layers", {"layers": ["p.a", "p.c"]}),
    ContractConfig("siblings", "layers", {"layers": ["p.a | p.b", "p.c"]}),
    ContractConfig("closed", "layers", {"layers": ["p.a", "p.b", "p.c"], "closed": True}),
    ContractConfig(
        "forbidden", "forbidden", {"source_modules": ["p.c"], "forbidden_modules": ["p.a"]}
    ),
    ContractConfig(
        "direct only",
        "forbidden",
        {
            "source_modules": ["p.c", "p.d"],
            "forbidden_modules": ["p.a"],
            "allow_indirect_imports": True,
        },
    ),
    ContractConfig("independence", "independence", {"modules": ["p.a", "p.b", "p.c"]}),
    ContractConfig(
        "protected", "protected", {"protected_modules": ["p.a"], "allowed_importers": ["p.b"]}
    ),
    ContractConfig("acyclic", "acyclic_siblings", {"ancestors": ["p"]}),
    ContractConfig(
        "ignoring",
        "layers",
        {"layers": ["p.a", "p.b", "p.c"], "ignore_imports": ["p.c.x -> p.d"]},
    ),
)

EDGES = st.lists(
    st.tuples(st.sampled_from(MODULES[1:]), st.sampled_from(MODULES[1:]), st.integers(1, 3)),
    max_size=9,
    unique_by=lambda e: (e[0], e[1]),
).map(lambda found: [e for e in found if e[0] != e[1]])


@settings(max_examples=150, deadline=None)
@given(edges=EDGES, contract=st.sampled_from(CONTRACTS))
def test_contract_cut_restores_and_exact_cut_is_minimal(
    edges: list[tuple[str, str, int]], contract: ContractConfig
) -> None:
    graph = graph_of(edges)
    cut = cut_contract(graph, contract)
    if not broken(graph, contract):
        assert cut is None
        return
    assert cut is not None
    assert not broken(graph.without_imports(cut.pairs), contract)
    assert all(e in graph.edges() for e in cut.edges)
    best = cheapest(graph, contract)
    assert cut.lower_bound <= best <= cut.size
    if cut.exact:
        assert cut.size == best == cut.lower_bound


def test_three_statements_of_one_pair_cost_three() -> None:
    graph = graph_of([("p.c.x", "p.a.x", 3), ("p.c.x", "p.d", 1), ("p.d", "p.a.y", 1)])
    cut = cut_contract(graph, ContractConfig("c", "layers", {"layers": ["p.a", "p.c"]}))
    assert cut is not None
    assert (cut.size, cut.exact, cut.method) == (4, True, MIN_CUT)
    assert [e.line for e in cut.edges if e.imported == "p.a.x"] == [1, 2, 3]
    assert len(cut.pairs) == 2


def test_bottleneck_is_cut_once() -> None:
    graph = graph_of(
        [("p.c.x", "p.d", 2), ("p.c", "p.d", 1), ("p.d", "p.e", 1), ("p.e", "p.a.x", 2)]
    )
    cut = cut_contract(
        graph,
        ContractConfig("c", "forbidden", {"source_modules": ["p.c"], "forbidden_modules": ["p.a"]}),
    )
    assert cut is not None
    assert [(e.importer, e.imported) for e in cut.edges] == [("p.d", "p.e")]
    assert cut.exact


def test_independence_both_directions_is_searched_exactly() -> None:
    graph = graph_of([("p.a.x", "p.b.x", 1), ("p.b.x", "p.a.y", 1), ("p.a.y", "p.b.x", 1)])
    contract = ContractConfig("i", "independence", {"modules": ["p.a", "p.b"]})
    cut = cut_contract(graph, contract)
    assert cut is not None
    assert cut.size == 3 == cheapest(graph, contract) and cut.exact
    assert not broken(graph.without_imports(cut.pairs), contract)


def test_ignored_import_is_never_cut() -> None:
    graph = graph_of([("p.c.x", "p.a.x", 1), ("p.c.x", "p.d", 1), ("p.d", "p.a.x", 1)])
    contract = ContractConfig(
        "c", "layers", {"layers": ["p.a", "p.c"], "ignore_imports": ["p.d -> p.a.x"]}
    )
    cut = cut_contract(graph, contract)
    assert cut is not None
    assert [(e.importer, e.imported) for e in cut.edges] == [("p.c.x", "p.a.x")]


def test_kept_contract_has_no_cut() -> None:
    graph = graph_of([("p.a.x", "p.c.x", 1)])
    assert cut_contract(graph, ContractConfig("c", "layers", {"layers": ["p.a", "p.c"]})) is None


def test_exhaustive_violation_alone_has_no_cut() -> None:
    graph = graph_of([])
    contract = ContractConfig(
        "c", "layers", {"layers": ["a", "b"], "containers": ["p"], "exhaustive": True}
    )
    assert not check_contract(graph, contract).kept
    assert cut_contract(graph, contract) is None


def test_search_runs_where_per_pair_cuts_overlap() -> None:
    # Per-pair cuts pick p.a.x -> p.b.x for (a, b) and p.b.x -> p.a.y for (b, a); one pair on
    # both cycles is cheaper, and only the search finds it.
    graph = graph_of(
        [("p.a.x", "p.d", 1), ("p.d", "p.b.x", 1), ("p.b.x", "p.d", 1), ("p.d", "p.a.y", 1)]
    )
    contract = ContractConfig("i", "independence", {"modules": ["p.a", "p.b"]})
    cut = cut_contract(graph, contract)
    assert cut is not None
    assert cut.exact and cut.size == cheapest(graph, contract)
    assert cut.method in {BRANCH_AND_BOUND, "per-pair-min-cuts+prune"}


def test_max_flow_avoids_modules() -> None:
    graph = graph_of([("p.c.x", "p.d", 1), ("p.d", "p.a.x", 1), ("p.c.x", "p.a.x", 1)])
    flow = max_flow(graph, {"p.c.x"}, {"p.a.x"}, avoiding={"p.d"})
    assert (flow.value, sorted(flow.cut)) == (1, [("p.c.x", "p.a.x")])
    assert max_flow(graph, {"p.c.x"}, {"p.a.x"}).value == 2


# --- cycles ---------------------------------------------------------------------------------

NODES = tuple(f"m{i}" for i in range(7))
CYCLE_EDGES = st.lists(
    st.tuples(st.sampled_from(NODES), st.sampled_from(NODES), st.integers(1, 3)),
    max_size=12,
    unique_by=lambda e: (e[0], e[1]),
).map(lambda found: [e for e in found if e[0] != e[1]])


def acyclic(graph: ImportGraph, removed: set[tuple[str, str]] | frozenset[tuple[str, str]]) -> bool:
    rest = graph.without_imports(removed)
    return not rest.strongly_connected_components()


def cheapest_fas(graph: ImportGraph, component: list[str]) -> int:
    inside = set(component)
    pairs = sorted(
        {(e.importer, e.imported) for e in graph.edges() if {e.importer, e.imported} <= inside}
    )
    sub = graph.restricted_to(inside)
    for spent in range(sum(cost(graph, p) for p in pairs) + 1):
        for size in range(len(pairs) + 1):
            for chosen in combinations(pairs, size):
                if sum(cost(graph, p) for p in chosen) == spent and acyclic(sub, set(chosen)):
                    return spent
    raise AssertionError("removing every pair leaves no cycle")


@settings(max_examples=120, deadline=None)
@given(edges=CYCLE_EDGES, exact_limit=st.sampled_from([0, 12]))
def test_feedback_arc_set_breaks_every_cycle_and_exact_is_minimal(
    edges: list[tuple[str, str, int]], exact_limit: int
) -> None:
    graph = graph_of(edges, NODES)
    for component in graph.strongly_connected_components():
        cut = feedback_arc_set(graph, component, exact_limit=exact_limit)
        assert cut.method in ({EXACT_ORDER} if exact_limit else {ELS, BRANCH_AND_BOUND})
        assert acyclic(graph.restricted_to(set(component)), cut.pairs)
        best = cheapest_fas(graph, component)
        assert cut.lower_bound <= best <= cut.size
        if cut.exact:
            assert cut.size == best


def test_feedback_arc_set_prefers_the_single_statement() -> None:
    graph = graph_of([("m0", "m1", 3), ("m1", "m2", 2), ("m2", "m0", 1)], NODES)
    (component,) = graph.strongly_connected_components()
    for limit in (0, 12):
        cut = feedback_arc_set(graph, component, exact_limit=limit)
        assert [(e.importer, e.imported) for e in cut.edges] == [("m2", "m0")]
        assert cut.exact and cut.lower_bound == 1


def test_strongly_connected_is_the_graph_helper() -> None:
    assert strongly_connected({"a": ["b"], "b": ["a"]}) == [["b", "a"]]


ACYCLIC_CASE = [
    ("p.a", "p.a.x", 1),
    ("p.a", "p.c", 2),
    ("p.a.y", "p.c.x", 2),
    ("p.b.x", "p.b", 1),
    ("p.c", "p.a.y", 2),
    ("p.c", "p.c.x", 2),
    ("p.e", "p.a.y", 1),
    ("p.e", "p.b.x", 1),
    ("p.e", "p.c", 2),
]


def test_heuristic_cut_above_the_minimum_is_not_called_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    graph = graph_of(ACYCLIC_CASE)
    contract = ContractConfig("acyclic", "acyclic_siblings", {"ancestors": ["p"]})
    monkeypatch.setattr(cuts, "SEARCH_PAIRS", 0)
    heuristic = cut_contract(graph, contract)
    assert heuristic is not None
    assert (heuristic.size, heuristic.exact, heuristic.lower_bound) == (4, False, 2)
    monkeypatch.undo()
    searched = cut_contract(graph, contract)
    assert searched is not None
    assert (searched.size, searched.exact, searched.method) == (2, True, BRANCH_AND_BOUND)
    assert cheapest(graph, contract) == 2
    assert not broken(graph.without_imports(searched.pairs), contract)


ELS_CASE = [
    ("m0", "m5", 2),
    ("m1", "m5", 2),
    ("m2", "m3", 2),
    ("m2", "m4", 1),
    ("m3", "m0", 2),
    ("m3", "m1", 1),
    ("m3", "m6", 1),
    ("m4", "m1", 1),
    ("m4", "m5", 2),
    ("m5", "m1", 1),
    ("m5", "m2", 2),
    ("m5", "m3", 1),
    ("m6", "m0", 1),
    ("m6", "m4", 2),
]


def test_heuristic_feedback_arc_set_above_the_minimum_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    graph = graph_of(ELS_CASE, NODES)
    (component,) = graph.strongly_connected_components()
    exact = feedback_arc_set(graph, component)
    searched = feedback_arc_set(graph, component, exact_limit=0)
    monkeypatch.setattr(cuts, "SEARCH_COMPONENT", 0)
    heuristic = feedback_arc_set(graph, component, exact_limit=0)
    assert (heuristic.size, heuristic.exact, heuristic.lower_bound) == (6, False, 4)
    assert (exact.size, exact.exact, exact.method) == (4, True, EXACT_ORDER)
    assert (searched.size, searched.exact, searched.method) == (4, True, BRANCH_AND_BOUND)
    assert cheapest_fas(graph, component) == 4
    for cut in (heuristic, exact, searched):
        assert acyclic(graph, cut.pairs)
