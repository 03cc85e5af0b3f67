"""The import server: runs in a fresh interpreter and forks one child per module to import it.

Started by ``executors/imports/__init__.py`` as ``python server.py CONFIG_FILE`` (not ``-I``: the
user's ``PYTHON*`` variables and user site-packages apply, as they do to a plain ``python -c``;
``PYTHONPATH`` comes through the configuration, see ``_prepare``). It reads
``{"id": N, "module": "pkg.mod"}`` lines on stdin and answers one JSON line per module on
stdout. It uses the standard library only and never imports archverify: it runs by path.
That is also why it is one file: a second module would need a folder on the children's
``sys.path``, which the pristine import (``_PRISTINE``) must not have.

The file plays three process roles (the server, a zygote, a child) and reads in this order:

- start-up guards (``sys.path``, ``_PRISTINE``) and shared helpers: ``Frame`` and the stack
  readers, ``_write_json``;
- preloading (``_Preloading``, ``probe_preloads``, ``preload``): what the server imports once
  so that every child starts with it, set aside in each child until its import asks for it
  (``_hide``, ``_Revealer``);
- the child's import (``import_one``, the recursion-limit offset, ``_reorders_imports``);
- process utilities (``_cap_memory``, ``_become_subreaper``, ``_end_leftovers``, ``_reap``);
- the tree watch, an audit hook that records the project files an import changes
  (``_watch_tree`` to ``_changed_files``);
- the runtime record, a meta path finder that records what an import loads without a
  literal import statement (``_LoadRecorder`` to ``_runtime_record``);
- zygote serving (``_send``, ``_receive``, ``serve_zygote``, ``_become_child``);
- job and zygote state (``_Job``, ``_Zygote`` and its states ``PENDING`` to ``DEAD``);
- the ``Server``: queue, launch, hear the zygotes, expire, report, recheck in a fresh
  interpreter;
- the server's helpers (``_ancestors``, ``_kill_group``, ``_read_fault``, ...);
- start-up (``_prepare``, ``_import_call_cost``, ``main``).
"""

import sys

# A script's folder (archverify's executors/imports) goes first on sys.path; ``python -c`` puts
# the working directory there instead, which each child does for its source root
# (``_enter_root``). Removed before anything is imported: ``plan.py`` or ``session.py`` there
# must answer nobody.
# (Only when run as the server: imported as a module, the importer's sys.path is its own.)
if __name__ == "__main__" and not sys.flags.safe_path and sys.path:
    del sys.path[0]

# Captured before this script imports anything: what a fresh ``python -I`` already holds.
# Everything the server loads later is dropped from each child's ``sys.modules`` so that a
# project module named like a stdlib module the server uses is imported as it would be fresh.
_PRISTINE = frozenset(sys.modules)

import _thread  # noqa: E402
import array  # noqa: E402
import faulthandler  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import opcode  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
from typing import TYPE_CHECKING, Any, Final, Literal, NoReturn  # noqa: E402

if TYPE_CHECKING:  # imported for real in Server.__init__, before the source roots are set
    import subprocess  # nosec B404

# What each child keeps in ``sys.modules``: the pristine set, plus what ``preload`` loaded
# (plus, in a zygote, its package's import).
_KEEP = _PRISTINE
_CONFIG: dict[str, Any] = {}  # the server's configuration, set once in main()

_REAL_EXIT = os._exit
# The recursion limit a fresh interpreter would have at this point (see import_one).
_LOGICAL_LIMIT = sys.getrecursionlimit()
_REAL_SET_LIMIT = sys.setrecursionlimit
_REAL_GET_LIMIT = sys.getrecursionlimit
try:  # for the import child's memory cap; missing on some platforms
    import resource as _resource
except ImportError:  # pragma: no cover - POSIX has it
    _resource = None  # type: ignore[assignment]


def _load_prctl() -> Any:
    """libc's ``prctl``, loaded now, before the source roots are on ``sys.path``."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        function = ctypes.CDLL(None, use_errno=True).prctl
        function.argtypes = [
            ctypes.c_int,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_ulong,
        ]
        return function
    except (ImportError, OSError, AttributeError):
        return None


_PRCTL = _load_prctl()
# ``python -c`` runs with a bare ``__main__``; this script's module stays alive in its functions.
_WORKER_MODULE = sys.modules["__main__"]


def _fresh_main() -> Any:
    main = type(sys)("__main__")
    main.__dict__.update(
        __loader__=sys.modules["_frozen_importlib"].BuiltinImporter,
        __spec__=None,
        __annotations__={},
        __builtins__=sys.modules["builtins"],
    )
    return main


_FORK = os.fork  # a package may wrap os.fork; a zygote forks its members with the real one
DUMP_SIGNAL = signal.SIGUSR1
_DUMP_GRACE_S = 0.3
_FAULT_LINE = re.compile(r'^\s*File "(.*)", line (\d+) in (.*)$')
_MAX_FRAMES = 60
_TEXT_LIMIT = 2000
# One stack frame: filename, line, function (a JSON list in a result). A plain tuple, never a
# class: frames are built next to the recursion limit, where a call more could fail.
Frame = tuple[str, int, str]


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path.startswith(root) for root in roots)


def _keep_frames(frames: list[Frame], roots: tuple[str, ...]) -> list[Frame]:
    """Frames inside the source roots (the project's), capped; outermost first."""
    kept = [f for f in frames if _under(str(f[0]), roots)]
    return kept[-_MAX_FRAMES:]


def _stack(frame: Any) -> list[Frame]:
    frames: list[Frame] = []
    while frame is not None:
        frames.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    frames.reverse()
    return frames


def _exception_frames(exc: BaseException) -> list[Frame]:
    frames: list[Frame] = []
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        frames.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    # A file that does not compile shows up only in the error, not as a frame.
    if isinstance(exc, SyntaxError) and exc.filename:
        frames.append((exc.filename, exc.lineno or 1, "<compile>"))
    return frames


def _safe_text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # a broken __str__ must not hide the failure itself
        text = f"<unprintable {type(exc).__name__}>"
    return text[:_TEXT_LIMIT]


def _write_json(path: str, data: dict[str, Any]) -> None:
    # os.open, not open(): the module may have replaced builtins or closed every descriptor.
    payload = json.dumps(data, default=str).encode("utf-8", "replace")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        while payload:
            payload = payload[os.write(fd, payload) :]
    finally:
        os.close(fd)


def _forget_server_modules() -> None:
    for name in [n for n in sys.modules if n not in _KEEP]:
        _unbind(name, sys.modules.pop(name))


def _unbind(name: str, module: Any) -> bool:
    """Take ``module`` off its parent package's namespace, where the import system put it.

    A fresh interpreter binds ``pkg.sub`` as the attribute ``sub`` of ``pkg`` only once
    ``pkg.sub`` is imported: a module set aside here must not be reachable as one.
    """
    parent, _, tail = name.rpartition(".")
    holder = sys.modules.get(parent) if parent else None
    if holder is None:
        holder = _HIDDEN.get(parent, (None,))[0]
    try:
        if not _imported_as(name, module):
            return False  # put in sys.modules by hand, bound by its package's own code
        if holder is not None and vars(holder).get(tail) is module:
            delattr(holder, tail)
            return True
    except BaseException:  # a namespace that refuses: the binding stays, as before
        pass
    return False


class _PreloadTimeout(BaseException):
    """A preloaded module took longer than the per-module timeout."""


class _ProjectGuard:
    """A meta path finder that refuses the project's names while the server preloads.

    Project code must never run in the server: a preload that needs a project module (or a
    name a source root shadows) fails here and is simply not preloaded.
    """

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in self.names:
            raise ImportError(f"{name} belongs to the project: not preloaded")


def _on_alarm(signum: int, frame: Any) -> None:
    raise _PreloadTimeout


class _Preloading:
    """While the server (or a probe) imports outside modules: as a fresh interpreter would.

    The server's own modules are set aside, the project's names are refused, the descriptors
    0-2 go to /dev/null (silence, and the command pipe stays away from import-time code), and
    the working directory and SIGALRM handler are put back afterwards.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        self.guard = _ProjectGuard(frozenset(str(n) for n in config.get("shadowed", ())))
        self.stash: dict[str, Any] = {}
        self.saved: list[int] = []
        self.cwd = ""
        self.previous: Any = None

    def __enter__(self) -> "_Preloading":
        self.stash = {n: sys.modules.pop(n) for n in list(sys.modules) if n not in _PRISTINE}
        sys.meta_path.insert(0, self.guard)
        self.saved = [os.dup(fd) for fd in (0, 1, 2)]
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)
        self.cwd = os.getcwd()
        self.previous = signal.signal(signal.SIGALRM, _on_alarm)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # a replaced or closed stream: output is discarded anyway
                pass
        for fd, copy in zip((0, 1, 2), self.saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
        if self.guard in sys.meta_path:
            sys.meta_path.remove(self.guard)
        os.chdir(self.cwd)

    def restore(self) -> frozenset[str]:
        """What a child keeps (pristine plus preloaded); the server's modules come back."""
        keep = frozenset(sys.modules)
        for name, module in self.stash.items():
            sys.modules.setdefault(name, module)
        return keep

    @staticmethod
    def load(name: str, timeout: float) -> bool:
        """Import ``name``; False when it raised (or took longer than ``timeout``)."""
        try:
            signal.setitimer(signal.ITIMER_REAL, timeout)
            __import__(name)
            return True
        except BaseException:  # anything a module raises only means "not preloaded"
            return False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


def _top(name: str) -> str:
    return name.partition(".")[0]


# -- Preloads out of sight: a child sees a preloaded module only once it imports it ----------
#
# Preloading loads every name before any project code runs; a fresh ``import M`` loads only
# what M reaches, when it reaches it. Left in ``sys.modules`` and bound on their packages,
# preloads would let ``import xml; xml.dom.Node`` pass (``xml.dom`` preloaded for another
# module) where a fresh interpreter raises AttributeError. So each child first sets every
# preloaded module aside (``_hide``: out of ``sys.modules``, off its package's namespace), and
# ``_Revealer``, a meta path finder, hands the same object back when the import system asks
# for it, with the modules that name's import loaded alone (its probe's record), each bound
# again where the import system had bound it. Nothing runs twice: the module's import-time
# code ran once, in the server, which is what preloading already relies on (see
# ``probe_preloads``).

_MISSING = object()
# The attributes the import system sets from a spec (``_init_module_attrs``): put back as they
# were, since the spec the revealer hands the import system is its own.
_SPEC_ATTRS: tuple[str, ...] = ("__name__", "__loader__", "__package__", "__spec__")
_SPEC_ATTRS += ("__path__", "__file__", "__cached__")
# name -> (module, its spec attributes as they were, whether _hide unbound it from its package)
_HIDDEN: dict[str, tuple[Any, dict[str, Any], bool]] = {}
# module -> the modules whose loads started while it ran its own code (its probe's record):
# with theirs, recursively, what its import loads alone.
_NEST: dict[str, list[str]] = {}
_NEST_STACK: list[str] = []  # the probe's modules being loaded, outermost first
_NESTING = False  # the probe records _NEST (through the audit hook's "import" events)
_HID = False  # this process (or the zygote it was forked from) has set the preloads aside


def _hide(names: list[str]) -> None:
    """Set the modules ``names`` aside, as if never imported (see the block comment above).

    A submodule whose package holds something else under its name (a function the package
    defines after importing it) stays where it is: handing it back would bind it over that.
    So does a module filed under a name no import loaded it by (``_imported_as``).
    """
    for name in reversed(names):
        module = sys.modules.get(name)
        if module is None:
            continue
        parent, _, tail = name.rpartition(".")
        holder = sys.modules.get(parent) if parent else None
        if holder is None and parent:
            holder = _HIDDEN.get(parent, (None,))[0]
        try:
            bound = vars(holder).get(tail, _MISSING) if holder is not None else _MISSING
            saved = {k: vars(module).get(k, _MISSING) for k in _SPEC_ATTRS}
        except BaseException:  # a module without a namespace: left as it is
            continue
        if (bound is not _MISSING and bound is not module) or not _imported_as(name, module):
            continue
        del sys.modules[name]
        _HIDDEN[name] = (module, saved, _unbind(name, module))


def _imported_as(name: str, module: Any) -> bool:
    """``module`` was loaded by the import system under ``name`` (its spec says so). Not so
    ``importlib._bootstrap`` (``_frozen_importlib``, which ``importlib`` puts in ``sys.modules``
    and keeps as a global of its own): no import of that name ever ran to hand it back with."""
    return getattr(vars(module).get("__spec__"), "name", None) == name


def _reveal(name: str) -> Any:
    """Put a hidden module back: in ``sys.modules`` and, if it was, on its package."""
    module, saved, unbound = _HIDDEN.pop(name)
    for key, value in saved.items():
        try:
            if value is _MISSING:
                vars(module).pop(key, None)
            else:
                setattr(module, key, value)
        except BaseException:  # a read-only attribute kept its value anyway
            pass
    sys.modules[name] = module
    parent, _, tail = name.rpartition(".")
    holder = sys.modules.get(parent) if parent else None
    if holder is None and parent:
        holder = _HIDDEN.get(parent, (None,))[0]
    if unbound and holder is not None:
        try:
            setattr(holder, tail, module)
        except BaseException:  # as _unbind: a namespace that refuses keeps what it has
            pass
    return module


class _Revealer:
    """A meta path finder that answers for hidden modules with the very module set aside.

    Asked by the import system for a load, it returns a spec of its own; its loader puts the
    module back (``_reveal``), then the modules the name's import loaded alone, in the order
    they completed, so the process holds what a fresh import of the name leaves behind.
    Asked only to look (``importlib.util.find_spec``), it answers with the module's own spec.
    """

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        entry = _HIDDEN.get(name)
        if entry is None:
            return None
        spec = entry[1].get("__spec__")
        caller = sys._getframe(1).f_back  # 1: importlib's _find_spec, then who asked it
        if caller is None or caller.f_code.co_name != "_find_and_load_unlocked":
            return spec if spec is not _MISSING else None
        origin = getattr(spec, "origin", None)
        is_package = entry[1].get("__path__", _MISSING) is not _MISSING
        return sys.modules["_frozen_importlib"].ModuleSpec(
            name, self, origin=origin, is_package=is_package
        )

    def create_module(self, spec: Any) -> Any:
        entry = _HIDDEN.get(spec.name)
        if entry is None:
            raise ImportError(f"{spec.name} is no longer set aside", name=spec.name)
        return entry[0]

    def exec_module(self, module: Any) -> None:
        name = str(module.__spec__.name)
        if _HIDDEN.get(name, (None,))[0] is not module:
            raise ImportError(f"{name} is no longer set aside", name=name)
        _reveal(name)
        _reveal_loads(name)


def _reveal_loads(name: str, visiting: set[str] | None = None) -> None:
    """Put back what ``name``'s import loaded alone, each module after its packages and its own
    loads (about the order a fresh import completes them in)."""
    visiting = {name} if visiting is None else visiting
    for other in _NEST.get(name, ()):
        _reveal_tree(other, visiting)


def _reveal_tree(name: str, visiting: set[str]) -> None:
    if name not in _HIDDEN or name in visiting:
        return  # loaded already, or on its way (loads can form a cycle through a package)
    visiting.add(name)
    for package in _ancestors(name):
        _reveal_tree(package, visiting)
    _reveal_loads(name, visiting)
    if name in _HIDDEN:
        _reveal(name)


def _loading(name: str) -> bool:
    """``name`` is in ``sys.modules`` and its own code runs (its spec says so)."""
    spec = getattr(sys.modules.get(name), "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def _nest(name: str) -> None:
    """A load starts (the ``import`` audit event, raised only for a module not loaded yet):
    record it under the innermost module whose own code runs. A fresh ``import a.b`` raises
    the event for ``a.b`` before ``a`` is imported; a name not in ``sys.modules`` yet waits
    on the stack only while its packages are the ones loading."""
    stack = _NEST_STACK
    while stack and not _loading(stack[-1]):
        top = stack[-1]
        if top not in sys.modules and top.startswith(name + "."):
            break
        stack.pop()
    loader = next((m for m in reversed(stack) if _loading(m)), None)
    if loader is not None and name != loader:
        children = _NEST.setdefault(loader, [])
        if name not in children:
            children.append(name)
    stack.append(name)


_REVEALER = _Revealer()


def _hide_preloads(config: dict[str, Any]) -> None:
    """In the server's first child: set the preloads aside (its zygote's members inherit that)."""
    global _HID
    if _HID:
        return
    _HID = True
    preloaded = [n for n in sys.modules if n not in _PRISTINE]
    if not preloaded or not config.get("preload"):
        return
    nesting = config.get("preload_nesting") or {}
    _NEST.update({str(k): [str(m) for m in v] for k, v in dict(nesting).items()})
    _hide(preloaded)
    if _REVEALER not in sys.meta_path:
        sys.meta_path.insert(0, _REVEALER)


def probe_preloads(
    config: dict[str, Any],
) -> tuple[list[str], dict[str, list[str]], dict[str, list[str]]]:
    """The preloads that are exact: each one, imported alone from the pristine state, works.

    Preloading imports every name, in one order, before any project module runs; a fresh
    ``import M`` imports them in M's order, and only those M needs. That is the same state only
    when each import works on its own from a fresh interpreter. A name that fails alone (mypy's
    ``mypy.plugins.dataclasses``: a circular import that works only once ``mypy.semanal`` is
    loaded) shows that its distribution's imports depend on their order: nothing of that
    top-level package is preloaded then, nor anything that loads it. A name whose import starts
    a thread is not preloaded either (forking a threaded process is unsafe). Each probe is a
    fork of the server importing one name; ``jobs`` run at once. The standard library's names
    share one probe (one after the other): its modules do not depend on their import order,
    and a probe per name would cost more than the preloads save on a small project.
    Also returns, per exact name, the top-level names its import loaded alone, and, per module
    the probes loaded, the loads that started while it ran (``_NEST``: what ``_Revealer``
    puts back with it).
    """
    names = [str(n) for n in config.get("preload", ())]
    running: dict[int, tuple[list[str], int, float]] = {}  # pid -> (names, pipe, deadline)
    verdicts: dict[str, dict[str, Any]] = {}
    nesting: dict[str, list[str]] = {}
    try:
        _probe_all(names, running, verdicts, config, nesting)
    finally:  # also on SIGTERM: no probe outlives the server
        for pid, (_, fd, _) in running.items():
            _kill_group(pid)
            os.close(fd)
    tainted = {_top(name) for name, verdict in verdicts.items() if not verdict.get("ok")}
    exact = []
    for name in names:
        verdict = verdicts.get(name)
        if verdict is None or not verdict.get("ok") or verdict.get("threads"):
            continue
        if tainted & {_top(name), *verdict.get("tops", ())}:
            continue
        exact.append(name)
    tops = {name: [str(t) for t in verdicts[name].get("tops", ())] for name in exact}
    return exact, tops, nesting


def _probe_all(
    names: list[str],
    running: dict[int, tuple[list[str], int, float]],
    verdicts: dict[str, dict[str, Any]],
    config: dict[str, Any],
    nesting: dict[str, list[str]],
) -> None:
    timeout = float(config["timeout"])
    concurrency = max(1, int(config.get("jobs", 1)))
    stdlib = [n for n in names if _top(n) in sys.stdlib_module_names]
    queue = [[n] for n in names if n not in set(stdlib)]
    if stdlib:
        queue.insert(0, stdlib)
    tainted: set[str] = set()
    while queue or running:
        while queue and len(running) < concurrency:
            batch = queue.pop(0)
            if len(batch) == 1 and _top(batch[0]) in tainted:
                continue  # its package is already known to be order-dependent
            read_end, write_end = os.pipe()
            pid = _FORK()
            if pid == 0:
                os.close(read_end)
                _probe_child(batch, write_end, config)
            try:
                os.setpgid(pid, pid)  # also done by the probe: whichever runs first wins
            except OSError:
                pass
            os.close(write_end)
            running[pid] = (batch, read_end, time.monotonic() + timeout * len(batch) + 1.0)
        if not running:
            break
        wait = max(0.0, min(d for _, _, d in running.values()) - time.monotonic())
        ready = select.select([fd for _, fd, _ in running.values()], [], [], wait)[0]
        now = time.monotonic()
        for pid, (batch, fd, deadline) in list(running.items()):
            if fd not in ready and now < deadline:
                continue
            data = b""
            if fd in ready:
                while chunk := os.read(fd, 65536):
                    data += chunk
            os.close(fd)
            del running[pid]
            _kill_group(pid)
            os.waitpid(pid, 0)
            try:
                found = json.loads(data) if data else {}
            except ValueError:
                found = {}
            nest = found.get(_NEST_KEY) if isinstance(found, dict) else None
            for loader, loads in (nest if isinstance(nest, dict) else {}).items():
                # The same module in two probes loads the same (what probing relies on).
                if isinstance(loads, list):
                    nesting.setdefault(str(loader), [str(m) for m in loads])
            for name in batch:
                verdict = found.get(name) if isinstance(found, dict) else None
                verdicts[name] = verdict if isinstance(verdict, dict) else {"ok": False}
                if not verdicts[name].get("ok") and len(batch) == 1:
                    tainted.add(_top(name))


def _global_state() -> list[Any]:
    """What a module can change for the whole interpreter, beyond its own namespace.

    A preload that changes any of it (appends to ``sys.path``, installs an import hook, sets an
    environment variable, a signal handler, the recursion limit, the locale, a builtin...)
    would hand the change to every child, also to modules that never import it: such a name is
    not preloaded.
    """
    handlers = []
    for number in sorted(signal.valid_signals()):
        try:
            handlers.append((int(number), id(signal.getsignal(number))))
        except (OSError, ValueError):
            continue
    # The interpreter's filter list lives in ``_warnings`` (builtin): a ``warnings`` module
    # imported afresh (the server's own is set aside meanwhile) shares it.
    filters = getattr(sys.modules.get("_warnings"), "filters", ())
    try:
        import _locale

        locale = _locale.setlocale(_locale.LC_ALL, None)
    except (ImportError, AttributeError, ValueError):
        locale = None
    return [
        list(sys.path),
        [id(f) for f in sys.meta_path],
        [id(h) for h in sys.path_hooks],
        dict(os.environ),
        os.getcwd(),
        sys.getrecursionlimit(),
        sys.getswitchinterval(),
        id(sys.gettrace()),
        id(sys.getprofile()),
        id(sys.excepthook),
        id(sys.displayhook),
        id(sys.unraisablehook),
        id(sys.stdin),
        id(sys.stdout),
        id(sys.stderr),
        sys.dont_write_bytecode,
        sys.pycache_prefix,
        handlers,
        gc.get_threshold(),
        gc.isenabled(),
        {k: id(v) for k, v in vars(sys.modules["builtins"]).items()},
        [id(f) for f in filters],
        locale,
    ]


_NEST_KEY = " nest"  # the probe's report entry for _NEST (no module has this name)


def _probe_child(names: list[str], out_fd: int, config: dict[str, Any]) -> NoReturn:
    global _HOOKED, _NESTING
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _cap_memory(config)  # a preload past the cap is not preloaded (the server has none)
        report: dict[str, Any] = {}
        with _Preloading(config):
            # One probe for several names (the standard library's): each starts with the
            # others' modules set aside, so what it loads, revealed or imported, is what it
            # loads alone (its closure, for the children's _Revealer).
            if len(names) > 1:
                sys.meta_path.insert(0, _REVEALER)
            if not _HOOKED:
                _HOOKED = True
                sys.addaudithook(_audit)
            _NESTING = True
            for name in names:
                _hide([n for n in sys.modules if n not in _PRISTINE])
                threads = _thread._count()
                present = set(sys.modules)
                before = {_top(n) for n in present}
                state = _global_state()
                ok = _Preloading.load(name, float(config["timeout"]))
                tops = sorted({_top(n) for n in sys.modules} - before)
                # A changed interpreter-wide state is as unsafe to hand to every child as a
                # thread is to fork.
                unsafe = _thread._count() > threads or _global_state() != state
                report[name] = {"ok": ok, "threads": unsafe, "tops": tops}
            _NESTING = False
        report[_NEST_KEY] = _NEST
        payload = json.dumps(report).encode("utf-8")
        while payload:
            payload = payload[os.write(out_fd, payload) :]
    finally:
        _REAL_EXIT(0)


def preload(config: dict[str, Any]) -> tuple[frozenset[str], int, str | None]:
    """Import the configured modules once, so that every child starts with them loaded.

    Returns what a child keeps in ``sys.modules``, how many names were preloaded, and the first
    name that failed or started a thread here (though it did not alone: an order effect). The
    server's state is then no longer a fresh interpreter's, and nothing is ever removed from
    ``sys.modules`` to undo an import (compiled modules, mypyc's above all, do not survive
    that): the caller starts over without the name.
    """
    names = [str(n) for n in config.get("preload", ())]
    if not names:
        return _PRISTINE, 0, None
    threads = _thread._count()
    loaded = 0
    unsafe = None
    global _READING
    reading = _watch_reads(config)
    with _Preloading(config) as preloading:
        for name in names:
            _READING = reading
            try:
                fine = preloading.load(name, float(config["timeout"]))
            finally:
                _READING = False
            if not fine or _thread._count() > threads:
                unsafe = name
                break
            loaded += 1
        keep = preloading.restore()
    return keep, loaded, unsafe


def import_one(
    module: str,
    result_path: str,
    fault_path: str,
    job: dict[str, Any],
    control: int | None = None,
    root: str = "",
) -> NoReturn:
    """Import ``module`` in this (fresh) process, write the verdict to ``result_path``, exit.

    With a ``control`` descriptor the process is a package's zygote: when the import succeeds
    and left the process safe to fork, it stays and forks the package's members on request.
    ``root`` is the module's source root: the working directory of its import.
    """
    global _LOGICAL_LIMIT, _READING
    roots = tuple(job["roots"])
    threads = _thread._count()
    control_id = _fd_identity(control)
    pid = os.getpid()
    fault_fd = os.open(fault_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    faulthandler.enable(file=fault_fd, all_threads=False)
    # On timeout the server sends this signal before it kills us: the dump shows where the
    # import hung. (A watchdog thread per child would cost milliseconds per module.)
    faulthandler.register(DUMP_SIGNAL, file=fault_fd, all_threads=False)

    def recording_exit(code: int) -> NoReturn:
        if os.getpid() == pid:  # a process the module forked may _exit as it likes
            frames = _keep_frames(_stack(sys._getframe(1)), roots)
            result = {"outcome": "os_exit", "code": code, "frames": frames}
            try:
                result.update(leftovers=_end_leftovers(), changed=_changed_files())
            except BaseException:  # the accounting is best effort; the verdict is not
                pass
            _write_json(result_path, result)
        _REAL_EXIT(code)

    setattr(os, "_exit", recording_exit)  # noqa: B010 - mypy forbids assigning a module function
    sys.argv = ["-c"]
    try:
        # Line buffering keeps what was printed before a crash or a hang.
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    except BaseException:  # stdout may be replaced or closed: capture is best effort
        pass
    _forget_server_modules()
    _hide_preloads(job)
    _enter_root(root)
    cap = _cap_memory(job)
    _become_subreaper()
    _watch_tree(job)
    _record_loads(job)
    # ``python -c "import M"`` runs the import one frame deep; here it runs below the server's
    # own frames. The limit grows by exactly that many, so a deep import chain reaches
    # RecursionError where a fresh interpreter does, not a few levels earlier.
    # Calling ``__import__`` may cost more than an import statement does (one level on 3.11).
    # (The audit hook's own frame is not compensated: where it tips an import over the limit,
    # the failure is confirmed in a fresh interpreter without the hook, see Server._recheck.)
    extra = len(_stack(sys._getframe())) - 1 + int(job.get("import_call_cost", 0))
    _offset_recursion_limit(extra)
    # Before the import state is taken: the read record may put the recorder on sys.meta_path.
    reading = _watch_reads(job)
    before = _import_state()
    result: dict[str, Any]
    try:
        _READING = reading
        try:
            __import__(module)
        finally:
            _READING = False  # the verdict's own work (a traceback's source lines) is not
        result = {"outcome": "ok"}
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) or exc.code is None else str(exc.code)
        result = {"outcome": "exit", "code": code, "frames": _exception_frames(exc)}
    except BaseException as exc:
        result = {
            "outcome": "raised",
            "exception": type(exc).__name__,
            "text": _safe_text(exc),
            "name": getattr(exc, "name", None) if isinstance(exc, ImportError) else None,
            "frames": _exception_frames(exc),
        }
        if isinstance(exc, MemoryError) and cap:
            result["memory_mb"] = cap
    _READING = False
    if os.getpid() != pid:
        _REAL_EXIT(0)  # the module forked and this copy returned from the import: stay quiet
    # What a member of this package starts from: the module's own setting, if it made one.
    limit = _REAL_GET_LIMIT() - extra
    # Preloaded modules make their imports shallower than fresh ones, and an import hook or a
    # sys.path entry put in front would have found another module for a preloaded name: the
    # verdict of such an import is confirmed in a fresh interpreter (see Server._recheck).
    if limit != _LOGICAL_LIMIT or _reorders_imports(before, _import_state()):
        result["inexact"] = True
    _LOGICAL_LIMIT = limit
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # closed descriptors or replaced streams: output is best effort
            pass
    if "frames" in result:
        result["frames"] = _keep_frames(result["frames"], roots)
    if result["outcome"] == "ok" and _RECORDING:
        try:
            result["runtime"] = _runtime_record(module, job)
        except BaseException:  # the record is best effort; the verdict is not
            pass
    if reading:
        try:
            clean = result["outcome"] == "ok"
            result["replay"] = _replay_record(module, roots, clean)
        except BaseException:  # unrecorded: the verdict is not replayed
            result["replay"] = {"unkeyed": ["<unrecorded>"]}
    try:
        result["leftovers"] = _end_leftovers()
        result["changed"] = _changed_files()
    except BaseException:  # the accounting is best effort; the verdict is not
        pass
    try:
        _write_json(result_path, result)
        if control is not None and result["outcome"] == "ok" and not result.get("inexact"):
            # A thread would be missing from every fork, and a closed or replaced control
            # descriptor cannot be served: then the members are imported the old way.
            if _thread._count() == threads and _fd_identity(control) == control_id:
                serve_zygote(control)
    finally:
        _REAL_EXIT(0)


def _offset_recursion_limit(extra: int) -> None:
    """Raise the real recursion limit by ``extra`` (the frames below the import that a fresh
    interpreter does not have), and let the module see and set the limit it would fresh:
    ``sys.setrecursionlimit(50)`` allows 50 levels of the module's own, as it does fresh."""

    def setrecursionlimit(limit: int, /) -> None:
        if isinstance(limit, int) and limit >= 1:
            limit += extra
        _REAL_SET_LIMIT(limit)  # the argument a fresh one refuses, refused as it is there

    def getrecursionlimit() -> int:
        return _REAL_GET_LIMIT() - extra

    setrecursionlimit.__doc__ = _REAL_SET_LIMIT.__doc__
    getrecursionlimit.__doc__ = _REAL_GET_LIMIT.__doc__
    _REAL_SET_LIMIT(_LOGICAL_LIMIT + extra)
    sys.setrecursionlimit = setrecursionlimit
    sys.getrecursionlimit = getrecursionlimit


def _import_state() -> tuple[list[int], list[int], list[str]]:
    return [id(f) for f in sys.meta_path], [id(h) for h in sys.path_hooks], list(sys.path)


def _reorders_imports(before: tuple[list[Any], ...], after: tuple[list[Any], ...]) -> bool:
    """Whether a finder, path hook or sys.path entry now comes before one that was there.

    Appending is harmless: what is found later cannot replace a module found earlier (six's
    meta path importer, a plugin folder at the end of sys.path).
    """
    return any(now[: len(then)] != then for then, now in zip(before, after, strict=True))


# -- What an import may do besides its verdict: memory, processes, files of the tree ---------

_MB = 1 << 20
_PR_SET_CHILD_SUBREAPER = 36
_LEFTOVERS_LISTED = 20
_COMMAND_LIMIT = 300


def _cap_memory(job: dict[str, Any]) -> int:
    """Cap the process's data (heap and private writable mappings) at ``memory_mb``.

    RLIMIT_DATA, not RLIMIT_AS: address space that a package only reserves (PROT_NONE arenas,
    as allocators and JIT runtimes map) costs nothing and is not counted; what the import
    writes to is. An allocation past the cap fails (``MemoryError`` in Python code).
    """
    cap = int(job.get("memory_mb") or 0)
    if cap <= 0 or _resource is None:
        return 0
    limit = cap * _MB
    try:
        _soft, hard = _resource.getrlimit(_resource.RLIMIT_DATA)
        if hard != _resource.RLIM_INFINITY and hard < limit:
            limit = hard
        _resource.setrlimit(_resource.RLIMIT_DATA, (limit, hard))
    except (OSError, ValueError):
        return 0
    return cap


def _become_subreaper() -> None:
    """Orphans of what the import starts (daemons, new sessions) come back to this process."""
    if _PRCTL is not None:
        try:
            _PRCTL(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        except BaseException:  # accounting is best effort
            pass


def _children(pid: int | str) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found += [int(p) for p in handle.read().split()]
        except (OSError, ValueError):
            continue
    return found


def _describe_process(pid: int) -> dict[str, Any] | None:
    """The pid and command line of a live process; None for a zombie or one already gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
        if stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3] in (b"Z", b"X"):
            return None
        raw = _command_line(pid)
    except (OSError, ValueError):
        return None
    try:
        with open("/proc/self/cmdline", "rb") as handle:
            own = handle.read(4096)
    except OSError:
        own = b""
    if raw == own:
        command = "a fork of the importing process"  # os.fork(), multiprocessing's fork, ...
    else:
        command = raw.rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "replace")
    return {"pid": pid, "command": command[:_COMMAND_LIMIT]}


def _command_line(pid: int) -> bytes:
    """``/proc/PID/cmdline``, waited for while empty. A process in the middle of ``execve``
    has none yet: the kernel closes its close-on-exec descriptors (which is when
    ``subprocess.Popen`` returns in its parent) before it lays out the new program's
    arguments, so an import that started one just before it ended can be seen in between.
    After a short wait, the kernel's name of the program (``comm``) stands in."""
    deadline = time.monotonic() + 0.5
    while True:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            raw = handle.read(4096)
        if raw or time.monotonic() >= deadline:
            break
        time.sleep(0.005)
    if raw:
        return raw
    with open(f"/proc/{pid}/comm", "rb") as handle:
        return b"[" + handle.read(64).strip() + b"]"


def _end_leftovers(keep: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    """Kill every process below this one (but ``keep`` and theirs), and say which ran.

    This process is a child subreaper, so daemons that double-forked or left the session are
    still its descendants. Each round lists the tree below it (``/proc/*/task/*/children``),
    kills it and reaps its own children; a round finds the orphans the previous kills
    reparented here. Zombies are reaped, not reported.
    """
    if not os.path.isdir("/proc/self/task"):
        return []
    seen: dict[int, dict[str, Any] | None] = {}
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        direct = [pid for pid in _children("self") if pid not in keep]
        if not direct:
            break
        tree: list[int] = []
        stack = list(direct)
        while stack:
            pid = stack.pop()
            if pid in tree:
                continue
            tree.append(pid)
            stack += _children(pid)
        for pid in tree:
            if pid not in seen:
                seen[pid] = _describe_process(pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in direct:
            _reap(pid, 0.5)
    listed = [info for info in seen.values() if info is not None]
    return sorted(listed, key=lambda info: int(info["pid"]))[:_LEFTOVERS_LISTED]


def _reap(pid: int, wait_s: float) -> None:
    end = time.monotonic() + wait_s
    while True:
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done or time.monotonic() >= end:
            return
        time.sleep(0.002)


# Audit events that change a path: event -> positions of the arguments that are paths.
_CHANGING_EVENTS: dict[str, tuple[int, ...]] = {
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.link": (1,),
    "os.symlink": (1,),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.move": (0, 1),
    "shutil.copyfile": (1,),
    "shutil.copymode": (1,),
    "shutil.copystat": (1,),
    "shutil.copytree": (1,),
    "shutil.chown": (0,),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_TREE = ""  # the project root (resolved) whose files are watched; empty: not watched
_SCRATCH = ""  # the server's own folder (results, bytecode): never the project's change
_TOUCHED: dict[str, Any] = {}  # path -> its state before the first change the import asked for
_HOOKED = False


def _watch_tree(job: dict[str, Any]) -> None:
    """Record, through an audit hook, the files of the project the import writes or deletes.

    Each path is recorded with its state at the first such request; at the end of the import
    the paths whose state differs are the module's changes. A hook cannot be removed, so a
    zygote's members inherit it and start with an empty record.
    """
    global _TREE, _HOOKED, _SCRATCH
    _TOUCHED.clear()
    tree = str(job.get("tree") or "")
    if not tree:
        return
    _TREE = os.path.realpath(tree)
    _SCRATCH = os.path.realpath(str(job.get("scratch") or "")) if job.get("scratch") else ""
    if not _HOOKED:
        _HOOKED = True
        sys.addaudithook(_audit)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    try:
        if event == "import":
            if _NESTING and args and isinstance(args[0], str):
                _nest(args[0])
            return
        if event == "open":
            mode, flags = args[1], args[2]
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writes:
                _touch(args[0])
            if (
                _READING
                and (
                    not writes
                    or (isinstance(mode, str) and "+" in mode)
                    or (isinstance(flags, int) and flags & os.O_ACCMODE == os.O_RDWR)
                )
                and not (_FINDING and _by_find_library(sys._getframe(1)))
            ):
                _read(args[0], False)
            return
        if _READING:
            if event in _LISTING_EVENTS:
                frame = sys._getframe(1)
                if not _finder_listing(frame) and not (_FINDING and _by_find_library(frame)):
                    _read(args[0] if args else ".", True)
            elif event == "glob.glob" and args:
                _read(_glob_folder(args[0]), True)
            elif event == "sqlite3.connect" and args:
                _read(args[0], False)
            elif event == "ctypes.dlopen" and args:
                _record_dlopen(args[0])
            elif event in _WORLD_EVENTS:
                if not (_FINDING and _find_library_tool(event, args, sys._getframe(1))):
                    _UNKEYED.add(f"<{event}>")
        positions = _CHANGING_EVENTS.get(event)
        if positions is not None:
            for position in positions:
                _touch(args[position])
    except BaseException:  # a hook that raises would make the module's own call fail
        pass


# The replay record: what an import reads besides what its key holds (its closure's sources
# and the data files beside them, the interpreter, the installed distributions, the
# environment). Files and folders it opens or lists are recorded with their state at that
# moment (the parent stores it with the verdict, which is replayed only while every state is
# the same); what no state can describe (a subprocess, the network) makes it unreplayable.
_READING = False
_READS: dict[str, Any] = {}  # path -> its state at the first read (a folder: its names)
_UNKEYED: set[str] = set()  # reads no state describes: the verdict is not replayed
_KEYED_PREFIXES: tuple[str, ...] = ()  # the interpreter's and installed distributions' folders
_PROJECT_SOURCES: frozenset[str] = frozenset()  # verified files: keyed by content when loaded
_KEYED_SOURCE_PREFIXES: tuple[str, ...] = ()  # PYTHONPATH folders: their code files are keyed
_SOURCE_SUFFIXES = (".py", ".pyi", ".pyc", ".pth", ".so", ".pyd")  # as environment.py's
_LISTING_EVENTS = frozenset({"os.listdir", "os.scandir"})
_WORLD_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.startfile",
        "pty.spawn",
        "socket.connect",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.sendto",
        "socket.sendmsg",
        "urllib.Request",
        "ftplib.connect",
        "http.client.connect",
        "smtplib.connect",
        "webbrowser.open",
    }
)
_MAGIC = re.compile(r"[*?[]")


def _watch_reads(config: dict[str, Any]) -> bool:
    """Set up the record of reads; whether to record (``_READING`` is then set around each
    import: the server's preloads, whose reads every child inherits, and each child's own,
    whose record a zygote's members inherit). Nothing else the processes do is recorded."""
    global _KEYED_PREFIXES, _KEYED_SOURCE_PREFIXES, _PROJECT_SOURCES, _HOOKED
    if not config.get("record_reads") or config.get("plain"):
        return False
    prefixes = [str(p) for p in config.get("keyed_prefixes") or ()]
    if config.get("scratch"):
        prefixes.append(os.path.realpath(str(config["scratch"])))
    _KEYED_PREFIXES = tuple(p.rstrip(os.sep) + os.sep for p in prefixes if p)
    code = [str(p) for p in config.get("keyed_source_prefixes") or ()]
    _KEYED_SOURCE_PREFIXES = tuple(p.rstrip(os.sep) + os.sep for p in code if p)
    _PROJECT_SOURCES = frozenset(str(f) for f in config.get("project_files") or ())
    _ENVIRON[0] = dict(os.environ)
    if not _HOOKED:
        _HOOKED = True
        sys.addaudithook(_audit)
    # It wraps ctypes.util.find_library as it loads (see _LoadRecorder), here and in a preload.
    if _RECORDER not in sys.meta_path:
        sys.meta_path.insert(0, _RECORDER)
    return True


def _finder_listing(frame: Any) -> bool:
    """Whether a listing is the import system's own (``FileFinder._fill_cache``): which module
    a name finds is the static key's business (it holds the names a module imports that are
    not project modules yet) and the runtime record's, not a read of the module's."""
    code = frame.f_code
    if code is search_state.__code__:
        return True  # the record of a search: already the state it needs
    return bool(code.co_name == "_fill_cache" and code.co_filename.startswith("<frozen importl"))


def _glob_folder(pattern: Any) -> str:
    text = os.fsdecode(os.fspath(pattern))
    match = _MAGIC.search(text)
    return os.path.dirname(text[: match.start()]) if match else text


def _read(raw: Any, listing: bool) -> None:
    if isinstance(raw, int) or raw is None:
        return  # a descriptor: opened (and recorded) by path before, or inherited
    path = os.path.abspath(os.fsdecode(os.fspath(raw)))
    if path in _READS or path == os.devnull or path.startswith(_KEYED_PREFIXES):
        return
    if path.endswith(_SOURCE_SUFFIXES) and path.startswith(_KEYED_SOURCE_PREFIXES):
        return  # code on PYTHONPATH: the environment's fingerprint follows every such file
    if not listing and path in _PROJECT_SOURCES:
        _READS[path] = "source"  # decided at the end: keyed when its module was loaded
        return
    _READS[path] = _read_state(path, listing)


def _read_state(path: str, listing: bool) -> list[Any]:
    """What a read saw: a folder's names, a file's size, times (the change time too, which
    no program can set back) and inode (``plan.read_state``
    computes the same in the parent, which compares them before replaying)."""
    try:
        if listing:
            return ["dir", *sorted(os.listdir(path))]
        info = os.stat(path)
    except OSError as error:
        return ["dir" if listing else "file", type(error).__name__]
    return ["file", info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def _replay_record(module: str, roots: tuple[str, ...], clean: bool) -> dict[str, Any]:
    """The reads of this import (and of what ran before it here: preloads, packages).

    A verified file that was read is left out when it is the module itself, or a loaded
    module after a clean import (their content is in the key, or the runtime record's keys);
    any other (read as text, a module whose import failed on the way, any module a failed
    import loaded: a failure carries no runtime record) is recorded like a data file."""
    loaded = {module}
    if clean:
        loaded.update(name for name, value in list(sys.modules.items()) if value is not None)
    reads = {}
    for path, state in _READS.items():
        if state == "source":
            if any(name in loaded for name in _module_names(path, roots)):
                continue
            state = _read_state(path, False)
        reads[path] = state
    record: dict[str, Any] = {"reads": reads, "unkeyed": sorted(_UNKEYED)}
    if _LIBRARIES:  # what find_library answered, and the stats of what the answers depend on
        record["libraries"] = dict(_LIBRARIES)
        record["native"] = dict(_NATIVE)
    return record


def _module_names(path: str, roots: tuple[str, ...]) -> list[str]:
    """The names a file of the project has under each source root it is below."""
    names = []
    for root in roots:
        prefix = root.rstrip(os.sep) + os.sep
        if path.startswith(prefix) and path.endswith(".py"):
            parts = path[len(prefix) : -3].split(os.sep)
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return names


def _touch(raw: Any) -> None:
    if isinstance(raw, int) or raw is None or not _TREE:
        return  # a descriptor: its path is not known here
    path = os.path.abspath(os.fsdecode(os.fspath(raw)))
    folder, name = os.path.split(path)
    path = os.path.join(os.path.realpath(folder), name)
    if path in _TOUCHED or not (path == _TREE or path.startswith(_TREE + os.sep)):
        return
    if _SCRATCH and (path == _SCRATCH or path.startswith(_SCRATCH + os.sep)):
        return
    _TOUCHED[path] = _path_state(path)


def _path_state(path: str) -> Any:
    """What a change to ``path`` changes: its stat, and for a folder every entry's below it."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    # The change time too: a write in place that puts the modification time back changes it.
    own = (info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
    if not os.path.isdir(path) or os.path.islink(path):
        return own
    entries: dict[str, Any] = {"": own}
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(folder, name)
            try:
                found = os.lstat(full)
            except OSError:
                continue
            entries[full] = (
                found.st_mode,
                found.st_size,
                found.st_mtime_ns,
                found.st_ctime_ns,
                found.st_ino,
            )
    return entries


def _changed_files() -> list[str]:
    """The project files (relative to the root) whose state the import changed."""
    changed: set[str] = set()
    for path, before in _TOUCHED.items():
        after = _path_state(path)
        if before == after:
            continue
        if isinstance(before, dict) or isinstance(after, dict):
            old = before if isinstance(before, dict) else {"": before}
            new = after if isinstance(after, dict) else {"": after}
            for key in set(old) | set(new):
                if old.get(key) != new.get(key):
                    changed.add(key or path)
        else:
            changed.add(path)
    _TOUCHED.clear()
    return sorted(os.path.relpath(p, _TREE) for p in changed)


# -- Native libraries: find_library and dlopen, keyed by the loader's inputs -----------------

# ``ctypes.util.find_library`` answers by running ``ldconfig -p``, the C compiler, ``ld`` and
# ``objdump``: processes, which would make the import unreplayable. Its answer is a function
# of what those programs read, so the wrapped call (``_wrap_find_library``) records that
# instead (``_record_library_inputs``): the programs, the linker's and the dynamic loader's
# configuration and search folders, and the files each name could find there. The processes
# and files it opens are then its own (``_by_find_library``), never a caller's: every frame
# between the event and the wrapper must be the standard library's.
# Those inputs go to ``_NATIVE``, apart from the other reads: when one changed, the parent may
# ask find_library again for the recorded names and replay while every answer is the same.
_FINDING = 0  # wrapped find_library calls in progress (the stack says whose an event is)
_FIND_TOOLS = frozenset({"ldconfig", "gcc", "cc", "ld", "objdump"})
_LIBRARIES: dict[str, Any] = {}  # find_library's answers in this process: name -> result
_NATIVE: dict[str, Any] = {}  # find_library's inputs: path -> its stat at the first call
_ENVIRON: list[Any] = [None]  # the environment the import started with (its key's)
_INPUTS_DONE: set[tuple[str, int]] = set()  # (inputs, environment) recorded in this process
_SEARCH_DIRS: dict[int, list[str]] = {}  # environment -> where ``-lNAME`` is looked for
_DIR_NAMES: dict[str, list[str]] = {}  # a search folder's names, listed once per process
_STDLIB_DIR = (getattr(sys, "_stdlib_dir", None) or os.path.dirname(opcode.__file__)) + os.sep
_CTYPES_UTIL = os.path.realpath(os.path.join(_STDLIB_DIR, "ctypes", "util.py"))
_LD_SO_CONF = "/etc/ld.so.conf"
_LOADER_FILES = ("/etc/ld.so.cache", "/etc/ld.so.preload", "/sbin/ldconfig")
_DEFAULT_LIBRARY_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib")
_SEARCH_DIR = re.compile(r'SEARCH_DIR\("=?([^"]*)"\)')


def _ctypes_util_spec(finder: Any, name: str, path: Any, target: Any) -> Any:
    """The spec the finders after ``finder`` give ``ctypes.util``; the standard library's
    has its ``find_library`` wrapped once its body has run (nothing else of it changes)."""
    try:
        later = sys.meta_path[sys.meta_path.index(finder) + 1 :]
    except ValueError:
        return None
    for other in later:
        find = getattr(other, "find_spec", None)
        if find is None:
            continue
        spec = find(name, path, target)
        if spec is not None:
            break
    else:
        return None
    loader = spec.loader
    origin = spec.origin if isinstance(spec.origin, str) else ""
    if os.path.realpath(origin) != _CTYPES_UTIL or not hasattr(loader, "__dict__"):
        return spec  # a project's own ctypes, or an unusual loader: left as it is
    if "exec_module" in vars(loader):
        return spec
    run_body = loader.exec_module

    def exec_module(module: Any) -> None:
        try:
            run_body(module)
        finally:
            vars(loader).pop("exec_module", None)
        _wrap_find_library(module)

    loader.exec_module = exec_module
    return spec


def _wrap_find_library(module: Any) -> None:
    real = getattr(module, "find_library", None)
    if not callable(real):
        return

    def find_library(*args: Any, **kwargs: Any) -> Any:
        global _FINDING
        if not _READING:
            return real(*args, **kwargs)
        name = args[0] if args else kwargs.get("name")
        try:
            _record_library_inputs(name)
        except BaseException:  # unrecorded: the import is not replayed
            _UNKEYED.add("<find_library: inputs not recorded>")
        _FINDING += 1
        try:
            found = real(*args, **kwargs)
        except BaseException:
            _LIBRARIES["<not asked again>"] = None  # no answer to compare
            raise
        finally:
            _FINDING -= 1
        answer = found if isinstance(found, str) else None
        if not isinstance(name, str) or _LIBRARIES.setdefault(name, answer) != answer:
            _LIBRARIES["<not asked again>"] = None  # two answers: the parent never re-asks
        if dict(os.environ) != _ENVIRON[0]:
            _LIBRARIES["<not asked again>"] = None  # asked in an environment of its own
        return found

    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(find_library, attribute, getattr(real, attribute, None))
    find_library.__dict__.update(getattr(real, "__dict__", {}))
    find_library.__wrapped__ = real  # type: ignore[attr-defined]
    module.find_library = find_library
    global _FIND_CODE
    _FIND_CODE = find_library.__code__


_FIND_CODE: Any = None  # the wrapper's code: the frame that owns find_library's events


def _stdlib_code(filename: str) -> bool:
    if filename.startswith("<frozen "):
        return True
    rest = filename[len(_STDLIB_DIR) :]
    return filename.startswith(_STDLIB_DIR) and not rest.startswith(
        ("site-packages", "dist-packages")
    )


def _by_find_library(frame: Any) -> bool:
    """Whether the event at ``frame`` is find_library's own: the wrapper is on the stack, and
    every frame above it is the standard library's (no project or third-party code, which
    could read or start anything, runs in between)."""
    while frame is not None:
        code = frame.f_code
        if code is _FIND_CODE:
            return True
        if not _stdlib_code(code.co_filename):
            return False
        frame = frame.f_back
    return False


def _find_library_tool(event: str, args: tuple[Any, ...], frame: Any) -> bool:
    """A process find_library starts (one of its tools, by its own code): recorded by the
    stat of the program it runs instead of making the import unreplayable."""
    if event == "subprocess.Popen" and len(args) >= 2:
        command = args[1]
        program = args[0] or (
            command[0] if isinstance(command, (list, tuple)) and command else command
        )
    elif event == "os.posix_spawn" and args:
        program = args[0]
    else:
        return False
    if not isinstance(program, (str, bytes, os.PathLike)):
        return False
    text = os.fsdecode(os.fspath(program))
    if os.path.basename(text) not in _FIND_TOOLS or not _by_find_library(frame):
        return False
    resolved = text if os.sep in text else _which(text)
    _note(os.path.abspath(resolved) if resolved else os.path.join("<PATH>", text), _NATIVE)
    return True


def _note(path: str, into: dict[str, Any]) -> None:
    """Record a native input by its stat (a folder's changes when an entry comes or goes)."""
    if path not in into:
        into[path] = _read_state(path, False)


def _environment_key() -> int:
    return hash(tuple(sorted(os.environ.items())))


def _which(name: str) -> str:
    """The program ``name`` on PATH, as ``shutil.which`` finds it (not imported here: the
    child's ``sys.modules`` stays the module's)."""
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return ""


def _record_library_inputs(name: Any) -> None:
    """What ``find_library(name)`` depends on besides the environment (in every key)."""
    global _READING
    reading, _READING = _READING, False  # this work's own events are not the module's
    try:
        _record_loader_inputs(_NATIVE)
        environment = _environment_key()
        if ("link", environment) not in _INPUTS_DONE:
            _INPUTS_DONE.add(("link", environment))
            for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
                _note(os.path.abspath(folder or "."), _NATIVE)
            found = [_which(tool) for tool in ("gcc", "cc", "ld", "objdump")]
            for program in found:
                if program:
                    _note(os.path.abspath(program), _NATIVE)
            compiler = found[0] or found[1]
            dirs = _library_path("LIBRARY_PATH")
            if compiler:
                for line in _command_output([compiler, "-print-search-dirs"]).splitlines():
                    label, _, listed = line.partition(": =")
                    if label in ("libraries", "programs"):
                        dirs += [os.path.normpath(d) for d in listed.split(":") if d]
            if found[2]:
                text = _command_output([found[2], "--verbose"])
                dirs += [os.path.normpath(d) for d in _SEARCH_DIR.findall(text) if d]
            for folder in dirs:
                _note(folder, _NATIVE)
            _SEARCH_DIRS[environment] = list(dict.fromkeys(dirs))
        if isinstance(name, str) and name:
            # A file that ``-lNAME`` or the cache names could change in place (its folder's
            # times would not): each candidate's own stat.
            prefix = f"lib{name}."
            for folder in dict.fromkeys([*_SEARCH_DIRS[environment], *_loader_dirs()]):
                names = _DIR_NAMES.get(folder)
                if names is None:
                    try:
                        names = _DIR_NAMES[folder] = os.listdir(folder)
                    except OSError:
                        names = _DIR_NAMES[folder] = []
                for entry in names:
                    if entry.startswith(prefix) or entry == f"lib{name}":
                        _note(os.path.join(folder, entry), _NATIVE)
    finally:
        _READING = reading


def _record_dlopen(name: Any) -> None:
    """``ctypes.CDLL(name)``: the file it loads, by its stat; a bare name also by the dynamic
    loader's inputs and each folder's candidate (``LD_LIBRARY_PATH``, the cache, the
    defaults)."""
    global _READING
    if not isinstance(name, (str, bytes, os.PathLike)):
        return  # CDLL(None): the program itself
    text = os.fsdecode(os.fspath(name))
    reading, _READING = _READING, False
    try:
        if os.sep in text:
            _note(os.path.abspath(text), _READS)
            return
        _record_loader_inputs(_READS)
        for folder in _loader_dirs():
            candidate = os.path.join(folder, text)
            if os.path.lexists(candidate):
                _note(candidate, _READS)
    finally:
        _READING = reading


def _record_loader_inputs(into: dict[str, Any]) -> None:
    """The dynamic loader's configuration and search folders, by their stats (once)."""
    done = ("loader" if into is _READS else "loader-native", _environment_key())
    if done in _INPUTS_DONE:
        return
    _INPUTS_DONE.add(done)
    for path in _LOADER_FILES:
        _note(path, into)
    for folder in _loader_dirs(into):
        _note(folder, into)


def _loader_dirs(into: dict[str, Any] | None = None) -> list[str]:
    """Where the dynamic loader looks: ``LD_LIBRARY_PATH``, ``ld.so.conf``'s folders, the
    defaults (with the multiarch triplet), and their ``glibc-hwcaps`` subfolders (``into``:
    where the configuration files are noted)."""
    dirs = _library_path("LD_LIBRARY_PATH") + _ld_so_conf(_LD_SO_CONF, 0, into)
    multiarch = str(getattr(sys.implementation, "_multiarch", "") or "")
    for base in _DEFAULT_LIBRARY_DIRS:
        dirs += [os.path.join(base, multiarch), base] if multiarch else [base]
    for folder in list(dirs):
        hwcaps = os.path.join(folder, "glibc-hwcaps")
        if os.path.isdir(hwcaps):
            try:
                dirs += [os.path.join(hwcaps, entry) for entry in sorted(os.listdir(hwcaps))]
            except OSError:
                pass
    return list(dict.fromkeys(os.path.normpath(d) for d in dirs))


def _library_path(variable: str) -> list[str]:
    # An empty entry is the working directory, for the loader and the linker alike.
    value = os.environ.get(variable, "")
    return [os.path.abspath(d or ".") for d in value.split(":")] if value else []


def _ld_so_conf(path: str, depth: int, into: dict[str, Any] | None) -> list[str]:
    """The folders ``ld.so.conf`` lists, its ``include`` files followed (each noted)."""
    if into is not None:
        _note(path, into)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return []
    try:
        text = os.read(fd, 1 << 20).decode("utf-8", "replace")
    finally:
        os.close(fd)
    dirs: list[str] = []
    for raw in text.splitlines():
        line = raw.partition("#")[0].strip()
        if not line or line.startswith("hwcap"):
            continue
        if not line.startswith("include") or depth > 4:
            dirs.append(line)
            continue
        for pattern in line.split()[1:]:
            folder, glob = os.path.split(os.path.join(os.path.dirname(path), pattern))
            if into is not None:
                _note(folder, into)
            wanted = re.compile(re.escape(glob).replace(r"\*", ".*").replace(r"\?", "."))
            try:
                entries = sorted(os.listdir(folder))
            except OSError:
                continue
            for entry in entries:
                if wanted.fullmatch(entry):
                    dirs += _ld_so_conf(os.path.join(folder, entry), depth + 1, into)
    return dirs


def _command_output(argv: list[str]) -> str:
    """What ``argv`` prints, in the C locale (find_library runs its tools so); '' on failure."""
    read_end, write_end = os.pipe()
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        pid = os.posix_spawn(
            argv[0],
            argv,
            env,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, write_end, 1),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            ],
        )
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return ""
    os.close(write_end)
    chunks = []
    try:
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
    finally:
        os.close(read_end)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    return b"".join(chunks).decode("utf-8", "replace")


# -- What an import loads: the runtime record -------------------------------------------------

# The opcode of a literal ``import`` statement (its names are constants the static graph reads).
_IMPORT_NAME = opcode.opmap["IMPORT_NAME"]
_RECORDED_LIMIT = 2000
_RECORDING = False
_PROJECT_FILES: frozenset[str] = frozenset()  # the project's files, as frames name them
_PROJECT_TOPS: frozenset[str] = frozenset()  # the project's top-level names
# This server's own frames (run by path, as __main__): never a project's, even when the project
# is archverify and this file is one of its files (its import_one() would load every module).
_OWN_GLOBALS = globals()
_BASE_TOPS: frozenset[str] = frozenset()  # top-level names loaded before any project import
_LOADS: list[list[Any]] = []  # [name, file, line, function, body file, body line, via]
_LOAD_KEYS: set[tuple[str, str, int]] = set()


class _LoadRecorder:
    """A meta path finder, first on ``sys.meta_path``, that finds nothing and records.

    Python asks every finder for each module it is about to load, whichever way the load came
    (an ``import`` statement, ``__import__``, ``importlib.import_module``, a third-party
    loader), so this sees every load, and only loads: a module already in ``sys.modules`` asks
    no finder. A load asked by a literal ``import`` statement of a project file is what the
    static graph already has: only the others are recorded (see ``_record_load``), and the
    folders they search are read (``_record_search``).
    """

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if _READING:
            try:
                _record_search(name, path)
            except BaseException:  # a finder that raises would make the import fail
                pass
        if _RECORDING and len(_LOADS) < _RECORDED_LIMIT:
            try:
                _record_load(name)
            except BaseException:  # a finder that raises would make the import fail
                pass
        if _READING and name == "ctypes.util":
            return _ctypes_util_spec(self, name, path, target)
        return None


_RECORDER = _LoadRecorder()


def _importlib_frame(frame: Any) -> bool:
    name = frame.f_globals.get("__name__")
    return isinstance(name, str) and (
        name == "importlib" or name.startswith(("importlib.", "_frozen_importlib"))
    )


def _project_frame(frame: Any) -> bool:
    """``frame`` runs a project file's code (and is not this server's own)."""
    return frame.f_code.co_filename in _PROJECT_FILES and frame.f_globals is not _OWN_GLOBALS


def _loader_frame() -> Any:
    """The innermost frame outside ``importlib`` of the load a ``_LoadRecorder.find_spec``
    is asked about (None when it only looks: ``importlib.util.find_spec`` and the like)."""
    caller = sys._getframe(3)  # 0: here, 1: the recorder, 2: find_spec, 3: importlib's
    loading = caller.f_back
    if caller.f_code.co_name != "_find_spec" or loading is None:
        return None
    if loading.f_code.co_name != "_find_and_load_unlocked":
        return None
    frame: Any = loading
    while frame is not None and _importlib_frame(frame):
        frame = frame.f_back
    return frame


def _import_statement(frame: Any) -> bool:
    """``frame`` is executing a literal ``import`` statement (its names are in the source)."""
    code = frame.f_code.co_code
    return bool(0 <= frame.f_lasti < len(code) and code[frame.f_lasti] == _IMPORT_NAME)


def _record_search(name: str, path: Any) -> None:
    """Record, for the replay, the folders a load that no literal import statement of the
    project asked for searches (``importlib.import_module(NAME)`` with a computed name): the
    static key holds only the names import statements spell, and the import system's own
    listings are not reads (``_finder_listing``), so a module added where such a load looks
    (a ``plugin.py`` at the source root) would change the verdict unseen. Each folder is
    recorded by the names in it the load could find (``NAME``, ``NAME.*``: a module, a
    package, an extension), as ``FOLDER/NAME`` of kind ``search``; the interpreter's and site
    folders are in the key."""
    frame = _loader_frame()
    if frame is None or not _project_frame(frame):
        return  # a load outside the project: see docs/security.md's limits
    if _import_statement(frame):
        return  # its name is in the static key
    tail = name.rpartition(".")[2]
    for folder in sys.path if path is None else path:
        if not isinstance(folder, str):
            continue
        where = os.path.join(os.path.abspath(folder or "."), tail)
        if where not in _READS and not where.startswith(_KEYED_PREFIXES):
            _READS[where] = search_state(where)


def search_state(where: str) -> list[Any]:
    """The names of ``where``'s folder that a search for the module ``where`` names could
    find (``plan.read_state`` computes the same for kind ``search``)."""
    folder, tail = os.path.split(where)
    try:
        names = os.listdir(folder)
    except OSError as error:
        return ["search", type(error).__name__]
    return ["search", *sorted(n for n in names if n == tail or n.startswith(tail + "."))]


def _record_load(name: str) -> None:
    """Record who loads ``name`` when no literal import statement of the project does.

    The loader is the innermost frame outside ``importlib``. In a project file, executing an
    ``import`` statement, the load is static; executing anything else (a call of
    ``importlib.import_module``, ``__import__``) it is recorded with that frame. Outside the
    project (a plugin registry, ``pkgutil``, a framework's ``setup()``) only a load of a
    project module is recorded, at the innermost project frame, with the code it went through.
    """
    frame = _loader_frame()
    if frame is None:
        return
    via = ""
    if _project_frame(frame):
        if _import_statement(frame):
            return
    elif name.partition(".")[0] in _PROJECT_TOPS:
        via = str(frame.f_globals.get("__name__") or frame.f_code.co_filename)
        while frame is not None and not _project_frame(frame):
            frame = frame.f_back
        if frame is None:
            return
    else:
        return  # a package outside the project loading its own dependencies
    key = (name, frame.f_code.co_filename, frame.f_lineno)
    if key in _LOAD_KEYS:
        return
    _LOAD_KEYS.add(key)
    body: Any = frame
    while body is not None and not (body.f_code.co_name == "<module>" and _project_frame(body)):
        body = body.f_back
    _LOADS.append(
        [
            name,
            frame.f_code.co_filename,
            frame.f_lineno,
            frame.f_code.co_name,
            body.f_code.co_filename if body is not None else "",
            body.f_lineno if body is not None else 0,
            via,
        ]
    )


def _record_loads(job: dict[str, Any]) -> None:
    """Start recording for this import (a zygote's members inherit the finder, not its record)."""
    global _RECORDING, _PROJECT_FILES, _PROJECT_TOPS
    _LOADS.clear()
    _LOAD_KEYS.clear()
    files = job.get("project_files")
    if not files or job.get("plain"):
        _RECORDING = False
        return
    _PROJECT_FILES = frozenset(str(f) for f in files)
    _PROJECT_TOPS = frozenset(str(t) for t in job.get("project_tops", ()))
    if _RECORDER not in sys.meta_path:
        sys.meta_path.insert(0, _RECORDER)
    _RECORDING = True


def _runtime_record(module: str, job: dict[str, Any]) -> dict[str, Any]:
    """What the import of ``module`` loaded, as a fresh ``python -c "import M"`` would.

    ``modules``: the project's modules in ``sys.modules`` (a zygote starts from its packages'
    imports, which a fresh import runs first, and preloads are never the project's: exact).
    ``packages``: top-level names outside the project and the standard library that this
    import loaded beyond the preloads (the parent adds the preloaded ones the project imports).
    ``loads``: the loads no literal import statement asked for. ``unrun``: the names this
    module's module-level import statements ask for that are not loaded at all.
    """
    global _RECORDING
    _RECORDING = False
    loaded = list(sys.modules)
    tops = {n.partition(".")[0] for n in loaded}
    stdlib = sys.stdlib_module_names
    asks = (job.get("asks") or {}).get(module) or ()
    return {
        "modules": sorted(n for n in loaded if n.partition(".")[0] in _PROJECT_TOPS),
        # ``_sysconfigdata_*`` is the standard library's, under a platform's name.
        "packages": sorted(
            t
            for t in tops - _BASE_TOPS - _PROJECT_TOPS
            if t not in stdlib and t != "__main__" and not t.startswith("_sysconfigdata")
        ),
        "loads": [entry for entry in _LOADS if entry[0] in sys.modules],
        "unrun": sorted(str(n) for n in asks if n not in sys.modules),
        "truncated": len(_LOADS) >= _RECORDED_LIMIT,
    }


def _fd_identity(fd: int | None) -> tuple[int, int] | None:
    if fd is None:
        return None
    try:
        found = os.fstat(fd)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _send(sock: socket.socket, data: dict[str, Any], fds: list[int] = []) -> None:  # noqa: B006
    # SOCK_SEQPACKET: one message per send. Not socket.send_fds: it imports ``array`` late,
    # where a project module of that name could answer.
    payload = json.dumps(data).encode("utf-8")
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sock.sendmsg([payload], ancillary)


def _receive(sock: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """One message and the descriptors it carried; None at end of stream."""
    fds = array.array("i")
    data, ancillary, _flags, _address = sock.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, kind, item in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(item[: len(item) - (len(item) % fds.itemsize)])
    return (json.loads(data) if data else None), list(fds)


def serve_zygote(control: int, fresh: bool = False) -> NoReturn:
    """Fork one child per member the server asks for; each starts from this package's state.

    The server owns scheduling and timeouts; this process only forks, tells the child's pid
    and later its exit status. When the server goes away it kills its children and exits.
    ``fresh``: this process is the fresh template (see ``serve_fresh``), not a package's.
    """
    global _KEEP
    if not fresh:
        _KEEP = frozenset(sys.modules)  # the package's own modules stay loaded in its members
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (1, 2):
        os.dup2(devnull, fd)  # the server sees the end of this import's output
    os.close(devnull)
    if not fresh:
        gc.freeze()
    sock = socket.socket(fileno=control)
    children: dict[int, tuple[int, int | None]] = {}  # pid -> (job id, pidfd)
    try:
        _send(sock, {"ready": True})
        while True:
            pidfds = [fd for _, fd in children.values() if fd is not None]
            poll = any(fd is None for _, fd in children.values())
            ready = select.select([control, *pidfds], [], [], 0.01 if poll else None)[0]
            if control in ready:
                command, fds = _receive(sock)
                if command is None:
                    break
                pid = _FORK()
                if pid == 0:
                    _become_child(command, fds[0], fds[1] if len(fds) > 1 else None, fresh)
                for fd in fds:
                    os.close(fd)
                children[pid] = (int(command["id"]), _pidfd(pid))
                _send(sock, {"id": command["id"], "pid": pid})
            for pid, (job_id, pidfd) in list(children.items()):
                if pidfd is not None and pidfd not in ready:
                    continue
                try:
                    done, status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:  # the package ignored SIGCHLD: no status to tell
                    done, status = pid, 0
                if done:
                    if pidfd is not None:
                        os.close(pidfd)
                    del children[pid]
                    _send(sock, {"id": job_id, "status": _decode_status(status)})
                    # A member that died (killed on timeout, a crash) left its orphans here.
                    _end_leftovers(frozenset(children))
    except OSError:
        pass  # the server is gone
    finally:
        for pid in children:
            _kill_group(pid)
        _REAL_EXIT(0)


def _pidfd(pid: int) -> int | None:
    if hasattr(os, "pidfd_open"):
        try:
            return int(os.pidfd_open(pid))
        except OSError:
            return None
    return None


def _become_child(
    command: dict[str, Any], out_fd: int, control: int | None, fresh: bool = False
) -> NoReturn:
    """In a fresh fork: own process group, output to the pipe, then import."""
    try:
        if fresh:
            os.setsid()  # as the fresh interpreter it stands for was started: its own session
        else:
            os.setpgid(0, 0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        if control is not None:
            os.dup2(control, 3)
        # Drop the server's pipes and the other children's descriptors.
        os.closerange(4 if control is not None else 3, 1 << 16)
        import_one(
            str(command["module"]),
            str(command["result"]),
            str(command["fault"]),
            _CONFIG,
            3 if control is not None else None,
            str(command.get("cwd") or ""),
        )
    finally:
        _REAL_EXIT(70)


class _Job:
    """One module being imported by one child process."""

    def __init__(self, job_id: int, module: str, scratch: str, timeout: float) -> None:
        self.id: int = job_id
        self.module: str = module
        self.result_path: str = os.path.join(scratch, f"{job_id}.json")
        self.fault_path: str = os.path.join(scratch, f"{job_id}.fault")
        self.started: float = time.monotonic()
        self.deadline: float = self.started + timeout
        self.pid: int = 0  # 0 until the forking zygote tells it
        self.pidfd: int | None = None
        self.out_fd: int | None = None  # the read end of the child's stdout and stderr
        self.output: bytearray = bytearray()  # what it printed, up to the output limit
        self.output_total: int = 0  # how much it printed in all
        self.timed_out: bool = False
        self.dumped: bool = False  # asked for a stack dump before the kill
        self.proc: subprocess.Popen[bytes] | None = None  # in spawn mode only
        self.status: int | None = None  # exit code, or minus the signal number
        self.parent: _Zygote | None = None  # the zygote that forked it; None: the server
        self.zygote: _Zygote | None = None  # the zygote this import becomes, for a package
        self.ready: bool = False  # a zygote that imported its package and now serves
        # What its packages printed while its zygote imported them: a fresh import shows it.
        self.prefix: bytes = b""
        self.prefix_total: int = 0
        self.spawn: bool = False  # a fresh interpreter even when the server forks


# A zygote's states. PENDING: created for a package, its import not started; IMPORTING: its
# own import runs. Members wait in both. Then READY (it forks its members) or DEAD (its import
# failed: members import without it); a READY zygote that is lost becomes DEAD too.
ZygoteState = Literal["pending", "importing", "ready", "dead"]
PENDING: Final = "pending"
IMPORTING: Final = "importing"
READY: Final = "ready"
DEAD: Final = "dead"


class _Zygote:
    """A process that imported one package and forks its members from that state."""

    def __init__(self, module: str, job_id: int) -> None:
        self.module: str = module
        self.job_id: int = job_id  # the import that becomes it (negative: not reported)
        self.state: ZygoteState = PENDING  # -> IMPORTING -> READY | DEAD (READY -> DEAD when lost)
        self.pid: int = 0
        self.sock: socket.socket | None = None
        self.waiting: list[tuple[int, str]] = []  # members held until it is ready or dead
        self.children: set[int] = set()  # job ids in flight from it
        self.output: bytes = b""  # what importing the package printed, its own packages' first
        self.output_total: int = 0


class _ZygoteLost(Exception):
    """A zygote died while its members were importing (one of them may have killed it)."""


class Server:
    """Forks (or spawns) one child per requested module and reports each verdict.

    Packages that have members to import become zygotes: each member is forked from its
    package's zygote, which did exactly what a fresh ``import pkg.member`` does first.
    """

    def __init__(self, config: dict[str, Any], config_path: str) -> None:
        self.config = config
        self.config_path = config_path
        self.roots = tuple(config["roots"])
        self.scratch = str(config["scratch"])
        self.timeout = float(config["timeout"])
        self.output_limit = int(config["output_limit"])
        self.concurrency = max(1, int(config.get("jobs", 1)))
        self.queue: list[tuple[int, str]] = []
        self.fork = bool(config["fork"]) and hasattr(os, "fork")
        # Without fork every module starts fresh anyway: no zygotes.
        packages = config.get("packages", ()) if self.fork else ()
        self.packages = frozenset(str(p) for p in packages)
        self.zygotes: dict[str, _Zygote] = {}
        self.by_job: dict[int, _Zygote] = {}
        self.silent = 0
        # Imported before the source roots go on sys.path: a project module named subprocess
        # must not replace it. Fresh interpreters: where fork is missing or off, and to check
        # a failure seen in a fork (see _report).
        import subprocess  # nosec B404

        self.subprocess: Any = subprocess
        self.rechecking: dict[int, dict[str, Any]] = {}  # job id -> the verdict in a fork
        # The fresh template (serve_fresh): the confirmations fork from it; None: not started.
        self.template: _Zygote | None = None
        self.template_proc: subprocess.Popen[bytes] | None = None
        self.closing = False  # the parent closed the command pipe
        self.jobs: dict[int, _Job] = {}
        self.pending = b""

    def root_of(self, module: str) -> str:
        """The source root the module's file is under: its import runs from there."""
        roots = self.config.get("module_roots") or {}
        return str(roots.get(module) or (self.roots[0] if self.roots else ""))

    def start(self, job_id: int, module: str) -> None:
        """Start importing ``module``, or hold it until its package's zygote is ready."""
        if job_id in self.rechecking:
            job = _Job(job_id, module, self.scratch, self.timeout)
            job.spawn = True
            self._launch(job, self._fresh_template(), None)
            return
        zygote = self._zygote_for(job_id, module)
        parent = None
        for package in reversed(_ancestors(module)):
            if package not in self.packages:
                continue
            found = self.zygotes.get(package)
            if found is None:
                self.silent += 1
                found = self._zygote_for(-self.silent, package)
                assert found is not None  # nosec B101 - a package always gets one here
                self.queue.insert(0, (found.job_id, package))
            if found.state in (PENDING, IMPORTING):
                found.waiting.append((job_id, module))
                return
            if found.state == READY:
                parent = found
                break
        self._launch(_Job(job_id, module, self.scratch, self.timeout), parent, zygote)

    def _fresh_template(self) -> _Zygote | None:
        """The fresh template to fork a confirmation from, started on the first failure;
        None: a fresh interpreter each (without fork, or when the template is gone)."""
        if not self.fork:
            return None
        if self.template is None:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            template = _Zygote("<fresh>", 0)  # job id 0: no import of its own to report
            template.state, template.sock = READY, ours  # it reads what is sent once it runs
            subprocess = self.subprocess
            try:
                # Our own interpreter running our own worker script: no shell, no user input.
                self.template_proc = subprocess.Popen(  # nosec B603
                    [
                        sys.executable,
                        os.path.abspath(__file__),
                        "--fresh",
                        self.config_path,
                        str(theirs.fileno()),
                    ],
                    env=_launch_env(),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    start_new_session=True,
                    pass_fds=(theirs.fileno(),),
                )
                template.pid = self.template_proc.pid
            except OSError:
                ours.close()
                template.state, template.sock = DEAD, None
            theirs.close()
            self.template = template
        return self.template if self.template.state == READY else None

    def _zygotes(self) -> list[_Zygote]:
        """The packages' zygotes and the fresh template."""
        found = list(self.zygotes.values())
        return found if self.template is None else [*found, self.template]

    def _zygote_for(self, job_id: int, module: str) -> _Zygote | None:
        if module not in self.packages:
            return None
        found = self.zygotes.get(module)
        if found is None:
            found = self.zygotes[module] = _Zygote(module, job_id)
            self.by_job[job_id] = found
        return found if found.job_id == job_id else None

    def _launch(self, job: _Job, parent: _Zygote | None, zygote: _Zygote | None) -> None:
        read_end, write_end = os.pipe()
        ours = theirs = None
        if zygote is not None:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            zygote.state, zygote.sock = IMPORTING, ours
        command = {"id": job.id, "module": job.module, "cwd": self.root_of(job.module)}
        command.update(result=job.result_path, fault=job.fault_path)
        job.parent, job.zygote = parent, zygote
        if parent is not None:
            job.prefix, job.prefix_total = parent.output, parent.output_total
        pid = 0
        if parent is not None and parent.sock is not None:
            fds = [write_end] + ([theirs.fileno()] if theirs is not None else [])
            _send(parent.sock, command, fds)
            parent.children.add(job.id)
        elif self.fork and not job.spawn:
            pid = _FORK()
            if pid == 0:
                _become_child(command, write_end, theirs.fileno() if theirs else None)
            try:
                os.setpgid(pid, pid)  # also done by the child: whichever runs first wins
            except OSError:
                pass
            job.pidfd = _pidfd(pid)
        else:
            subprocess = self.subprocess
            # A recheck runs plain: no audit hook, as ``python -c`` would (bytecode is shared).
            plain = job.id in self.rechecking
            spec = json.dumps(
                [
                    job.module,
                    job.result_path,
                    job.fault_path,
                    self.config_path,
                    plain,
                    command["cwd"],
                ]
            )
            # Our own interpreter running our own worker script: no shell, no user input.
            job.proc = subprocess.Popen(  # nosec B603
                [sys.executable, os.path.abspath(__file__), "--child", spec],
                env=_launch_env(),
                stdin=subprocess.DEVNULL,
                stdout=write_end,
                stderr=write_end,
                start_new_session=True,
            )
            pid = job.proc.pid
            job.pidfd = _pidfd(pid)
        if theirs is not None:
            theirs.close()
        os.close(write_end)
        os.set_blocking(read_end, False)
        job.pid, job.out_fd = pid, read_end
        if zygote is not None:
            zygote.pid = pid
        self.jobs[job.id] = job

    def serve(self) -> None:
        # Orphans of a child that died before it could end them (a timeout, a crash) come
        # back here, and are ended after each verdict (see _report).
        _become_subreaper()
        try:
            self._loop()
        finally:
            for job in self.jobs.values():
                _kill_group(job.pid)
            for zygote in self._zygotes():
                _kill_group(zygote.pid)
            if self.template_proc is not None:
                self.template_proc.wait()

    def _loop(self) -> None:
        stdin_open = True
        while stdin_open or self.jobs or self.queue:
            watch = [0] if stdin_open else []
            for job in self.jobs.values():
                watch += [fd for fd in (job.out_fd, job.pidfd) if fd is not None]
            socks = {z.sock.fileno(): z for z in self._zygotes() if z.sock is not None}
            ready = set(select.select(watch + list(socks), [], [], self._wait_time())[0])
            if 0 in ready:
                stdin_open = self._read_commands()
            for fd in ready & set(socks):
                self._hear(socks[fd])
            for job in list(self.jobs.values()):
                if job.out_fd is not None and job.out_fd in ready:
                    self._drain(job)
                if self._finished(job, job.pidfd is not None and job.pidfd in ready):
                    self._report(job)
            self._expire(time.monotonic())
            while self.queue and len(self.jobs) < self.concurrency:
                self.start(*self.queue.pop(0))

    def _hear(self, zygote: _Zygote) -> None:
        """A message from a zygote: it is ready, a member's pid, or a member's exit status."""
        assert zygote.sock is not None  # nosec B101 - only open sockets are watched
        try:
            message, fds = _receive(zygote.sock)
        except (OSError, ValueError):
            message, fds = None, []
        for fd in fds:
            os.close(fd)
        if message is None:
            zygote.sock.close()
            zygote.sock = None
            self._lost(zygote)
            return
        if message.get("ready"):
            job = self.jobs.get(zygote.job_id)
            if job is not None:
                job.ready = True
            return
        job_id = int(message["id"])
        job = self.jobs.get(job_id)
        if "pid" in message and job is not None:
            job.pid = int(message["pid"])
            if job.zygote is not None:
                job.zygote.pid = job.pid
            if job.timed_out:
                _kill_group(job.pid)
        elif "status" in message:
            zygote.children.discard(job_id)
            if job is not None:
                job.status = int(message["status"])
            elif job_id in self.by_job:
                self._lost(self.by_job[job_id])

    def _lost(self, zygote: _Zygote) -> None:
        """A zygote is gone: members wait no more; members in flight may have killed it."""
        if zygote.state != READY:
            return  # still importing: its own exit is reported as its verdict
        zygote.state = DEAD
        self._release(zygote)
        if zygote.children:
            # The parent process starts over and retries each module alone: the one that
            # kills its zygote then stands out, as a module killing the server always did.
            raise _ZygoteLost(zygote.module)

    def _release(self, zygote: _Zygote) -> None:
        self.queue[:0] = zygote.waiting
        zygote.waiting = []

    def _expire(self, now: float) -> None:
        for job in self.jobs.values():
            if job.timed_out or job.ready or now < job.deadline:
                continue
            if not job.dumped:
                job.dumped = True
                job.deadline = now + _DUMP_GRACE_S
                if job.pid > 0:
                    try:
                        os.kill(job.pid, DUMP_SIGNAL)
                    except OSError:
                        pass
            else:
                job.timed_out = True
                _kill_group(job.pid)  # or as soon as its zygote tells the pid

    def _wait_time(self) -> float | None:
        if not self.jobs:
            return None
        live = [job.deadline for job in self.jobs.values() if not job.timed_out]
        wait = (min(live) if live else 1.0) - time.monotonic()
        if any(j.pidfd is None and j.parent is None for j in self.jobs.values()):
            wait = min(wait, 0.01)  # no pidfd: poll for the child's exit
        return max(wait, 0.0)

    def _read_commands(self) -> bool:
        data = os.read(0, 65536)
        if not data:
            self.closing = True  # what is killed now is not a verdict to confirm
            for job in self.jobs.values():
                _kill_group(job.pid)
            self.queue.clear()
            for zygote in self.zygotes.values():
                zygote.waiting.clear()
            return False
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            if line.strip():
                command = json.loads(line)
                self.queue.append((int(command["id"]), str(command["module"])))
        return True

    def _drain(self, job: _Job) -> None:
        if job.out_fd is None:
            return
        while True:
            try:
                chunk = os.read(job.out_fd, 65536)
            except BlockingIOError:
                return
            if not chunk:
                os.close(job.out_fd)
                job.out_fd = None
                return
            job.output_total += len(chunk)
            room = self.output_limit - len(job.output)
            if room > 0:
                job.output += chunk[:room]

    def _finished(self, job: _Job, pidfd_ready: bool) -> bool:
        if job.status is not None or job.ready:
            return True
        if job.parent is not None:
            return False  # its zygote sends the exit status
        if job.pidfd is not None:
            return pidfd_ready
        if job.proc is not None:
            code = job.proc.poll()
            job.status = None if code is None else int(code)
            return code is not None
        pid, status = os.waitpid(job.pid, os.WNOHANG)
        if pid:
            job.status = _decode_status(status)
        return pid != 0

    def _report(self, job: _Job) -> None:
        if job.ready:
            status = 0  # the zygote lives on: its import is done
        else:
            # Kill what the module left running in its group before reaping the leader.
            _kill_group(job.pid)
            status = self._reap(job)
            if job.parent is None:
                self._end_orphans(job)
        if job.out_fd is not None:
            self._drain(job)
            if job.out_fd is not None:
                os.close(job.out_fd)
        if job.pidfd is not None:
            os.close(job.pidfd)
        del self.jobs[job.id]
        if job.parent is not None:
            job.parent.children.discard(job.id)
        output = (job.prefix + bytes(job.output))[: self.output_limit]
        output_total = job.prefix_total + job.output_total
        if job.zygote is not None:
            job.zygote.output, job.zygote.output_total = output, output_total
            # A zygote that reported just as it timed out was killed: it serves nobody.
            self._settle(job.zygote, job.ready and not job.timed_out)
        result = None if job.timed_out else _read_json(job.result_path)
        fault = _read_fault(job.fault_path, self.roots)
        for path in (job.result_path, job.fault_path):
            try:
                os.unlink(path)
            except OSError:
                pass
        if job.id < 0:
            return  # a zygote for members whose package was not asked for (replayed)
        if job.timed_out:
            result = {"outcome": "timeout", "frames": fault}
        elif result is None and status < 0:
            result = {"outcome": "signal", "signal": _signal_name(-status), "frames": fault}
            if self.config.get("memory_mb"):
                # Native code often aborts or crashes when an allocation is refused.
                result["memory_mb_cap"] = int(self.config["memory_mb"])
        elif result is None:
            result = {"outcome": "died", "code": status, "frames": fault}
        if self._recheck(job, result):
            return
        self.write(
            {
                **result,
                "id": job.id,
                "module": job.module,
                "output": output.decode("utf-8", "replace"),
                "output_bytes": output_total,
                "seconds": round(time.monotonic() - job.started, 4),
            }
        )

    def _recheck(self, job: _Job, result: dict[str, Any]) -> bool:
        """A failure seen in a fork is imported again in a fresh interpreter, which decides.

        Forking from a prepared process is exact for a module whose import behaves as in a
        fresh interpreter; a failure may also come from the preparation itself (a compiled
        module that does not survive being forked or re-imported, state a package left). A
        failure is rare and costs one more interpreter; a timeout is not re-run (it would cost
        another ``timeout_s``). Returns True when the verdict waits for the fresh import.
        """
        forked = self.rechecking.pop(job.id, None)
        if forked is not None:  # this is the fresh import: its verdict stands
            result["rechecked"] = True
            same = all(forked.get(k) == result.get(k) for k in ("outcome", "exception", "text"))
            result["fork_disagreed"] = not same
            # What the first attempt did counts: the second finds a file already deleted, and
            # starts the same processes again (one report of them is enough).
            result["leftovers"] = forked.get("leftovers") or result.get("leftovers") or []
            changed = list(forked.get("changed") or [])
            result["changed"] = changed + [
                f for f in result.get("changed") or [] if f not in changed
            ]
            # The fresh import runs plain (nothing recorded): the fork's record stands.
            if result.get("outcome") == "ok" and forked.get("outcome") == "ok":
                if "runtime" in forked:
                    result["runtime"] = forked["runtime"]
            # What it read: the fork's record, unreplayable without one (it ran plain).
            if same and "replay" in forked:
                result["replay"] = forked["replay"]
            else:
                result.pop("replay", None)
            return False
        if self.closing or not self.fork or job.spawn or result.get("outcome") == "timeout":
            return False
        if result.get("outcome") == "ok" and not result.get("inexact"):
            return False
        self.rechecking[job.id] = result
        self.queue.insert(0, (job.id, job.module))
        return True

    def _end_orphans(self, ended: _Job) -> None:
        """End what a child that just ended left below this process (its orphans)."""
        ours = {j.pid for j in self.jobs.values() if j.parent is None and j is not ended}
        ours |= {z.pid for z in self._zygotes() if z.state in (IMPORTING, READY)}
        _end_leftovers(frozenset(p for p in ours if p > 0))

    def _settle(self, zygote: _Zygote, ready: bool) -> None:
        """The zygote's own import is over: it serves its members, or they go elsewhere."""
        zygote.state = READY if ready else DEAD
        if not ready and zygote.sock is not None:
            zygote.sock.close()
            zygote.sock = None
        self._release(zygote)

    def _reap(self, job: _Job) -> int:
        """The exit code, or minus the signal number."""
        if job.status is not None:
            return job.status
        if job.proc is not None:
            return int(job.proc.wait())
        return _decode_status(os.waitpid(job.pid, 0)[1])

    def write(self, data: dict[str, Any]) -> None:
        payload = (json.dumps(data, default=str) + "\n").encode("utf-8", "replace")
        while payload:
            payload = payload[os.write(1, payload) :]


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _kill_group(pid: int) -> None:
    if pid <= 0:
        return  # not known yet: killpg(0) would hit the server's own group
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:  # already gone, or never got its own group
        pass


def _decode_status(status: int) -> int:
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _read_json(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _read_fault(path: str, roots: tuple[str, ...]) -> list[Frame]:
    """Project frames of a faulthandler dump (most recent call first in the file)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(200_000)
    except OSError:
        return []
    frames: list[Frame] = []
    for line in text.splitlines():
        match = _FAULT_LINE.match(line)
        if match:
            frames.append((match.group(1), int(match.group(2)), match.group(3).strip()))
        elif frames and not line.strip():
            break  # only the first (crashing) thread's stack
    frames.reverse()
    return _keep_frames(frames, roots)


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _prepare(config: dict[str, Any]) -> None:
    sys.dont_write_bytecode = True
    # Inherited by anything the project spawns at import time.
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    # Kept out of the interpreter's start (a PYTHONPATH folder's ``json.py`` would replace the
    # server's own), put back for the project: its entries go on sys.path below, and what the
    # project spawns inherits the variable.
    for name, value in dict(config.get("environ") or {}).items():
        os.environ[str(name)] = str(value)
    roots = [str(r) for r in config["roots"]]
    # ``-I`` ignores PYTHONPATH; the user's PYTHONPATH still says where dependencies live.
    extra = [str(p) for p in config.get("pythonpath", ()) if p not in roots]
    rest = [p for p in sys.path if p not in roots and p not in extra]
    sys.path[:] = roots + extra + rest


def _launch_env() -> dict[str, str]:
    """The environment to start this script again with: the user's, less what ``_prepare``
    puts back (the variables the interpreter would act on before the script runs)."""
    env = dict(os.environ)
    for name in _CONFIG.get("environ") or {}:
        env.pop(str(name), None)
    return env


def _enter_root(root: str) -> None:
    """Run from the module's source root, as ``cd ROOT && python -c "import M"`` does: that
    root is the working directory and, as ``""``, first on sys.path (unless PYTHONSAFEPATH)."""
    if not root:
        return
    os.chdir(root)
    if not sys.flags.safe_path:
        sys.path[:] = ["", *[p for p in sys.path if p not in (root, "")]]


def _compile_cache(config: dict[str, Any]) -> None:
    """Children share compiled bytecode through a folder outside the tree.

    Without it every child compiles each project module it imports again (most of the cost of
    a module that imports half the project). The bytecode is a function of the source alone,
    so sharing it changes no verdict.
    """
    folder = config.get("bytecode")
    if folder:
        sys.pycache_prefix = str(folder)
        sys.dont_write_bytecode = False


def _load_config(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise SystemExit(f"import server: bad configuration in {path}")
    return data


_DEPTH_PROBE = """\
_count = [0]
def _down():
    _count[0] += 1
    _down()
try:
    _down()
except RecursionError:
    pass
REACH = _count[0]
"""
_BY_STATEMENT = "_archverify_depth_by_statement"
_BY_CALL = "_archverify_depth_by_call"


def _import_call_cost(folder: str) -> int:
    """How many recursion levels more ``__import__(name)`` costs than ``import name``.

    Measured, not assumed: it differs between Python versions (a builtin call counts against
    the limit on 3.11). Two one-line modules in the server's scratch folder each measure how
    deep they can recurse, imported from the same depth both ways.
    """
    for name in (_BY_STATEMENT, _BY_CALL):
        with open(os.path.join(folder, f"{name}.py"), "w", encoding="utf-8") as handle:
            handle.write(_DEPTH_PROBE)
    sys.path.insert(0, folder)
    try:
        import _archverify_depth_by_statement as by_statement  # type: ignore[import-not-found]

        by_call = __import__(_BY_CALL)
        return max(0, int(by_statement.REACH) - int(by_call.REACH))
    except BaseException:  # a broken calibration only costs exactness at the recursion limit
        return 0
    finally:
        sys.path.remove(folder)
        sys.path_importer_cache.pop(folder, None)
        for name in (_BY_STATEMENT, _BY_CALL):
            sys.modules.pop(name, None)


def _save_config(config: dict[str, Any], config_path: str) -> None:
    fd = os.open(config_path, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC)
    try:
        os.write(fd, json.dumps(config).encode("utf-8"))
    finally:
        os.close(fd)


def _restart_without(name: str, config: dict[str, Any], config_path: str) -> NoReturn:
    """A preload failed or started a thread here, not alone: start over without it."""
    kept = [n for n in config["preload"] if n != name]
    dropped = int(config.get("preload_dropped", 0)) + 1
    _save_config({**config, "preload": kept, "preload_dropped": dropped}, config_path)
    # Our own interpreter re-running this very script: no shell and no user-supplied program.
    argv = [sys.executable, os.path.abspath(__file__), config_path]
    os.execve(sys.executable, argv, _launch_env())  # nosec B606


def serve_fresh(config_path: str, control: int) -> NoReturn:
    """The fresh template: a fresh interpreter that did what ``--child`` does before its
    import (nothing of the project, no preload, no hook: the server's own modules, which each
    child drops as the fresh interpreter does) and forks one child per failure to confirm.

    A fork of it starts in the very state a fresh ``--child`` interpreter reaches before
    ``import_one``, without paying the interpreter's start, this script's compilation, its
    modules and the configuration again (about 70 ms a confirmation, a third of a Django
    one). What differs is what two fresh interpreters may differ in: the process ids and the
    hash seed (one per template, where each interpreter draws its own).
    """
    config = _load_config(config_path)
    _prepare(config)
    # A plain interpreter: nothing watched, nothing recorded (as ``--child`` with ``plain``).
    _CONFIG.update({**config, "tree": "", "plain": True})
    _compile_cache(config)
    _become_subreaper()  # what a confirmation killed on timeout left comes back here
    serve_zygote(control, fresh=True)


def main(argv: list[str]) -> int:
    global _KEEP, _BASE_TOPS
    _BASE_TOPS = frozenset(_top(n) for n in _PRISTINE)
    sys.modules["__main__"] = _fresh_main()
    if len(argv) >= 4 and argv[1] == "--fresh":
        serve_fresh(argv[2], int(argv[3]))
    if len(argv) >= 3 and argv[1] == "--child":
        module, result_path, fault_path, config_path, plain, root = json.loads(argv[2])
        config = _load_config(config_path)
        _prepare(config)
        if plain:
            # A plain interpreter: nothing watched, nothing recorded.
            config = {**config, "tree": "", "plain": True}
        # Shared bytecode changes no verdict (see _compile_cache), and a recheck of a module
        # that imports half the project would otherwise compile all of it again.
        _compile_cache(config)
        import_one(module, result_path, fault_path, config, None, str(root))
    config = _load_config(argv[1])
    if "import_call_cost" not in config:
        config["import_call_cost"] = _import_call_cost(str(config["scratch"]))
        _save_config(config, argv[1])  # for the fresh interpreters and a restart
    _CONFIG.update(config)
    server = Server(config, argv[1])
    _prepare(config)
    preloaded = 0
    # SIGTERM from the parent unwinds through the probes and serve(), killing their children;
    # not while preloading, where a module's import would catch it.
    signal.signal(signal.SIGTERM, _terminate)
    if server.fork and config.get("preload") and not config.get("probed"):
        # Once per step: a restart (a dropped preload, a zygote lost) reuses the verdicts.
        exact, tops, nesting = probe_preloads(config)
        dropped = len(config["preload"]) - len(exact)
        config.update(preload=exact, probed=True, preload_dropped=dropped, preload_tops=tops)
        config.update(preload_nesting=nesting)
        _save_config(config, argv[1])
        _CONFIG.update(config)
    if server.fork:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _KEEP, preloaded, unsafe = preload(config)
        if unsafe is not None:
            _restart_without(unsafe, config, argv[1])
        _BASE_TOPS = frozenset(_top(n) for n in _KEEP)
    _compile_cache(config)
    # Warm the compiler once here: otherwise every child pays for setting it up (about half
    # of a light module's cost). Compiling a constant string imports nothing.
    compile("import os\nvalue = [i for i in range(3)]\n", "<warm-up>", "exec")
    # Children then skip the server's objects in their collections: fewer copied pages.
    gc.freeze()
    signal.signal(signal.SIGTERM, _terminate)
    hello = {
        "ready": True,
        "pid": os.getpid(),
        "fork": server.fork,
        "preloaded": preloaded,
        "preload_dropped": int(config.get("preload_dropped", 0)),
        # What each preload loads alone: the runtime record counts it for its importers.
        "preload_tops": {
            name: tops
            for name, tops in dict(config.get("preload_tops") or {}).items()
            if name in config.get("preload", ())
        },
    }
    try:
        server.write(hello)
        server.serve()
    except BrokenPipeError:
        return 0  # the parent is gone; serve() already killed the children
    except _ZygoteLost as exc:
        print(f"import server: the zygote of {exc} died", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
