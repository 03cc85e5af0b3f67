"""Per-file facts: everything the static steps need, extracted from one parse of one file.

Facts are plain frozen values so they can be cached as JSON and shipped between processes.
Bump ``FACTS_SCHEMA`` whenever the shape or meaning of a fact changes: it is part of the cache key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# 4: call rows carry flags (``writes_nothing``, ``partial``), reads of the environment are a
# field, and callees resolve through path results, getattr, partial, class aliases, star imports.
FACTS_SCHEMA = 4


@dataclass(frozen=True)
class ImportFact:
    """One imported module, as written, with its context.

    ``module`` is absolute (relative imports are resolved against the importing module).
    For ``from a import b, c`` there is one fact with ``module="a"`` and ``names=("b", "c")``;
    whether ``a.b`` is a submodule is decided by the graph, which knows every module.
    ``dynamic`` marks ``importlib.import_module("x")`` / ``__import__("x")`` with a literal name.
    """

    module: str
    line: int
    column: int
    names: tuple[str, ...] = ()
    in_function: bool = False  # executed at call time, not import time
    type_checking: bool = False  # under ``if TYPE_CHECKING:``
    guarded: bool = False  # inside ``try`` whose handlers catch ImportError
    dynamic: bool = False
    # under ``if __name__ == "__main__":``: runs only when the file is executed as a script
    main_guarded: bool = False


@dataclass(frozen=True)
class CallFact:
    """One call site.

    ``name`` is the callee's last name as written (``load`` for ``j.load(f)``).
    ``qualname`` is the callee resolved through the file's imports and aliases
    (``json.load``, ``builtins.open``, ``pathlib.Path.read_text``), or "" when it cannot be
    resolved statically (``self.load()``, ``obj.read()``).
    """

    name: str
    qualname: str
    line: int
    column: int
    # A pandas writer called without a destination (``df.to_csv()``): it returns the text.
    writes_nothing: bool = False
    # Not called here but handed to ``functools.partial``, which calls it later; the position
    # is the argument's (``partial(open, p)``).
    partial: bool = False


@dataclass(frozen=True)
class EnvironmentAccess:
    """A read (or a change) of the process environment: ``name`` is ``os.environ`` for the
    mapping used as a value (``os.environ["X"]``, ``os.environ.get``), or the function called
    (``os.getenv``, ``os.putenv``)."""

    name: str
    line: int
    column: int


@dataclass(frozen=True)
class Location:
    line: int
    column: int


CompileErrorKind = Literal["syntax", "decode", "read"]
"""Why a file did not compile: a syntax (or symtable) error, undecodable bytes, an OSError."""


@dataclass(frozen=True)
class CompileError:
    """Why a file does not compile: a syntax or symtable error, undecodable bytes, or a file
    that could not be read at all."""

    kind: CompileErrorKind
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Definition:
    """A class or function definition: used to name the symbol that encloses a line."""

    qualname: str  # dotted within the module: "Class.method"
    kind: str  # "class" | "function"
    line: int
    end_line: int


@dataclass(frozen=True)
class Suppression:
    """``# archverify: ignore[rule-id, ...] reason`` on a line."""

    line: int
    rules: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class FileFacts:
    """All facts of one source file."""

    path: str  # relative to the verified root, forward slashes
    module: str  # dotted module name ("pkg.sub" for pkg/sub/__init__.py)
    is_package: bool
    content_hash: str
    encoding: str = "utf-8"
    compile_error: CompileError | None = None
    imports: tuple[ImportFact, ...] = ()
    calls: tuple[CallFact, ...] = ()
    main_blocks: tuple[Location, ...] = ()
    definitions: tuple[Definition, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    # Public API items for contract snapshots, as canonical JSON-ready mappings.
    api: tuple[Mapping[str, Any], ...] = ()
    lines: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)
    environment: tuple[EnvironmentAccess, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileFacts:
        error = data.get("compile_error")
        return cls(
            path=data["path"],
            module=data["module"],
            is_package=bool(data["is_package"]),
            content_hash=data["content_hash"],
            encoding=data.get("encoding", "utf-8"),
            compile_error=CompileError(**error) if error else None,
            imports=tuple(
                ImportFact(**{**i, "names": tuple(i.get("names", ()))})
                for i in data.get("imports", ())
            ),
            calls=tuple(CallFact(**c) for c in data.get("calls", ())),
            main_blocks=tuple(Location(**m) for m in data.get("main_blocks", ())),
            definitions=tuple(Definition(**d) for d in data.get("definitions", ())),
            suppressions=tuple(
                Suppression(line=s["line"], rules=tuple(s["rules"]), reason=s["reason"])
                for s in data.get("suppressions", ())
            ),
            api=tuple(data.get("api", ())),
            lines=int(data.get("lines", 0)),
            extra=dict(data.get("extra", {})),
            environment=tuple(EnvironmentAccess(**e) for e in data.get("environment", ())),
        )
