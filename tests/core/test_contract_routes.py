"""Routes of a broken pair: every direct import, the shortest chains as grimp pops them, a route
for every hop they leave out, each hop with all its lines; the contract types that carry them."""

from __future__ import annotations

from archverify.core.contracts import check_contract
from archverify.core.contracts.common import ContractConfig
from archverify.core.contracts.routes import Route, find_routes, route_records
from archverify.core.facts import ImportFact
from archverify.core.graph import ImportGraph
from tests.helpers.factories import module_facts


def graph_of(imports: dict[str, list[tuple[str, int]]]) -> ImportGraph:
    facts = [
        module_facts(module, *(ImportFact(target, line, 0) for target, line in found))
        for module, found in imports.items()
    ]
    return ImportGraph.build(facts)


# low.a imports high.b twice; low.x and low.y import mid.m (y twice), which imports high.z and
# high.w; low.d goes on through mid.n and util to high.w.
GRAPH = graph_of(
    {
        "app": [],
        "app.low": [],
        "app.low.a": [("app.high.b", 1), ("app.high.b", 2)],
        "app.low.x": [("app.mid.m", 1)],
        "app.low.y": [("app.mid.m", 1), ("app.mid.m", 3)],
        "app.low.d": [("app.mid.n", 1)],
        "app.mid": [],
        "app.mid.m": [("app.high.z", 1), ("app.high.w", 2)],
        "app.mid.n": [("app.util", 1)],
        "app.util": [("app.high.w", 1)],
        "app.high": [],
        "app.high.b": [],
        "app.high.w": [],
        "app.high.z": [],
    }
)


def shape(route: Route) -> tuple[list[tuple[str, tuple[int, ...]]], tuple[str, ...], list[str]]:
    return (
        [(h.importer, h.lines) for h in route.heads],
        route.middle,
        [h.imported for h in route.tails],
    )


def test_direct_imports_then_shared_heads_and_tails_then_links() -> None:
    routes = find_routes(GRAPH, GRAPH.members("app.low"), GRAPH.members("app.high"))
    assert [shape(r) for r in routes] == [
        ([("app.low.a", (1, 2))], (), []),
        (
            [("app.low.x", (1,)), ("app.low.y", (1, 3))],
            ("app.mid.m",),
            ["app.high.w", "app.high.z"],
        ),
        ([("app.low.d", (1,))], ("app.mid.n", "app.util"), ["app.high.w"]),
    ]
    assert routes[0].direct and not routes[1].direct and not any(r.covering for r in routes)
    assert routes[2].links[0].importer == "app.mid.n" and routes[1].chain_count() == 4


def test_avoided_modules_and_direct_only() -> None:
    low, high = GRAPH.members("app.low"), GRAPH.members("app.high")
    avoiding = GRAPH.members("app.mid")
    assert [r.middle for r in find_routes(GRAPH, low, high, avoiding=avoiding)] == [()]
    assert len(find_routes(GRAPH, low, high, direct_only=True)) == 1
    assert find_routes(GRAPH, high, low) == []


def test_a_hop_the_shortest_chains_leave_out_gets_a_covering_route() -> None:
    # s -> a -> t is popped first and takes a -> t, so s -> c -> a -> t is never popped: grimp
    # shows it when it breaks the tie the other way round. Its hops get a route of their own.
    graph = graph_of(
        {
            "p": [],
            "p.s": [("p.a", 1), ("p.c", 2)],
            "p.c": [("p.a", 3)],
            "p.a": [("p.t", 4)],
            "p.t": [],
        }
    )
    routes = find_routes(graph, {"p.s"}, {"p.t"})
    assert [(r.middle, r.covering) for r in routes] == [(("p.a",), False), (("p.c", "p.a"), True)]
    hops = {(h.importer, h.imported) for r in routes for h in (*r.heads, *r.links, *r.tails)}
    assert hops == {("p.s", "p.a"), ("p.s", "p.c"), ("p.c", "p.a"), ("p.a", "p.t")}


def test_records_keep_every_line() -> None:
    routes = find_routes(GRAPH, GRAPH.members("app.low"), GRAPH.members("app.high"))
    first, shared = route_records(routes)[:2]
    assert first["direct"] and first["heads"][0]["lines"] == [1, 2]
    assert [i["line"] for i in first["heads"][0]["imports"]] == [1, 2]
    assert shared["middle"] == ["app.mid.m"] and len(shared["heads"]) == 2
    assert shared["heads"][1]["imports"][1]["path"] == "app/low/y.py"


def test_every_contract_type_carries_routes() -> None:
    contracts = [
        ContractConfig("l", "layers", {"layers": ["app.high", "app.mid", "app.low"]}),
        ContractConfig(
            "f", "forbidden", {"source_modules": ["app.low"], "forbidden_modules": ["app.high"]}
        ),
        ContractConfig("i", "independence", {"modules": ["app.low", "app.high"]}),
        ContractConfig(
            "p", "protected", {"protected_modules": ["app.high"], "allowed_importers": ["app.mid"]}
        ),
        ContractConfig("o", "only_allow", {"modules": ["app.high"], "allowed_importers": []}),
    ]
    for contract in contracts:
        result = check_contract(GRAPH, contract)
        assert result.violations, contract
        for violation in result.violations:
            assert violation.routes, (contract, violation)
            first = violation.routes[0].chain()
            assert [e.importer for e in violation.chain] == [h.importer for h in first]
    forbidden = check_contract(GRAPH, contracts[1]).violations[0]
    assert len(forbidden.routes) == 3  # the one-chain violation of before, now every route


def test_acyclic_siblings_route_is_the_loop_with_every_import() -> None:
    graph = graph_of(
        {
            "p": [],
            "p.a": [],
            "p.a.one": [("p.b", 1)],
            "p.a.two": [("p.b", 4)],
            "p.b": [("p.a", 2)],
        }
    )
    result = check_contract(graph, ContractConfig("c", "acyclic_siblings", {"ancestors": ["p"]}))
    (violation,) = result.violations
    (route,) = violation.routes
    assert route.middle == ("p.b",)
    assert [(e.path, e.line) for e in route.heads[0].edges] == [
        ("p/a/one.py", 1),
        ("p/a/two.py", 4),
    ]
    assert route.tails[0].lines == (2,)
