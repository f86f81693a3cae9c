"""Small-count suppression for anything meant for community partners (docs/privacy.md):
counts from 1 to the threshold are hidden, with complementary suppression so that no
hidden count can be derived from what is shown."""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_THRESHOLD = 10  # counts 1..10 are hidden (the US CMS cell-size policy)
DEFAULT_PROTECTION = 3  # a hidden count's feasible range must span at least ±3
HIDDEN = "≤10"


def suppress(
    table: pd.DataFrame, count_cols: list[str], threshold: int = DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """Hide counts 1..threshold in `count_cols`, with complementary suppression.

    A table whose rows and columns add up to shown totals must never have exactly one
    hidden cell in a row or a column: the hidden value could be derived by subtraction.
    The next smallest cell in that row or column is hidden as well, repeatedly, until no
    line has a single hidden cell. Returns an object frame where hidden cells hold `HIDDEN`."""
    values = table[count_cols].to_numpy(dtype=float)
    hidden = (values >= 1) & (values <= threshold)
    changed = True
    while changed:
        changed = False
        for axis in (0, 1):
            lines = hidden.T if axis == 0 else hidden
            vals = values.T if axis == 0 else values
            for i, line in enumerate(lines):
                if line.sum() == 1 and len(line) > 1:
                    candidates = np.where(~line & (vals[i] > 0), vals[i], np.inf)
                    if not np.isfinite(candidates).any():
                        # Only zeros left: a shown 0 beside the total reveals the hidden cell.
                        candidates = np.where(~line & (vals[i] == 0), 0.0, np.inf)
                    if np.isfinite(candidates).any():
                        j = int(np.argmin(candidates))
                        line[j] = True
                        changed = True
    out = table.copy().astype({c: object for c in count_cols})
    for j, col in enumerate(count_cols):
        out.loc[hidden[:, j], col] = HIDDEN
    return out


def suppress_value(n: int | None, threshold: int = DEFAULT_THRESHOLD) -> int | str | None:
    """One count on its own: hidden when 1..threshold."""
    if n is None:
        return None
    return HIDDEN if 1 <= n <= threshold else n


def suppress_rate(
    numerator: int | None, rate: float | None, threshold: int = DEFAULT_THRESHOLD
) -> float | str | None:
    """A rate whose numerator is a hidden count is hidden too."""
    if rate is None or numerator is None:
        return rate
    return HIDDEN if 1 <= numerator <= threshold else rate


def protect(
    frame: pd.DataFrame,
    counts: list[str],
    rates: dict[str, str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A frame for partners: (numbers for the chart with hidden cells blank, table for
    display with hidden cells marked). `rates` maps a rate column to its numerator column;
    a rate is hidden with its numerator. A display column with a hidden cell is text
    throughout, so a table never mixes numbers and marks in one column."""
    shown = suppress(frame, counts, threshold) if counts else frame.astype(object)
    hidden = pd.DataFrame({c: shown[c] == HIDDEN for c in counts}, index=frame.index)
    chart = frame.copy()
    display = frame.copy()
    masks = {c: hidden[c] for c in counts}
    for rate, numerator in (rates or {}).items():
        mask = (
            hidden[numerator]
            if numerator in hidden
            else (frame[numerator] >= 1) & (frame[numerator] <= threshold)
        )
        for col in [rate] + [c for c in ("low", "high") if c in frame and rate == "rate"]:
            masks[col] = mask
    for col, mask in masks.items():
        chart[col] = chart[col].astype("float64").mask(mask)
        if mask.any():
            display[col] = _as_marked_text(frame[col], mask)
    return chart, display


def _as_marked_text(values: pd.Series, hidden: pd.Series) -> pd.Series:
    text = values.map(
        lambda v: "" if pd.isna(v) else (f"{int(v)}" if float(v).is_integer() else f"{v:.4f}")
    )
    return text.mask(hidden, HIDDEN).astype("str")
