"""Purity on real idioms: each is caught at its line, its look-alikes are not, and boundaries
resolves calls the same way (both read the one resolution in the facts)."""

from __future__ import annotations

import textwrap

import pytest

from archverify.core.config import BoundaryRule, PurityConfig
from archverify.core.extract import extract_facts
from archverify.core.facts import FileFacts
from archverify.core.findings import Severity
from archverify.core.purity import ENVIRONMENT, IO_CALL, PurityChecker

PURE = PurityConfig(packages=("app.core",))
MARK = "# <-"

# Each case: a module of the pure package, the line that does I/O marked with ``# <-``, and
# the callee it must resolve to. The nineteen cases, and their close relatives.
MUST_CATCH: list[tuple[str, str, str]] = [
    # Caught before: aliases, calls on a Path result, a name bound to one, dynamic imports.
    ("import alias", "import json as j\ndef f(x):\n    j.load(x)  # <-\n", "json.load"),
    (
        "from-import alias",
        "from json import load as l\ndef f(x):\n    l(x)  # <-\n",
        "json.load",
    ),
    ("builtin", "def f(p):\n    open(p)  # <-\n", "builtins.open"),
    (
        "Path result",
        "from pathlib import Path\ndef f(p):\n    Path(p).read_text()  # <-\n",
        "pathlib.Path.read_text",
    ),
    (
        "name bound to a Path",
        "from pathlib import Path\ndef f(p):\n    q = Path(p)\n    q.read_text()  # <-\n",
        "pathlib.Path.read_text",
    ),
    ("__import__", 'def f(x):\n    __import__("json").load(x)  # <-\n', "json.load"),
    (
        "builtins module",
        "import builtins\ndef f(p):\n    builtins.open(p)  # <-\n",
        "builtins.open",
    ),
    # Missed before: path methods chained on a path.
    (
        "joinpath chain",
        'from pathlib import Path\ndef f(b):\n    Path(b).joinpath("x").read_text()  # <-\n',
        "pathlib.Path.read_text",
    ),
    (
        "with_suffix chain",
        'from pathlib import Path\ndef f(b):\n    Path(b).with_suffix(".txt").exists()  # <-\n',
        "pathlib.Path.exists",
    ),
    (
        "with_name chain",
        'import pathlib\ndef f(b):\n    pathlib.Path(b).with_name("y").unlink()  # <-\n',
        "pathlib.Path.unlink",
    ),
    (
        "absolute then expanduser",
        "from pathlib import Path\ndef f(b):\n    Path(b).expanduser().absolute().open()  # <-\n",
        "pathlib.Path.open",
    ),
    (
        "parent property",
        "from pathlib import Path\ndef f(b):\n    Path(b).parent.iterdir()  # <-\n",
        "pathlib.Path.iterdir",
    ),
    (
        "parents[0]",
        "from pathlib import Path\ndef f(b):\n    Path(b).parents[0].mkdir()  # <-\n",
        "pathlib.Path.mkdir",
    ),
    (
        "the / operator",
        'from pathlib import Path\ndef f(a, s):\n    (Path(a) / "b").write_text(s)  # <-\n',
        "pathlib.Path.write_text",
    ),
    (
        "a / chain bound to a name",
        "from pathlib import Path\n"
        "def f(a, s):\n"
        '    p = Path(a) / "b" / "c"\n'
        "    p.write_text(s)  # <-\n",
        "pathlib.Path.write_text",
    ),
    (
        "a path on the right of /",
        "from pathlib import Path\ndef f(root, b):\n    (root / Path(b)).read_bytes()  # <-\n",
        "pathlib.Path.read_bytes",
    ),
    (
        "a parameter annotated as a path",
        "from pathlib import Path\ndef f(p: Path):\n    p.read_bytes()  # <-\n",
        "pathlib.Path.read_bytes",
    ),
    # The standard streams.
    (
        "sys.stdout.write",
        "import sys\ndef f(s):\n    sys.stdout.write(s)  # <-\n",
        "sys.stdout.write",
    ),
    (
        "stderr imported from sys",
        "from sys import stderr\ndef f(s):\n    stderr.write(s)  # <-\n",
        "sys.stderr.write",
    ),
    (
        "sys.stdin.readline",
        "import sys\ndef f():\n    sys.stdin.readline()  # <-\n",
        "sys.stdin.readline",
    ),
    # getattr with a literal name.
    ("getattr", 'import json\ndef f(x):\n    getattr(json, "load")(x)  # <-\n', "json.load"),
    (
        "getattr with a default",
        'import json\ndef f(x):\n    getattr(json, "load", None)(x)  # <-\n',
        "json.load",
    ),
    ("sys.modules", 'import sys\ndef f(x):\n    sys.modules["json"].load(x)  # <-\n', "json.load"),
    # functools.partial: caught where the I/O function is handed over.
    (
        "functools.partial(open)",
        "import functools\ndef f(p):\n    return functools.partial(open, p)  # <-\n",
        "builtins.open",
    ),
    (
        "partial(json.load)",
        "import json\nfrom functools import partial\nREAD = partial(json.load)  # <-\n",
        "json.load",
    ),
    # The builtins mapping and module.
    ("__builtins__[...]", 'def f(p):\n    __builtins__["open"](p)  # <-\n', "builtins.open"),
    ("__builtins__.open", "def f(p):\n    __builtins__.open(p)  # <-\n", "builtins.open"),
    # Class-body aliases, through self, cls, the class and a base class.
    (
        "class alias through self",
        "import json\n"
        "class Loader:\n"
        "    reader = json.load\n"
        "    def load(self, f):\n"
        "        return self.reader(f)  # <-\n",
        "json.load",
    ),
    (
        "class alias through the class",
        "import json\n"
        "class Loader:\n"
        "    reader = json.load\n"
        "def f(x):\n"
        "    return Loader.reader(x)  # <-\n",
        "json.load",
    ),
    (
        "class alias through cls",
        "import json\n"
        "class Loader:\n"
        "    reader = json.load\n"
        "    @classmethod\n"
        "    def load(cls, f):\n"
        "        return cls.reader(f)  # <-\n",
        "json.load",
    ),
    (
        "class alias of a base class",
        "import json\n"
        "class Base:\n"
        "    reader = json.load\n"
        "class Loader(Base):\n"
        "    def load(self, f):\n"
        "        return self.reader(f)  # <-\n",
        "json.load",
    ),
    (
        "class alias through getattr on self",
        "import json\n"
        "class Loader:\n"
        "    reader = json.load\n"
        "    def load(self, f):\n"
        '        return getattr(self, "reader")(f)  # <-\n',
        "json.load",
    ),
    # Star imports.
    ("from json import *", "from json import *\ndef f(x):\n    load(x)  # <-\n", "json.load"),
    (
        "from os import * shadows open",
        "from os import *\ndef f(p):\n    open(p, 0)  # <-\n",
        "os.open",
    ),
    # pandas writers with a destination.
    (
        "to_csv with a path",
        "import pandas as pd\ndef f(rows, p):\n    pd.DataFrame(rows).to_csv(p)  # <-\n",
        "pandas.DataFrame.to_csv",
    ),
    (
        "to_json by keyword",
        "import pandas as pd\n"
        "def f(rows, p):\n"
        '    pd.DataFrame(rows).to_json(path_or_buf=p, orient="records")  # <-\n',
        "pandas.DataFrame.to_json",
    ),
    (
        "to_parquet",
        "import pandas as pd\ndef f(x, p):\n    pd.DataFrame(x).to_parquet(p)  # <-\n",
        "pandas.DataFrame.to_parquet",
    ),
    (
        "Series.to_pickle",
        "import pandas as pd\ndef f(x, p):\n    pd.Series(x).to_pickle(p)  # <-\n",
        "pandas.Series.to_pickle",
    ),
]


def _facts(source: str, module: str = "app.core.m") -> FileFacts:
    path = module.replace(".", "/") + ".py"
    return extract_facts(textwrap.dedent(source).encode(), path, module, False)


def _marked(source: str) -> list[int]:
    return [n for n, line in enumerate(source.splitlines(), 1) if line.endswith(MARK)]


def _io_findings(source: str, config: PurityConfig = PURE) -> list[tuple[int, str]]:
    found = PurityChecker(config).check(_facts(source))
    return [(f.line, str(f.extra["call"])) for f in found if f.rule == IO_CALL.id]


@pytest.mark.parametrize(
    ("source", "callee"), [(s, c) for _, s, c in MUST_CATCH], ids=[i for i, _, _ in MUST_CATCH]
)
def test_each_idiom_is_caught_at_its_line(source: str, callee: str) -> None:
    [line] = _marked(source)
    assert _io_findings(source) == [(line, callee)]


def test_the_partial_finding_points_at_the_function_handed_over() -> None:
    source = "import functools\ndef f(p):\n    return functools.partial(open, p)\n"
    [found] = PurityChecker(PURE).check(_facts(source))
    assert (found.line, found.column) == (3, 30)
    assert "`builtins.open` (handed to `functools.partial`, which calls it)" in found.message


def test_getattr_and_subscript_calls_name_what_they_call() -> None:
    source = 'import json\ndef f(x):\n    getattr(json, "load")(x)\n    __builtins__["open"](x)\n'
    calls = {(c.line, c.name, c.qualname) for c in _facts(source).calls}
    assert (3, "load", "json.load") in calls
    assert (4, "open", "builtins.open") in calls


MUST_NOT_FLAG: list[tuple[str, str]] = [
    (
        "to_dict",
        'import pandas as pd\ndef f(rows):\n    return pd.DataFrame(rows).to_dict("records")\n',
    ),
    ("to_numpy", "import pandas as pd\ndef f(rows):\n    return pd.DataFrame(rows).to_numpy()\n"),
    (
        "to_csv without a destination",
        "import pandas as pd\ndef f(rows):\n    df = pd.DataFrame(rows)\n    return df.to_csv()\n",
    ),
    (
        "to_csv(None)",
        "import pandas as pd\ndef f(x):\n    return pd.DataFrame(x).to_csv(None, index=False)\n",
    ),
    (
        "to_json with options only",
        'import pandas as pd\ndef f(x):\n    return pd.DataFrame(x).to_json(orient="records")\n',
    ),
    (
        "to_markdown(buf=None)",
        "import pandas as pd\ndef f(rows):\n    return pd.DataFrame(rows).to_markdown(buf=None)\n",
    ),
    ("a parameter named open", "def f(open, p):\n    return open(p)\n"),
    ("a local named open", "def f(make, p):\n    open = make()\n    return open(p)\n"),
    (
        "write on a non-IO object",
        "import io\ndef f(report, s):\n    report.write(s)\n    io.StringIO().write(s)\n",
    ),
    ("write on self", "class Sink:\n    def write(self, s):\n        return self.write(s)\n"),
    (
        "getattr with a computed name",
        "import json\ndef f(x, name):\n    return getattr(json, name)(x)\n",
    ),
    ("getattr on an unknown object", 'def f(obj, x):\n    return getattr(obj, "load")(x)\n'),
    (
        "pure path methods",
        "from pathlib import Path, PurePath\n"
        "def f(a):\n"
        '    (Path(a) / "b").as_posix()\n'
        '    Path(a).with_suffix(".txt").name.upper()\n'
        '    return PurePath(a).joinpath("b").relative_to(a)\n',
    ),
    ("numbers divided", "def f(a, b):\n    return (a / b).conjugate()\n"),
    (
        "partial of a pure function",
        "import functools, json\nLOADS = functools.partial(json.loads)\n",
    ),
    (
        "class alias of a pure function",
        "import json\n"
        "class P:\n"
        "    parse = json.loads\n"
        "    def f(self, t):\n"
        "        return self.parse(t)\n",
    ),
    (
        "class attribute that is not a function",
        "class P:\n    reader = None\n    def f(self, t):\n        return self.reader(t)\n",
    ),
    ("a pure name from a star import", "from json import *\ndef f(t):\n    return loads(t)\n"),
    ("sys values that are not streams", "import sys\ndef f():\n    return sys.version.split()\n"),
    (
        "a static method's first parameter",
        "import json\n"
        "class C:\n"
        "    reader = json.load\n"
        "    @staticmethod\n"
        "    def f(x):\n"
        "        return x.reader(1)\n",
    ),
]


@pytest.mark.parametrize("source", [s for _, s in MUST_NOT_FLAG], ids=[i for i, _ in MUST_NOT_FLAG])
def test_look_alikes_are_not_flagged(source: str) -> None:
    assert PurityChecker(PURE).check(_facts(source)) == []


def test_a_local_shadow_of_a_star_name_is_not_the_star_name() -> None:
    source = "from json import *\ndef f(load, x):\n    return load(x)\n"
    assert _io_findings(source) == []


def test_an_unknown_star_import_owns_the_names_the_file_never_binds() -> None:
    source = (
        "from app.helpers import *\nfrom json import *\n"
        "def f(x):\n    fetch(x)\n    load(x)\n    len(x)\n"
    )
    resolved = [(c.name, c.qualname) for c in _facts(source).calls]
    assert resolved == [
        ("fetch", "app.helpers.fetch"),
        ("load", "json.load"),
        ("len", "builtins.len"),
    ]


def test_a_self_call_of_the_class_own_method_stays_unresolved() -> None:
    source = "class C:\n    def load(self):\n        return self.load()\n    alias = load\n"
    assert [(c.name, c.qualname) for c in _facts(source).calls] == [("load", "")]


# Environment.

ENVIRONMENT_CASES: list[tuple[str, str, str]] = [
    ("os.environ[...]", 'import os\ndef f():\n    return os.environ["HOME"]  # <-\n', "os.environ"),
    (
        "os.environ.get",
        'import os\ndef f():\n    return os.environ.get("HOME")  # <-\n',
        "os.environ",
    ),
    ("in os.environ", 'import os\nCI = "CI" in os.environ  # <-\n', "os.environ"),
    ("os.getenv", 'import os\ndef f():\n    return os.getenv("HOME")  # <-\n', "os.getenv"),
    (
        "environ imported from os",
        'from os import environ\ndef f():\n    return environ["HOME"]  # <-\n',
        "os.environ",
    ),
    ("os.environb", 'import os\ndef f():\n    return os.environb[b"HOME"]  # <-\n', "os.environb"),
    ("os.putenv", 'import os\ndef f():\n    os.putenv("A", "1")  # <-\n', "os.putenv"),
]


@pytest.mark.parametrize(
    ("source", "access"),
    [(s, a) for _, s, a in ENVIRONMENT_CASES],
    ids=[i for i, _, _ in ENVIRONMENT_CASES],
)
def test_reading_the_environment_is_its_own_warning(source: str, access: str) -> None:
    [line] = _marked(source)
    [found] = PurityChecker(PURE).check(_facts(source))
    assert (found.rule, found.line, found.severity) == (ENVIRONMENT.id, line, Severity.WARNING)
    assert found.extra == {"access": access}
    verb = "changes" if access == "os.putenv" else "reads"
    assert f"`{access}` {verb} the environment in pure module app.core.m" in found.message


def test_allow_environment_permits_it() -> None:
    allowed = PurityConfig(packages=("app.core",), allow_environment=True)
    for _, source, _ in ENVIRONMENT_CASES:
        assert PurityChecker(allowed).check(_facts(source)) == []


def test_environment_outside_the_pure_packages_is_not_checked() -> None:
    facts = _facts('import os\nX = os.environ["A"]\n', module="app.cli")
    assert len(facts.environment) == 1
    assert PurityChecker(PURE).check(facts) == []


@pytest.mark.parametrize(
    "source",
    [
        "def f(environ):\n    return environ['HOME']\n",
        "def f(self, config):\n    return self.environ, config.environ.get('A')\n",
        "import os\ndef f(a):\n    return os.path.join(a, 'environ')\n",
        "class C:\n    environ = {}\n    def f(self):\n        return self.environ\n",
    ],
)
def test_other_things_named_environ_are_not_the_environment(source: str) -> None:
    assert _facts(source).environment == ()


# The same resolution in the boundaries step.


def _boundary_calls(source: str, *patterns: str) -> list[tuple[int, str]]:
    from archverify.core.boundaries import BoundaryChecker

    rule = BoundaryRule(name="providers", packages=("app.core",), forbid_calls=patterns)
    found = BoundaryChecker([rule]).check(_facts(source))
    return [(f.line, str(f.extra["call"])) for f in found]


PROVIDER = "app.providers.get_questionnaire_provider"


@pytest.mark.parametrize(
    "source",
    [
        "from app import providers as provider_module\n"
        "def f():\n"
        '    return getattr(provider_module, "get_questionnaire_provider")()  # <-\n',
        "import importlib\n"
        "def f():\n"
        '    provider_module = importlib.import_module("app.providers")\n'
        '    return getattr(provider_module, "get_questionnaire_provider")()  # <-\n',
        "import functools\n"
        "from app.providers import get_questionnaire_provider\n"
        "LATER = functools.partial(get_questionnaire_provider)  # <-\n",
        "from app import providers\n"
        "class Uses:\n"
        "    provider = providers.get_questionnaire_provider\n"
        "    def f(self):\n"
        "        return self.provider()  # <-\n",
        "from app.providers import *\ndef f():\n    return get_questionnaire_provider()  # <-\n",
    ],
    ids=["getattr", "getattr on import_module", "partial", "class alias", "star import"],
)
def test_boundaries_sees_the_same_resolution(source: str) -> None:
    [line] = _marked(source)
    assert _boundary_calls(source, "app.providers.**") == [(line, PROVIDER)]
    # A bare pattern matches the name as written too, here through getattr's literal.
    assert _boundary_calls(source, "get_questionnaire_provider") == [(line, PROVIDER)]


def test_boundaries_still_forbids_a_writer_called_without_a_destination() -> None:
    # ``writes_nothing`` is purity's business: a boundary forbids the dependency itself.
    source = "import pandas as pd\ndef f(rows):\n    return pd.DataFrame(rows).to_csv()\n"
    assert _boundary_calls(source, "pandas.DataFrame.to_csv") == [(3, "pandas.DataFrame.to_csv")]


def test_a_bare_pattern_matches_getattr_literal_as_it_matches_an_attribute() -> None:
    source = (
        "def f(db, make):\n"
        '    getattr(db, "connect")()\n'
        "    db.connect()\n"
        '    make(db, "connect")()\n'
    )
    assert _boundary_calls(source, "connect") == [(2, "connect"), (3, "connect")]
