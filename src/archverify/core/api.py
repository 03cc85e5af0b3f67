"""Public API items of a module for contract snapshots, read from its syntax tree alone.

Every item is a JSON-ready mapping (strings, booleans, lists and dicts only, so cached facts
compare equal to fresh ones) with ``qualname``, ``kind`` and ``line``. Expressions are written
with ``ast.unparse`` after a normalisation that makes the text the same on Python 3.11 to 3.13.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum"})
# Calls whose result is a type: their arguments are part of the API.
_TYPE_FACTORIES = frozenset(
    {"TypeVar", "ParamSpec", "TypeVarTuple", "NewType", "NamedTuple", "namedtuple", "TypedDict"}
)
_GENERIC_BUILTINS = frozenset({"list", "dict", "set", "frozenset", "tuple", "type"})
_PROPERTY_PARTS = {"setter": "setter", "deleter": "deleter"}

_Function = ast.FunctionDef | ast.AsyncFunctionDef
# An expression nested too deeply to be written back as text.
TOO_DEEP_TEXT = "<expression too deep to show>"


def is_public(name: str) -> bool:
    """Public unless it starts with "_"; dunder names (``__init__``) are public."""
    return not name.startswith("_") or (
        len(name) > 4 and name.startswith("__") and name.endswith("__")
    )


def api_items(tree: ast.Module, module: str) -> tuple[Mapping[str, Any], ...]:
    """The module's public API as canonical, JSON-ready mappings, in source order."""
    collector = _Collector(_literal_all(tree.body))
    collector.body(tree.body, prefix="", in_class=None)
    return tuple(
        sorted(collector.items.values(), key=lambda item: (item["line"], item["qualname"]))
    )


def expression(node: ast.expr, *, annotation: bool = False) -> str:
    """``node`` as source text that does not depend on the Python version.

    A whole-string annotation (``x: "Foo"``) is written as the expression it quotes, so that
    quoting a forward reference, or ``from __future__ import annotations``, changes nothing.
    """
    if annotation and isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            quoted = ast.parse(node.value.strip(), mode="eval").body
        except SyntaxError:
            return ast.unparse(node)
        return expression(quoted, annotation=True)
    return _unparse(node)


def _unparse(node: ast.AST) -> str:
    """``ast.unparse`` of the normalised node; the tree itself is never changed."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    try:
        if _is_normal(node):
            return ast.unparse(node)
        # Copying is the costly part, so only the rare trees that need rewriting are copied.
        return ast.unparse(_Normaliser().visit(copy.deepcopy(node)))
    except RecursionError:
        # Valid code can nest deeper than ``ast.unparse`` recurses: a fixed text keeps the
        # snapshot stable (and shows that the expression was not written out).
        return TOO_DEEP_TEXT


def _is_normal(node: ast.AST) -> bool:
    """True when ``_Normaliser`` would change nothing in the tree under ``node``."""
    pending = [node]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is ast.JoinedStr:
            return False
        if isinstance(item, ast.Constant):
            if item.kind is not None:
                return False
            continue
        for name in item._fields:
            value = getattr(item, name, None)
            if type(value) is list:
                pending.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                pending.append(value)
    return True


def signature(node: _Function) -> str:
    """``[T](a: int, /, b: str = 'x', *args: int, c: bool, **kw: Any) -> bool``."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    parts: list[str] = []
    for index, arg in enumerate(positional):
        default = args.defaults[index - first_default] if index >= first_default else None
        parts.append(_parameter(arg, default))
        if index == len(args.posonlyargs) - 1:
            parts.append("/")
    if args.vararg is not None:
        parts.append("*" + _parameter(args.vararg, None))
    elif args.kwonlyargs:
        parts.append("*")
    parts.extend(_parameter(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True))
    if args.kwarg is not None:
        parts.append("**" + _parameter(args.kwarg, None))
    text = f"{_type_params(node)}({', '.join(parts)})"
    if node.returns is not None:
        text += " -> " + expression(node.returns, annotation=True)
    return text


class _Normaliser(ast.NodeTransformer):
    """Rewrites the constructs whose ``ast.unparse`` text differs between Python versions."""

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        node.kind = None  # u"x" and "x" are the same string
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        # 3.12 (PEP 701) unparses quotes nested in f-strings differently: write them ourselves.
        # A Name's id is printed verbatim, which carries the finished text through unparse.
        return ast.Name(id='f"' + _fstring_body(node) + '"', ctx=ast.Load())


def _fstring_body(node: ast.JoinedStr) -> str:
    parts: list[str] = []
    literal = ""
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            literal += value.value  # 3.11 and 3.12 split literal text differently
            continue
        parts.append(_fstring_literal(literal))
        literal = ""
        if isinstance(value, ast.FormattedValue):
            inner = expression(value.value)
            text = "{" + (" " if inner.startswith("{") else "") + inner
            if value.conversion != -1:
                text += "!" + chr(value.conversion)
            if isinstance(value.format_spec, ast.JoinedStr):
                text += ":" + _fstring_body(value.format_spec)
            parts.append(text + "}")
    parts.append(_fstring_literal(literal))
    return "".join(parts)


def _fstring_literal(text: str) -> str:
    escaped: list[str] = []
    for char in text:
        if char in '\\"':
            escaped.append("\\" + char)
        elif char in "{}":
            escaped.append(char * 2)
        else:
            escaped.append(char if char.isprintable() else repr(char)[1:-1])
    return "".join(escaped)


def _parameter(arg: ast.arg, default: ast.expr | None) -> str:
    text = arg.arg
    if arg.annotation is not None:
        text += ": " + expression(arg.annotation, annotation=True)
    if default is not None:
        text += (" = " if arg.annotation is not None else "=") + expression(default)
    return text


def _type_params(node: ast.AST) -> str:
    params: Sequence[ast.AST] = getattr(node, "type_params", ())  # Python 3.12+ syntax
    if not params:
        return ""
    return "[" + ", ".join(_unparse(p) for p in params) + "]"


def _last_name(node: ast.expr) -> str:
    """``Enum`` for ``enum.Enum``, ``Generic`` for ``Generic[T]``, ``f`` for ``f()``."""
    # Iterative: ``f()()...`` and ``a[x][y]...`` may be deeper than the recursion limit.
    while isinstance(node, ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _flat(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of ``body``, looking into ``if`` and ``try`` (conditional definitions)."""
    for statement in body:
        if isinstance(statement, ast.If):
            yield from _flat(statement.body)
            yield from _flat(statement.orelse)
        elif isinstance(statement, ast.Try | ast.TryStar):
            for block in (statement.body, statement.orelse, statement.finalbody):
                yield from _flat(block)
            for handler in statement.handlers:
                yield from _flat(handler.body)
        else:
            yield statement


def _literal_all(body: Sequence[ast.stmt]) -> list[str] | None:
    """The names of a literal ``__all__``, or None when there is none or it is computed."""
    names: list[str] | None = None
    for statement in _flat(body):
        target, value = _assignment(statement)
        if not isinstance(target, ast.Name) or target.id != "__all__":
            continue
        strings = _strings(value)
        if strings is None:
            return None
        names = (names or []) + strings if isinstance(statement, ast.AugAssign) else strings
    return names


def _strings(node: ast.expr | None) -> list[str] | None:
    if not isinstance(node, ast.List | ast.Tuple):
        return None
    values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
    strings = [v for v in values if isinstance(v, str)]
    return strings if len(strings) == len(node.elts) else None


def _assignment(statement: ast.stmt) -> tuple[ast.expr | None, ast.expr | None]:
    """(single target, value) of an assignment statement, else (None, None)."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        return statement.targets[0], statement.value
    if isinstance(statement, ast.AnnAssign | ast.AugAssign):
        return statement.target, statement.value
    return None, None


def _looks_like_type(node: ast.expr) -> bool:
    """An implicit type alias (``Mode = Literal["a", "b"]``, ``Pair = tuple[int, int]``)."""
    # Iterative over ``a | b | ...``: a union may be deeper than the recursion limit.
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, ast.BinOp) and isinstance(item.op, ast.BitOr):
            if _is_none(item.left) or _is_none(item.right):
                return True
            pending += [item.right, item.left]
        elif _looks_like_type_alone(item):
            return True
    return False


def _looks_like_type_alone(node: ast.expr) -> bool:
    if isinstance(node, ast.Subscript):
        name = _last_name(node.value)
        return name in _GENERIC_BUILTINS or name[:1].isupper()
    if isinstance(node, ast.Call):
        return _last_name(node.func) in _TYPE_FACTORIES
    return False


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


class _Collector:
    """Walks one module's definitions into items keyed by qualname (the last definition wins)."""

    def __init__(self, exported: list[str] | None) -> None:
        self.exported = None if exported is None else frozenset(exported)
        self.items: dict[str, dict[str, Any]] = {}
        self.overloads: dict[str, list[str]] = {}
        self.kinds: dict[str, str] = {}  # this module's classes, to follow local enum bases

    def body(self, statements: Sequence[ast.stmt], prefix: str, in_class: str | None) -> None:
        fields: list[str] = []
        for statement in _flat(statements):
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if self._public(statement.name, prefix):
                    qualname = prefix + statement.name
                    if isinstance(statement, ast.ClassDef):
                        self._class(statement, qualname)
                    else:
                        self._function(statement, qualname, method=bool(prefix))
            elif in_class is None:
                self._module_statement(statement)
            else:
                fields.extend(_fields(statement, in_class))
        if in_class is not None and fields:
            self.items[prefix[:-1]]["fields"] = fields

    def _public(self, name: str, prefix: str) -> bool:
        if not prefix and self.exported is not None:
            return name in self.exported
        return is_public(name)

    def _add(self, qualname: str, kind: str, node: ast.stmt, **details: Any) -> dict[str, Any]:
        item = {"qualname": qualname, "kind": kind, "line": node.lineno}
        item.update((key, value) for key, value in details.items() if value)
        self.items[qualname] = item
        return item

    def _function(self, node: _Function, qualname: str, *, method: bool) -> None:
        decorators = node.decorator_list
        existing = self.items.get(qualname)
        for decorator in decorators if method else ():
            if not isinstance(decorator, ast.Attribute) or decorator.attr not in _PROPERTY_PARTS:
                continue
            if _last_name(decorator.value) == node.name:
                if existing is not None and existing["kind"] == "property":
                    existing[_PROPERTY_PARTS[decorator.attr]] = True
                return
        names = [_last_name(d) for d in decorators]
        kept = [expression(d) for d, n in zip(decorators, names, strict=True) if n != "overload"]
        if method and "property" in names:
            kept.remove(next(expression(d) for d in decorators if _last_name(d) == "property"))
            returns = node.returns
            annotation = "" if returns is None else expression(returns, annotation=True)
            self._add(qualname, "property", node, annotation=annotation, decorators=kept)
            return
        if "overload" in names:
            self.overloads.setdefault(qualname, []).append(signature(node))
        self._add(
            qualname,
            "method" if method else "function",
            node,
            signature=signature(node),
            decorators=kept,
            overloads=self.overloads.get(qualname, []),
            **{"async": isinstance(node, ast.AsyncFunctionDef)},
        )

    def _class(self, node: ast.ClassDef, qualname: str) -> None:
        bases = [expression(b) for b in node.bases]
        bases.extend(
            f"{k.arg}={expression(k.value)}" if k.arg else "**" + expression(k.value)
            for k in node.keywords
        )
        kind = self._class_kind(node)
        decorators: list[str] = []
        options: dict[str, str] = {}
        for decorator in node.decorator_list:
            if kind == "dataclass" and _last_name(decorator) == "dataclass":
                if isinstance(decorator, ast.Call):
                    options = {k.arg or "**": expression(k.value) for k in decorator.keywords}
            else:
                decorators.append(expression(decorator))
        self.kinds[qualname] = kind
        self._add(
            qualname,
            kind,
            node,
            bases=bases,
            decorators=decorators,
            options=options,
            type_params=_type_params(node),
        )
        self.body(node.body, qualname + ".", in_class=kind)

    def _class_kind(self, node: ast.ClassDef) -> str:
        if any(_last_name(d) == "dataclass" for d in node.decorator_list):
            return "dataclass"
        for base in node.bases:
            name = _last_name(base)
            local = self.kinds.get(_unparse(base), "")
            if name in _ENUM_BASES or local == "enum":
                return "enum"
            if name == "TypedDict" or local == "typeddict":
                return "typeddict"
            if name == "NamedTuple":
                return "namedtuple"
        return "class"

    def _module_statement(self, statement: ast.stmt) -> None:
        type_alias = getattr(ast, "TypeAlias", None)  # the ``type X = ...`` statement, 3.12+
        if type_alias is not None and isinstance(statement, type_alias):
            name = statement.name.id
            if self._public(name, ""):
                text = expression(statement.value, annotation=True)
                params = _type_params(statement)
                self._add(name, "type alias", statement, value=text, type_params=params)
            return
        if isinstance(statement, ast.AugAssign):
            return
        target, value = _assignment(statement)
        targets = target.elts if isinstance(target, ast.Tuple) else [target]
        for name_node in targets:
            if not isinstance(name_node, ast.Name):
                continue
            name = name_node.id
            if name == "__all__":
                self._all(statement)
            elif self._public(name, "") and self.items.get(name, {}).get("kind") in (
                None,
                "variable",
                "type alias",
            ):
                self._variable(statement, name, value if target is name_node else None)

    def _all(self, statement: ast.stmt) -> None:
        if "__all__" in self.items:
            return
        if self.exported is None:
            self._add("__all__", "all", statement, dynamic=True)
        else:
            self._add("__all__", "all", statement, names=sorted(self.exported))

    def _variable(self, statement: ast.stmt, name: str, value: ast.expr | None) -> None:
        annotation, alias = "", False
        if isinstance(statement, ast.AnnAssign):
            annotation = expression(statement.annotation, annotation=True)
            alias = _last_name(statement.annotation) == "TypeAlias"
        previous = self.items.get(name, {})
        if alias:
            shown = "" if value is None else expression(value, annotation=True)
            self._add(name, "type alias", statement, value=shown)
        elif value is not None and _looks_like_type(value):
            self._add(name, "variable", statement, annotation=annotation, value=expression(value))
        elif not previous or annotation:
            self._add(name, "variable", statement, annotation=annotation)


def _fields(statement: ast.stmt, kind: str) -> list[str]:
    """Fields a class statement declares (``name: annotation = default``, or an enum's
    ``MEMBER = value``), kept in source order: it is the order of positional arguments."""
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        name = statement.target.id
        if kind in ("dataclass", "namedtuple", "typeddict") or is_public(name):
            text = f"{name}: {expression(statement.annotation, annotation=True)}"
            if statement.value is not None:
                text += " = " + expression(statement.value)
            return [text]
    if kind == "enum" and isinstance(statement, ast.Assign):
        value = expression(statement.value)
        names = [t.id for t in statement.targets if isinstance(t, ast.Name) and is_public(t.id)]
        return [f"{name} = {value}" for name in names]
    return []
