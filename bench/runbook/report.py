"""The benchmark's table and JSON: figures, ratios to the baseline, targets and verdicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runbook.baseline import CYCLE_TOOLS
from runbook.measure import Figure

# (figure, denominator, maximum ratio, target as written in the issue)
RATIO_TARGETS: tuple[tuple[str, str, float, str], ...] = (
    ("archverify_cold", "sequential", 0.25, "<= 0.25 x sequential"),
    ("archverify_cold_ruff_engine", "sequential", 0.3, "<= 0.3 x sequential"),
    ("archverify_warm", "sequential", 1 / 40, "<= 1/40 x sequential"),
    ("archverify_edited", "sequential", 1 / 15, "<= 1/15 x sequential"),
    ("archverify_edited_leaf", "sequential", 1 / 30, "<= 1/30 x sequential"),
    ("archverify_warm_cache_tests", "sequential", 1 / 40, "<= 1/40 x sequential"),
    ("archverify_edited_cache_tests", "sequential", 1 / 15, "<= 1/15 x sequential"),
    ("archverify_static_cold", "compile_floor", 2.0, "<= 2 x compile floor"),
)
RSS_TARGET_MB = 400.0
LABELS = {
    "archverify_cold": "archverify cold (cache removed)",
    "archverify_cold_ruff_engine": '  the same, cold, bandit engine = "ruff"',
    "archverify_warm": "archverify warm (no change)",
    "archverify_edited": "archverify one file edited",
    "archverify_edited_leaf": "archverify one leaf module edited",
    "archverify_warm_cache_tests": "  the same, warm, --cache-tests",
    "archverify_edited_cache_tests": "  the same, edited, --cache-tests",
    "archverify_static_cold": "archverify static steps, no cache",
    "compile_floor": "compile floor (1 process, read+compile)",
    "sequential": "sequential runbook total",
}


@dataclass(frozen=True)
class Row:
    figure: str
    seconds: float | None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    value: str = ""  # when the figure is not a time (memory)


def sequential_total(baseline: Mapping[str, dict[str, Any]]) -> tuple[float, list[str]]:
    """The runbook run one tool after another, with the faster cycle finder that worked.

    Taking the faster of pycycle and pylint keeps the ratio conservative: a runbook would use
    one of them, and archverify is compared with the cheaper choice.
    """
    ran = {name: data for name, data in baseline.items() if data.get("ok")}
    cycles = [n for n in CYCLE_TOOLS if n in ran]
    best_cycle = min(cycles, key=lambda n: ran[n]["median_s"]) if cycles else None
    included = [n for n in ran if n not in CYCLE_TOOLS or n == best_cycle]
    return sum(ran[n]["median_s"] for n in included), included


def build_rows(
    baseline: Mapping[str, dict[str, Any]],
    figures: Mapping[str, Figure],
    floor_s: float,
) -> list[Row]:
    rows = [
        Row(
            f"baseline: {name}",
            data["median_s"] if data.get("ok") else None,
            value="" if data.get("ok") else f"unavailable: {data.get('reason', '')}"[:60],
        )
        for name, data in baseline.items()
    ]
    total, included = sequential_total(baseline)
    rows.append(Row(f"{LABELS['sequential']} ({len(included)} tools)", total))
    rows.append(Row(LABELS["compile_floor"], floor_s))
    denominators = {"sequential": total, "compile_floor": floor_s}
    for key, denominator, limit, target in RATIO_TARGETS:
        figure = figures.get(key)
        if figure is None:
            continue
        base = denominators[denominator]
        ratio = figure.median_s / base if base > 0 else None
        met = ratio is not None and ratio <= limit
        rows.append(Row(LABELS[key], figure.median_s, ratio, target, met))
    static = figures.get("archverify_static_cold")
    if static is not None:
        rows.append(
            Row(
                "peak RSS, archverify static (process tree)",
                None,
                target=f"<= {RSS_TARGET_MB:.0f} MB",
                met=static.tree_rss_mb <= RSS_TARGET_MB,
                value=f"{static.tree_rss_mb:.0f} MB (largest process {static.max_rss_mb:.0f} MB)",
            )
        )
    cold = figures.get("archverify_cold")
    if cold is not None:
        rows.append(
            Row(
                "peak RSS, archverify cold incl. tools (info)",
                None,
                value=f"{cold.tree_rss_mb:.0f} MB (largest process {cold.max_rss_mb:.0f} MB)",
            )
        )
    return rows


def render_table(rows: list[Row]) -> str:
    header = ("figure", "seconds (median)", "ratio", "target", "met?")
    body = [
        (
            row.figure,
            f"{row.seconds:.2f}" if row.seconds is not None else row.value,
            f"{row.ratio:.4f}" if row.ratio is not None else "",
            row.target,
            "" if row.met is None else ("yes" if row.met else "NO"),
        )
        for row in rows
    ]
    return render_columns(header, body)


def render_columns(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """Cells in columns padded to their widest cell, a rule under the header."""
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    lines = [
        " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
        for line in (header, *body)
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def rows_json(rows: list[Row]) -> list[dict[str, Any]]:
    return [
        {
            "figure": row.figure,
            "seconds": None if row.seconds is None else round(row.seconds, 3),
            "ratio": None if row.ratio is None else round(row.ratio, 5),
            "target": row.target,
            "met": row.met,
            "value": row.value,
        }
        for row in rows
    ]
