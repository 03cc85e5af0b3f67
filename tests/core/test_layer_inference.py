"""Layer inference: order children so that no import points up, and name the cycles."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from archverify.core.config import ContractConfig
from archverify.core.contracts import check_contract
from archverify.core.cuts import feedback_arc_set
from archverify.core.facts import FileFacts
from archverify.core.graph import ImportGraph
from archverify.core.layer_inference import (
    child_graph,
    direct_children,
    infer_layers,
    order_with_fewest_upward,
    upward_imports,
)
from tests.helpers.factories import module_facts


def _graph(*facts: FileFacts) -> ImportGraph:
    return ImportGraph.build(facts)


def test_a_chain_of_imports_gives_layers_from_top_to_bottom() -> None:
    graph = _graph(
        module_facts("app", package=True),
        module_facts("app.cli", "app.services.run"),
        module_facts("app.services", package=True),
        module_facts("app.services.run", "app.core.model"),
        module_facts("app.core", package=True),
        module_facts("app.core.model"),
    )
    plan = infer_layers(graph, "app")
    assert plan.expressions() == ["app.cli", "app.services", "app.core"]
    assert plan.cycles == ()


def test_a_child_sits_above_everything_it_imports_even_when_names_say_otherwise() -> None:
    graph = _graph(
        module_facts("pkg", package=True),
        module_facts("pkg.a"),
        module_facts("pkg.b", "pkg.a"),
        module_facts("pkg.c", "pkg.b"),
    )
    assert infer_layers(graph, "pkg").expressions() == ["pkg.c", "pkg.b", "pkg.a"]


def test_mutually_importing_children_share_one_layer_and_are_called_out() -> None:
    graph = _graph(
        module_facts("app", package=True),
        module_facts("app.cli", "app.models"),
        module_facts("app.models", "app.storage", "app.storage"),
        module_facts("app.storage", "app.models"),
    )
    plan = infer_layers(graph, "app")
    assert plan.expressions() == ["app.cli", "app.models : app.storage"]
    [cycle] = plan.cycles
    assert cycle.members == ("app.models", "app.storage")
    # models imports storage twice, storage imports models once: the fewest upward is 1.
    assert cycle.suggested == ("app.models", "app.storage")
    assert [(e.importer, e.imported, e.path, e.line) for e in cycle.upward] == [
        ("app.storage", "app.models", "app/storage.py", 1)
    ]


def test_a_chain_through_the_package_init_counts_as_an_import() -> None:
    # app.core -> app (its __init__ re-exports the CLI) -> app.cli: a layers contract with
    # app.cli above app.core would report that chain, so the two are one cycle.
    graph = _graph(
        module_facts("app", "app.cli", package=True),
        module_facts("app.cli", "app.core"),
        module_facts("app.core", "app"),
    )
    plan = infer_layers(graph, "app")
    assert plan.expressions() == ["app.cli : app.core"]
    assert child_graph(graph, "app").imports_of("app.core") == frozenset({"app.cli"})


def test_imports_inside_a_child_and_from_other_packages_are_not_layer_edges() -> None:
    graph = _graph(
        module_facts("app", package=True),
        module_facts("app.a", package=True),
        module_facts("app.a.x", "app.a.y", "json"),
        module_facts("app.a.y"),
        module_facts("app.b"),
        module_facts("other", "app.b", package=True),
    )
    children = child_graph(graph, "app")
    assert direct_children(graph, "app") == ["app.a", "app.b"]
    assert children.import_count == 0
    assert infer_layers(graph, "app").expressions() == ["app.a | app.b"]


def test_children_that_do_not_import_each_other_share_one_independent_layer() -> None:
    graph = _graph(
        module_facts("app", package=True),
        module_facts("app.cli", "app.api", "app.jobs"),
        module_facts("app.api", "app.util"),
        module_facts("app.jobs", "app.util"),
        module_facts("app.util"),
        module_facts("app.version"),  # imports nothing and is imported by nothing
    )
    plan = infer_layers(graph, "app")
    # Not the alphabetical chain "app.api", "app.jobs": neither imports the other.
    assert plan.expressions() == ["app.cli", "app.api | app.jobs", "app.util | app.version"]


def test_a_cycle_gets_its_own_layer_below_the_others_of_its_height() -> None:
    # A layer cannot mix '|' and ':'.
    graph = _graph(
        module_facts("p", package=True),
        module_facts("p.a", "p.b", "p.d"),
        module_facts("p.b", "p.c"),
        module_facts("p.c", "p.b"),
        module_facts("p.d"),
    )
    assert infer_layers(graph, "p").expressions() == ["p.a", "p.d", "p.b : p.c"]


def test_a_package_without_children_has_no_layers() -> None:
    graph = _graph(module_facts("solo", package=True))
    assert infer_layers(graph, "solo").layers == ()


def test_the_exact_order_beats_a_name_order_on_a_three_way_cycle() -> None:
    graph = _graph(
        module_facts("p", package=True),
        module_facts("p.a", "p.b"),
        module_facts("p.b", "p.c"),
        module_facts("p.c", "p.a", "p.a", "p.a"),
    )
    children = child_graph(graph, "p")
    order = order_with_fewest_upward(children, ["p.a", "p.b", "p.c"])
    # Cutting a -> b or b -> c (one statement each) beats cutting c -> a (three).
    assert len(upward_imports(children, order)) == 1
    assert len(upward_imports(children, ["p.a", "p.b", "p.c"])) == 3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5)).filter(lambda pair: pair[0] != pair[1]),
        max_size=14,
    )
)
def test_no_inferred_layer_is_imported_by_a_lower_one(pairs: list[tuple[int, int]]) -> None:
    imports: dict[int, list[str]] = {index: [] for index in range(6)}
    for importer, imported in pairs:
        imports[importer].append(f"r.m{imported}")
    graph = _graph(
        module_facts("r", package=True), *(module_facts(f"r.m{i}", *imports[i]) for i in range(6))
    )
    plan = infer_layers(graph, "r")
    rank = {member: index for index, layer in enumerate(plan.layers) for member in layer}
    assert sorted(rank) == [f"r.m{i}" for i in range(6)]
    for importer, imported in pairs:
        assert rank[f"r.m{importer}"] <= rank[f"r.m{imported}"]
    for cycle in plan.cycles:
        assert any(set(cycle.members) <= set(layer) for layer in plan.layers)
    # What init writes from the plan holds today, '|' layers included.
    contract = ContractConfig("c", "layers", {"layers": plan.expressions()})
    assert check_contract(graph, contract).violations == ()


def test_a_two_way_cycle_is_split_by_the_cut_the_cycles_step_names() -> None:
    # One statement each way: both cuts are minimum; init must name the cycles step's one.
    graph = _graph(
        module_facts("p", package=True),
        module_facts("p.a", "p.b"),
        module_facts("p.b", "p.a"),
    )
    [cycle] = infer_layers(graph, "p").cycles
    cut = feedback_arc_set(graph, ["p.a", "p.b"])
    assert cycle.upward == cut.edges
    [edge] = cut.edges
    # Split as the cut leaves it: the importer that loses its import goes below.
    assert cycle.suggested == (edge.imported, edge.importer)
