"""Name bindings per scope and the static resolution of an expression to a dotted name."""

from __future__ import annotations

import ast
import builtins

from archverify.core.star_exports import STAR_EXPORTS

BUILTIN_NAMES = frozenset(dir(builtins))
IMPORT_MODULE = "importlib.import_module"
DUNDER_IMPORT = "builtins.__import__"
GETATTR = "builtins.getattr"
PARTIALS = frozenset({"functools.partial", "functools.partialmethod"})

# A value that stands for an instance of a class of this module (``self``, ``cls``): its
# attributes resolve through the class body (``reader = json.load``), never to its own name.
INSTANCE = "@"

# The concrete and pure path classes, and what on a path gives a path of the same class back:
# ``Path(b).joinpath("x").read_text()`` is ``pathlib.Path.read_text``.
PATH_TYPES = frozenset(
    "pathlib." + name
    for name in ("Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath")
)
PATH_METHODS = frozenset(
    {
        "absolute",
        "cwd",
        "expanduser",
        "home",
        "joinpath",
        "readlink",
        "relative_to",
        "rename",
        "replace",
        "resolve",
        "with_name",
        "with_segments",
        "with_stem",
        "with_suffix",
    }
)
PATH_PROPERTIES = frozenset({"parent"})
# Every ``pathlib.<class>.<method>`` above, so that a call result is one set lookup.
_PATH_CALLS = frozenset(f"{kind}.{method}" for kind in PATH_TYPES for method in PATH_METHODS)

MODULE, CLASS, FUNCTION, COMPREHENSION = 0, 1, 2, 3


class Scope:
    """The names one scope binds, each to the dotted name it refers to ("" when unknown).

    ``parent`` is the scope that lookups fall back to: a function skips enclosing class
    bodies, exactly as Python's scoping does. ``prefix`` is the qualname prefix of
    definitions made here ("" at module level, "Class." in a class body).
    """

    __slots__ = ("names", "parent", "kind", "prefix", "module", "outer", "stars", "classes")

    def __init__(self, kind: int, parent: Scope | None, prefix: str, module: str) -> None:
        self.names: dict[str, str] = {}
        self.parent = parent
        self.kind = kind
        self.prefix = prefix
        self.module = module
        self.outer: set[str] | None = None  # ``global`` / ``nonlocal`` names
        # Modules star-imported here whose names are not known (``star_exports``).
        self.stars: list[str] | None = None
        # The classes of the module, shared by all its scopes: qualified name -> (the names
        # its body binds, its bases as resolved).
        self.classes: dict[str, tuple[dict[str, str], tuple[str, ...]]] = (
            parent.classes if parent is not None else {}
        )

    def child_parent(self) -> Scope:
        """The scope a nested function or comprehension looks names up in."""
        scope: Scope = self
        while scope.kind == CLASS and scope.parent is not None:
            scope = scope.parent
        return scope

    def lookup(self, name: str) -> str:
        scope: Scope | None = self
        builtin = name in BUILTIN_NAMES
        while scope is not None:
            found = scope.names.get(name)
            if found is not None:
                return found
            if scope.stars and not builtin:
                # Unbound here, so it is the last such star import's name (or a NameError).
                return join(scope.stars[-1], name)
            scope = scope.parent
        if builtin:
            return "builtins." + name
        return "builtins" if name == "__builtins__" else ""

    def star_import(self, module: str) -> None:
        """``from module import *`` here: its names when they are known, else a fallback."""
        exported = STAR_EXPORTS.get(module)
        if exported is None:
            if self.stars is None:
                self.stars = []
            self.stars.append(module)
            return
        for name in exported:
            self.bind(name, join(module, name))

    def own_name(self, name: str) -> str:
        """What a name bound here to an unknown value refers to from outside."""
        if self.kind == FUNCTION or self.kind == COMPREHENSION:
            return ""
        return join(self.module, self.prefix + name)

    def bind(self, name: str, target: str) -> None:
        if self.outer is not None and name in self.outer:
            return
        self.names[name] = target or self.own_name(name)


def join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


def resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str | None:
    """The absolute module of ``from <dots><name> import``, or None beyond the top package."""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    keep = len(parts) - (level - 1)
    if keep <= 0:
        return None
    base = ".".join(parts[:keep])
    return join(base, name) if name else base


def resolve_importlib_name(name: str, package: str | None) -> str | None:
    """``importlib.import_module(name, package)`` resolved as importlib does, or None."""
    level = len(name) - len(name.lstrip("."))
    if level == 0:
        return name
    if not package:
        return None
    bits = package.rsplit(".", level - 1)
    if len(bits) < level:
        return None
    return join(bits[0], name[level:])


def literal_str(node: ast.expr | None) -> str | None:
    if type(node) is ast.Constant and type(node.value) is str:
        return node.value
    return None


def dynamic_import_target(call: ast.Call, callee: str) -> tuple[str | None, bool]:
    """``(module, literal)`` for a dynamic-import call: module None when it cannot be resolved.

    ``literal`` says whether the call names its module by a literal string at all.
    """
    name = literal_str(call.args[0]) if call.args else None
    if name is None:
        for keyword in call.keywords:
            if keyword.arg == "name":
                name = literal_str(keyword.value)
    if name is None:
        return None, False
    if callee == DUNDER_IMPORT:
        level = call.args[4] if len(call.args) > 4 else None
        for keyword in call.keywords:
            if keyword.arg == "level":
                level = keyword.value
        if level is not None and not (type(level) is ast.Constant and level.value == 0):
            return None, True
        return (name or None), True
    package = literal_str(call.args[1]) if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "package":
            package = literal_str(keyword.value)
    return resolve_importlib_name(name, package), True


def call_result(call: ast.Call, callee: str) -> str:
    """What a call evaluates to: an instance of what was called, or the imported module."""
    return _call_result(call, callee, None)


def _call_result(call: ast.Call, callee: str, scope: Scope | None) -> str:
    if callee == DUNDER_IMPORT or callee == IMPORT_MODULE:
        module, _ = dynamic_import_target(call, callee)
        if module is None:
            return ""
        # ``__import__("a.b")`` returns the top-level package ``a``.
        return module.split(".")[0] if callee == DUNDER_IMPORT else module
    if callee == "builtins.super":
        return ""
    if callee == GETATTR:
        return getattr_target(call, scope) if scope is not None else ""
    if callee in _PATH_CALLS:
        return callee.rpartition(".")[0]
    return callee


def getattr_target(call: ast.Call, scope: Scope) -> str:
    """What ``getattr(obj, "name")`` (a literal name) refers to: ``getattr(json, "load")`` is
    ``json.load``; "" for a computed name or an unknown object."""
    if len(call.args) < 2 or len(call.args) > 3:
        return ""
    name = literal_str(call.args[1])
    owner = resolve(call.args[0], scope) if name else ""
    return attribute(owner, name, scope) if owner and name else ""


def attribute(value: str, name: str, scope: Scope) -> str:
    """``value.name`` as a dotted name, following the type flow that resolution knows."""
    if value[0] == INSTANCE:
        return _class_attribute(value[1:], name, scope, instance=True)
    if name in PATH_PROPERTIES and value in PATH_TYPES:
        return value
    if value in scope.classes:
        return _class_attribute(value, name, scope, instance=False)
    return value + "." + name


def _class_attribute(cls: str, name: str, scope: Scope, *, instance: bool) -> str:
    """An attribute of a class of this module, or of an instance of it: a class-body alias
    (``reader = json.load``) resolves to what it names, in the class or a base of this
    module; anything else is the class's own name (and unknown on an instance)."""
    pending, seen = [cls], set()
    while pending:
        current = pending.pop(0)
        if current in seen or current not in scope.classes:
            continue
        seen.add(current)
        names, bases = scope.classes[current]
        found = names.get(name)
        if found is not None:
            if found and found != current + "." + name:
                return found
            break
        pending.extend(bases)
    return "" if instance else cls + "." + name


def _subscript(value: str, key: ast.expr) -> str:
    """``value[key]`` where it is a name: ``__builtins__["open"]``, ``sys.modules["json"]``,
    ``Path(p).parents[0]``."""
    if value.endswith(".parents"):
        owner = value[: -len(".parents")]
        return owner if owner in PATH_TYPES else ""
    name = literal_str(key)
    if not name:
        return ""
    if value == "builtins" or value == "builtins.__dict__":
        return "builtins." + name
    return name if value == "sys.modules" else ""


def _operator_result(node: ast.BinOp, scope: Scope) -> str:
    """The path class of ``a / b`` when either side is a path (``(Path(a) / "b")``), else ""."""
    rights: list[ast.expr] = []
    left: ast.expr = node
    # ``a / b / c`` nests on the left: walked without recursion.
    while type(left) is ast.BinOp and type(left.op) is ast.Div:
        rights.append(left.right)
        left = left.left
    if not rights:
        return ""
    value = resolve(left, scope)
    if value in PATH_TYPES:
        return value
    for right in rights:
        value = resolve(right, scope)
        if value in PATH_TYPES:
            return value
    return ""


def resolve(node: ast.expr, scope: Scope) -> str:
    """The dotted name an expression refers to through the scope's bindings, or "".

    A value starting with ``INSTANCE`` stands for an instance of a class of this module; it
    is never a callee (``callee_of``).
    """
    # Iterative on purpose: attribute/call chains can be deeper than the recursion limit.
    chain: list[ast.Attribute | ast.Call | ast.Subscript] = []
    while True:
        if type(node) is ast.Attribute or type(node) is ast.Subscript:
            chain.append(node)
            node = node.value
        elif type(node) is ast.Call:
            chain.append(node)
            node = node.func
        else:
            break
    if type(node) is ast.Name:
        value = scope.lookup(node.id)
    elif type(node) is ast.BinOp:
        value = _operator_result(node, scope)
    else:
        return ""
    classes = scope.classes
    for link in reversed(chain):
        if not value:
            return ""
        if type(link) is ast.Attribute:
            name = link.attr
            if value[0] == INSTANCE or value in classes or name in PATH_PROPERTIES:
                value = attribute(value, name, scope)
            else:
                value = value + "." + name
        elif type(link) is ast.Call:
            value = _call_result(link, value, scope)
        elif type(link) is ast.Subscript:
            value = _subscript(value, link.slice)
    return value


def callee_of(value: str) -> str:
    """A resolved value as a callee: an instance of a class of this module is not a name."""
    return "" if value[:1] == INSTANCE else value
