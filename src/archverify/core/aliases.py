"""Name bindings per scope and the static resolution of an expression to a dotted name."""

from __future__ import annotations

import ast
import builtins

BUILTIN_NAMES = frozenset(dir(builtins))
IMPORT_MODULE = "importlib.import_module"
DUNDER_IMPORT = "builtins.__import__"

MODULE, CLASS, FUNCTION, COMPREHENSION = 0, 1, 2, 3


class Scope:
    """The names one scope binds, each to the dotted name it refers to ("" when unknown).

    ``parent`` is the scope that lookups fall back to: a function skips enclosing class
    bodies, exactly as Python's scoping does. ``prefix`` is the qualname prefix of
    definitions made here ("" at module level, "Class." in a class body).
    """

    __slots__ = ("names", "parent", "kind", "prefix", "module", "outer")

    def __init__(self, kind: int, parent: Scope | None, prefix: str, module: str) -> None:
        self.names: dict[str, str] = {}
        self.parent = parent
        self.kind = kind
        self.prefix = prefix
        self.module = module
        self.outer: set[str] | None = None  # ``global`` / ``nonlocal`` names

    def child_parent(self) -> Scope:
        """The scope a nested function or comprehension looks names up in."""
        scope: Scope = self
        while scope.kind == CLASS and scope.parent is not None:
            scope = scope.parent
        return scope

    def lookup(self, name: str) -> str:
        scope: Scope | None = self
        while scope is not None:
            found = scope.names.get(name)
            if found is not None:
                return found
            scope = scope.parent
        return "builtins." + name if name in BUILTIN_NAMES else ""

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
    if callee == DUNDER_IMPORT or callee == IMPORT_MODULE:
        module, _ = dynamic_import_target(call, callee)
        if module is None:
            return ""
        # ``__import__("a.b")`` returns the top-level package ``a``.
        return module.split(".")[0] if callee == DUNDER_IMPORT else module
    if callee == "builtins.super":
        return ""
    return callee


def resolve(node: ast.expr, scope: Scope) -> str:
    """The dotted name an expression refers to through the scope's bindings, or ""."""
    # Iterative on purpose: attribute/call chains can be deeper than the recursion limit.
    chain: list[ast.expr] = []
    while True:
        if isinstance(node, ast.Attribute):
            chain.append(node)
            node = node.value
        elif isinstance(node, ast.Call):
            chain.append(node)
            node = node.func
        else:
            break
    value = scope.lookup(node.id) if isinstance(node, ast.Name) else ""
    for link in reversed(chain):
        if not value:
            return ""
        if isinstance(link, ast.Attribute):
            value = value + "." + link.attr
        elif isinstance(link, ast.Call):
            value = call_result(link, value)
    return value
