"""Which tool arguments would let a tool change files: refused in the configuration.

archverify runs every tool read-only: a step reports, it never rewrites the project (issue 9:
``args = ["--fix"]`` once emptied a source file). An argument that makes a tool write into the
tree (fixes, ``noqa`` comments, reports, caches, a ``--basetemp`` pytest deletes) or never end
(``--watch``) is a configuration error naming the key. Report and cache files archverify needs
it places itself, outside the tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ArgumentRules:
    """One tool's writing arguments, as its command line parser sees them.

    ``abbreviations``: the parser accepts an unambiguous prefix of a long option (argparse's
    default), so ``--install-ty`` means ``--install-types``. ``flag_letters``: short options
    that take no value, so ``-qo FILE`` still reaches ``-o``.
    """

    long: frozenset[str]
    short: frozenset[str] = frozenset()
    flag_letters: frozenset[str] = frozenset()
    abbreviations: bool = False
    # A short option whose value may not be one of these (``-p cacheprovider``, ``-pNAME``).
    refused_values: tuple[str, frozenset[str]] | None = None
    # The parser replaces an ``@FILE`` argument by the arguments written in FILE.
    reads_argument_files: bool = False


_MYPY_REPORTS = (
    "any-exprs cobertura-xml html linecount linecoverage lineprecision memory-xml txt xml "
    "xslt-html xslt-txt"
).split()

RULES: dict[str, ArgumentRules] = {
    # ruff's parser (clap) takes no abbreviations; -o is --output-file, -w is --watch.
    "ruff": ArgumentRules(
        long=frozenset(
            {"--fix", "--unsafe-fixes", "--fix-only", "--add-noqa", "--watch"}
            | {"--output-file", "--cache-dir"}
        ),
        short=frozenset("ow"),
        flag_letters=frozenset("eqsvhn"),
        reads_argument_files=True,  # ruff expands @FILE before clap parses
    ),
    "mypy": ArgumentRules(
        long=frozenset(
            {f"--{name}-report" for name in _MYPY_REPORTS}
            | {"--junit-xml", "--install-types", "--non-interactive", "--cache-dir"}
        ),
        abbreviations=True,
        reads_argument_files=True,  # argparse fromfile_prefix_chars="@"
    ),
    "bandit": ArgumentRules(
        long=frozenset({"--output"}),
        short=frozenset("o"),
        flag_letters=frozenset("rvdqli"),
        abbreviations=True,
    ),
    # pytest's parser takes no abbreviations; --basetemp is emptied by pytest before the run.
    # -p cacheprovider undoes archverify's -p no:cacheprovider: .pytest_cache in the tree.
    "tests": ArgumentRules(
        long=frozenset({"--basetemp", "--junitxml", "--junit-xml", "--debug", "--pastebin"}),
        refused_values=("-p", frozenset({"cacheprovider"})),
        reads_argument_files=True,  # pytest 9's argparse fromfile_prefix_chars="@"
    ),
}
# bandit's argparse reads no @FILE: there ``@x`` is only a path to check.
ARGUMENT_FILE_PREFIX = "@"
# Always passed to ruff: ``fix = true`` or ``fix-only = true`` in the project's own ruff
# configuration must not make it rewrite files either (``--no-fix`` alone does not override
# ``fix-only``).
RUFF_READ_ONLY: tuple[str, ...] = ("--no-fix", "--no-fix-only")


def refused_argument(tool: str, args: Sequence[str]) -> str | None:
    """The first argument of ``args`` that would let ``tool`` write files, or None."""
    rules = RULES.get(tool)
    if rules is None:
        return None
    for index, arg in enumerate(args):
        if arg == "--":
            break  # what follows is paths
        if rules.refused_values is not None:
            option, values = rules.refused_values
            value = args[index + 1] if arg == option and index + 1 < len(args) else None
            if arg.startswith(option) and arg != option:
                value = arg[len(option) :]
            if value in values:
                return arg if arg != option else f"{arg} {value}"
        if arg.startswith("--"):
            name = arg.split("=", 1)[0]
            if _names_refused(name, rules.long, rules.abbreviations):
                return arg
        elif arg.startswith("-") and len(arg) > 1 and _cluster_refused(arg[1:], rules):
            return arg
    return None


def argument_file(tool: str, args: Sequence[str]) -> str | None:
    """The first ``@FILE`` argument of ``args`` that ``tool``'s parser would expand, or None.

    The arguments in FILE would reach the tool unseen by ``refused_argument`` (``--junit-xml``
    writing anywhere) and by the cache key (an edited FILE would replay a stale verdict). Every
    argument counts, those after ``--`` too: argparse and ruff expand them before parsing.
    """
    rules = RULES.get(tool)
    if rules is None or not rules.reads_argument_files:
        return None
    return next((arg for arg in args if arg.startswith(ARGUMENT_FILE_PREFIX)), None)


def path_arguments(paths: Sequence[str]) -> list[str]:
    """``paths`` as a tool's command line arguments: never read as an ``@FILE`` of arguments.

    argparse expands ``@x`` wherever it stands, after ``--`` too, so a source root or a test
    path named ``@src`` would hand mypy or pytest the arguments written in ``src``: ``./@src``
    names the same folder and is no argument file.
    """
    return [f"./{p}" if p.startswith(ARGUMENT_FILE_PREFIX) else p for p in paths]


def names_option(args: Sequence[str], option: str, abbreviations: bool) -> str | None:
    """The first argument of ``args`` naming the long ``option`` (``--opt``, ``--opt=V``, an
    abbreviation when the parser takes them), or None; nothing after ``--`` counts."""
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("--") and _names_refused(arg.split("=", 1)[0], [option], abbreviations):
            return arg
    return None


def _names_refused(name: str, refused: Iterable[str], abbreviations: bool) -> bool:
    if name in refused:
        return True
    return abbreviations and len(name) > 2 and any(option.startswith(name) for option in refused)


def _cluster_refused(letters: str, rules: ArgumentRules) -> bool:
    """``-qo``: each letter an option until the first that takes a value (the rest is it)."""
    for letter in letters:
        if letter in rules.short:
            return True
        if letter not in rules.flag_letters:
            return False
    return False
