"""Public API items read from a syntax tree: what they record, and what they leave out."""

from __future__ import annotations

import ast
import os
import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from archverify.core.api import api_items, expression, is_public

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "snapshots"
EXPECTED = FIXTURE / "expected.snapshot.json"
PYTHONS = {
    "3.12": Path("/root/.pyenv/versions/3.12.1/bin/python3"),
    "3.13": Path("/root/.pyenv/versions/3.13.0/bin/python3"),
}

# Builds the fixture's snapshot with nothing but the core modules, on any interpreter.
SNAPSHOT_SCRIPT = """
import ast, sys
from pathlib import Path
from archverify.core.api import api_items
from archverify.core.facts import FileFacts
from archverify.core.snapshots import build_snapshot, snapshot_text
root = Path(sys.argv[1])
facts = []
for path in sorted(root.rglob("*.py")):
    rel = path.relative_to(root).as_posix()
    module = rel[:-3].replace("/", ".").removesuffix(".__init__")
    api = api_items(ast.parse(path.read_bytes()), module)
    facts.append(FileFacts(rel, module, rel.endswith("__init__.py"), "", api=api))
sys.stdout.buffer.write(snapshot_text(build_snapshot(facts, ["fixpkg"])).encode("utf-8"))
"""


def items(source: str) -> dict[str, Mapping[str, Any]]:
    found = api_items(ast.parse(textwrap.dedent(source)), "m")
    return {str(item["qualname"]): item for item in found}


def snapshot_bytes(python: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [python, "-c", SNAPSHOT_SCRIPT, str(FIXTURE)],
        capture_output=True,
        env=env,
        check=True,
    )
    return done.stdout


def test_function_signature_keeps_every_parameter_kind() -> None:
    found = items(
        """
        def f(a, b: int = 1, /, c: str = 'x', *args: int, d: bool, e=None, **kw: 'Any') -> bool:
            pass
        """
    )
    assert found["f"] == {
        "qualname": "f",
        "kind": "function",
        "line": 2,
        "signature": "(a, b: int = 1, /, c: str = 'x', *args: int, d: bool, e=None, **kw: Any)"
        " -> bool",
    }


def test_keyword_only_marker_without_varargs() -> None:
    assert items("def f(*, key: int) -> None: ...")["f"]["signature"] == "(*, key: int) -> None"


def test_private_names_are_left_out_and_dunders_kept() -> None:
    found = items(
        """
        def _helper(): ...
        class _Hidden:
            def visible(self): ...
        class Shown:
            def __init__(self, x: int) -> None: ...
            def __call__(self) -> int: ...
            def _private(self): ...
            def __mangled(self): ...
        """
    )
    assert sorted(found) == ["Shown", "Shown.__call__", "Shown.__init__"]


def test_literal_all_defines_the_public_names() -> None:
    found = items(
        """
        __all__ = ["listed", "_exported"]
        __all__ += ["added"]
        def listed(): ...
        def _exported(): ...
        def added(): ...
        def unlisted(): ...
        """
    )
    assert sorted(found) == ["__all__", "_exported", "added", "listed"]
    assert found["__all__"]["names"] == ["_exported", "added", "listed"]


def test_computed_all_falls_back_to_the_underscore_rule() -> None:
    found = items(
        """
        __all__ = [name for name in dir()]
        def shown(): ...
        def _hidden(): ...
        """
    )
    assert sorted(found) == ["__all__", "shown"]
    assert found["__all__"]["dynamic"] is True


def test_dataclass_fields_in_order_with_options() -> None:
    found = items(
        """
        from dataclasses import dataclass, field
        @dataclass(slots=True, frozen=True)
        class Box:
            size: int
            _tag: str = "x"
            items: list[int] = field(default_factory=list)
            def area(self) -> int: ...
        """
    )
    box = found["Box"]
    assert box["kind"] == "dataclass"
    assert box["options"] == {"frozen": "True", "slots": "True"}
    assert box["fields"] == [
        "size: int",
        "_tag: str = 'x'",
        "items: list[int] = field(default_factory=list)",
    ]
    assert "decorators" not in box
    assert found["Box.area"]["signature"] == "(self) -> int"


def test_plain_dataclass_decorator_has_no_options() -> None:
    found = items("import dataclasses\n@dataclasses.dataclass\nclass P:\n    x: int\n")
    assert found["P"]["kind"] == "dataclass"
    assert "options" not in found["P"]


def test_enum_typeddict_and_namedtuple_kinds() -> None:
    found = items(
        """
        import enum
        from typing import NamedTuple, TypedDict
        class Color(enum.Enum):
            RED = 1
            GREEN = enum.auto()
            _ignore_ = ["x"]
        class Dark(Color): ...
        class Movie(TypedDict, total=False):
            title: str
        class Point(NamedTuple):
            x: int
            y: int = 0
        class Plain:
            attr = 1
            typed: int
        """
    )
    assert found["Color"]["fields"] == ["RED = 1", "GREEN = enum.auto()"]
    assert found["Dark"]["kind"] == "enum"
    assert found["Movie"] == {
        "qualname": "Movie",
        "kind": "typeddict",
        "line": 9,
        "bases": ["TypedDict", "total=False"],
        "fields": ["title: str"],
    }
    assert found["Point"]["kind"] == "namedtuple"
    assert found["Point"]["fields"] == ["x: int", "y: int = 0"]
    assert found["Plain"]["kind"] == "class"
    assert found["Plain"]["fields"] == ["typed: int"]


def test_property_with_setter_is_one_item() -> None:
    found = items(
        """
        class C:
            @property
            def size(self) -> int: ...
            @size.setter
            def size(self, value: int) -> None: ...
        """
    )
    assert found["C.size"] == {
        "qualname": "C.size",
        "kind": "property",
        "line": 4,
        "annotation": "int",
        "setter": True,
    }


def test_overloads_are_kept_with_the_implementation() -> None:
    found = items(
        """
        from typing import overload
        @overload
        def f(x: int) -> int: ...
        @overload
        def f(x: str) -> str: ...
        def f(x): return x
        """
    )
    assert found["f"]["signature"] == "(x)"
    assert found["f"]["overloads"] == ["(x: int) -> int", "(x: str) -> str"]
    assert found["f"]["line"] == 7


def test_decorators_and_async_are_recorded() -> None:
    found = items(
        """
        import functools
        class C:
            @staticmethod
            @functools.cache
            async def make() -> None: ...
        """
    )
    assert found["C.make"]["decorators"] == ["staticmethod", "functools.cache"]
    assert found["C.make"]["async"] is True


def test_nested_classes_and_conditional_definitions() -> None:
    found = items(
        """
        import sys
        class Outer:
            class Inner:
                def m(self): ...
        if sys.version_info >= (3, 12):
            def new(): ...
        else:
            def new(x=1): ...
        try:
            from fast import speedy
        except ImportError:
            def speedy(): ...
        def outer():
            def inner(): ...
        """
    )
    assert "Outer.Inner.m" in found
    assert found["new"]["signature"] == "(x=1)"  # the last definition wins
    assert "speedy" in found
    assert "inner" not in found and "outer.inner" not in found


def test_variables_record_types_not_values() -> None:
    found = items(
        """
        from typing import Literal, TypeAlias, TypeVar
        LIMIT = 400
        NAME: str = "x"
        Mode = Literal["a", "b"]
        Pair = tuple[int, int] | None
        T = TypeVar("T")
        Alias: TypeAlias = "dict[str, int]"
        x, y = 1, 2
        def LIMIT2(): ...
        LIMIT2 = 3
        """
    )
    assert found["LIMIT"] == {"qualname": "LIMIT", "kind": "variable", "line": 3}
    assert found["NAME"]["annotation"] == "str"
    assert "value" not in found["NAME"]
    assert found["Mode"]["value"] == "Literal['a', 'b']"
    assert found["Pair"]["value"] == "tuple[int, int] | None"
    assert found["T"]["value"] == "TypeVar('T')"
    assert found["Alias"] == {
        "qualname": "Alias",
        "kind": "type alias",
        "line": 8,
        "value": "dict[str, int]",
    }
    assert found["x"]["kind"] == found["y"]["kind"] == "variable"
    assert found["LIMIT2"]["kind"] == "function"  # a later assignment does not hide it


def test_quoted_annotations_equal_unquoted_ones() -> None:
    quoted = items("def f(x: 'list[int]') -> 'Foo | None': ...")["f"]["signature"]
    plain = items("def f(x: list[int]) -> Foo | None: ...")["f"]["signature"]
    assert quoted == plain == "(x: list[int]) -> Foo | None"


def test_unparsable_string_annotation_is_kept_as_written() -> None:
    assert items("def f(x: 'not valid (') -> None: ...")["f"]["signature"] == (
        "(x: 'not valid (') -> None"
    )


def test_literal_strings_are_not_unquoted() -> None:
    assert items("def f(x: Literal['a']): ...")["f"]["signature"] == "(x: Literal['a'])"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("u'x'", "'x'"),
        ("f'{\"a\"}'", "f\"{'a'}\""),
        ("f'{x!r:>{w}} {{lit}}'", 'f"{x!r:>{w}} {{lit}}"'),
        ("f'say \"hi\" it\\'s'", 'f"say \\"hi\\" it\'s"'),
        ("f'{x=}'", 'f"x={x!r}"'),
        ("lambda a, /, *b, c=1, **d: a", "lambda a, /, *b, c=1, **d: a"),
        ("0x_FF", "255"),
        ("-(1)", "-1"),
    ],
)
def test_expression_text_is_normalised(source: str, expected: str) -> None:
    assert expression(ast.parse(source, mode="eval").body) == expected


def test_is_public() -> None:
    assert is_public("name") and is_public("__init__")
    assert not is_public("_name") and not is_public("__mangled") and not is_public("__")


def test_fixture_snapshot_matches_the_committed_one() -> None:
    import sys

    assert snapshot_bytes(sys.executable) == EXPECTED.read_bytes()


@pytest.mark.parametrize("version", sorted(PYTHONS))
def test_fixture_snapshot_is_byte_identical_on_other_pythons(version: str) -> None:
    python = PYTHONS[version]
    if not python.is_file():
        pytest.skip(f"Python {version} is not installed at {python}")
    assert snapshot_bytes(str(python)) == EXPECTED.read_bytes()
