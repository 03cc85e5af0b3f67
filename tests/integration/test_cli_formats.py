"""The wiring between ``archverify run --format FMT=FILE`` and each renderer.

The golden files (tests/golden) pin what each renderer draws from a report; these tests pin
what only the command line can lose on the way there: the rule help handed to SARIF, the
project and config handed to the HTML picture, the baseline and the suppressions applied
before rendering, every step reaching JUnit and the tables. One run of the real CLI writes
every format at once; each format then has its own test.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from archverify.orchestrator.cli import main
from tests.integration.test_cli_run import FILES, STATIC, make_project

STEPS = STATIC.split(",")
# Added after the baseline was written: the one new finding of the run.
NEW_FILE = "src/app/core/extra.py"
NEW = {NEW_FILE: "def read(p):\n    return open(p)\n"}
# A finding suppressed inline: counted, never shown.
SUPPRESSED = {
    "src/app/core/io.py": (
        "def read(p):\n    return open(p)  # archverify: ignore[purity/io-call] the one reader\n"
    )
}
EXTENSIONS = {
    "text": "txt",
    "json": "json",
    "sarif": "sarif",
    "junit": "xml",
    "markdown": "md",
    "github": "log",
    "html": "html",
}


class Run:
    def __init__(self, root: Path, code: int, out: Path) -> None:
        self.root, self.code, self.out = root, code, out

    def text(self, fmt: str) -> str:
        return (self.out / f"report.{EXTENSIONS[fmt]}").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Five findings accepted in the baseline (a contract's cut note among them), one suppressed,
    one new; every format written."""
    base = tmp_path_factory.mktemp("formats")
    root = make_project(base / "p", {**FILES, **SUPPRESSED})
    assert main(["baseline", str(root)]) == 0
    make_project(root, NEW, config=None)
    out = base / "out"
    out.mkdir()
    args = ["run", str(root), "--steps", STATIC, "--no-cache"]
    for fmt, extension in EXTENSIONS.items():
        args += ["--format", f"{fmt}={out / f'report.{extension}'}"]
    return Run(root, main(args), out)


def check_text(run: Run) -> None:
    text = run.text("text")
    assert f"{NEW_FILE}:2:12: purity/io-call" in text
    assert "src/app/core/io.py" not in text
    rows = [line.split() for line in text.splitlines()]
    assert [row[0] for row in rows if row[1:2] in (["passed"], ["FAILED"])] == STEPS
    assert text.rstrip().endswith(
        "archverify FAILED: 1 error(s), 0 warning(s), 1 suppressed, 5 baselined"
        " (9 files, 9 modules, 3 imports analysed)"
    )


def check_json(run: Run) -> None:
    report = json.loads(run.text("json"))
    assert report["schema"] == 1
    assert report["root"] == str(run.root)
    assert [s["id"] for s in report["steps"]] == STEPS
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [("purity/io-call", NEW_FILE)]
    assert report["summary"]["suppressed"] == 1
    assert report["summary"]["baselined"] == 5


def check_sarif(run: Run) -> None:
    log = json.loads(run.text("sarif"))
    (sarif_run,) = log["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} == {
        "purity/io-call",
        "contracts/layers",
        "contracts/cut",
        "boundaries/forbidden-call",
        "cycles/import-cycle",
    }
    # The rule docs reach SARIF only through the CLI: without them GitHub shows no help.
    for rule in rules:
        assert rule["help"]["markdown"].strip(), rule["id"]
        assert not rule["shortDescription"]["text"].startswith("archverify "), rule["id"]
    states = sorted(r["baselineState"] for r in sarif_run["results"])
    assert states == ["new", *["unchanged"] * 5]
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == run.root.as_uri() + "/"
    # The contract's routes and the cycle reach SARIF as code flows: a located step per hop.
    schema = json.loads(
        (Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text()
    )
    jsonschema.validate(log, {**schema, "$ref": "#/definitions/Root"})
    flows = {r["ruleId"]: r.get("codeFlows") for r in sarif_run["results"]}
    for rule in ("contracts/layers", "cycles/import-cycle"):
        assert flows[rule], rule
        for flow in flows[rule]:
            for step in flow["threadFlows"][0]["locations"]:
                where = step["location"]["physicalLocation"]
                assert where["artifactLocation"]["uri"].startswith("src/app/")
                assert where["region"]["startLine"] >= 1


def check_junit(run: Run) -> None:
    suites = ET.fromstring(run.text("junit"))
    cases = {case.get("name"): case for case in suites.iter("testcase")}
    assert list(cases) == STEPS
    failed = [name for name, case in cases.items() if case.find("failure") is not None]
    assert failed == ["purity"]


def check_markdown(run: Run) -> None:
    text = run.text("markdown")
    for step in STEPS:
        assert f"| {step} |" in text
    assert f"**`{NEW_FILE}`**" in text
    assert "src/app/core/io.py" not in text


def check_github(run: Run) -> None:
    commands = [line for line in run.text("github").splitlines() if line.startswith("::")]
    assert len(commands) == 1
    assert commands[0].startswith(f"::error file={NEW_FILE},line=2,col=12,title=purity/io-call::")


def check_html(run: Run) -> None:
    text = run.text("html")
    # The picture needs the project and the config, which only the CLI hands the renderer.
    svg = text[text.index("<svg") : text.index("</svg>") + len("</svg>")]
    labels = {t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")}
    assert {"orchestrator", "executors", "core"} <= labels
    assert NEW_FILE in text
    assert "Accepted by the baseline" in text


CHECKS: dict[str, Callable[[Run], None]] = {
    "text": check_text,
    "json": check_json,
    "sarif": check_sarif,
    "junit": check_junit,
    "markdown": check_markdown,
    "github": check_github,
    "html": check_html,
}


@pytest.mark.parametrize("fmt", sorted(CHECKS))
def test_the_cli_hands_each_format_what_it_needs(run: Run, fmt: str) -> None:
    assert run.code == 1
    CHECKS[fmt](run)


def test_every_cli_format_is_checked() -> None:
    from archverify.orchestrator.report_outputs import known_formats

    assert sorted(CHECKS) == known_formats() == sorted(EXTENSIONS)
