"""The one way figures are written, for the pages, the CLI's text and the reports: a rate
is formatted from its exact value (never from a value already rounded for JSON, which
would round twice: 0.30949 -> 0.3095 -> 31.0% instead of 30.9%)."""

from __future__ import annotations

import math


def pct(value: float | None, digits: int = 1) -> str:
    """'30.9%'; an en dash when there is no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.{digits}f}%"


def count(value: int) -> str:
    return f"{value:,}"
