"""Scoring rules: component scores, weighted means and qualitative bands."""

from __future__ import annotations

import math
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
    total = math.fsum(weight for _, weight in pairs)
    if total <= 0:
        return 0.0
    # fsum is exactly rounded: sum() became compensated in Python 3.12, which moves a score
    # that sits on a rounding boundary (0.9445 on 3.11, 0.9444 on 3.12).
    return round(math.fsum(score * weight for score, weight in pairs) / total, DIGITS)


def band(score: float) -> str:
    for threshold, name in BANDS:
        if score >= threshold:
            return name
    return LOWEST_BAND
