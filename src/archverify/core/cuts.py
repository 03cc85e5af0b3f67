"""What to cut: the fewest import statements whose removal restores a contract or breaks a cycle.

Costs are counted in import statements: the pair ``a -> b`` written three times costs three.
Every result says how it was found (``method``), whether it is proved minimal (``exact``) and a
proved lower bound on the size of any cut (``lower_bound``); ``exact`` means the two meet.

Contracts (:func:`cut_violations`) are cut against their own check, handed in as a function of
the graph (``violations_of``), so ignore_imports, allow_indirect_imports, containers, layers'
``avoiding`` and independence in both directions all keep their meaning: a cut is returned only
once the check passes on the graph without it. Cycles (:func:`feedback_arc_set`) are cut inside
their strongly connected component.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Protocol

from archverify.core.graph import ImportEdge, ImportGraph, edge_records

Pair = tuple[str, str]
ViolationsOf = Callable[[ImportGraph], Sequence["Witness"]]

MIN_CUT = "min-cut"
PER_PAIR = "per-pair-min-cuts+prune"
BRANCH_AND_BOUND = "branch-and-bound"
EXACT_ORDER = "exact-order-dp"
ELS = "eades-lin-smyth+local-search"

# Work bounds, so that a cut never makes a run noticeably slower (measured on Django 5.2).
# Calls of the contract's own check while pruning a heuristic cut:
PRUNE_CHECKS = 32
# Rounds of the exact search (each adds the chains the check still finds) and the nodes of its
# branch and bound per round:
SEARCH_ROUNDS = 8
SEARCH_NODES = 5_000
# Flows computed, and their chains checked one by one, for the lower bound:
BOUND_FLOWS = 8
BOUND_CHECKS = 64
# The exact search runs only on cuts of at most this many pairs, this far above the bound:
SEARCH_PAIRS = 16
SEARCH_GAP = 8
# A component of at most this many modules gets the exact ordering (2**n * n steps), one of
# at most SEARCH_COMPONENT the exact search when the heuristic is above its bound:
EXACT_COMPONENT = 12
SEARCH_COMPONENT = 60
# Passes of the local search over the Eades-Lin-Smyth order:
LOCAL_PASSES = 4


class Witness(Protocol):
    """What a cut needs from a contract violation: the package pair and one chain of it.

    ``importer`` and ``imported`` are the packages (their members are the two sides); ``chain``
    one import statement per hop. :class:`archverify.core.contracts.Violation` is one.
    """

    @property
    def importer(self) -> str: ...

    @property
    def imported(self) -> str: ...

    @property
    def chain(self) -> tuple[ImportEdge, ...]: ...


@dataclass(frozen=True)
class Cut:
    """Import statements to remove, each an edge of the graph, in a stable order."""

    edges: tuple[ImportEdge, ...]
    method: str
    exact: bool
    lower_bound: int

    @property
    def size(self) -> int:
        return len(self.edges)

    @property
    def pairs(self) -> frozenset[Pair]:
        return frozenset((e.importer, e.imported) for e in self.edges)


def cut_record(cut: Cut) -> dict[str, object]:
    """The cut as a finding's ``extra["cut"]`` (a public part of the JSON report)."""
    return {
        "method": cut.method,
        "exact": cut.exact,
        "size": cut.size,
        "lower_bound": cut.lower_bound,
        "imports": edge_records(cut.edges),
    }


def advice(record: Mapping[str, Any], goal: str) -> str:
    """The sentence a report shows for a cut record (``cut_record``): "remove these 3 imports
    to keep 'Four layers' (minimum, min-cut): a/b.py:3, a/c.py:7, a/c.py:9"."""
    imports = list(record.get("imports", ()))
    if record.get("exact"):
        how = f"minimum, {record.get('method', '')}"
    else:
        how = (
            f"heuristic {record.get('method', '')}, at least {record.get('lower_bound', 0)} needed"
        )
    where = ", ".join(f"{i.get('path', '')}:{i.get('line', 0)}" for i in imports)
    these = "this import" if len(imports) == 1 else f"these {len(imports)} imports"
    return f"remove {these} to {goal} ({how}): {where}"


def cost(graph: ImportGraph, pair: Pair) -> int:
    """The statements behind one (importer, imported) pair."""
    return len(graph.edges_between(*pair))


def _statements(graph: ImportGraph, pairs: Iterable[Pair]) -> tuple[ImportEdge, ...]:
    return tuple(
        sorted(
            (e for pair in set(pairs) for e in graph.edges_between(*pair)),
            key=ImportEdge.sort_key,
        )
    )


# --- max flow -----------------------------------------------------------------------------

_SOURCE = "\x00source"
_SINK = "\x00sink"


@dataclass(frozen=True)
class Flow:
    """A maximum flow from one side to the other: its value, a minimum cut (pairs of the graph)
    and the flow split into unit-weighted chains of modules (with multiplicity)."""

    value: int
    cut: frozenset[Pair]
    paths: tuple[tuple[tuple[str, ...], int], ...]


def max_flow(
    graph: ImportGraph,
    sources: Iterable[str],
    targets: Iterable[str],
    *,
    avoiding: Iterable[str] = (),
) -> Flow:
    """Edmonds-Karp from every module of ``sources`` to any of ``targets``, each pair's capacity
    its statements, chains never passing through ``avoiding`` (nor out of a target). A module on
    both sides counts as a target only."""
    sinks = frozenset(targets)
    starts = frozenset(sources) - sinks
    blocked = frozenset(avoiding) - starts - sinks
    capacity: dict[Pair, int] = {}
    out: dict[str, list[str]] = {}

    def arc(a: str, b: str, amount: int) -> None:
        if (a, b) not in capacity:
            out.setdefault(a, []).append(b)
            capacity[(a, b)] = 0
        if (b, a) not in capacity:
            out.setdefault(b, []).append(a)
            capacity[(b, a)] = 0
        capacity[(a, b)] += amount

    unbounded = 1 << 40
    # Only modules on some chain between the sides take part: reached from a source and
    # reaching a target (on Django this leaves a few dozen of a thousand).
    ahead = _spread(starts, graph.imports_of, sinks | blocked)
    behind = _spread(sinks & ahead, graph.importers_of, blocked | starts) | starts
    seen = (ahead & behind) - blocked
    for module in sorted(seen - sinks):
        for nxt in sorted(graph.imports_of(module) & seen):
            arc(module, nxt, cost(graph, (module, nxt)))
    for start in sorted(starts):
        arc(_SOURCE, start, unbounded)
    for sink in sorted(sinks & seen):
        arc(sink, _SINK, unbounded)
    flow: dict[Pair, int] = dict.fromkeys(capacity, 0)
    value = 0
    while True:
        parent = _augmenting(out, capacity, flow)
        if parent is None:
            break
        path = [_SINK]
        while path[-1] != _SOURCE:
            path.append(parent[path[-1]])
        path.reverse()
        amount = min(capacity[(a, b)] - flow[(a, b)] for a, b in pairwise(path))
        for a, b in pairwise(path):
            flow[(a, b)] += amount
            flow[(b, a)] -= amount
        value += amount
    reached = _reachable(out, capacity, flow)
    cut = frozenset(
        (a, b)
        for (a, b), room in capacity.items()
        if room and a in reached and b not in reached and _SOURCE not in (a, b) and b != _SINK
    )
    return Flow(value, cut, _decompose(out, flow))


def _spread(
    starts: Iterable[str], step: Callable[[str], frozenset[str]], stops: frozenset[str]
) -> set[str]:
    """Every module reached from ``starts`` by ``step``, not going on from ``stops``
    (which are reached, but not passed through) and never from a start reached again."""
    first = set(starts)
    reached = set(first)
    queue = deque(sorted(first))
    while queue:
        module = queue.popleft()
        if module in stops and module not in first:
            continue
        for nxt in step(module):
            if nxt not in reached:
                reached.add(nxt)
                queue.append(nxt)
    return reached


def _augmenting(
    out: Mapping[str, list[str]], capacity: Mapping[Pair, int], flow: Mapping[Pair, int]
) -> dict[str, str] | None:
    parent: dict[str, str] = {}
    queue = deque([_SOURCE])
    while queue:
        node = queue.popleft()
        for nxt in out.get(node, ()):
            if nxt in parent or nxt == _SOURCE or capacity[(node, nxt)] - flow[(node, nxt)] <= 0:
                continue
            parent[nxt] = node
            if nxt == _SINK:
                return parent
            queue.append(nxt)
    return None


def _reachable(
    out: Mapping[str, list[str]], capacity: Mapping[Pair, int], flow: Mapping[Pair, int]
) -> set[str]:
    reached = {_SOURCE}
    queue = deque([_SOURCE])
    while queue:
        node = queue.popleft()
        for nxt in out.get(node, ()):
            if nxt not in reached and capacity[(node, nxt)] - flow[(node, nxt)] > 0:
                reached.add(nxt)
                queue.append(nxt)
    return reached


def _decompose(
    out: Mapping[str, list[str]], flow: Mapping[Pair, int]
) -> tuple[tuple[tuple[str, ...], int], ...]:
    left = {pair: amount for pair, amount in flow.items() if amount > 0}
    paths: list[tuple[tuple[str, ...], int]] = []
    while True:
        path = [_SOURCE]
        on_path = {_SOURCE}
        while path[-1] != _SINK:
            node = path[-1]
            nxt = next((b for b in out.get(node, ()) if left.get((node, b), 0) > 0), None)
            if nxt is None:
                return tuple(paths)
            if nxt in on_path:  # a circulation: cancel it and walk on from where it began
                loop = path[path.index(nxt) :] + [nxt]
                amount = min(left[(a, b)] for a, b in pairwise(loop))
                for a, b in pairwise(loop):
                    left[(a, b)] -= amount
                del path[path.index(nxt) + 1 :]
                on_path = set(path)
                continue
            path.append(nxt)
            on_path.add(nxt)
        amount = min(left[(a, b)] for a, b in pairwise(path))
        for a, b in pairwise(path):
            left[(a, b)] -= amount
        paths.append((tuple(path[1:-1]), amount))


# --- contracts ----------------------------------------------------------------------------


def _chain_pairs(witness: Witness) -> frozenset[Pair]:
    return frozenset((e.importer, e.imported) for e in witness.chain)


def _sides(graph: ImportGraph, witness: Witness) -> tuple[frozenset[str], frozenset[str]]:
    targets = graph.members(witness.imported)
    return graph.members(witness.importer) - targets, targets


def _elsewhere(graph: ImportGraph, witness: Witness, witnesses: Sequence[Witness]) -> set[str]:
    """The members of the packages other broken pairs name, apart from this pair's: a chain of
    this pair through them is, for layers and independence, another pair's (not this one's),
    so its cut need not cover it. Where the type sees it otherwise (forbidden), the check
    still reports the chain and the next round cuts it."""
    mine = {witness.importer, witness.imported}
    named = {name for w in witnesses for name in (w.importer, w.imported)} - mine
    inside = graph.members(witness.importer) | graph.members(witness.imported)
    return {m for name in named for m in graph.members(name)} - inside


def cut_violations(graph: ImportGraph, violations_of: ViolationsOf) -> Cut | None:
    """A smallest set of statements whose removal leaves ``violations_of`` with nothing to
    report, or None when it reports nothing already.

    ``violations_of(graph)`` is the contract's own check: only its violations with a chain
    count (the others, a module missing from an exhaustive container, no cut can mend).
    Per-pair minimum cuts (each side its package's members), rounds of them until the check
    passes, then dropping every pair the check can do without; the lower bound is
    ``_contract_bound``'s; when it is below the size and the cut small, a bounded branch and
    bound over the chains the check reports tries to prove or find the minimum.
    """
    first = [w for w in violations_of(graph) if w.chain]
    if not first:
        return None

    def broken(pairs: Iterable[Pair]) -> list[Witness]:
        return [w for w in violations_of(graph.without_pairs(pairs)) if w.chain]

    chosen: set[Pair] = set()
    pending = first
    rounds = 0
    work, cut_in_work = graph, 0
    while pending:
        for witness in _unique(pending):
            if cut_in_work != len(chosen):  # ``chosen`` only grows
                work, cut_in_work = graph.without_pairs(chosen), len(chosen)
            starts, targets = _sides(work, witness)
            found = frozenset[Pair]()
            if starts and targets:
                avoiding = _elsewhere(work, witness, first) if rounds == 0 else set()
                found = max_flow(work, starts, targets, avoiding=avoiding).cut
            # A pair the flow cannot see (sides that overlap, a chain through modules it
            # avoided): cut the chain's cheapest hop.
            chosen |= found or {min(_chain_pairs(witness), key=lambda p: (cost(graph, p), p))}
        pending = broken(chosen)
        rounds += 1
    # A direct import from one side of a broken pair into the other is a violation of it
    # under every type but acyclic_siblings, so it is kept without a check (keeping one that
    # is not needed costs minimality, never correctness).
    direct = {
        (a, b)
        for starts, targets in (_sides(graph, w) for w in _unique(first))
        for a, b in chosen
        if a in starts and b in targets
    }
    trials = sorted(chosen - direct, key=lambda p: (-cost(graph, p), p))
    for pair in trials[:PRUNE_CHECKS]:
        if not broken(chosen - {pair}):
            chosen.discard(pair)
    size = sum(cost(graph, p) for p in chosen)
    bound = _contract_bound(graph, first, violations_of, size)
    method = MIN_CUT if len(_unique(first)) == 1 else PER_PAIR
    if bound < size and len(chosen) <= SEARCH_PAIRS and size - bound <= SEARCH_GAP:
        searched = _search(graph, first, broken, chosen)
        if searched is not None:
            chosen, bound, method = (
                set(searched),
                sum(cost(graph, p) for p in searched),
                BRANCH_AND_BOUND,
            )
            size = bound
    return Cut(_statements(graph, chosen), method, bound >= size, min(bound, size))


def _unique(witnesses: Sequence[Witness]) -> list[Witness]:
    seen: dict[Pair, Witness] = {}
    for witness in witnesses:
        seen.setdefault((witness.importer, witness.imported), witness)
    return list(seen.values())


def _contract_bound(
    graph: ImportGraph, first: Sequence[Witness], violations_of: ViolationsOf, size: int
) -> int:
    """A lower bound on any cut, the larger of two. Chains the check reported that share no
    pair: each needs its cheapest pair removed. And chains of the broken pairs' maximum flows
    (the first ``BOUND_FLOWS`` pairs), packed so that no statement serves two, each confirmed
    by the check on a graph of its own (at most ``BOUND_CHECKS``): each needs a statement of
    its own. Checking stops once they reach ``size``, the cut found."""
    used: set[Pair] = set()
    packed = 0
    for chain in sorted({_chain_pairs(w) for w in first}, key=lambda c: (len(c), sorted(c))):
        if not chain & used:
            used |= chain
            packed += min(cost(graph, p) for p in chain)
    if packed >= size:
        return packed
    paths: list[tuple[tuple[str, ...], int]] = []
    for witness in _unique(first)[:BOUND_FLOWS]:
        starts, targets = _sides(graph, witness)
        if starts and targets:
            avoiding = _elsewhere(graph, witness, first)
            paths += max_flow(graph, starts, targets, avoiding=avoiding).paths
    room = {pair: cost(graph, pair) for modules, _ in paths for pair in pairwise(modules)}
    chosen: list[tuple[tuple[str, ...], int]] = []
    for modules, amount in sorted(paths, key=lambda p: (len(p[0]), p[0])):
        fits = min([amount, *(room[pair] for pair in pairwise(modules))])
        if fits > 0:
            for pair in pairwise(modules):
                room[pair] -= fits
            chosen.append((modules, fits))
    confirmed = 0
    for modules, amount in chosen[:BOUND_CHECKS]:
        if any(w.chain for w in violations_of(graph.only_pairs(pairwise(modules)))):
            confirmed += amount
            if confirmed >= size:
                break
    return max(confirmed, packed)


def _search(
    graph: ImportGraph,
    first: Sequence[Witness],
    broken: Callable[[Iterable[Pair]], list[Witness]],
    incumbent: set[Pair],
) -> frozenset[Pair] | None:
    """The minimum cut by constraint generation: a cheapest set of pairs meeting every chain seen
    so far (branch and bound, under the incumbent's cost); when the check passes without it, no
    cut is cheaper, since every cut meets those chains. None when the work bounds run out."""
    chains: set[frozenset[Pair]] = {_chain_pairs(w) for w in first}
    upper = sum(cost(graph, p) for p in incumbent)
    for _ in range(SEARCH_ROUNDS):
        hitting = _hitting_set(graph, list(chains), upper)
        if hitting is None:
            return None  # out of nodes
        if not hitting:  # nothing cheaper than the incumbent meets them all: it is minimal
            return frozenset(incumbent)
        left = broken(hitting)
        if not left:
            return hitting
        chains |= {_chain_pairs(w) for w in left}
    return None


def _hitting_set(
    graph: ImportGraph, chains: list[frozenset[Pair]], upper: int
) -> frozenset[Pair] | None:
    """The cheapest set of pairs meeting every chain and costing less than ``upper``: empty when
    there is none, None when the node budget runs out."""
    best: list[frozenset[Pair]] = []
    best_cost = [upper]
    nodes = [0]
    ordered = sorted(chains, key=lambda c: (len(c), sorted(c)))

    def lower(chosen: frozenset[Pair], spent: int) -> int:
        # Chains not yet met that share no pair each need one more pair, its cheapest.
        used: set[Pair] = set()
        extra = 0
        for chain in ordered:
            if chain & chosen or chain & used:
                continue
            used |= chain
            extra += min(cost(graph, p) for p in chain)
        return spent + extra

    def walk(chosen: frozenset[Pair], spent: int) -> bool:
        nodes[0] += 1
        if nodes[0] > SEARCH_NODES:
            return False
        if lower(chosen, spent) >= best_cost[0]:
            return True
        open_chain = next((c for c in ordered if not c & chosen), None)
        if open_chain is None:
            best[:] = [chosen]
            best_cost[0] = spent
            return True
        for pair in sorted(open_chain, key=lambda p: (cost(graph, p), p)):
            if not walk(chosen | {pair}, spent + cost(graph, pair)):
                return False
        return True

    if not walk(frozenset(), 0):
        return None
    return best[0] if best else frozenset()


# --- cycles -------------------------------------------------------------------------------


def feedback_arc_set(
    graph: ImportGraph, component: Sequence[str], *, exact_limit: int = EXACT_COMPONENT
) -> Cut:
    """Statements whose removal leaves no cycle among ``component``'s modules.

    Exact (the cheapest order of the modules, by dynamic programming over subsets) for a
    component of up to ``exact_limit`` modules; otherwise Eades-Lin-Smyth's order improved
    by moving single modules, then every backward pair that closes no cycle is put back. The
    lower bound packs statement-disjoint cycles greedily, shortest first.
    """
    nodes = sorted(component)
    inside = set(nodes)
    weight = {
        (a, b): cost(graph, (a, b)) for a in nodes for b in sorted(graph.imports_of(a) & inside)
    }
    if len(nodes) <= exact_limit:
        order, method = _exact_order(nodes, weight), EXACT_ORDER
    else:
        order, method = _local_search(_eades_lin_smyth(nodes, weight), weight), ELS
    position = {module: index for index, module in enumerate(order)}
    backward = [pair for pair in sorted(weight) if position[pair[0]] > position[pair[1]]]
    chosen = _put_back(backward, weight)
    size = sum(weight[p] for p in chosen)
    bound = size if method == EXACT_ORDER else min(size, _cycle_packing(nodes, weight))
    if bound < size and len(nodes) <= SEARCH_COMPONENT:
        searched = _search_cycles(graph, nodes, weight, chosen)
        if searched is not None:
            chosen, method = searched, BRANCH_AND_BOUND
            size = bound = sum(weight[p] for p in chosen)
    return Cut(_statements(graph, chosen), method, bound >= size, bound)


def _search_cycles(
    graph: ImportGraph, nodes: list[str], weight: Mapping[Pair, int], incumbent: set[Pair]
) -> set[Pair] | None:
    """The minimum feedback arc set by constraint generation, as ``_search`` does for
    contracts: a cheapest set meeting every cycle found so far, then the shortest cycle through
    each module without it, until none is left. None when the work bounds run out."""
    loops: set[frozenset[Pair]] = set()
    left: set[Pair] = set()
    for _ in range(SEARCH_ROUNDS):
        out = _successors({p: 1 for p in weight if p not in left})
        found = {frozenset(pairwise(c)) for n in nodes if (c := _shortest_cycle(out, n))}
        if not found:
            return left or set(incumbent)
        loops |= found
        hitting = _hitting_set(graph, sorted(loops, key=sorted), sum(weight[p] for p in incumbent))
        if hitting is None:
            return None
        if not hitting:
            return set(incumbent)
        left = set(hitting)
    return None


def _successors(weight: Mapping[Pair, int]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a, b in sorted(weight):
        out.setdefault(a, []).append(b)
    return out


def _exact_order(nodes: list[str], weight: Mapping[Pair, int]) -> list[str]:
    """The order with the cheapest backward pairs: ``best[S]`` is the cheapest order of the
    set S placed first; putting ``v`` last in S makes its imports of the rest of S backward."""
    index = {module: i for i, module in enumerate(nodes)}
    back: list[list[tuple[int, int]]] = [[] for _ in nodes]
    for (a, b), w in weight.items():
        back[index[a]].append((index[b], w))
    full = (1 << len(nodes)) - 1
    best = [0] + [-1] * full
    last = [0] * (full + 1)
    for subset in range(1, full + 1):
        top = -1
        for v in range(len(nodes)):
            if not subset >> v & 1:
                continue
            rest = subset & ~(1 << v)
            # v placed last in ``subset``: its imports of modules placed before it are backward.
            spent = best[rest] + sum(w for u, w in back[v] if rest >> u & 1)
            if top < 0 or spent < top:
                top, last[subset] = spent, v
        best[subset] = top
    order: list[str] = []
    subset = full
    while subset:
        v = last[subset]
        order.append(nodes[v])
        subset &= ~(1 << v)
    return order[::-1]


def _eades_lin_smyth(nodes: list[str], weight: Mapping[Pair, int]) -> list[str]:
    """Sinks to the back, sources to the front, else the module with the largest (out - in)
    weight to the front (Eades, Lin and Smyth 1993, weighted)."""
    out: dict[str, dict[str, int]] = {n: {} for n in nodes}
    into: dict[str, dict[str, int]] = {n: {} for n in nodes}
    for (a, b), w in weight.items():
        out[a][b] = w
        into[b][a] = w
    left = set(nodes)
    front: list[str] = []
    back: list[str] = []

    def remove(module: str) -> None:
        left.discard(module)
        for b in out.pop(module):
            del into[b][module]
        for a in into.pop(module):
            del out[a][module]

    while left:
        moved = True
        while moved:
            moved = False
            for module in sorted(left):
                if module in left and not out[module]:
                    back.append(module)
                    remove(module)
                    moved = True
            for module in sorted(left):
                if module in left and not into[module]:
                    front.append(module)
                    remove(module)
                    moved = True
        if left:
            module = max(sorted(left), key=lambda m: sum(out[m].values()) - sum(into[m].values()))
            front.append(module)
            remove(module)
    return front + back[::-1]


def _local_search(order: list[str], weight: Mapping[Pair, int]) -> list[str]:
    """Move one module at a time to the place that saves the most backward weight, for at most
    ``LOCAL_PASSES`` passes over the modules."""
    out: dict[str, dict[str, int]] = {}
    into: dict[str, dict[str, int]] = {}
    for (a, b), w in weight.items():
        out.setdefault(a, {})[b] = w
        into.setdefault(b, {})[a] = w
    order = list(order)
    for _ in range(LOCAL_PASSES):
        improved = False
        for module in sorted(order):
            i = order.index(module)
            mine_out, mine_in = out.get(module, {}), into.get(module, {})
            best_gain, best_at, gain = 0, i, 0
            # Moving left past m: an import of m (backward now) turns forward, an import
            # by m turns backward.
            for j in range(i - 1, -1, -1):
                other = order[j]
                gain += mine_out.get(other, 0) - mine_in.get(other, 0)
                if gain > best_gain:
                    best_gain, best_at = gain, j
            gain = 0
            for j in range(i + 1, len(order)):
                other = order[j]
                gain += mine_in.get(other, 0) - mine_out.get(other, 0)
                if gain > best_gain:
                    best_gain, best_at = gain, j
            if best_at != i:
                order.pop(i)
                order.insert(best_at, module)
                improved = True
        if not improved:
            break
    return order


def _put_back(backward: list[Pair], weight: Mapping[Pair, int]) -> set[Pair]:
    """Backward pairs that close a cycle; any other is put back in the graph, dearest first."""
    chosen = set(backward)
    out = _successors({pair: 1 for pair in weight if pair not in chosen})
    for pair in sorted(backward, key=lambda p: (-weight[p], p)):
        if not _reaches(out, pair[1], pair[0]):
            chosen.discard(pair)
            out.setdefault(pair[0], []).append(pair[1])
    return chosen


def _reaches(out: Mapping[str, list[str]], start: str, goal: str) -> bool:
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for nxt in out.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def _cycle_packing(nodes: list[str], weight: Mapping[Pair, int]) -> int:
    """Statement-disjoint cycles, packed greedily, shortest first: any cut removes a statement
    of each, so their number bounds every cut from below."""
    left = dict(weight)
    packed = 0
    for start in nodes:
        while True:
            loop = _shortest_cycle(_successors({p: 1 for p, w in left.items() if w > 0}), start)
            if loop is None:
                break
            hops = list(pairwise(loop))
            amount = min(left[p] for p in hops)
            for pair in hops:
                left[pair] -= amount
            packed += amount
    return packed


def _shortest_cycle(out: Mapping[str, list[str]], start: str) -> list[str] | None:
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in out.get(node, ()):
            if nxt == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(parent[chain[-1]])
                return [*chain[::-1], start]
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return None
