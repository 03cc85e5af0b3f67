"""Scoring rules: component scores, weighted means and qualitative bands."""

from __future__ import annotations

from collections.abc import Iterable

# Scores are rounded so that reports (and their golden files) do not depend on float noise.
DIGITS = 4
BANDS: tuple[tuple[float, str], ...] = ((0.75, "strong"), (0.5, "adequate"), (0.25, "weak"))
LOWEST_BAND = "absent"


def ratio(part: int, whole: int) -> float:
    return round(part / whole, DIGITS) if whole > 0 else 0.0


def weighted_mean(scores: Iterable[tuple[float, float]]) -> float:
    """Mean of ``(score, weight)`` pairs; 0.0 when the weights sum to zero."""
    pairs = list(scores)
    total = sum(weight for _, weight in pairs)
    if total <= 0:
        return 0.0
    return round(sum(score * weight for score, weight in pairs) / total, DIGITS)


def band(score: float) -> str:
    for threshold, name in BANDS:
        if score >= threshold:
            return name
    return LOWEST_BAND
