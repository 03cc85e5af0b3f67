"""The order of a run's imports and its skipped dependents: which module waits for which, and
which is not imported because a failure makes its own moot.

The import step's run (``_Run``) and the merge of a sharded run (``merged.py``) share it: the
merge replays the unsharded run's resolution over the shards' verdicts, so that a module whose
parent package failed in another shard is the skipped dependent one run would have made it.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from archverify.executors.imports.plan import ancestors


class Resolution:
    """Verdicts as they arrive: each failure makes every certain importer it dooms a skipped
    dependent, and a module is ready once its packages have a verdict."""

    def __init__(self, order: Sequence[str], broken: Collection[str]) -> None:
        self.order = list(order)
        self.rank = {module: i for i, module in enumerate(self.order)}
        self.broken = frozenset(broken)
        self.results: dict[str, dict[str, Any]] = {}
        self.skipped = 0
        self.waiting: dict[str, int] = {}
        self.users: dict[str, list[str]] = {}
        self.ready: list[int] = []
        self.pending: set[str] = set()

    def reorder(self, order: Sequence[str]) -> None:
        """Import only ``order`` (a share, or what a change reaches), before ``prepare``."""
        self.order = list(order)
        self.rank = {module: i for i, module in enumerate(self.order)}

    def prepare(self, deps: Mapping[str, set[str]]) -> None:
        """``deps``: what each module of the order surely imports first (``dependencies``).

        A module waits for its packages alone: only their failure spares its import (see
        ``fails_for``; a file that does not compile is resolved here, before anything starts),
        and its zygote is the package's. Waiting for its other certain imports too kept one of
        two cores idle most of a cold Django run (a chain of imports, each released by the one
        before, often by a failure's fresh confirmation); verdicts do not depend on the order
        (every child starts from the same state)."""
        self.waiting = {m: len(d & set(ancestors(m))) for m, d in deps.items()}
        for module, needed in deps.items():
            for dep in needed:
                self.users.setdefault(dep, []).append(module)
        self.ready = [self.rank[m] for m, n in self.waiting.items() if n == 0]
        heapq.heapify(self.ready)
        self.pending = set(self.order)
        for broken in sorted(self.broken):
            self.resolve(broken, {"outcome": "not-compiled"})

    def next_ready(self, held: Collection[str] = ()) -> str | None:
        """The first ready module still pending (not ``held``), in the order; None if none."""
        while self.ready:
            module = self.order[heapq.heappop(self.ready)]
            if module in self.pending and module not in held:
                return module
        return None

    def first_pending(self) -> str | None:
        """With nothing ready and nothing in flight: a cycle to break, its first module."""
        return next((m for m in self.order if m in self.pending), None)

    def resolve(self, module: str, result: dict[str, Any]) -> None:
        """Record a verdict; a failure makes every certain importer a skipped dependent."""
        stack = [(module, result)]
        while stack:
            name, record = stack.pop()
            if name in self.results:
                continue
            self.results[name] = record
            self.pending.discard(name)
            # Counted here, once: a module that two failures reach is stacked twice.
            self.skipped += record.get("outcome") == "skipped"
            failed = record.get("outcome") != "ok"
            for user in self.users.get(name, ()):
                if user not in self.pending:
                    continue
                if failed and fails_for(user, name, record):
                    stack.append((user, {"outcome": "skipped", "cause": name}))
                elif user.startswith(name + "."):  # a package: what its members wait for
                    self.waiting[user] -= 1
                    if self.waiting[user] == 0:
                        heapq.heappush(self.ready, self.rank[user])


def fails_for(user: str, failed: str, record: Mapping[str, Any]) -> bool:
    """Whether ``user`` surely fails because ``failed`` did, so that importing it is moot.

    A fresh ``import user`` runs its parent packages first, from the same state as their own
    import: the same failure. A file that does not compile fails wherever it is imported. An
    import statement further down is different: what ran before it can change the outcome (a
    circular import that fails alone works when its cycle is entered elsewhere, as mypy's
    ``mypy.expandtype`` does), so that importer is imported and judged on its own.
    """
    return failed in ancestors(user) or record.get("outcome") == "not-compiled"
