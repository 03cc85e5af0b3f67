"""Reading import-linter's configuration files: INI, setup.cfg, pyproject.toml, contracts_file."""

from __future__ import annotations

from pathlib import Path

import pytest

from archverify.orchestrator.config.importlinter import (
    IMPORTLINTER_FILES,
    ImportLinterConfig,
    load_importlinter_contracts,
)
from archverify.orchestrator.config.loader import ConfigError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "importlinter"

INI = """\
[importlinter]
root_packages =
    app
    lib
include_external_packages = True

# a comment
[importlinter:contract:layers]
name = App layers
type = layers
layers =
    ui
    api | cli
    domain : model
    (optional)
containers =
    app
exhaustive = true
exhaustive_ignores =
    utils
ignore_imports =
    app.*.x -> app.**
unmatched_ignore_imports_alerting = warn
broken_contract_guidance = read the docs

[importlinter:contract:forbid]
name = No requests in domain
type = forbidden
source_modules = app.domain
forbidden_modules =
    requests
    lib
allow_indirect_imports = False

[importlinter:contract:cycles]
name = Acyclic
type = acyclic_siblings
ancestors = app.*
depth = 2
"""


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def load(root: Path, contracts_file: str = "") -> ImportLinterConfig:
    found = load_importlinter_contracts(root, contracts_file)
    assert found is not None
    return found


def test_ini_contracts_keep_importlinter_keys_and_lines(tmp_path: Path) -> None:
    write(tmp_path, ".importlinter", INI)
    config = load(tmp_path)
    assert config.file == ".importlinter"
    assert config.root_packages == ("app", "lib")
    assert config.include_external_packages is True
    assert config.exclude_type_checking_imports is False
    layers, forbid, cycles = config.contracts
    assert (layers.name, layers.type, layers.origin) == ("App layers", "layers", ".importlinter:8")
    assert layers.options == {
        "layers": ["ui", "api | cli", "domain : model", "(optional)"],
        "containers": ["app"],
        "exhaustive": True,
        "exhaustive_ignores": ["utils"],
        "ignore_imports": ["app.*.x -> app.**"],
        "unmatched_ignore_imports_alerting": "warn",
        "include_type_checking_imports": True,
        "include_external_packages": True,
    }
    assert forbid.options == {
        "source_modules": ["app.domain"],
        "forbidden_modules": ["requests", "lib"],
        "allow_indirect_imports": False,
        "include_type_checking_imports": True,
        "include_external_packages": True,
    }
    assert cycles.options["depth"] == 2
    assert cycles.options["ancestors"] == ["app.*"]


def test_setup_cfg_wins_over_importlinter_and_pyproject(tmp_path: Path) -> None:
    contract = "\n[importlinter:contract:x]\nname = x\ntype = independence\nmodules = a\n"
    toml_contract = '\n[[tool.importlinter.contracts]]\nname = "x"\ntype = "independence"\n'
    write(tmp_path, "setup.cfg", "[metadata]\nname = x\n")  # no importlinter section: skipped
    write(tmp_path, ".importlinter", "[importlinter]\nroot_package = a\n" + contract)
    write(
        tmp_path,
        "pyproject.toml",
        '[tool.importlinter]\nroot_package = "b"\n' + toml_contract + 'modules = ["b"]\n',
    )
    assert load(tmp_path).root_packages == ("a",)
    write(tmp_path, "setup.cfg", "[importlinter]\nroot_package = c\n" + contract)
    assert load(tmp_path).file == "setup.cfg"
    (tmp_path / "setup.cfg").unlink()
    (tmp_path / ".importlinter").unlink()
    assert load(tmp_path).root_packages == ("b",)


def test_no_configuration_is_none(tmp_path: Path) -> None:
    assert load_importlinter_contracts(tmp_path) is None
    write(tmp_path, "pyproject.toml", "[tool.archverify]\npackages = ['x']\n")
    assert load_importlinter_contracts(tmp_path) is None


def test_pyproject_toml_with_exclude_type_checking(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        """\
[project]
name = "x"

[tool.importlinter]
root_packages = ["x"]
exclude_type_checking_imports = true

[[tool.importlinter.contracts]]
id = "one"
name = "Protected"
type = "protected"
protected_modules = ["x.db"]
allowed_importers = ["x.repo"]
as_packages = false

[[tool.importlinter.contracts]]
name = "Cycles"
type = "acyclic_siblings"
ancestors = "x"
depth = 0
""",
    )
    config = load(tmp_path)
    assert config.exclude_type_checking_imports is True
    protected, cycles = config.contracts
    assert protected.origin == "pyproject.toml:8"
    assert protected.options == {
        "protected_modules": ["x.db"],
        "allowed_importers": ["x.repo"],
        "as_packages": False,
        "include_type_checking_imports": False,
        "include_external_packages": False,
    }
    assert cycles.origin == "pyproject.toml:16"
    assert cycles.options["ancestors"] == ["x"] and cycles.options["depth"] == 0


def test_contracts_file_is_read_whatever_its_name(tmp_path: Path) -> None:
    write(tmp_path, ".importlinter", "[importlinter]\nroot_package = ignored\n")
    write(
        tmp_path,
        "contracts/importlinter.ini",
        "[importlinter]\nroot_package = p\n\n[importlinter:contract:x]\n"
        "name = i\ntype = independence\nmodules =\n    p.a\n    p.b\n",
    )
    config = load(tmp_path, "contracts/importlinter.ini")
    assert config.file == "contracts/importlinter.ini"
    (contract,) = config.contracts
    assert contract.origin == "contracts/importlinter.ini:4"
    assert contract.options["modules"] == ["p.a", "p.b"]


@pytest.mark.parametrize(
    ("name", "text", "where", "message"),
    [
        ("c.ini", "[importlinter\nroot_package = p\n", "c.ini:1", "invalid INI"),
        ("c.ini", "[importlinter]\nroot_package = p\nroot_package = q\n", "c.ini:3", "already"),
        ("c.ini", "[importlinter]\nroot_package = p\n  stray\n=x\n", "c.ini:4", "cannot parse"),
        ("c.ini", "[importlinter]\nname = x\n", "c.ini:1", "root_package"),
        ("c.ini", "[importlinter]\nroot_package = p-q\n", "c.ini:2", "not a package name"),
        ("c.ini", "[importlinter]\nroot_package = 50%\n", "c.ini:2", "'%'"),
        ("c.toml", '[tool.importlinter\nroot_package = "p"\n', "c.toml:1", "invalid TOML"),
        ("c.toml", "[tool]\nimportlinter = 3\n", "c.toml:2", "must be a table"),
        (
            "c.toml",
            '[tool.importlinter]\nroot_package = "p"\ncontracts = 3\n',
            "c.toml:3",
            "[[...]]",
        ),
        ("c.ini", "[other]\nx = 1\n", "c.ini:0", "no [importlinter] section"),
        ("c.toml", "[tool.other]\nx = 1\n", "c.toml:0", "no [tool.importlinter] section"),
    ],
)
def test_malformed_files_name_file_and_line(
    tmp_path: Path, name: str, text: str, where: str, message: str
) -> None:
    write(tmp_path, name, text)
    with pytest.raises(ConfigError) as caught:
        load_importlinter_contracts(tmp_path, name)
    assert f"{caught.value.path}:{caught.value.line}" == where
    assert message in caught.value.message


CONTRACT_HEAD = "[importlinter]\nroot_package = p\n\n[importlinter:contract:c]\nname = c\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("type = layers\n", 4, "missing required 'layers'"),
        ("type = custom.Contract\n", 6, "not supported"),
        ("layers = a\n", 4, "no 'type'"),
        ("type = layers\nlayers = a | b : c\n", 7, "mixes"),
        # import-linter's layer rules: one layer per module, no layer inside another.
        ("type = layers\nlayers =\n  p.a\n  p.a.b\n", 7, "Layers cannot contain other layers"),
        ("type = layers\nlayers =\n  p.a\n  p.b\n  p.a\n", 7, "in more than one layer: 'p.a'"),
        ("type = layers\nlayers = p.a | p.a\n", 7, "cannot be repeated in a layer"),
        ("type = layers\nlayers = a\nexhaustive = yes\n", 8, "true or false"),
        ("type = forbidden\nsource_modules = p.a\nforbidden_modules = os\n", 8, "include_ext"),
        ("type = forbidden\nsource_modules = p.*\nforbidden_modules = p.b\n", 7, "wildcards"),
        (
            "type = independence\nmodules = p.a\nunmatched_ignore_imports_alerting = loud\n",
            8,
            "one of error, warn, none",
        ),
        ("type = acyclic_siblings\nancestors = p\ndepth = -1\n", 8, "integer >= 0"),
        ("type = acyclic_siblings\nancestors = p\ndepth =\n  1\n  2\n", 8, "single value"),
        ("type = independence\nmodules = p.a\nignore_imports = p.a\n", 4, "'a -> b'"),
    ],
)
def test_bad_contracts_name_their_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    write(tmp_path, ".importlinter", CONTRACT_HEAD + body)
    with pytest.raises(ConfigError) as caught:
        load_importlinter_contracts(tmp_path)
    assert (caught.value.path, caught.value.line) == (".importlinter", line)
    assert message in caught.value.message


def test_missing_contracts_file_and_unknown_options(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_importlinter_contracts(tmp_path, "nope.ini")
    write(
        tmp_path,
        ".importlinter",
        CONTRACT_HEAD + "type = independence\nmodules = p.a\nclosed = true\nsomething = 1\n",
    )
    # import-linter ignores options it does not know: so do we, rather than enforce them.
    (contract,) = load(tmp_path).contracts
    assert set(contract.options) == {
        "modules",
        "include_type_checking_imports",
        "include_external_packages",
    }


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_every_fixture_loads(fixture: str) -> None:
    root = FIXTURES / fixture
    marker = root / "CONTRACTS_FILE"
    contracts_file = marker.read_text().strip() if marker.exists() else ""
    config = load(root, contracts_file)
    assert config.contracts
    assert all(c.origin.startswith(config.file + ":") for c in config.contracts)


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        (
            "contracts/importlinter.ini",
            "[importlinter]\nroot_package = p\n\n[contract:x]\nname = x\ntype = independence\n",
            1,
            "[contract:x] is not read, name it [importlinter:contract:x]",
        ),
        (
            ".importlinter",
            "[importlinter]\nroot_package = p.sub\n[importlinter:contract:x]\nname = x\n",
            2,
            "'p.sub' is not a top-level package",
        ),
        (
            "pyproject.toml",
            '[tool.importlinter]\nroot_package = "p"\n[[tool.importlinter.contract]]\nname = "x"\n',
            1,
            "the key is 'contracts', not 'contract'",
        ),
        (".importlinter", "[other]\nx = 1\n", 0, "no [importlinter] section"),
    ],
)
def test_files_lint_imports_rejects_are_rejected(
    tmp_path: Path, name: str, text: str, line: int, message: str
) -> None:
    """A found import-linter file is never silently ignored; named or found, the same error."""
    write(tmp_path, name, text)
    for contracts_file in ("", name) if name in IMPORTLINTER_FILES else (name,):
        with pytest.raises(ConfigError) as caught:
            load_importlinter_contracts(tmp_path, contracts_file)
        assert (caught.value.path, caught.value.line) == (name, line)
        assert message in caught.value.message


def test_any_importlinter_prefixed_section_is_a_contract(tmp_path: Path) -> None:
    # import-linter reads [importlinter:<anything>] as a contract whose id follows the colon.
    write(
        tmp_path,
        ".importlinter",
        "[importlinter]\nroot_package = p\n[importlinter:x]\n"
        "name = x\ntype = independence\nmodules = p.a\n",
    )
    assert [c.name for c in load(tmp_path).contracts] == ["x"]
