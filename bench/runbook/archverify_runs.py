"""archverify's figures: cold, warm, one file edited, static steps alone, the compile floor."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook.baseline import RUNBOOK_DIR, base_env, clear_tool_caches
from runbook.measure import Figure, Sample, repeat, run_measured
from runbook.projects import STATIC_STEPS, Target

CACHE_FOLDER = ".archverify_cache"
CACHE_TESTS = "--cache-tests"


def _suffix(extra: list[str] | None) -> str:
    return "-cache-tests" if extra and CACHE_TESTS in extra else ""


class BenchError(Exception):
    """archverify did not produce a report: the figures would be meaningless."""


@dataclass
class ArchverifyRuns:
    """Runs ``archverify run`` on one target and keeps each run's per-step durations."""

    venv: Path
    target: Target
    timeout_s: float
    steps_by_run: dict[str, list[dict[str, Any]]]

    def once(self, variant: str, extra: list[str]) -> Sample:
        with tempfile.TemporaryDirectory(prefix="bench-archverify-") as tmp:
            output = Path(tmp) / "report.json"
            argv = [
                str(self.venv / "bin" / "archverify"),
                "run",
                str(self.target.root),
                "--format",
                "json",
                "--output",
                str(output),
                *extra,
            ]
            env = base_env(self.target, with_deps=True)
            sample = run_measured(argv, self.target.root, env, timeout_s=self.timeout_s)
            if not output.is_file() or sample.returncode not in (0, 1):
                raise BenchError(
                    f"archverify {variant} run failed (exit {sample.returncode}):\n"
                    f"{sample.stderr_tail or '(no stderr)'}"
                )
            report = json.loads(output.read_text(encoding="utf-8"))
        steps = [
            {
                "step": s.get("id"),
                "status": s.get("status"),
                "duration_s": s.get("duration_s"),
                "cached": s.get("cached"),
                "findings": s.get("findings"),
                "message": s.get("message") or "",
            }
            for s in report.get("steps", [])
        ]
        self.steps_by_run.setdefault(variant, []).append(
            {"wall_s": round(sample.wall_s, 3), "steps": steps, "summary": report.get("summary")}
        )
        return sample

    def cold(self, runs: int) -> Figure:
        def run(_: int) -> Sample:
            shutil.rmtree(self.target.root / CACHE_FOLDER, ignore_errors=True)
            clear_tool_caches(self.target.root)
            return self.once("cold", [])

        return repeat(runs, run)

    def warm(self, runs: int, extra: list[str] | None = None) -> Figure:
        variant = "warm" + _suffix(extra)
        # One unmeasured run fills the cache (a cold run may just have done so).
        self.once("warm-fill", extra or [])
        return repeat(runs, lambda _: self.once(variant, extra or []))

    def edited(self, runs: int, extra: list[str] | None = None) -> Figure:
        """A comment line appended to one module, a run, the file restored; each edit differs."""
        variant = "edited" + _suffix(extra)
        path = self.target.edit_file
        original = path.read_bytes()

        def run(index: int) -> Sample:
            try:
                # Unique per variant and run: an edit seen before would replay from the
                # content-addressed cache and flatter the figure.
                mark = f"\n# archverify bench edit {variant} {index} {time.time_ns()}\n"
                path.write_bytes(original + mark.encode())
                return self.once(variant, extra or [])
            finally:
                path.write_bytes(original)

        self.once("warm-fill", extra or [])
        return repeat(runs, run)

    # The imports step is replayed by default (per module, while nothing its import read
    # changed); --cache-tests adds the tests step. Both are measured and reported.
    def warm_replaying_imports(self, runs: int) -> Figure:
        return self.warm(runs, [CACHE_TESTS])

    def edited_replaying_imports(self, runs: int) -> Figure:
        return self.edited(runs, [CACHE_TESTS])

    def cold_ruff_engine(self, runs: int) -> Figure:
        """Cold, with ``[bandit] engine = "ruff"``: ruff's S rules instead of bandit."""
        with tempfile.TemporaryDirectory(prefix="bench-ruff-engine-") as tmp:
            config = Path(tmp) / "archverify.toml"
            config.write_text(with_ruff_engine(self.target.root / "archverify.toml"), "utf-8")

            def run(_: int) -> Sample:
                shutil.rmtree(self.target.root / CACHE_FOLDER, ignore_errors=True)
                clear_tool_caches(self.target.root)
                return self.once("cold-ruff-engine", ["--config", str(config)])

            return repeat(runs, run)

    def static(self, runs: int) -> Figure:
        return repeat(runs, lambda _: self.once("static", ["--steps", STATIC_STEPS, "--no-cache"]))


def with_ruff_engine(config: Path) -> str:
    """The text of ``config`` (an archverify.toml) with the bandit step on the ruff engine."""
    lines = config.read_text(encoding="utf-8").splitlines()
    if "[bandit]" in lines:
        lines.insert(lines.index("[bandit]") + 1, 'engine = "ruff"')
        return "\n".join(lines) + "\n"
    return "\n".join([*lines, "", "[bandit]", 'engine = "ruff"']) + "\n"


def compile_floor(venv: Path, target: Target, runs: int) -> dict[str, Any]:
    """The median in-process time to read and compile every verified file once."""
    script = str(RUNBOOK_DIR / "compile_floor.py")
    results = []
    for _ in range(max(runs, 1)):
        done = subprocess.run(
            [str(venv / "bin" / "python"), script, str(target.root)],
            capture_output=True,
            text=True,
            env=base_env(target, with_deps=False),
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"compile floor failed: {done.stderr[-2000:]}")
        results.append(json.loads(done.stdout))
    return {
        "median_s": round(statistics.median(r["seconds"] for r in results), 3),
        "files": results[0]["files"],
        "runs": [round(r["seconds"], 3) for r in results],
    }
