"""The pinned benchmark projects and the archverify / import-linter configs written for them."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archverify.core.steps import BY_ID, STEPS

# The steps compared with the runbook: every step but the tests and snapshots, which the runbook
# has no tool for (from archverify's step catalogue, in its order).
_NOT_IN_RUNBOOK = frozenset({"tests", "snapshots"})
BENCH_STEPS: tuple[str, ...] = tuple(spec.id for spec in STEPS if spec.id not in _NOT_IN_RUNBOOK)
STATIC_STEPS = ",".join(step_id for step_id in BENCH_STEPS if BY_ID[step_id].static)


@dataclass(frozen=True)
class Contract:
    """One import contract, written both to archverify.toml and to .importlinter."""

    name: str
    type: str
    options: Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class ProjectSpec:
    """A pinned sdist and the verification config the benchmark writes into its root."""

    name: str
    requirement: str  # what `pip download` gets: NAME==VERSION
    folder: str  # the sdist's top folder
    source_root: str
    package: str
    purity: tuple[str, ...]
    contracts: tuple[Contract, ...]
    boundary: Mapping[str, Sequence[str]]
    edit_file: str  # relative to the project root
    deps: tuple[str, ...] = ()  # installed aside so that the bulk imports see them
    exclude: tuple[str, ...] = field(default=())


PROJECTS: dict[str, ProjectSpec] = {
    "django": ProjectSpec(
        name="django",
        requirement="Django==5.2.19",
        folder="django-5.2.19",
        source_root=".",
        package="django",
        purity=("django.dispatch", "django.utils.functional", "django.utils.tree"),
        contracts=(
            Contract(
                "web stack layers",
                "layers",
                {
                    "layers": [
                        "django.contrib",
                        "django.views",
                        "django.forms",
                        "django.db",
                        "django.utils",
                    ]
                },
            ),
            Contract(
                "utils stay below the ORM and HTTP",
                "forbidden",
                {
                    "source_modules": ["django.utils"],
                    "forbidden_modules": ["django.db", "django.http", "django.contrib"],
                },
            ),
            Contract(
                "middleware and template tags are independent",
                "independence",
                {"modules": ["django.middleware", "django.templatetags"]},
            ),
        ),
        boundary={
            "name": "the ORM neither prints nor imports contrib apps",
            "packages": ["django.db"],
            "forbid_calls": ["print"],
            "forbid_imports": ["django.contrib"],
        },
        edit_file="django/db/models/query.py",
        deps=("asgiref>=3.8.1", "sqlparse>=0.3.1"),
    ),
    "sqlfluff": ProjectSpec(
        name="sqlfluff",
        requirement="sqlfluff==4.3.0",
        folder="sqlfluff-4.3.0",
        source_root="src",
        package="sqlfluff",
        purity=("sqlfluff.core.helpers",),
        # The project's own import-linter contracts (its pyproject.toml).
        contracts=(
            Contract(
                "Forbid dependencies outside core",
                "forbidden",
                {
                    "source_modules": ["sqlfluff.core"],
                    "forbidden_modules": [
                        "sqlfluff.api",
                        "sqlfluff.cli",
                        "sqlfluff.dialects",
                        "sqlfluff.rules",
                        "sqlfluff.utils",
                    ],
                },
            ),
            Contract(
                "API may not depend on CLI",
                "forbidden",
                {"source_modules": ["sqlfluff.api"], "forbidden_modules": ["sqlfluff.cli"]},
            ),
            Contract(
                "Dependency layers within core",
                "layers",
                {
                    "layers": [
                        "sqlfluff.core.linter",
                        "sqlfluff.core.rules",
                        "sqlfluff.core.parser",
                        "sqlfluff.core.errors",
                        "sqlfluff.core.types",
                        "sqlfluff.core.helpers",
                    ],
                    "ignore_imports": [
                        "sqlfluff.core.errors -> sqlfluff.core.rules",
                        "sqlfluff.core.errors -> sqlfluff.core.parser",
                        "sqlfluff.core.plugin.hookspecs -> sqlfluff.core.rules.base",
                        "sqlfluff.core.formatter -> sqlfluff.core.linter",
                    ],
                },
            ),
        ),
        boundary={
            "name": "the core does not use the CLI toolkit",
            "packages": ["sqlfluff.core"],
            "forbid_calls": ["print"],
            "forbid_imports": ["click"],
        },
        edit_file="src/sqlfluff/core/parser/lexer.py",
        deps=(
            "platformdirs",
            "chardet",
            "click<8.5.0",
            "colorama>=0.3",
            "diff-cover>=2.5.0",
            "Jinja2",
            "pathspec",
            "pyyaml>=5.1",
            "regex",
            "tblib",
            "tqdm",
        ),
    ),
    "requests": ProjectSpec(
        name="requests",
        requirement="requests==2.32.5",
        folder="requests-2.32.5",
        source_root="src",
        package="requests",
        purity=("requests.structures", "requests.status_codes", "requests.hooks"),
        contracts=(
            Contract(
                "request stack layers",
                "layers",
                {
                    "layers": [
                        "requests.api",
                        "requests.sessions",
                        "requests.adapters",
                        "requests.models",
                        "requests.utils",
                        "requests.structures",
                    ]
                },
            ),
            Contract(
                "data structures stay free of sessions",
                "forbidden",
                {
                    "source_modules": ["requests.structures", "requests.status_codes"],
                    "forbidden_modules": ["requests.sessions", "requests.adapters"],
                },
            ),
        ),
        boundary={
            "name": "only help prints",
            "packages": ["requests"],
            "forbid_calls": ["print"],
            "forbid_imports": [],
            "except_modules": ["requests.help"],
        },
        edit_file="src/requests/models.py",
        deps=("charset_normalizer>=2,<4", "idna>=2.5,<4", "urllib3>=1.21.1,<3", "certifi"),
    ),
}


def _toml_value(value: Any) -> str:
    # JSON strings, lists and booleans are valid TOML for the plain values written here.
    return json.dumps(value)


def archverify_toml(spec: ProjectSpec) -> str:
    """The archverify.toml the benchmark writes at the project root."""
    lines = [
        "# Written by bench/run.py: the runbook's checks, tests off for the comparison.",
        f"source_roots = {_toml_value([spec.source_root])}",
        f"packages = {_toml_value([spec.package])}",
        f"exclude = {_toml_value(list(spec.exclude))}",
        f"steps = {_toml_value(list(BENCH_STEPS))}",
        "",
        "[purity]",
        f"packages = {_toml_value(list(spec.purity))}",
        "",
    ]
    for contract in spec.contracts:
        lines += ["[[contracts]]", f"name = {_toml_value(contract.name)}"]
        lines.append(f"type = {_toml_value(contract.type)}")
        lines += [f"{key} = {_toml_value(list(v))}" for key, v in contract.options.items()]
        lines.append("")
    lines.append("[[boundaries]]")
    lines += [f"{key} = {_toml_value(value)}" for key, value in spec.boundary.items()]
    lines += [
        "",
        "[cycles]",
        f"packages = {_toml_value([spec.package])}",
        "",
        "[mypy]",
        'args = ["--ignore-missing-imports"]',
        "",
    ]
    return "\n".join(lines)


def importlinter_ini(spec: ProjectSpec) -> str:
    """The same contracts as an import-linter INI file."""
    lines = ["[importlinter]", f"root_package = {spec.package}", ""]
    for index, contract in enumerate(spec.contracts, start=1):
        lines += [f"[importlinter:contract:{index}]", f"name = {contract.name}"]
        lines.append(f"type = {contract.type}")
        for key, values in contract.options.items():
            lines.append(f"{key} =")
            lines += [f"    {value}" for value in values]
        lines.append("")
    return "\n".join(lines)


def write_configs(spec: ProjectSpec, root: Path) -> None:
    (root / "archverify.toml").write_text(archverify_toml(spec), encoding="utf-8")
    (root / ".importlinter").write_text(importlinter_ini(spec), encoding="utf-8")


@dataclass(frozen=True)
class Target:
    """What the runbook's tools are pointed at, read back from the project's archverify.toml."""

    name: str
    root: Path
    source_roots: tuple[Path, ...]
    packages: tuple[str, ...]
    package_paths: tuple[Path, ...]  # each package's folder (or module file)
    edit_file: Path
    deps_dir: Path | None = None
    importlinter: Path | None = None


def read_target(
    name: str, root: Path, edit_file: str | None = None, deps_dir: Path | None = None
) -> Target:
    """The benchmark target described by ``root/archverify.toml`` (packages are required)."""
    config_file = root / "archverify.toml"
    try:
        data = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SystemExit(f"bench: {config_file}: {exc}") from exc
    packages = tuple(data.get("packages") or ())
    if not packages:
        raise SystemExit(f"bench: {config_file}: `packages` must name the packages to measure")
    default_root = "src" if (root / "src").is_dir() else "."
    roots = tuple((root / r).resolve() for r in data.get("source_roots") or [default_root])
    paths = tuple(_package_path(roots, package, config_file) for package in packages)
    if edit_file is None:
        edit = paths[0] if paths[0].is_file() else min(paths[0].rglob("*.py"))
    else:
        edit = root / edit_file
    if not edit.is_file():
        raise SystemExit(f"bench: the file to edit does not exist: {edit}")
    importlinter = root / ".importlinter"
    return Target(
        name=name,
        root=root,
        source_roots=roots,
        packages=packages,
        package_paths=paths,
        edit_file=edit,
        deps_dir=deps_dir,
        importlinter=importlinter if importlinter.is_file() else None,
    )


def _package_path(roots: Sequence[Path], package: str, config_file: Path) -> Path:
    parts = package.split(".")
    for source_root in roots:
        folder = source_root.joinpath(*parts)
        if folder.is_dir():
            return folder
        module = folder.with_suffix(".py")
        if module.is_file():
            return module
    raise SystemExit(f"bench: {config_file}: package {package!r} not found under {list(roots)}")
