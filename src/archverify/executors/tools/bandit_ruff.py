"""The bandit step's ruff engine: ruff's flake8-bandit rules (``S``) reported as bandit's tests.

flake8-bandit numbered its codes after bandit's test ids, with ``S`` for bandit's ``B`` (``B``
was flake8-bugbear's), and ruff kept the numbers: ``S602`` is ``B602``. ruff reports no
severity and no confidence, so a finding carries the severity bandit gives that test in its
usual case (``CHECKS``) and an unknown confidence. ruff runs isolated (the project's ruff
configuration is the ruff step's business) with the project's bandit configuration translated:
``tests`` and ``skips`` select and ignore codes, ``exclude``/``exclude_dirs`` leave files out,
and ``# nosec`` comments are honoured as bandit honours them (``# noqa`` is not: bandit does not
read it either).
"""

from __future__ import annotations

import configparser
import fnmatch
import io
import json
import re
import tokenize
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from archverify.executors.base import StepContext
from archverify.executors.runtime.process import (
    ToolFailure,
    error_line,
    first_line,
    relative_path,
    run_checked,
)


class Check(NamedTuple):
    """One bandit test: its name and the severity bandit gives it in the usual case."""

    name: str
    severity: str


# Every test bandit 1.9 loads (``bandit -h``), with the severity of its main case (B103 is medium
# for a mask that is not world-writable; ruff does not say which case it saw).
# ``tests/executors/test_bandit_ruff_engine.py`` checks the names against the installed bandit.
CHECKS: dict[str, Check] = {
    "B101": Check("assert_used", "low"),
    "B102": Check("exec_used", "medium"),
    "B103": Check("set_bad_file_permissions", "high"),
    "B104": Check("hardcoded_bind_all_interfaces", "medium"),
    "B105": Check("hardcoded_password_string", "low"),
    "B106": Check("hardcoded_password_funcarg", "low"),
    "B107": Check("hardcoded_password_default", "low"),
    "B108": Check("hardcoded_tmp_directory", "medium"),
    "B110": Check("try_except_pass", "low"),
    "B112": Check("try_except_continue", "low"),
    "B113": Check("request_without_timeout", "medium"),
    "B201": Check("flask_debug_true", "high"),
    "B202": Check("tarfile_unsafe_members", "high"),
    "B301": Check("pickle", "medium"),
    "B302": Check("marshal", "medium"),
    "B303": Check("md5", "medium"),
    "B304": Check("ciphers", "high"),
    "B305": Check("cipher_modes", "medium"),
    "B306": Check("mktemp_q", "medium"),
    "B307": Check("eval", "medium"),
    "B308": Check("mark_safe", "medium"),
    "B310": Check("urllib_urlopen", "medium"),
    "B311": Check("random", "low"),
    "B312": Check("telnetlib", "high"),
    "B313": Check("xml_bad_cElementTree", "medium"),
    "B314": Check("xml_bad_ElementTree", "medium"),
    "B315": Check("xml_bad_expatreader", "medium"),
    "B316": Check("xml_bad_expatbuilder", "medium"),
    "B317": Check("xml_bad_sax", "medium"),
    "B318": Check("xml_bad_minidom", "medium"),
    "B319": Check("xml_bad_pulldom", "medium"),
    "B321": Check("ftplib", "high"),
    "B323": Check("unverified_context", "medium"),
    "B324": Check("hashlib_insecure_functions", "high"),
    "B401": Check("import_telnetlib", "high"),
    "B402": Check("import_ftplib", "high"),
    "B403": Check("import_pickle", "low"),
    "B404": Check("import_subprocess", "low"),
    "B405": Check("import_xml_etree", "low"),
    "B406": Check("import_xml_sax", "low"),
    "B407": Check("import_xml_expat", "low"),
    "B408": Check("import_xml_minidom", "low"),
    "B409": Check("import_xml_pulldom", "low"),
    "B411": Check("import_xmlrpclib", "high"),
    "B412": Check("import_httpoxy", "high"),
    "B413": Check("import_pycrypto", "high"),
    "B415": Check("import_pyghmi", "high"),
    "B501": Check("request_with_no_cert_validation", "high"),
    "B502": Check("ssl_with_bad_version", "high"),
    "B503": Check("ssl_with_bad_defaults", "medium"),
    "B504": Check("ssl_with_no_version", "low"),
    "B505": Check("weak_cryptographic_key", "high"),
    "B506": Check("yaml_load", "medium"),
    "B507": Check("ssh_no_host_key_verification", "high"),
    "B508": Check("snmp_insecure_version", "medium"),
    "B509": Check("snmp_weak_cryptography", "medium"),
    "B601": Check("paramiko_calls", "medium"),
    "B602": Check("subprocess_popen_with_shell_equals_true", "high"),
    "B603": Check("subprocess_without_shell_equals_true", "low"),
    "B604": Check("any_other_function_with_shell_equals_true", "medium"),
    "B605": Check("start_process_with_a_shell", "high"),
    "B606": Check("start_process_with_no_shell", "low"),
    "B607": Check("start_process_with_partial_path", "low"),
    "B608": Check("hardcoded_sql_expressions", "medium"),
    "B609": Check("linux_commands_wildcard_injection", "high"),
    "B610": Check("django_extra_used", "medium"),
    "B611": Check("django_rawsql_used", "medium"),
    "B612": Check("logging_config_insecure_listen", "medium"),
    "B613": Check("trojansource", "high"),
    "B614": Check("pytorch_load", "medium"),
    "B615": Check("huggingface_unsafe_download", "medium"),
    "B701": Check("jinja2_autoescape_false", "high"),
    "B702": Check("use_of_mako_templates", "medium"),
    "B703": Check("django_mark_safe", "medium"),
    "B704": Check("markupsafe_markup_xss", "medium"),
}
_BY_NAME = {check.name.lower(): test_id for test_id, check in CHECKS.items()}
_RUFF_CODE = re.compile(r"^S(\d{3})$")
# bandit's own patterns (bandit.core.manager): ``# nosec``, ``# nosec B602, B404``, names too.
_NOSEC = re.compile(r"#\s*nosec:?\s*(?P<tests>[^#]+)?#?")
_NOSEC_TESTS = re.compile(r"(?:(B\d+|[a-z\d_]+),?)+", re.IGNORECASE)
# The bandit arguments the ruff engine can honour; every other one fails the step, naming it.
_LIST_OPTIONS = {"-t": "tests", "--tests": "tests", "-s": "skips", "--skip": "skips"}
_LEVELS = {"low": 1, "medium": 2, "high": 3}


def bandit_id(code: str) -> str | None:
    """The bandit test id of a ruff code (``S602`` -> ``B602``), None if it is not an S code."""
    found = _RUFF_CODE.match(code)
    return f"B{found.group(1)}" if found else None


def ruff_code(test_id: str) -> str:
    return f"S{test_id[1:]}"


@dataclass(frozen=True)
class Selection:
    """What the project's bandit configuration and the step's ``args`` ask for."""

    tests: tuple[str, ...] = ()  # only these test ids (empty: all)
    skips: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # bandit's exclude patterns (globs or path parts)
    lowest: int = 0  # -l/-ll/-lll, --severity-level: issues below it are not reported

    def wanted(self, test_id: str) -> bool:
        return (not self.tests or test_id in self.tests) and test_id not in self.skips

    def excluded(self, path: str) -> bool:
        # bandit's _is_file_included: a glob match or a plain substring of the path.
        return any(fnmatch.fnmatch(path, p) or p in path for p in self.exclude)


def selection(context: StepContext, args: Sequence[str]) -> Selection:
    """The project's ``[tool.bandit]`` / ``.bandit`` settings, then ``args`` (which win)."""
    settings = _project_settings(context.root)
    tests = _ids(settings.get("tests"))
    skips = _ids(settings.get("skips"))
    exclude = _strings(settings.get("exclude_dirs")) + _strings(settings.get("exclude"))
    lowest = 0
    index = 0
    while index < len(args):
        arg = args[index]
        name, has_value, value = arg.partition("=")
        if name in _LIST_OPTIONS:
            if not has_value:
                index += 1
                if index >= len(args):
                    raise ToolFailure(f"bandit argument {arg} needs a value")
                value = args[index]
            if _LIST_OPTIONS[name] == "tests":
                tests = _ids(value)
            else:
                skips = _ids(value)
        elif re.fullmatch(r"-l{1,3}", arg):
            lowest = len(arg) - 1
        elif name == "--severity-level" and (has_value or index + 1 < len(args)):
            if not has_value:
                index += 1
                value = args[index]
            lowest = _LEVELS.get(value.lower(), 0)
        else:
            raise ToolFailure(
                f'bandit argument {arg!r} has no meaning with engine = "ruff" (it honours -t, '
                "-s, -l and --severity-level); remove it or use the bandit engine"
            )
        index += 1
    return Selection(tests, skips, tuple(exclude), lowest)


def check_files(
    context: StepContext, paths: Sequence[str], chosen: Selection, *, timeout_s: float
) -> dict[str, list[dict[str, Any]]]:
    """Each path's issue records (as the bandit engine makes them) from one ruff run."""
    fresh: dict[str, list[dict[str, Any]]] = {path: [] for path in paths}
    targets = [p for p in paths if not chosen.excluded(p)]
    if not targets or not any(chosen.wanted(t) for t in CHECKS):
        return fresh
    # --isolated: the project's ruff configuration (its selection, its ignores) is the ruff
    # step's; here only bandit's configuration decides. --preview: bandit's import checks
    # (B401-B415) are preview rules in ruff. --ignore-noqa: bandit reads its nosec comments,
    # not noqa ones. All of S, then bandit's tests/skips: a code this ruff lacks would be a
    # usage error.
    args = [
        *("check", "--isolated", "--preview", "--ignore-noqa", "--no-cache", "--no-fix"),
        *("--output-format", "json", "--select", "S", "--"),
        *targets,
    ]
    run = run_checked("ruff", args, cwd=context.root, timeout_s=timeout_s, ok_codes=(0, 1))
    try:
        data = json.loads(run.stdout)
    except ValueError:
        raise ToolFailure(f"ruff printed no JSON: {error_line(run.stderr or run.stdout)}") from None
    if not isinstance(data, list):
        raise ToolFailure(f"ruff printed unexpected JSON: {first_line(run.stdout)}")
    nosec: dict[str, dict[int, set[str]]] = {}
    for item in data:
        if not isinstance(item, dict):
            continue
        path = relative_path(context.root, str(item.get("filename", "")))
        record = _record(item)
        if record is None:
            # ruff reports every syntax error of a file; bandit gives up on it once: one
            # parse error per file, the first ruff names.
            records = fresh.setdefault(path, [])
            if not any(r["kind"] == "error" for r in records):
                message = str(item.get("message") or "ruff cannot parse it")
                records.append({"kind": "error", "message": message})
            continue
        if not chosen.wanted(record["test_id"]):
            continue
        if path not in nosec:
            nosec[path] = nosec_lines(context.root / path)
        if _suppressed(record["test_id"], nosec[path].get(record["line"])):
            continue
        if _LEVELS[record["severity"]] < chosen.lowest:
            continue
        fresh.setdefault(path, []).append(record)
    return fresh


def _record(item: dict[str, Any]) -> dict[str, Any] | None:
    test_id = bandit_id(str(item.get("code") or ""))
    if test_id is None:
        return None  # a syntax error: ruff reports it without an S code
    location = item.get("location") or {}
    check = CHECKS.get(test_id, Check("", "medium"))
    message = str(item.get("message") or "")
    # B602/B605 with a literal command: bandit rates it low, and ruff's message says which.
    severity = "low" if "seems safe" in message else check.severity
    return {
        "kind": "issue",
        "test_id": test_id,
        "test_name": check.name,
        "severity": severity,
        "confidence": "undefined",
        "line": int(location.get("row") or 0),
        "column": int(location.get("column") or 0),
        "message": message,
        "more_info": str(item.get("url") or ""),
        "engine": f"ruff {item.get('code')}",
    }


def nosec_lines(path: Path) -> dict[int, set[str]]:
    """Line -> the test ids its ``# nosec`` comment names (empty: every test), as bandit reads
    them: in comments only, ids or test names."""
    try:
        source = path.read_bytes()
        # Tokenizing is most of the engine's own time (3 s of Django's 216 findings): only a
        # file that says nosec somewhere can have such a comment.
        if b"nosec" not in source:
            return {}
        tokens = list(tokenize.tokenize(io.BytesIO(source).readline))
    except (OSError, SyntaxError, tokenize.TokenError):
        return {}
    lines: dict[int, set[str]] = {}
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        found = _NOSEC.search(token.string)
        if found is None:
            continue
        named: set[str] = set()
        for part in _NOSEC_TESTS.finditer(found.group("tests") or ""):
            word = part.group(1)
            test_id = word.upper() if word.upper() in CHECKS else _BY_NAME.get(word.lower())
            if test_id:
                named.add(test_id)
        lines[token.start[0]] = named
    return lines


def _suppressed(test_id: str, named: set[str] | None) -> bool:
    return named is not None and (not named or test_id in named)


def _project_settings(root: Path) -> dict[str, Any]:
    """``[tool.bandit]`` of pyproject.toml, with ``.bandit``'s ``[bandit]`` over it."""
    settings: dict[str, Any] = {}
    try:
        pyproject = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    except (OSError, ValueError):
        pyproject = {}
    table = pyproject.get("tool", {}).get("bandit", {})
    if isinstance(table, dict):
        settings.update(table)
    parser = configparser.ConfigParser()
    try:
        parser.read_string((root / ".bandit").read_text("utf-8"))
    except (OSError, ValueError, configparser.Error):
        return settings
    if parser.has_section("bandit"):
        settings.update(dict(parser["bandit"]))
    return settings


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(part).strip() for part in value if str(part).strip()]
    return []


def _ids(value: Any) -> tuple[str, ...]:
    """Test ids from a comma list or a TOML list; names become ids (bandit takes both)."""
    found: list[str] = []
    for word in _strings(value):
        test_id = word.upper() if word.upper() in CHECKS else _BY_NAME.get(word.lower())
        found.append(test_id or word)
    return tuple(found)


def ruff_codes_of(rules: Iterable[dict[str, Any]]) -> dict[str, str]:
    """bandit test id -> ruff code, for the S rules of ``ruff rule --all --output-format
    json`` that ruff still has (not removed)."""
    found: dict[str, str] = {}
    for rule in rules:
        code = str(rule.get("code") or "")
        status = rule.get("status")
        removed = isinstance(status, dict) and "Removed" in status
        test_id = bandit_id(code)
        if rule.get("linter") == "flake8-bandit" and test_id and not removed:
            found[test_id] = code
    return found
