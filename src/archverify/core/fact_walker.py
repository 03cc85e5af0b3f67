"""One iterative, scope-aware walk of a module's AST that collects imports, calls and more."""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from archverify.core.aliases import (
    CLASS,
    COMPREHENSION,
    DUNDER_IMPORT,
    FUNCTION,
    GETATTR,
    IMPORT_MODULE,
    INSTANCE,
    MODULE,
    PARTIALS,
    PATH_TYPES,
    Scope,
    callee_of,
    dynamic_import_target,
    join,
    literal_str,
    resolve,
    resolve_relative,
)
from archverify.core.fact_rows import (
    DYNAMIC,
    GUARDED,
    IN_FUNCTION,
    MAIN_GUARDED,
    PARTIAL,
    TYPE_CHECKING,
    WRITES_NOTHING,
    CallRow,
    DefinitionRow,
    EnvironmentRow,
    ImportRow,
    LocationRow,
)
from archverify.core.source_text import CharColumns

# Flags of a statement's context, the same bits as an import row's flags.
_CONTEXT = IN_FUNCTION | TYPE_CHECKING | GUARDED | MAIN_GUARDED

# Handlers that catch a failed import: a bare ``except:`` (None) or any of these names.
_IMPORT_ERROR_NAMES = frozenset(
    {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
)

# Fields that never hold a node worth visiting: operators and load/store contexts.
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops", "type_ignores", "type_comment"})
_FIELDS: dict[type, tuple[str, ...]] = {}
# Expressions with a scope of their own: handled on the statement stack with their scope.
_SCOPED = frozenset({ast.Lambda, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp})

Entry = tuple[Any, Scope, int]

# What reads (or sets) the process environment: ``os.environ`` and ``os.environb`` as values,
# and these calls (``purity/environment``).
ENVIRONMENT_VALUES = frozenset({"os.environ", "os.environb"})
ENVIRONMENT_CALLS = frozenset({"os.getenv", "os.getenvb", "os.putenv", "os.unsetenv"})
_ENVIRONMENT_NAMES = frozenset({"environ", "environb"})
# Callees with more to record than the call itself.
_SPECIAL_CALLEES = frozenset({IMPORT_MODULE, DUNDER_IMPORT, *PARTIALS, *ENVIRONMENT_CALLS})

# pandas writers whose destination is optional: without one they return the text (or bytes)
# and write nothing (``df.to_csv()``). Method -> the destination's keyword; it is also the
# first positional argument.
OPTIONAL_DESTINATIONS: dict[str, str] = {
    "to_csv": "path_or_buf",
    "to_json": "path_or_buf",
    "to_xml": "path_or_buffer",
    "to_html": "buf",
    "to_latex": "buf",
    "to_markdown": "buf",
    "to_string": "buf",
    "to_parquet": "path",
    "to_orc": "path",
}


def _fields(kind: type) -> tuple[str, ...]:
    found = _FIELDS.get(kind)
    if found is None:
        names: tuple[str, ...] = getattr(kind, "_fields", ())
        found = tuple(f for f in names if f not in _SKIPPED_FIELDS)
        _FIELDS[kind] = found
    return found


def _target_names(target: ast.expr, into: list[str]) -> list[str]:
    """Plain names an assignment target binds (attributes and subscripts bind none)."""
    pending = [target]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Name):
            into.append(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            pending.extend(node.elts)
        elif isinstance(node, ast.Starred):
            pending.append(node.value)
    return into


def _is_none(node: ast.expr) -> bool:
    return type(node) is ast.Constant and node.value is None


def _writes_nothing(call: ast.Call, destination: str) -> bool:
    """True when a pandas writer is called without a destination (or with a literal None)."""
    if call.args:
        return not isinstance(call.args[0], ast.Starred) and _is_none(call.args[0])
    for keyword in call.keywords:
        if keyword.arg is None or keyword.arg == destination:
            return keyword.arg is not None and _is_none(keyword.value)
    return True


def _written_name(func: ast.expr) -> str:
    """The callee's last name as written: ``load`` for ``j.load``, ``getattr(j, "load")`` and
    ``__builtins__["load"]``; "" when there is none."""
    if type(func) is ast.Name:
        return func.id
    if type(func) is ast.Attribute:
        return func.attr
    if type(func) is ast.Subscript:
        return literal_str(func.slice) or ""
    if type(func) is ast.Call and len(func.args) >= 2:
        getter = func.func
        if type(getter) is ast.Name and getter.id == "getattr":
            # As ``obj.name()`` is ``name`` even when ``obj`` is unknown.
            return literal_str(func.args[1]) or ""
    return ""


def _is_staticmethod(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id == "staticmethod":
            return True
        if isinstance(decorator, ast.Attribute) and decorator.attr == "staticmethod":
            return True
    return False


def _catches_import_error(handler_type: ast.expr | None) -> bool:
    if handler_type is None:
        return True
    candidates = handler_type.elts if isinstance(handler_type, ast.Tuple) else [handler_type]
    for candidate in candidates:
        if isinstance(candidate, ast.Name) and candidate.id in _IMPORT_ERROR_NAMES:
            return True
        if isinstance(candidate, ast.Attribute) and candidate.attr in _IMPORT_ERROR_NAMES:
            return True
    return False


def _is_main_test(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    pair = (test.left, test.comparators[0])
    names = [n for n in pair if isinstance(n, ast.Name) and n.id == "__name__"]
    mains = [n for n in pair if isinstance(n, ast.Constant) and n.value == "__main__"]
    return len(names) == 1 and len(mains) == 1


class FactWalker:
    """Walks a module once; results are in the public lists of rows afterwards (``fact_rows``).

    Statements go through an explicit stack (never recursion: nesting depth is unbounded),
    each with its scope and context flags; the expressions of a statement are walked on the
    spot by ``_expressions``, where scope and flags cannot change.
    """

    def __init__(self, module: str, is_package: bool, columns: CharColumns) -> None:
        self.module = module
        self.is_package = is_package
        self.columns = columns
        self._ascii = columns.is_ascii
        self.imports: list[ImportRow] = []
        self.calls: list[CallRow] = []
        self.environment: list[EnvironmentRow] = []
        self.main_blocks: list[LocationRow] = []
        self.definitions: list[DefinitionRow] = []
        self.unresolved_relative: list[int] = []
        self._stack: list[Entry] = []
        self._deferred: list[tuple[Sequence[ast.stmt], Scope, int]] = []
        self._handlers: dict[type, Callable[[Any, Scope, int], None]] = {
            ast.Import: self._import,
            ast.ImportFrom: self._import_from,
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.ClassDef: self._class,
            ast.If: self._if,
            ast.Try: self._try,
            ast.ExceptHandler: self._except_handler,
            ast.Assign: self._assign,
            ast.AnnAssign: self._ann_assign,
            ast.AugAssign: self._aug_assign,
            ast.Expr: self._value_statement,
            ast.Return: self._value_statement,
            ast.For: self._for,
            ast.AsyncFor: self._for,
            ast.With: self._with,
            ast.AsyncWith: self._with,
            ast.Global: self._global,
            ast.Nonlocal: self._global,
            ast.Lambda: self._lambda,
            ast.ListComp: self._comprehension,
            ast.SetComp: self._comprehension,
            ast.GeneratorExp: self._comprehension,
            ast.DictComp: self._comprehension,
        }
        try_star = getattr(ast, "TryStar", None)
        if try_star is not None:
            self._handlers[try_star] = self._try

    def walk(self, tree: ast.Module) -> None:
        scope = Scope(MODULE, None, "", self.module)
        self._push(tree.body, scope, 0)
        self._drain()
        # Function bodies run after their enclosing scope is complete, so they see its
        # final bindings (a module-level name defined below a function is visible in it).
        index = 0
        while index < len(self._deferred):
            body, body_scope, flags = self._deferred[index]
            index += 1
            self._push(body, body_scope, flags)
            self._drain()
        self.finish()

    def finish(self) -> None:
        """Put what was found in source order (also after a walk cut short)."""
        # Stable sorts on the position alone (line, column: the row shapes in ``fact_rows``): a
        # call and the call it is made on share one.
        self.calls.sort(key=itemgetter(2, 3))
        self.environment.sort(key=itemgetter(1, 2))
        self.imports.sort(key=itemgetter(1, 2))
        self.definitions.sort(key=itemgetter(2))

    def _push(self, nodes: Sequence[Any], scope: Scope, flags: int) -> None:
        self._stack.extend([(node, scope, flags) for node in reversed(nodes)])

    def _drain(self) -> None:
        stack = self._stack
        handlers = self._handlers
        while stack:
            node, scope, flags = stack.pop()
            handler = handlers.get(type(node))
            if handler is not None:
                handler(node, scope, flags)
            else:
                self._generic(node, scope, flags)

    def _generic(self, node: ast.AST, scope: Scope, flags: int) -> None:
        """A statement without a handler: its expressions now, its sub-statements later."""
        expressions: list[Any] = []
        nested: list[Any] = []
        for name in _fields(type(node)):
            value = getattr(node, name)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.expr):
                        expressions.append(item)
                    elif isinstance(item, ast.AST):
                        nested.append(item)
            elif isinstance(value, ast.expr):
                expressions.append(value)
            elif isinstance(value, ast.AST):
                nested.append(value)
        self._push(nested, scope, flags)
        self._expressions(expressions, scope, flags)

    def _expressions(self, roots: list[Any], scope: Scope, flags: int) -> None:
        """Every call in these expressions; nested scopes go to the statement stack."""
        pending = roots
        pop = pending.pop
        push = pending.append
        extend = pending.extend
        name_kind, constant_kind, call_kind = ast.Name, ast.Constant, ast.Call
        attribute_kind = ast.Attribute
        scoped = _SCOPED
        fields = _FIELDS
        environment_names = _ENVIRONMENT_NAMES
        while pending:
            node = pop()
            kind = type(node)
            while kind is attribute_kind:  # what an attribute is taken of comes next anyway
                if node.attr in environment_names:
                    self._environment(node, scope)
                node = node.value
                kind = type(node)
            if kind is name_kind:
                if node.id in environment_names:
                    self._environment(node, scope)
                continue
            if kind is constant_kind or node is None:
                continue
            if kind is call_kind:
                self._call(node, scope, flags)
                push(node.func)
                extend(node.args)
                extend([keyword.value for keyword in node.keywords])
            elif kind in scoped:
                self._stack.append((node, scope, flags))
            elif kind is ast.NamedExpr:
                owner = scope
                while owner.kind == COMPREHENSION and owner.parent is not None:
                    owner = owner.parent
                owner.bind(node.target.id, resolve(node.value, scope))
                push(node.value)
            else:
                for name in fields.get(kind) or _fields(kind):
                    value = getattr(node, name)
                    if type(value) is list:
                        extend(value)
                    else:
                        push(value)

    def _column(self, node: ast.stmt | ast.expr | ast.alias) -> int:
        if self._ascii:
            return node.col_offset + 1
        return self.columns.column(node.lineno, node.col_offset)

    # Imports.

    def _import_fact(
        self, module: str, node: Any, flags: int, names: tuple[str, ...] = (), dynamic: bool = False
    ) -> None:
        kind = (flags & _CONTEXT) | (DYNAMIC if dynamic else 0)
        self.imports.append((module, node.lineno, self._column(node), names, kind))

    def _import(self, node: ast.Import, scope: Scope, flags: int) -> None:
        for alias in node.names:
            self._import_fact(alias.name, alias, flags)
            if alias.asname:
                scope.bind(alias.asname, alias.name)
            else:
                top = alias.name.partition(".")[0]
                scope.bind(top, top)

    def _import_from(self, node: ast.ImportFrom, scope: Scope, flags: int) -> None:
        names = tuple(alias.name for alias in node.names)
        if node.level:
            base = resolve_relative(self.module, self.is_package, node.level, node.module)
        else:
            base = node.module or ""
        if not base:
            self.unresolved_relative.append(node.lineno)
        else:
            self._import_fact(base, node, flags, names)
        for alias in node.names:
            if alias.name != "*":
                scope.bind(alias.asname or alias.name, join(base, alias.name) if base else "")
            elif base:
                scope.star_import(base)

    # Calls.

    def _call(self, node: ast.Call, scope: Scope, flags: int) -> None:
        func = node.func
        callee = resolve(func, scope)
        if callee and callee[0] == INSTANCE:
            callee = ""  # an instance of a class of this module is not a name
        kind = type(func)
        if kind is ast.Name:
            name = func.id  # type: ignore[attr-defined]
        elif kind is ast.Attribute:
            name = func.attr  # type: ignore[attr-defined]
        elif kind is ast.Call:
            name = _written_name(func)
        else:
            name = _written_name(func) if callee else ""  # ``__builtins__["open"]``
        column = self._column(node)
        call_flags = 0
        destination = OPTIONAL_DESTINATIONS.get(name)
        if destination is not None and callee.startswith("pandas."):
            call_flags = WRITES_NOTHING if _writes_nothing(node, destination) else 0
        self.calls.append((name, callee, node.lineno, column, call_flags))
        if callee not in _SPECIAL_CALLEES:
            return
        if callee == IMPORT_MODULE or callee == DUNDER_IMPORT:
            module, literal = dynamic_import_target(node, callee)
            if module:
                self._import_fact(module, node, flags, dynamic=True)
            elif literal:
                self.unresolved_relative.append(node.lineno)
        elif callee in PARTIALS:
            self._partial(node, scope)
        else:
            self.environment.append((callee, node.lineno, column))

    def _partial(self, node: ast.Call, scope: Scope) -> None:
        """``functools.partial(open, p)`` calls ``open`` later: recorded as a call of it here,
        at the argument, so that what it will call is checked as any call is."""
        if not node.args or isinstance(node.args[0], ast.Starred):
            return
        target = node.args[0]
        callee = callee_of(resolve(target, scope))
        if callee and callee != GETATTR:
            written = _written_name(target) or callee.rsplit(".", 1)[-1]
            self.calls.append((written, callee, target.lineno, self._column(target), PARTIAL))

    def _environment(self, node: ast.Name | ast.Attribute, scope: Scope) -> None:
        value = resolve(node, scope)
        if value in ENVIRONMENT_VALUES:
            self.environment.append((value, node.lineno, self._column(node)))

    # Scopes and definitions.

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope, flags: int
    ) -> None:
        qualname = scope.prefix + node.name
        end = node.end_lineno or node.lineno
        self.definitions.append((qualname, "function", node.lineno, end))
        params, defaults = _arguments(node.args)
        body_scope = Scope(FUNCTION, scope.child_parent(), qualname + ".", self.module)
        for param in params:
            # A parameter annotated as a path is one (``def f(p: Path): p.read_text()``).
            annotation = param.annotation
            value = resolve(annotation, scope) if annotation is not None else ""
            body_scope.names[param.arg] = value if value in PATH_TYPES else ""
        positional = [*node.args.posonlyargs, *node.args.args]
        if scope.kind == CLASS and positional and not _is_staticmethod(node):
            # ``self`` (or ``cls``): its attributes resolve through the class body.
            owner = join(self.module, scope.prefix[:-1])
            body_scope.names[positional[0].arg] = INSTANCE + owner
        self._deferred.append((node.body, body_scope, flags | IN_FUNCTION))
        # Decorators, defaults and annotations run when the def runs, in the enclosing scope.
        annotations = [p.annotation for p in params]
        annotations.append(node.returns)
        self._expressions([*node.decorator_list, *defaults, *annotations], scope, flags)
        scope.bind(node.name, join(self.module, qualname))

    def _lambda(self, node: ast.Lambda, scope: Scope, flags: int) -> None:
        params, defaults = _arguments(node.args)
        body_scope = Scope(FUNCTION, scope.child_parent(), scope.prefix, self.module)
        for param in params:
            body_scope.names[param.arg] = ""
        self._expressions(defaults, scope, flags)
        self._expressions([node.body], body_scope, flags | IN_FUNCTION)

    def _class(self, node: ast.ClassDef, scope: Scope, flags: int) -> None:
        qualname = scope.prefix + node.name
        end = node.end_lineno or node.lineno
        self.definitions.append((qualname, "class", node.lineno, end))
        keywords = [k.value for k in node.keywords]
        self._expressions([*node.decorator_list, *node.bases, *keywords], scope, flags)
        scope.bind(node.name, join(self.module, qualname))
        body_scope = Scope(CLASS, scope.child_parent(), qualname + ".", self.module)
        bases = tuple(filter(None, (resolve(base, scope) for base in node.bases)))
        # Kept by reference: methods, walked later, see the body's final bindings.
        scope.classes[join(self.module, qualname)] = (body_scope.names, bases)
        self._push(node.body, body_scope, flags)

    def _comprehension(self, node: Any, scope: Scope, flags: int) -> None:
        inner = Scope(COMPREHENSION, scope.child_parent(), scope.prefix, self.module)
        generators: list[ast.comprehension] = node.generators
        for generator in generators:
            for name in _target_names(generator.target, []):
                inner.names[name] = ""
        # The first iterable is evaluated in the enclosing scope, the rest in the inner one.
        self._expressions([generators[0].iter], scope, flags)
        parts: list[Any] = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for index, generator in enumerate(generators):
            parts.append(generator.target)
            if index:
                parts.append(generator.iter)
            parts.extend(generator.ifs)
        self._expressions(parts, inner, flags)

    def _global(self, node: ast.Global | ast.Nonlocal, scope: Scope, flags: int) -> None:
        if scope.kind == MODULE:
            return
        if scope.outer is None:
            scope.outer = set()
        scope.outer.update(node.names)
        for name in node.names:
            scope.names.pop(name, None)

    # Control flow.

    def _type_checking_test(self, test: ast.expr, scope: Scope) -> int:
        """1 when the body is type-checking only, -1 when the else branch is, else 0."""
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        if isinstance(test, ast.UnaryOp) and negated:
            test = test.operand
        if isinstance(test, ast.Name):
            written = test.id
        elif isinstance(test, ast.Attribute):
            written = test.attr
        else:
            return 0
        if written != "TYPE_CHECKING" and not resolve(test, scope).endswith(".TYPE_CHECKING"):
            return 0
        return -1 if negated else 1

    def _if(self, node: ast.If, scope: Scope, flags: int) -> None:
        body_flags = flags
        if _is_main_test(node.test):
            self.main_blocks.append((node.lineno, self._column(node)))
            # Runs only when the file is the script itself: never when it is imported. The
            # ``else`` branch is what runs on import, so it keeps the enclosing context.
            body_flags |= MAIN_GUARDED
        branch = self._type_checking_test(node.test, scope)
        self._push(node.orelse, scope, flags | TYPE_CHECKING if branch < 0 else flags)
        self._push(node.body, scope, body_flags | TYPE_CHECKING if branch > 0 else body_flags)
        self._expressions([node.test], scope, flags)

    def _try(self, node: ast.Try, scope: Scope, flags: int) -> None:
        guarded = any(_catches_import_error(h.type) for h in node.handlers)
        self._push(node.finalbody, scope, flags)
        self._push(node.orelse, scope, flags)
        self._push(node.handlers, scope, flags)
        self._push(node.body, scope, flags | GUARDED if guarded else flags)

    def _except_handler(self, node: ast.ExceptHandler, scope: Scope, flags: int) -> None:
        self._expressions([node.type], scope, flags)
        if node.name:
            scope.bind(node.name, "")
        self._push(node.body, scope, flags)

    # Bindings: the value is walked first, then the names are bound, as Python runs them.

    def _assign(self, node: ast.Assign, scope: Scope, flags: int) -> None:
        names: list[str] = []
        for target in node.targets:
            _target_names(target, names)
        simple = all(isinstance(t, ast.Name) for t in node.targets)
        value = resolve(node.value, scope) if simple else ""
        self._expressions([*node.targets, node.value], scope, flags)
        for name in names:
            scope.bind(name, value)

    def _ann_assign(self, node: ast.AnnAssign, scope: Scope, flags: int) -> None:
        self._expressions([node.target, node.annotation, node.value], scope, flags)
        if node.value is not None and isinstance(node.target, ast.Name):
            value = resolve(node.value, scope) or resolve(node.annotation, scope)
            scope.bind(node.target.id, value)

    def _aug_assign(self, node: ast.AugAssign, scope: Scope, flags: int) -> None:
        self._expressions([node.target, node.value], scope, flags)
        for name in _target_names(node.target, []):
            scope.bind(name, "")

    def _value_statement(self, node: ast.Expr | ast.Return, scope: Scope, flags: int) -> None:
        self._expressions([node.value], scope, flags)

    def _for(self, node: ast.For | ast.AsyncFor, scope: Scope, flags: int) -> None:
        self._expressions([node.iter, node.target], scope, flags)
        for name in _target_names(node.target, []):
            scope.bind(name, "")
        self._push(node.orelse, scope, flags)
        self._push(node.body, scope, flags)

    def _with(self, node: ast.With | ast.AsyncWith, scope: Scope, flags: int) -> None:
        for item in node.items:
            self._expressions([item.context_expr, item.optional_vars], scope, flags)
            if item.optional_vars is not None:
                for name in _target_names(item.optional_vars, []):
                    scope.bind(name, "")
        self._push(node.body, scope, flags)


def _arguments(args: ast.arguments) -> tuple[list[ast.arg], list[Any]]:
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg is not None:
        params.append(args.vararg)
    if args.kwarg is not None:
        params.append(args.kwarg)
    return params, [*args.defaults, *args.kw_defaults]
