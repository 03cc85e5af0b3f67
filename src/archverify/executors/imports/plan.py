"""What the imports step settles before importing: what to preload, and per-module replay keys."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from archverify.core.facts import FileFacts, ImportFact
from archverify.core.graph import strongly_connected
from archverify.core.project import SourceFile
from archverify.core.rerooting import unrooted
from archverify.executors.runtime.data_files import data_states as data_states
from archverify.executors.runtime.data_files import digest as digest
from archverify.executors.runtime.data_files import file_content_state
from archverify.executors.runtime.environment import (
    archverify_identity,
    import_variables,
    interpreter_identity,
)

# The environment's fingerprint is shared with the tool steps' keys: re-exported, not copied.
from archverify.executors.runtime.environment import (
    environment_fingerprint as environment_fingerprint,
)
from archverify.executors.runtime.environment import server_pythonpath as server_pythonpath


def ancestors(module: str) -> list[str]:
    """``a`` and ``a.b`` for ``a.b.c``."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def shadowed_names(root_dirs: Iterable[str], modules: Iterable[str]) -> frozenset[str]:
    """Top-level names the project owns or may shadow: never preloaded by the server.

    Every entry of a source root counts (``json.py``, a folder, an extension module, even a
    data file): a false positive only costs a preload, a miss would run stdlib code where the
    project's module should have been imported.
    """
    names = {m.split(".")[0] for m in modules}
    for folder in root_dirs:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        names.update(entry.split(".")[0] for entry in entries)
    names.discard("")
    return frozenset(names)


def preload_names(facts: Iterable[FileFacts], shadowed: frozenset[str]) -> list[str]:
    """Modules outside the project that the project imports when it is imported.

    Only imports executed at import time (not in a function, not under ``TYPE_CHECKING``),
    whose top-level name the project neither owns nor shadows.
    """
    names: set[str] = set()
    for file_facts in facts:
        for fact in file_facts.imports:
            if fact.in_function or fact.type_checking or not _valid(fact.module):
                continue
            if fact.module.split(".")[0] not in shadowed:
                names.add(fact.module)
    return sorted(names)


def _valid(name: str) -> bool:
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def replay_salt(
    roots: Sequence[str],
    options: Mapping[str, Any],
    preload: Sequence[str],
    environment: str,
    *,
    tree: Sequence[str] = (),
) -> str:
    """Everything besides the project's files that a module's verdict depends on; a path
    below a spelling of ``tree`` (the verified root) written from the root (``core.rerooting``):
    the same project in another folder has the same salt."""
    material = unrooted(
        {
            "archverify": archverify_identity(),
            "python": sys.version,
            "executable": sys.executable,
            "interpreter": interpreter_identity(),
            # An imported module may read any variable, from Python or from C (``getenv``, the
            # locale): the whole environment, not a declared subset.
            "variables": import_variables(unread=options.get("unread_variables", ())),
            "roots": list(roots),
            "options": json.loads(json.dumps(dict(options), sort_keys=True, default=str)),
            "preload": list(preload),
            "environment": environment,
        },
        tree,
    )
    return digest(material)


def replay_keys(
    files: Sequence[SourceFile],
    facts: Mapping[str, FileFacts],
    salt: str,
    data: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A key per module that changes when any project file its import may run or read changes.

    That is the module itself, its parent packages, every project module it imports at
    module level (``from a import b`` counts ``a.b`` when that is a module, ``import *``
    every submodule), and so on transitively, including the names it imports that are not
    project modules today (a new file there changes the key), and ``data[m]`` for each module
    ``m`` of that closure (``data_states``: the files beside it that are not verified sources).
    A module without facts has no key, and neither has anything that imports it.
    """
    data = data or {}
    modules = {f.module: f for f in files}
    children: dict[str, list[str]] = {}
    for module in modules:
        if "." in module:
            children.setdefault(module.rpartition(".")[0], []).append(module)
    own: dict[str, str | None] = {}
    edges: dict[str, set[str]] = {}
    for module, source in modules.items():
        file_facts = facts.get(module)
        names = set(ancestors(module))
        if file_facts is not None:
            for fact in file_facts.imports:
                if not fact.in_function:
                    names.update(_asked(fact, children))
        absent = sorted(n for n in names if n not in modules)
        edges[module] = {n for n in names if n in modules and n != module}
        own[module] = (
            None
            if file_facts is None or file_facts.path != source.path
            else digest([module, source.path, file_facts.content_hash, absent, data.get(module)])
        )
    component_keys = _merkle(edges, own)
    return {
        m: digest([salt, m, key]) for m in modules if (key := component_keys.get(m)) is not None
    }


def read_state(path: str, kind: str) -> list[Any]:
    """What a read of ``path`` sees now, as the import server records it (``_read_state``
    there): a folder's names, a file's size, modification and change times and inode; for
    ``search``, the names of ``path``'s folder a search for the module ``path`` names could
    find; for ``content`` (a file of the tree, see ``portable_reads``), its size and content."""
    try:
        if kind == "content":
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                return ["file", info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
            return ["content", info.st_size, file_content_state(path, info)]
        if kind == "search":
            folder, tail = os.path.split(path)
            names = os.listdir(folder)
            return ["search", *sorted(n for n in names if n == tail or n.startswith(tail + "."))]
        if kind == "dir":
            return ["dir", *sorted(os.listdir(path))]
        info = os.stat(path)
    except OSError as error:
        return [kind, type(error).__name__]
    return ["file", info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def portable_reads(reads: dict[str, Any], root: str) -> dict[str, Any]:
    """``reads`` (path -> state, as the server recorded them) with each file of the tree that
    is still as it was read (the same size, times and inode) recorded by content instead:
    ``["content", size, digest]``, which a copy of the tree in another folder shares (the
    times and inode of a checkout are its own). A file changed since it was read keeps its
    recorded state, so it is never taken for what the import saw."""
    prefix = root.rstrip(os.sep) + os.sep
    found: dict[str, Any] = {}
    for path, state in reads.items():
        if (
            isinstance(state, list)
            and state[:1] == ["file"]
            and len(state) == 5
            and path.startswith(prefix)
            and read_state(path, "file") == state
        ):
            content = read_state(path, "content")
            if content[:1] == ["content"] and str(content[2]).startswith("sha256:"):
                state = content
        found[path] = state
    return found


def keyed_prefixes(root: str) -> list[str]:
    """The folders whose reads the environment's fingerprint stands for: the interpreter's
    prefixes and the site folders (an install changes the fingerprint), never one that holds
    the verified tree."""
    import site

    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    try:
        found += [*site.getsitepackages(), site.getusersitepackages()]
    except (AttributeError, OSError):  # a stripped-down site module
        pass
    real = os.path.realpath(root)
    keep = []
    forms = [form for f in found if f for form in (os.path.abspath(f), os.path.realpath(f))]
    for folder in dict.fromkeys(forms):
        if not (real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)):
            keep.append(folder)
    return keep


def _asked(fact: ImportFact, children: Mapping[str, list[str]]) -> set[str]:
    asked = {fact.module, *ancestors(fact.module)}
    for name in fact.names:
        if name == "*":
            asked.update(children.get(fact.module, ()))
        else:
            asked.add(f"{fact.module}.{name}")
    return {n for n in asked if _valid(n)}


def _merkle(edges: Mapping[str, set[str]], own: Mapping[str, str | None]) -> dict[str, str]:
    """A hash per strongly connected component over its members and the components below."""
    keys: dict[str, str] = {}
    for component in strongly_connected(edges):
        members = set(component)
        below = {keys.get(d, "") for m in component for d in edges[m] if d not in members}
        parts = [own[m] for m in component]
        if "" in below or any(p is None for p in parts):
            continue  # unknown below or here: no key, the module is imported
        key = digest([sorted(p for p in parts if p is not None), sorted(below)])
        for member in component:
            keys[member] = key
    return keys


class LibraryAnswers:
    """``ctypes.util.find_library`` asked again in this process, once per name and run.

    An import's record holds what find_library answered it and the stats of what the answers
    depend on (``server._record_library_inputs``). When one of those changed (a package
    installed into ``/usr/lib``, ``ldconfig`` run), the same answers for the same names mean
    the import is as it was: its verdict is replayed, with the new stats stored, instead of
    importing it again. Only where the answer cannot depend on the working directory (the
    import ran in its source root, this process elsewhere): every ``PATH``,
    ``LD_LIBRARY_PATH`` and ``LIBRARY_PATH`` entry absolute.
    """

    _VARIABLES = ("PATH", "LD_LIBRARY_PATH", "LIBRARY_PATH")

    def __init__(self) -> None:
        self.known: dict[str, str | None] = {}
        self.asked = 0  # records whose answers were compared

    def same(self, recorded: Any) -> bool:
        if not isinstance(recorded, dict) or not recorded or not self._askable():
            return False
        if not all(isinstance(name, str) and name[:1] != "<" for name in recorded):
            return False  # the import asked in a way that cannot be asked again
        from ctypes.util import find_library

        self.asked += 1
        for name, answer in recorded.items():
            if name not in self.known:
                self.known[name] = find_library(name)
            if self.known[name] != answer:
                return False
        return True

    def _askable(self) -> bool:
        for variable in self._VARIABLES:
            value = os.environ.get(variable)
            if value is not None and not all(os.path.isabs(d) for d in value.split(os.pathsep)):
                return False
        return True
