"""Render the HTML report of a hand-made, realistic run, and screenshot it when Chromium exists.

Usage: python scripts/render_html_report.py [OUT_DIR]  (default: ./build/html-sample)
Writes report.html, architecture.svg and, with Chromium installed, report.png: look at the PNG
after changing the HTML or the picture.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from archverify.core.config import Config, ContractConfig
from archverify.core.facts import FileFacts, ImportFact
from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.core.project import Project, SourceFile
from archverify.core.report import RunReport
from archverify.processors.formats import html as html_report
from archverify.processors.formats.architecture_layout import build_layout
from archverify.processors.formats.architecture_svg import render_standalone_svg, render_svg

LAYERS = ["app.cli", "app.api | app.web", "app.services", "app.adapters", "app.domain"]
# module -> what it imports; one wrong-way import and one cycle, as real projects have
IMPORTS: dict[str, tuple[str, ...]] = {
    "app.__main__": ("app.cli.main",),
    "app.cli.main": ("app.cli.options", "app.api.server", "app.web.site"),
    "app.cli.options": (),
    "app.api.server": ("app.api.routes",),
    "app.api.routes": ("app.services.orders", "app.services.users"),
    "app.api.schemas": ("app.domain.order",),
    "app.web.site": ("app.web.pages", "app.services.orders"),
    "app.web.pages": ("app.services.users", "app.adapters.db"),
    "app.services.orders": ("app.domain.order", "app.adapters.db", "app.services.billing"),
    "app.services.users": ("app.domain.user", "app.adapters.db"),
    "app.services.billing": ("app.domain.money", "app.adapters.payments", "app.services.orders"),
    "app.adapters.db": ("app.domain.order", "app.domain.user"),
    "app.adapters.payments": ("app.domain.money",),
    "app.adapters.mail": (),
    "app.domain.order": ("app.domain.money", "app.api.schemas"),
    "app.domain.user": (),
    "app.domain.money": (),
}
PACKAGES = ("app.cli", "app.api", "app.web", "app.services", "app.adapters", "app.domain")


def _path(module: str) -> str:
    return "src/" + module.replace(".", "/") + ".py"


def sample() -> tuple[Project, Config, RunReport]:
    facts = {
        m: FileFacts(
            _path(m), m, False, m, imports=tuple(ImportFact(t, n + 1, 1) for n, t in enumerate(ts))
        )
        for m, ts in IMPORTS.items()
    }
    for package in ("app", *PACKAGES):
        path = "src/" + package.replace(".", "/") + "/__init__.py"
        facts[package] = FileFacts(path, package, True, package)
    files = tuple(
        sorted(
            (SourceFile(f.path, f.module, f.is_package, "src") for f in facts.values()),
            key=lambda s: s.path,
        )
    )
    project = Project("/home/dev/app", ("app",), files, facts)
    config = Config(
        "/home/dev/app",
        packages=("app",),
        contracts=(ContractConfig("layers", "layers", {"layers": LAYERS}),),
    )
    hop = {"importer": "app.domain.order", "imported": "app.api.schemas", "line": 2}
    cycle = [
        {"importer": "app.services.orders", "imported": "app.services.billing", "line": 3},
        {"importer": "app.services.billing", "imported": "app.services.orders", "line": 3},
    ]
    findings = sorted(
        [
            Finding(
                "contracts",
                "contracts/layers",
                Severity.ERROR,
                _path("app.domain.order"),
                2,
                1,
                "contract 'layers' broken: app.domain imports app.api "
                "(app.domain.order -> app.api.schemas)",
                "Move the shared code down, or invert the dependency.",
                {"chain": [hop]},
            ),
            Finding(
                "cycles",
                "cycles/import-cycle",
                Severity.ERROR,
                _path("app.services.billing"),
                3,
                1,
                "import cycle: app.services.billing -> app.services.orders -> app.services.billing",
                "Break the cycle.",
                {"edges": cycle},
            ),
            Finding(
                "purity",
                "purity/io-call",
                Severity.ERROR,
                _path("app.domain.money"),
                14,
                9,
                "call to builtins.open in pure package app.domain",
                "Pass the data in instead of reading it.",
            ),
            Finding(
                "ruff",
                "ruff/E501",
                Severity.WARNING,
                _path("app.web.pages"),
                41,
                101,
                "Line too long (112 > 100) <script>alert('not run')</script>",
            ),
            Finding(
                "mypy",
                "mypy/arg-type",
                Severity.ERROR,
                _path("app.api.routes"),
                27,
                18,
                'Argument 1 to "get" has incompatible type "str"; expected "int"',
            ),
            Finding(
                "contracts",
                "contracts/unmatched-ignore",
                Severity.WARNING,
                "",
                0,
                0,
                "contract 'layers': no import matches ignored import 'app.x -> app.y'",
            ),
        ],
        key=Finding.sort_key,
    )
    statuses = {
        "compile": StepStatus.PASSED,
        "bandit": StepStatus.SKIPPED,
        "tests": StepStatus.ERROR,
    }
    steps = []
    for step in ("compile", "purity", "contracts", "ruff", "mypy", "cycles", "bandit", "tests"):
        mine = [f for f in findings if f.step == step]
        status = statuses.get(step, StepStatus.FAILED if mine else StepStatus.PASSED)
        message = {"bandit": "bandit is not installed", "tests": "pytest exited with 4"}
        steps.append(StepOutcome(step, status, mine, 0.4 + len(step) / 10, message.get(step, "")))
    report = RunReport(
        "archverify",
        "0.1.0",
        project.root,
        steps,
        findings,
        {"files": len(files), "modules": len(facts), "imports": 31},
    )
    return project, config, report


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "build/html-sample").resolve()
    out.mkdir(parents=True, exist_ok=True)
    project, config, report = sample()
    layout = build_layout(project, config, report.findings)
    (out / "architecture.svg").write_text(render_standalone_svg(layout), encoding="utf-8")
    page = out / "report.html"
    drilldowns = html_report.drilldown_sections(layout)
    page.write_text(html_report.render(report, render_svg(layout), drilldowns), encoding="utf-8")
    print(f"wrote {page}")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium not found: no screenshot")
        return 0
    png = out / "report.png"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--screenshot={png}",
        "--window-size=1280,1700",
        page.as_uri(),
    ]
    subprocess.run(command, check=False, capture_output=True, timeout=120)  # noqa: S603
    print(f"wrote {png}" if png.exists() else "chromium made no screenshot")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
