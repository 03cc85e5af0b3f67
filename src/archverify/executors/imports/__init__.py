"""The imports step: import every module in a clean interpreter state (``imports/*``)."""

from __future__ import annotations

import heapq
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archverify.core.facts import FileFacts
from archverify.core.findings import StepOutcome
from archverify.core.graph import ImportGraph
from archverify.core.project import SourceFile
from archverify.core.rerooting import unrooted
from archverify.core.steps import BY_ID, default
from archverify.executors.base import StepContext, failed_to_run, finished
from archverify.executors.imports.findings import ProjectIndex, build_findings
from archverify.executors.imports.plan import (
    LibraryAnswers,
    ancestors,
    data_states,
    digest,
    environment_fingerprint,
    keyed_prefixes,
    portable_reads,
    preload_names,
    read_state,
    replay_keys,
    replay_salt,
    server_pythonpath,
    shadowed_names,
)
from archverify.executors.imports.runtime import (
    EAGER_OPTIONS,
    Closures,
    add_preloaded,
    analyse,
    asks,
    loads_of,
)
from archverify.executors.imports.session import LATE_VARIABLES, ImportServer, ServerError
from archverify.executors.runtime.data_files import ContentMemo
from archverify.executors.runtime.environment import import_variables, root_spellings
from archverify.executors.tools.cache import step_cache_key

_MAX_RESTARTS = 5
# How many modules not replayable the stats name, each with the events that made it so.
_UNKEYED_EXAMPLES = 20
# How long past the per-module timeout the server may stay silent before it counts as hung.
_SERVER_GRACE_S = 15.0
_STATEMENT_START = re.compile(r"(import|from)\b")
CACHE_NAMESPACE = "imports"
# Verdicts worth replaying: a timeout or a dead server may not happen again.
_REPLAYABLE = frozenset({"ok", "raised", "exit", "os_exit", "signal", "died"})


class ImportsStep:
    """Imports each module of the project in its own freshly forked interpreter."""

    id = "imports"

    def cache_key(self, context: StepContext) -> str | None:
        """The whole step's key; None when replay is off (``replay = false``, ``--rerun``).

        Beside the tool steps' material (``base_key``: with the whole environment and the data
        files beside the modules), what every file and folder the last run's imports read
        looks like now: the run stored their list (``_Run._store_reads``). Without that list
        (a first run, an import that read what no state describes) the step is not replayed
        whole, and its modules are replayed one by one."""
        if not replay_allowed(context):
            return None
        base = base_key(context)
        if base is None:
            return None
        listed = context.cache.get(CACHE_NAMESPACE, f"reads-{base}")
        if not isinstance(listed, dict) or not isinstance(reads := listed.get("reads"), dict):
            return None
        root = context.root.resolve()
        if not _same_folder(listed, root, reads):
            return None
        states = [[path, read_state(str(path), str(kind))] for path, kind in sorted(reads.items())]
        material: list[Any] = [base, states]
        changed = context.options.get("changed_files")
        if changed is not None:
            # Narrowed to what the change reaches: not the whole step's outcome.
            material.append(sorted(changed))
        # The paths read (re-rooted by the cache) as the key spells them: from the root.
        return digest(unrooted(material, root_spellings(root)))

    def run(self, context: StepContext) -> StepOutcome:
        started = time.monotonic()
        try:
            options = _options(context)
        except ValueError as exc:
            return failed_to_run(self.id, str(exc), started)
        scratch = Path(tempfile.mkdtemp(prefix="archverify-imports-"))
        try:
            return _Run(context, options, scratch).execute(started)
        except ServerError as exc:
            return failed_to_run(self.id, str(exc), started)
        except Exception as exc:  # the step never raises: a bug here becomes a clear error
            crash = f"the imports step crashed: {type(exc).__name__}: {exc}"
            return failed_to_run(self.id, crash, started)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def base_key(context: StepContext) -> str | None:
    """What the whole step's key holds besides the reads of its imports (see ``cache_key``):
    the tool steps' material, the whole environment and the data files beside the modules."""
    pythonpath = server_pythonpath()
    environment = environment_fingerprint(sys.executable, pythonpath, root=context.root)
    if environment is None:
        return None
    version = f"{sys.version}|{sys.executable}"
    root = str(context.root.resolve())
    files = _unique_files(context.project.files)
    data = sorted(data_states(root, files, ContentMemo(context.cache, root)).items())
    # The runtime check reads the contracts (imports/runtime-contract): they are inputs too,
    # wherever they are stated (archverify.toml, pyproject.toml, import-linter's files).
    config = context.config
    contracts = repr((config.contracts, config.include_type_checking_imports))
    variables = import_variables(unread=_unread_variables(context))
    extra = (environment, root, *pythonpath, digest([variables, data]), contracts)
    return step_cache_key(context, ImportsStep.id, version, (), extra=extra)


def _unread_variables(context: StepContext) -> tuple[str, ...]:
    """``unread_variables``: the variables the user says no import reads (left out of keys)."""
    given = context.config.tool(ImportsStep.id).options.get("unread_variables", ())
    if not isinstance(given, list | tuple):
        return ()
    return tuple(str(pattern) for pattern in given)


def replay_enabled(context: StepContext) -> bool:
    """Whether verdicts are stored for replay: by default, unless ``replay = false`` (an
    invalid value counts as false)."""
    return context.config.tool(ImportsStep.id).options.get("replay", True) is True


def replay_allowed(context: StepContext) -> bool:
    """Whether stored verdicts may be replayed: when they are stored, unless the run forces
    the step (``--rerun imports``, whose fresh verdicts are stored)."""
    return replay_enabled(context) and ImportsStep.id not in context.options.get("rerun", ())


def _options(context: StepContext) -> dict[str, Any]:
    """The step's options. The configuration schema validated them (kinds and bounds are
    declared in core.steps); a Config built by hand gets the defaults for what it leaves out,
    and a value the declaration does not accept is a ValueError naming the key."""
    raw = context.config.tool(ImportsStep.id).options
    spec = BY_ID[ImportsStep.id]

    def value(key: str) -> Any:
        option = spec.option(key)
        given = raw.get(key, option.default)
        if not option.accepts(given):
            raise ValueError(f"[tool.archverify.imports] {key}: not a valid value: {given!r}")
        return given

    return {
        "timeout": float(value("timeout_s")),
        "output_limit": int(value("output_limit")),
        "fork": value("fork"),
        "memory_mb": value("memory_mb"),
    }


def certain_imports(facts: FileFacts, source_lines: list[str], modules: frozenset[str]) -> set[str]:
    """Project modules that importing ``facts.module`` surely imports first.

    Its parent packages always are. An import statement is only when it is executed at import
    time on every path: not in a function, not under ``TYPE_CHECKING``, not guarded, and
    written at the start of a line at the module's top level (so not under ``if``/``try``).
    """
    found = set(ancestors(facts.module))
    for fact in facts.imports:
        if fact.in_function or fact.type_checking or fact.guarded or fact.dynamic:
            continue
        if fact.column > 1 or not 1 <= fact.line <= len(source_lines):
            continue
        if _STATEMENT_START.match(source_lines[fact.line - 1]):
            found.add(fact.module)
            found.update(ancestors(fact.module))
    found.discard(facts.module)
    return found & modules


class _Run:
    """One run of the step: schedule modules onto the server and collect their verdicts."""

    def __init__(self, context: StepContext, options: dict[str, Any], scratch: Path) -> None:
        self.context = context
        self.options = options
        self.root = context.root.resolve()
        self.files = _unique_files(context.project.files)
        facts = context.project.facts
        self.broken = frozenset(
            f.module for f in self.files if (x := facts.get(f.module)) and x.compile_error
        )
        # ``__main__.py`` is the program itself: importing it runs it (``python -m pkg``).
        self.mains = [f.module for f in self.files if f.module.rsplit(".", 1)[-1] == "__main__"]
        self.files = [f for f in self.files if f.module not in self.mains]
        self.order = [f.module for f in self.files if f.module not in self.broken]
        self.rank = {module: i for i, module in enumerate(self.order)}
        self.results: dict[str, dict[str, Any]] = {}
        self.skipped = 0
        # Scheduling state: see _schedule.
        self.waiting: dict[str, int] = {}
        self.users: dict[str, list[str]] = {}
        self.ready: list[int] = []
        self.pending: set[str] = set()
        self.inflight: dict[int, str] = {}
        self.solo: set[str] = set()  # in flight when the server died: retried alone
        self.next_id = 0
        self.fresh: set[str] = set()  # imported by the server in this run
        self.replayed = 0
        self.unkeyed = 0  # fresh verdicts not stored: their import read what no key holds
        self.unkeyed_examples: dict[str, list[str]] = {}  # the first of them, with why
        self.states: dict[tuple[str, str], list[Any]] = {}  # read_state, once per run
        self.answers = LibraryAnswers()  # find_library asked again (see _replayable)
        # Which folder a stored record was made in (see _replayable); a digest, which the
        # cache does not re-root.
        self.origin = origin_of(self.root)
        roots = [self.root / r for r in context.config.source_roots]
        roots += [self.root / f.source_root for f in self.files]
        self.roots = list(dict.fromkeys(os.path.normpath(r) for r in roots))
        shadowed = shadowed_names(self.roots, [*self.rank, *self.broken, *self.mains])
        shadowed |= {p.split(".")[0] for p in context.project.packages}
        self.shadowed = shadowed
        self.preload = preload_names(context.project.iter_facts(), shadowed)
        self.pythonpath = server_pythonpath()
        # Each module is imported from its source root (the working directory, first on
        # sys.path), as ``cd ROOT && python -c "import M"``; listed where not the first root.
        module_roots = {
            f.module: root
            for f in self.files
            if (root := os.path.normpath(self.root / f.source_root)) != self.roots[0]
        }
        self.index = self._index()
        # What the runtime record needs: the project's files as frames name them, its
        # top-level names, and what each module's own module-level imports ask for.
        project_files = sorted(set(self.index.by_file))
        self.eager = context.import_graph(**EAGER_OPTIONS)
        config = {
            "roots": self.roots,
            "module_roots": module_roots,
            "pythonpath": list(self.pythonpath),
            # Put back by the server once its own modules are loaded (see imports/server.py).
            "environ": {k: os.environ[k] for k in LATE_VARIABLES if k in os.environ},
            "scratch": str(scratch),
            "bytecode": str(scratch / "bytecode"),
            "preload": self.preload,
            "shadowed": sorted(shadowed),
            "jobs": max(1, context.jobs),
            # The project's files: what an import writes or deletes there is reported.
            "tree": str(self.root),
            # Packages with members to import: the server keeps a zygote for each.
            "packages": sorted({a for m in self.order for a in ancestors(m)} & set(self.rank)),
            "project_files": project_files,
            "project_tops": sorted(self.index.tops),
            "asks": asks(self.eager),
            # The replay record (see server._watch_reads): what an import reads beyond its key.
            "record_reads": replay_enabled(context),
            "keyed_prefixes": keyed_prefixes(str(self.root)),
            "keyed_source_prefixes": [p for p in self.pythonpath if not _inside(p, self.root)],
            **options,
        }
        self.server = ImportServer(self.root, config, scratch)
        self.unreached = self._narrow(context.options.get("changed_files"))

    def _narrow(self, changed: frozenset[str] | None) -> int:
        """Under ``--changed-since``, import only the modules whose import-time closure (the
        module, its packages and what they import at import time) holds a changed file, or a
        changed data file inside one of its packages (the innermost); how many are left out.

        A change to the configuration archverify read (the runtime contract check reads the
        contracts) or to a Python file below a source root that is not a verified module (a
        ``sitecustomize``, a module outside the packages that an import may load; the tests
        step's folders aside) imports every module."""
        if changed is None:
            return 0
        config = _relative(self.context.config.config_file, self.root)
        if config in changed or _unverified_python(self.context, changed):
            return 0
        by_path = {f.path: f.module for f in self.files}
        folders = {
            f.path.rpartition("/")[0]: f.module
            for f in self.files
            if f.path.endswith("/__init__.py")
        }
        hit = {by_path[p] for p in changed if p in by_path}
        for path in changed - set(by_path):
            # A data file belongs to the innermost package whose folder holds it.
            owners = [folder for folder in folders if path.startswith(folder + "/")]
            if owners:
                hit.add(folders[max(owners, key=len)])
        closures = Closures(self.eager)
        kept = [m for m in self.order if closures.of(m) & hit]
        left_out = len(self.order) - len(kept)
        self.order = kept
        self.rank = {module: i for i, module in enumerate(self.order)}
        return left_out

    def execute(self, started: float) -> StepOutcome:
        deps = self._dependencies()
        keys = self._replay_keys()
        self._prepare(deps)
        replay = replay_allowed(self.context)
        for module in self.order:
            if replay and module in keys and module not in self.results:
                record = self.context.cache.get(CACHE_NAMESPACE, keys[module])
                refreshed: list[bool] = []
                if _replayable(record, keys, self.states, self.root, self.answers, refreshed):
                    assert isinstance(record, dict)  # nosec B101 - _replayable checked it
                    self.replayed += 1
                    self._resolve(module, record)
                    if refreshed:  # the same answers on new library stats: keep the new ones
                        self.context.cache.put(CACHE_NAMESPACE, keys[module], record)
        if self.pending:
            if self.replayed:
                self.server.narrow_preload(self._needed_preloads())
            self.server.start()
            try:
                self._schedule()
            finally:
                self.server.stop()
        add_preloaded(
            self.results,
            self.fresh,
            self.context.project.iter_facts(),
            self.index,
            self.server.preload_tops,
        )
        for module in sorted(self.fresh & set(keys)):
            record = self.results[module]
            runtime_keys = self._runtime_keys(module, keys)
            if not _recorded(record):
                self.unkeyed += 1
                if len(self.unkeyed_examples) < _UNKEYED_EXAMPLES:
                    made = record.get("replay")
                    why = made.get("unkeyed") if isinstance(made, dict) else None
                    self.unkeyed_examples[module] = list(why or ["<no record>"])
            elif record.get("outcome") in _REPLAYABLE and runtime_keys is not None:
                record["replay"] = {
                    **record["replay"],
                    "reads": portable_reads(record["replay"]["reads"], str(self.root)),
                    "origin": self.origin,
                }
                entry = {**record, "runtime_keys": runtime_keys}
                self.context.cache.put(CACHE_NAMESPACE, keys[module], entry)
        if keys:
            self._store_reads()
        verdicts = build_findings(self.results, self.index)
        runtime = analyse(
            self.results,
            self.index,
            self.eager,
            self.context.config,
            self._contract_graph,
        )
        ok = sum(1 for r in self.results.values() if r.get("outcome") == "ok")
        narrowed = {}
        if self.context.options.get("changed_files") is not None:
            # Modules whose import-time closure the change does not reach: not imported.
            narrowed = {"not_reached": self.unreached}
        return finished(
            ImportsStep.id,
            [*verdicts.findings, *runtime.findings],
            started,
            {
                "modules": len(self.order),
                "imported": ok,
                "failed": verdicts.failed,
                "skipped_dependents": self.skipped,
                "not_compiled": len(self.broken),
                "main_modules": len(self.mains),
                "blocked_by_compile_errors": verdicts.blocked,
                "seconds": round(time.monotonic() - started, 3),
                "fork": self.server.fork,
                "preloaded": self.server.preloaded,
                "replayed": self.replayed,
                "not_replayable": self.unkeyed,
                "not_replayable_why": self.unkeyed_examples,
                "fresh": len(self.fresh),
                "preload_dropped": self.server.preload_dropped,
                # Of this run's imports (a replayed verdict keeps the flags of its own run).
                "rechecked_fresh": sum(1 for m in self.fresh if self.results[m].get("rechecked")),
                "fork_disagreed": sum(
                    1 for m in self.fresh if self.results[m].get("fork_disagreed")
                ),
                "runtime": runtime.stats,
                **narrowed,
            },
        )

    def _needed_preloads(self) -> list[str]:
        """The preloads of the modules still to import and of what their imports run first
        (their packages, their module-level project imports, transitively)."""
        seen: set[str] = set()
        stack = [m for m in self.order if m in self.pending]
        while stack:
            module = stack.pop()
            if module in seen:
                continue
            seen.add(module)
            stack.extend(ancestors(module))
            stack.extend(m for m in self.eager.imports_of(module) if m in self.rank)
        facts = [f for m in sorted(seen) if (f := self.context.project.facts.get(m))]
        return preload_names(facts, self.shadowed)

    def _store_reads(self) -> None:
        """The files and folders every import of this run read (replayed ones included), for
        the whole step's key (``ImportsStep.cache_key``); an empty record when one import read
        what no state describes, or has a verdict that is not replayed (a timeout)."""
        base = base_key(self.context)
        if base is None:
            return
        reads: dict[str, str] = {}
        for record in self.results.values():
            outcome = record.get("outcome")
            if outcome in ("not-compiled", "skipped"):
                continue
            if outcome not in _REPLAYABLE or not _recorded(record):
                self.context.cache.put(CACHE_NAMESPACE, f"reads-{base}", {"reads": None})
                return
            for path, seen in record["replay"]["reads"].items():
                reads[str(path)] = str(seen[0]) if isinstance(seen, list) and seen else "file"
            for path in record["replay"].get("native") or ():
                reads[str(path)] = "file"
        entry = {"reads": reads, "origin": self.origin}
        self.context.cache.put(CACHE_NAMESPACE, f"reads-{base}", entry)

    def _contract_graph(self, include_type_checking: bool) -> ImportGraph:
        """The contracts step's static graph (shared through the step context)."""
        return self.context.import_graph(
            include_type_checking=include_type_checking, include_external=True
        )

    def _runtime_keys(self, module: str, keys: Mapping[str, str]) -> dict[str, str] | None:
        """The keys of the project modules the import loaded without an import statement
        (its own record's and its packages', whose imports ran first): a replayed verdict and
        runtime record stand only while those are unchanged, since the module's own key
        follows static imports alone. None: one has no key, the record is not stored."""
        found: dict[str, str] = {}
        for name in [module, *ancestors(module)]:
            record = self.results.get(name)
            if record is None:
                continue
            for load in loads_of(record, self.index):
                if load.external:
                    continue
                key = keys.get(load.target)
                if key is None:
                    return None
                found[load.target] = key
        return found

    def _index(self) -> ProjectIndex:
        by_file = {}
        for f in self.files:
            absolute = os.path.normpath(self.root / f.path)
            by_file[absolute] = f.module
            by_file[os.path.realpath(absolute)] = f.module
        tops = {m.split(".")[0] for m in self.rank} | {m.split(".")[0] for m in self.broken}
        tops |= {p.split(".")[0] for p in self.context.project.packages}
        return ProjectIndex(
            modules={f.module: f.path for f in self.files},
            by_file=by_file,
            broken=self.broken,
            tops=frozenset(tops),
        )

    def _dependencies(self) -> dict[str, set[str]]:
        """What each module surely imports first: imported before it (a failed parent package
        or a file that does not compile then spares its import, see ``_fails_for``)."""
        known = frozenset(self.rank) | self.broken
        deps: dict[str, set[str]] = {}
        for f in self.files:
            if f.module in self.broken or f.module not in self.rank:
                continue
            facts = self.context.project.facts.get(f.module)
            if facts is None:
                deps[f.module] = set(ancestors(f.module)) & known
                continue
            lines = _read_lines(self.root / f.path, facts) if facts.imports else []
            deps[f.module] = certain_imports(facts, lines, known)
        return deps

    def _replay_keys(self) -> dict[str, str]:
        """Per-module replay keys (empty when replay is off: no verdict is stored)."""
        if not replay_enabled(self.context):
            return {}
        environment = environment_fingerprint(sys.executable, self.pythonpath, root=self.root)
        if environment is None:
            return {}
        # The project's top-level names decide what the runtime record counts as its own.
        options = {
            **self.options,
            "pythonpath": self.pythonpath,
            "tops": sorted(self.index.tops),
            "unread_variables": list(_unread_variables(self.context)),
        }
        salt = replay_salt(
            self.roots, options, self.preload, environment, tree=root_spellings(self.root)
        )
        memo = ContentMemo(self.context.cache, str(self.root))
        data = data_states(str(self.root), self.files, memo)
        return replay_keys(self.files, self.context.project.facts, salt, data)

    def _prepare(self, deps: Mapping[str, set[str]]) -> None:
        # A module waits for its packages alone: only their failure spares its import (see
        # ``_fails_for``; a file that does not compile is resolved here, before anything
        # starts), and its zygote is the package's. Waiting for its other certain imports too
        # kept one of two cores idle most of a cold Django run (a chain of imports, each
        # released by the one before, often by a failure's fresh confirmation); verdicts do
        # not depend on the order (every child starts from the same state).
        self.waiting = {m: len(d & set(ancestors(m))) for m, d in deps.items()}
        for module, needed in deps.items():
            for dep in needed:
                self.users.setdefault(dep, []).append(module)
        self.ready = [self.rank[m] for m, n in self.waiting.items() if n == 0]
        heapq.heapify(self.ready)
        self.pending = set(self.order)
        for broken in sorted(self.broken):
            self._resolve(broken, {"outcome": "not-compiled"})

    def _schedule(self) -> None:
        restarts = 0
        while self.pending or self.inflight:
            try:
                self._dispatch()
                message = self.server.receive(self.options["timeout"] + _SERVER_GRACE_S)
            except ServerError:
                message = None
            if message is None:
                restarts += 1
                if restarts > _MAX_RESTARTS:
                    raise ServerError(
                        f"the import server died {restarts} times; last: "
                        f"{self.server.stderr_tail()}"
                    )
                self._restart()
                continue
            module = self.inflight.pop(int(message.pop("id", 0)), "")
            if module:
                message["timeout_s"] = self.options["timeout"]
                self.fresh.add(module)
                self._resolve(module, message)

    def _dispatch(self) -> None:
        # The server runs ``jobs`` at a time; a short queue on its side hides the round trip.
        limit = 2 * max(1, self.context.jobs)
        while len(self.inflight) < limit and not set(self.inflight.values()) & self.solo:
            module = self._pick()
            if module is None:
                return
            self.pending.discard(module)
            self.next_id += 1
            self.inflight[self.next_id] = module
            self.server.send(self.next_id, module)

    def _pick(self) -> str | None:
        while self.ready:
            module = self.order[heapq.heappop(self.ready)]
            if module in self.pending and module not in self.solo:
                return module
        if self.inflight:
            return None
        # Nothing is ready and nothing runs: a retry after a server death, or a cycle to break.
        return next((m for m in self.order if m in self.pending), None)

    def _restart(self) -> None:
        """A dead or hung server: retry what it was importing, each module alone."""
        self.server.kill()
        for module in self.inflight.values():
            if module in self.solo:
                self._resolve(module, {"outcome": "server", "code": None})
            else:
                self.solo.add(module)
                self.pending.add(module)
        self.inflight.clear()
        self.server.start()

    def _resolve(self, module: str, result: dict[str, Any]) -> None:
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
                if failed and _fails_for(user, name, record):
                    stack.append((user, {"outcome": "skipped", "cause": name}))
                elif user.startswith(name + "."):  # a package: what its members wait for
                    self.waiting[user] -= 1
                    if self.waiting[user] == 0:
                        heapq.heappush(self.ready, self.rank[user])


def origin_of(root: Path) -> str:
    """The folder a record was made in, as a digest (the cache re-roots paths, not digests)."""
    return digest(["origin", str(root)])


def _same_folder(record: Mapping[str, Any], root: Path, reads: Mapping[str, Any]) -> bool:
    """Whether a record of reads may stand in ``root``: it was made there, or every read was
    of the tree (whose paths the cache re-roots) rather than outside it.

    A file outside the tree that an import read may have been found from the module's own
    place (``Path(__file__).parents[3] / "settings.ini"``): in another checkout that code
    reads another file than the one recorded, so such a record is not replayed there."""
    if record.get("origin") == origin_of(root):
        return True
    return all(_inside(str(path), root) for path in reads)


def _replayable(
    record: Any,
    keys: Mapping[str, str],
    states: dict[tuple[str, str], list[Any]],
    root: Path,
    answers: LibraryAnswers | None = None,
    refreshed: list[bool] | None = None,
) -> bool:
    """A stored verdict that may be replayed: one worth replaying, whose modules loaded
    without an import statement are unchanged (see ``_Run._runtime_keys``), every file and
    folder its import read is as it was (``states`` keeps what each looks like now), it was
    made in this folder or read nothing outside the tree (``_same_folder``), and each of
    ``find_library``'s inputs is as it was, or else ``answers`` gives the names it asked for
    the same answers (then the new stats replace the record's, and ``refreshed`` says so)."""
    if not isinstance(record, dict) or record.get("outcome") not in _REPLAYABLE:
        return False
    runtime_keys = record.get("runtime_keys")
    if not isinstance(runtime_keys, dict) or not _recorded(record):
        return False
    if not all(keys.get(str(m)) == k for m, k in runtime_keys.items()):
        return False
    if not _same_folder(record["replay"], root, record["replay"]["reads"]):
        return False
    for path, seen in record["replay"]["reads"].items():
        if not isinstance(seen, list) or not seen:
            return False
        kind = str(seen[0])
        now = states.get((path, kind))
        if now is None:
            now = states[(path, kind)] = read_state(path, kind)
        if now != seen:
            return False
    native = record["replay"].get("native")
    if native is None:
        return True
    if not isinstance(native, dict):
        return False
    current = {}
    for path in native:
        now = states.get((path, "file"))
        if now is None:
            now = states[(path, "file")] = read_state(path, "file")
        current[path] = now
    if current == native:
        return True
    if answers is None or not answers.same(record["replay"].get("libraries")):
        return False
    record["replay"]["native"] = current
    if refreshed is not None:
        refreshed.append(True)
    return True


def _recorded(record: Mapping[str, Any]) -> bool:
    """Whether the import's reads are all recorded (nothing unkeyed: no subprocess, no
    network), so that its verdict may be stored and replayed."""
    replay = record.get("replay")
    return (
        isinstance(replay, dict)
        and isinstance(replay.get("reads"), dict)
        and not replay.get("unkeyed")
    )


def _inside(path: str, root: Path) -> bool:
    real = os.path.realpath(path)
    base = str(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _fails_for(user: str, failed: str, record: dict[str, Any]) -> bool:
    """Whether ``user`` surely fails because ``failed`` did, so that importing it is moot.

    A fresh ``import user`` runs its parent packages first, from the same state as their own
    import: the same failure. A file that does not compile fails wherever it is imported. An
    import statement further down is different: what ran before it can change the outcome (a
    circular import that fails alone works when its cycle is entered elsewhere, as mypy's
    ``mypy.expandtype`` does), so that importer is imported and judged on its own.
    """
    return failed in ancestors(user) or record.get("outcome") == "not-compiled"


def _unverified_python(context: StepContext, changed: frozenset[str]) -> bool:
    """Whether the change holds a Python file below a source root that no verified module is
    (outside the tests step's folders)."""
    verified = {f.path for f in context.project.files}
    value = context.config.tool("tests").options.get("paths", default("tests", "paths"))
    tests = [str(value)] if isinstance(value, str) else [str(t) for t in value]
    roots = [r.strip("/").removeprefix("./") for r in context.config.source_roots]
    for path in changed:
        if not path.endswith(".py") or path in verified:
            continue
        if any(path.startswith(f"{t.strip('/')}/") or path == t for t in tests):
            continue
        if any(r in ("", ".") or path.startswith(f"{r}/") for r in roots):
            return True
    return False


def _relative(path: str, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes ("" when empty or outside)."""
    if not path:
        return ""
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return ""


def _unique_files(files: tuple[SourceFile, ...]) -> list[SourceFile]:
    seen: dict[str, SourceFile] = {}
    for f in files:
        seen.setdefault(f.module, f)
    return list(seen.values())


def _read_lines(path: Path, facts: FileFacts) -> list[str]:
    try:
        with open(path, encoding=facts.encoding, errors="replace") as handle:
            return handle.read().split("\n")
    except (OSError, LookupError):
        return []
