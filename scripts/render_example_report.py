"""Render the HTML report of the broken example copy and screenshot it with headless Chromium.

Usage: python scripts/render_example_report.py [OUT_DIR]   (default: ./build/example-report)
Writes broken/ (the copy), report.html and, when Chromium is installed, report.png. Look at the
PNG after changing the HTML report or the architecture picture.
"""

from __future__ import annotations

import shutil
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from make_broken_copy import make_broken_copy  # noqa: E402

from archverify.orchestrator.cli import main as archverify  # noqa: E402


def screenshot(html: Path, png: Path) -> bool:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("no chromium on PATH: report.html written, no screenshot")
        return False
    with tempfile.TemporaryDirectory() as profile:
        # The flags keep Chromium off the network, which this machine does not have anyway.
        subprocess.run(  # nosec B603
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                "--window-size=1400,2400",
                f"--screenshot={png}",
                html.as_uri(),
            ],
            check=False,
            capture_output=True,
            timeout=120,
        )
    return png.is_file()


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else REPO / "build" / "example-report").resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    broken = out / "broken"
    make_broken_copy(REPO / "examples" / "policy_orchestrator", broken)
    html = out / "report.html"
    code = archverify(["run", str(broken), "--no-cache", "--format", f"html={html}"])
    print(f"archverify exited {code} (1 expected: the copy is broken); wrote {html}")
    png = out / "report.png"
    if screenshot(html, png):
        print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
