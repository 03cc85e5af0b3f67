"""Render one fixed run report in every format: the inputs of the golden-file tests.

Run in a fresh interpreter (``python -m tests.golden.build OUT_DIR`` from the repository root)
so that each render sees its own ``PYTHONHASHSEED``. The project for the picture is
``tests/helpers/sample_project`` with one module more (a Unicode name).

The report exercises every feature the renderers draw: steps of every status (one cached, one
with coverage stats, an error and a skipped step with their reasons), findings of every
severity with and without a hint, a project-wide finding (no path), findings whose ``extra``
carries import chains, cycle edges, a boundary import and nested routes, suppressed and stale
counts, baselined findings, notices, Unicode and text that breaks naive escapers, and the
architecture picture of a small layered project with a violation and a cycle.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from archverify.core.config import Config, ContractConfig
from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.core.project import Project
from archverify.core.report import RunReport
from archverify.orchestrator.commands.explain import known_rules
from archverify.processors.formats import (
    FORMATS,
    RenderInputs,
    ReportFormat,
    github,
    markdown,
    text,
)
from archverify.processors.formats.architecture_layout import build_layout
from archverify.processors.formats.architecture_svg import render_svg, to_dot, to_mermaid
from archverify.processors.rule_docs import find_rule_doc, plain_text, rule_docs
from tests.helpers import sample_project
from tests.helpers.sample_project import path_of

ROOT = sample_project.ROOT
NASTY = 'a <script>alert("x")</script> & 50% | b, c: d\r\nnext `tick` *star* \x1b[31m'
UNICODE = "café — naïve Ünïcödé ✓ 日本語 🐍"

# sample_project's modules and one more, whose name is not ASCII.
IMPORTS: dict[str, tuple[str, ...]] = {**sample_project.IMPORTS, "shop.core.café": ()}
LAYERS = ["shop.orchestrator", "shop.api | shop.web", "shop.core"]

RULE_DOCS = {
    "purity/io-call": "# purity/io-call\n\nA pure package must not do I/O.\n\nMore <b>text</b>.",
    "contracts/layers": (
        "## contracts/layers\n\n```toml\nx = 1\n```\n\nA lower layer imports a higher one."
    ),
}


def project() -> Project:
    return sample_project.project(IMPORTS)


def config() -> Config:
    contracts = (ContractConfig("layers", "layers", {"layers": LAYERS}),)
    return Config(
        root=ROOT,
        packages=("shop",),
        contracts=contracts,
        config_file=ROOT + "/pyproject.toml",
    )


def _finding(
    step: str,
    rule: str,
    severity: Severity,
    module_or_path: str,
    line: int,
    column: int,
    message: str,
    hint: str = "",
    extra: dict[str, object] | None = None,
) -> Finding:
    path = path_of(module_or_path) if module_or_path in IMPORTS else module_or_path
    return Finding(step, rule, severity, path, line, column, message, hint, extra or {})


def findings() -> list[Finding]:
    hop = {"importer": "shop.core.model", "imported": "shop.orchestrator.cli", "line": 2}
    cycle = [
        {"importer": "shop.core.model", "imported": "shop.core.rules", "line": 1},
        {"importer": "shop.core.rules", "imported": "shop.core.model", "line": 1},
    ]
    cut_hop = {**hop, "path": path_of("shop.core.model")}
    cut_back = {**cycle[1], "path": path_of("shop.core.rules")}

    def cut(method: str, *imports: dict[str, object]) -> dict[str, object]:
        size = len(imports)
        return {
            "method": method,
            "exact": True,
            "size": size,
            "lower_bound": size,
            "imports": list(imports),
        }

    def _hop(importer: str, imported: str, *lines: int) -> dict[str, object]:
        path = path_of(importer)
        imports = [{"path": path, "line": n} for n in lines]
        return {
            "importer": importer,
            "imported": imported,
            "lines": list(lines),
            "imports": imports,
        }

    # extra.routes as the contracts step records them: a direct import with two lines, an
    # indirect route with two heads, and one covering the import the shortest chain leaves out.
    route = {"direct": False, "covering": False, "middle": ["shop.core.rules"], "links": []}
    routes = [
        {
            "direct": True,
            "covering": False,
            "middle": [],
            "links": [],
            "tails": [],
            "heads": [_hop("shop.core.model", "shop.orchestrator.cli", 2, 7)],
        },
        {
            **route,
            "heads": [
                _hop("shop.core.model", "shop.core.rules", 1),
                _hop("shop.core.café", "shop.core.rules", 3),
            ],
            "tails": [_hop("shop.core.rules", "shop.orchestrator.cli", 4)],
        },
        {
            **route,
            "covering": True,
            "heads": [_hop("shop.core.model", "shop.core.rules", 1)],
            "tails": [_hop("shop.core.rules", "shop.orchestrator", 5)],
        },
    ]
    found = [
        _finding(
            "contracts",
            "contracts/layers",
            Severity.ERROR,
            "shop.core.model",
            2,
            1,
            "contract 'layers' broken: shop.core.model imports shop.orchestrator.cli",
            hint="move the call up a layer",
            extra={"chain": [hop], "routes": routes},
        ),
        _finding(
            "contracts",
            "contracts/cut",
            Severity.NOTE,
            "shop.core.model",
            2,
            1,
            "remove this import to keep 'layers' (minimum, min-cut): src/shop/core/model.py:2",
            hint="Remove or move these imports (or invert them); the contract holds without them.",
            extra={"contract": "layers", "cut": cut("min-cut", cut_hop)},
        ),
        _finding(
            "contracts",
            "contracts/unmatched",
            Severity.WARNING,
            "",
            0,
            0,
            "contract 'layers' matched no module shop.gone",
        ),
        _finding(
            "cycles",
            "cycles/import-cycle",
            Severity.ERROR,
            "shop.core.model",
            1,
            1,
            "import cycle: shop.core.model -> shop.core.rules -> shop.core.model",
            extra={"chain": cycle, "edges": cycle, "cut": cut("exact-order-dp", cut_back)},
        ),
        _finding(
            "boundaries",
            "boundaries/forbidden-import",
            Severity.ERROR,
            "shop.web.views",
            2,
            1,
            "boundary 'web': imports shop.core.rules",
            extra={"import": "shop.core.rules"},
        ),
        _finding(
            "purity",
            "purity/io-call",
            Severity.ERROR,
            "shop.core.café",
            12,
            5,
            f"call to builtins.open in pure package shop.core ({UNICODE})",
            hint="pass the data in instead of reading it",
        ),
        _finding(
            "purity",
            "purity/io-call",
            Severity.ERROR,
            "src/p,k:g/we ird%.py",
            3,
            0,
            NASTY,
            hint=NASTY,
        ),
        _finding(
            "ruff",
            "ruff/E501",
            Severity.WARNING,
            "shop.api.routes",
            9,
            101,
            "line too long <script>alert(1)</script>",
        ),
        _finding(
            "ruff",
            "ruff/F401",
            Severity.NOTE,
            "shop.orchestrator.cli",
            1,
            8,
            "`os` imported but unused",
        ),
    ]
    return sorted([*found, *_many_warnings()], key=Finding.sort_key)


def _many_warnings() -> list[Finding]:
    """Five warnings of one rule: the text and Markdown reports show them as one group."""
    return [
        _finding(
            "ruff",
            "ruff/E501",
            Severity.WARNING,
            module,
            line,
            101,
            f"line too long ({100 + line} > 100)",
            hint="wrap the line",
        )
        for module, line in [
            ("shop.api.routes", 3),
            ("shop.core.model", 5),
            ("shop.core.rules", 8),
            ("shop.web.views", 13),
        ]
    ]


def baselined() -> list[Finding]:
    return [
        _finding("mypy", "mypy/arg-type", Severity.ERROR, "shop.api.routes", 4, 1, "old"),
        _finding("purity", "purity/io-call", Severity.ERROR, "shop.core.rules", 7, 3, "json.load"),
    ]


def report() -> RunReport:
    found = findings()

    def outcome(
        step: str,
        status: StepStatus,
        duration_s: float,
        message: str = "",
        *,
        cached: bool = False,
        stats: dict[str, object] | None = None,
    ) -> StepOutcome:
        mine = [f for f in found if f.step == step]
        return StepOutcome(step, status, mine, duration_s, message, cached, dict(stats or {}))

    steps = [
        outcome("compile", StepStatus.PASSED, 0.125, cached=True, stats={"files": 12}),
        outcome("purity", StepStatus.FAILED, 0.25),
        outcome("contracts", StepStatus.FAILED, 0.5, stats={"contracts": 1}),
        outcome("boundaries", StepStatus.FAILED, 0.0625),
        outcome("cycles", StepStatus.FAILED, 1.0, stats={"modules": 12, "imports": 11}),
        outcome("ruff", StepStatus.PASSED, 2.25),
        outcome("mypy", StepStatus.ERROR, 3.5, "mypy crashed: INTERNAL ERROR <&>"),
        outcome("bandit", StepStatus.SKIPPED, 0.0, "bandit is not installed"),
        outcome("tests", StepStatus.PASSED, 12.75, stats={"coverage": 91.25, "tests": 40}),
    ]
    return RunReport(
        tool="archverify",
        version="0.0.0+golden",
        root=ROOT,
        steps=steps,
        findings=found,
        summary={"files": 12, "modules": 12, "imports": 11, "suppressed": 2, "stale": 1},
        baselined=baselined(),
        notices=["cache was cold", f"notice with {UNICODE}"],
    )


def passing_report() -> RunReport:
    """A run that passed, with the stats its verdict line turns into what it checked."""
    steps = [
        StepOutcome("contracts", StepStatus.PASSED, [], 0.5, stats={"contracts_kept": 4}),
        StepOutcome("imports", StepStatus.PASSED, [], 2.0, stats={"imported": 885}),
        StepOutcome(
            "tests",
            StepStatus.PASSED,
            [],
            12.75,
            stats={"tests": 752, "failures": 0, "errors": 0, "skipped": 2, "coverage": 91.25},
        ),
    ]
    return RunReport(
        tool="archverify",
        version="0.0.0+golden",
        root=ROOT,
        steps=steps,
        findings=[],
        summary={"files": 900, "modules": 885, "imports": 4210, "suppressed": 3},
    )


def _svg() -> str:
    return render_svg(build_layout(project(), config(), findings()))


def _layout_dot() -> str:
    return to_dot(build_layout(project(), config(), findings()))


def _layout_mermaid() -> str:
    return to_mermaid(build_layout(project(), config(), findings()))


def _explained() -> str:
    """Every shipped rule page as ``archverify explain`` prints it (and SARIF carries it)."""
    docs = rule_docs()
    return "".join(
        f"=== {rule}\n{plain_text(find_rule_doc(rule, docs) or '')}" for rule in known_rules(docs)
    )


def golden_name(report_format: ReportFormat) -> str:
    """The golden file of a ``--format``: ``report-<name><suffix>`` (``.txt`` when it has none)."""
    return f"report-{report_format.name}{report_format.suffix or '.txt'}"


def _inputs() -> RenderInputs:
    """What the CLI hands every format (``commands/run.py``), for the fixed report."""
    return RenderInputs(
        report(), project(), config(), rule_docs=RULE_DOCS, config_anchor="pyproject.toml"
    )


def _through_registry(report_format: ReportFormat) -> Callable[[], str]:
    return lambda: report_format.render(_inputs())


# golden file name -> how to render it: every --format through the registry, as the CLI does,
# then the variants and the pictures.
RENDERS: dict[str, Callable[[], str]] = {
    **{golden_name(f): _through_registry(f) for f in FORMATS.values()},
    "report-colour.txt": lambda: text.render(report(), colour=True),
    "report-truncated.md": lambda: markdown.render(report(), max_findings=3),
    "report-errors-only.txt": lambda: text.render(report(), errors_only=True),
    "report-errors-only.md": lambda: markdown.render(report(), errors_only=True),
    "report-passed.txt": lambda: text.render(passing_report()),
    "report-passed.md": lambda: markdown.render(passing_report()),
    "report-github-summary.md": lambda: github.step_summary(report()),
    "architecture.svg": _svg,
    "architecture.dot": _layout_dot,
    "architecture.mmd": _layout_mermaid,
    "explain.txt": _explained,
}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, render in RENDERS.items():
        # Bytes, not text: a newline translation would hide a renderer's own ``\r``.
        (out / name).write_bytes(render().encode("utf-8", "surrogateescape"))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
