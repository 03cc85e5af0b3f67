"""Figures in plan sentences: percentages, target years, baselines and money amounts."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_PERCENT = re.compile(rf"({_NUMBER})\s*(?:%|per ?cent\b)", re.IGNORECASE)
_FIGURE = re.compile(rf"(?<![\w.])({_NUMBER})(?![\w.])")
_YEAR = re.compile(r"\b(?:by|in|until|before)\s+(20\d\d)\b", re.IGNORECASE)
_BASELINE = re.compile(rf"\bbaseline\b|\b(?:from|currently|today)\s+(?:{_NUMBER})", re.IGNORECASE)
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}
_SCALE = r"(?:\s*(thousand|million|billion|bn|m|k)\b)?"
_CURRENCIES = {
    "$": "USD",
    "usd": "USD",
    "dollars": "USD",
    "€": "EUR",
    "eur": "EUR",
    "euros": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "pounds": "GBP",
}
_MONEY_BEFORE = re.compile(rf"(\$|€|£|\bUSD|\bEUR|\bGBP)\s?({_NUMBER}){_SCALE}", re.IGNORECASE)
_MONEY_AFTER = re.compile(rf"({_NUMBER}){_SCALE}\s+(dollars|euros|pounds)\b", re.IGNORECASE)
_FUNDING = re.compile(
    r"\b(?:funded|financed|financing|grant|loan|allocat\w*|budget line|co-financ\w*)\b",
    re.IGNORECASE,
)
_PERIOD = re.compile(
    r"\b(?:annual(?:ly)?|per year|each year|20\d\d\s*[-–]\s*(?:20)?\d\d|over \w+ years)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Money:
    amount: float
    currency: str
    text: str


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def percentages(sentence: str) -> list[float]:
    return [_number(m.group(1)) for m in _PERCENT.finditer(sentence)]


def target_year(sentence: str) -> int | None:
    years = [int(m.group(1)) for m in _YEAR.finditer(sentence)]
    return max(years) if years else None


def has_target_figure(sentence: str) -> bool:
    """A percentage or a number that is not a year: something a target can be measured by."""
    if percentages(sentence):
        return True
    return any(not (1900 <= _number(m.group(1)) <= 2100) for m in _FIGURE.finditer(sentence))


def has_baseline(sentence: str) -> bool:
    return _BASELINE.search(sentence) is not None


def money_amounts(sentence: str) -> list[Money]:
    found: list[tuple[int, Money]] = []
    for m in _MONEY_BEFORE.finditer(sentence):
        scale = _SCALES[m.group(3).lower()] if m.group(3) else 1.0
        currency = _CURRENCIES[m.group(1).lower()]
        found.append((m.start(), Money(_number(m.group(2)) * scale, currency, m.group(0))))
    for m in _MONEY_AFTER.finditer(sentence):
        scale = _SCALES[m.group(2).lower()] if m.group(2) else 1.0
        currency = _CURRENCIES[m.group(3).lower()]
        found.append((m.start(), Money(_number(m.group(1)) * scale, currency, m.group(0))))
    return [money for _, money in sorted(found, key=lambda item: item[0])]


def names_funding_source(sentence: str) -> bool:
    return _FUNDING.search(sentence) is not None


def names_period(sentence: str) -> bool:
    return _PERIOD.search(sentence) is not None
