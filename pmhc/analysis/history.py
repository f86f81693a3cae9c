"""What partners were given before: the releases of the workspace's history, as the
release builder needs them (docs/privacy.md, "The release history").

- the last value each figure was shown with, and in which release (a figure is shown again
  with that value, "as of" that release, unless it moved by more than the threshold);
- the calls of the months already released, frozen as they were released (a record filed
  late for a closed month waits for a revision), so that every earlier release's calls
  table is a sum of this release's cells and the audit can put all of them in one system;
- the districts and categories of the history, kept as they are until a revision.

A history is split into *epochs*: a revision (`publish --revise`) starts a new one whose
months are counted afresh from the data."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pmhc.storage.releases import Release

FROZEN = "frozen"  # Release.private key: the month counts of the calls table


@dataclass
class Past:
    """The releases partners have, oldest first, and the epoch the next one belongs to."""

    releases: list[Release] = field(default_factory=list)
    revise: bool = False  # the next release starts a new epoch

    @property
    def epoch(self) -> int:
        if not self.releases:
            return 1
        last = _epoch(self.releases[-1])
        return last + 1 if self.revise else last

    @property
    def number(self) -> int:
        return len(self.releases) + 1

    def same_epoch(self) -> list[Release]:
        """The releases whose months this release keeps as they were released."""
        return [r for r in self.releases if _epoch(r) == self.epoch]

    def frozen(self) -> dict | None:
        """The month counts of the calls table as last released in this epoch."""
        for r in reversed(self.same_epoch()):
            if FROZEN in r.private:
                return r.private[FROZEN]
        return None

    def last_shown(self) -> dict[tuple, tuple[int, str]]:
        """Per figure (table, labels...), the value partners last saw and the release it
        was first shown with that value in (its `as_of`)."""
        out: dict[tuple, tuple[int, str]] = {}
        for r in self.releases:
            for name in r.meta.get("tables", {}):
                frame = r.tables[name]
                axes = [a["name"] for a in r.meta["tables"][name]]
                shown = frame[frame["value"].notna()]
                as_of = shown["as_of"] if "as_of" in shown else pd.Series("", index=shown.index)
                as_of = as_of.fillna("").astype(str).replace("", edition(r.meta))
                keys = zip(*(shown[a].astype(str) for a in axes), strict=True)
                for labels, value, when in zip(keys, shown["value"], as_of, strict=True):
                    out[(name, *labels)] = (int(value), str(when))
        return out


def _epoch(r: Release) -> int:
    return int(r.private.get("history", {}).get("epoch", 1))


def edition(meta: dict) -> str:
    """How a release is named in "as of": the last month of its calls ("calls to
    2024-06"), or the date of its staff figures. Built from the data, not the day of
    publishing, so that the same data gives the same release."""
    return str(meta.get("edition") or "")


def old_calls_cells(
    past: Past, labels: dict[str, list[str]]
) -> list[tuple[list[int], float | None]]:
    """Every calls-table cell of the earlier releases of this epoch as a sum of cells of
    the current calls table (flat indices into its category x district x period array),
    each with the value partners saw fresh in that release (an equation), or None (a
    figure to protect). The current table's labels are `labels` per axis."""
    cat, dist, per = (
        {x: i for i, x in enumerate(labels[a])} for a in ("category", "district", "period")
    )
    shape = (len(cat), len(dist), len(per))
    out = []
    for r in past.same_epoch():
        if "calls" not in r.tables:
            continue
        frame = r.tables["calls"]
        period_axis = next(a for a in r.meta["tables"]["calls"] if a["name"] == "period")
        spans = _period_spans(period_axis, per)
        fresh = frame["value"].notna()
        if "as_of" in frame:
            fresh &= frame["as_of"].astype(str) == edition(r.meta)
        values = frame["value"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        rows = zip(
            frame["category"], frame["district"], frame["period"], fresh, values, strict=True
        )
        for c, d, p, f, v in rows:
            if c not in cat or d not in dist:
                raise ValueError("the release history's categories or districts changed")
            cells = [int(np.ravel_multi_index((cat[c], dist[d], j), shape)) for j in spans[p]]
            out.append((cells, float(v) if f else None))
    return out


def _period_spans(axis: dict, current: dict[str, int]) -> dict[str, list[int]]:
    """Each period label of an earlier release as the current period cells it adds up to:
    itself when the current one covers the same months, else its months."""
    labels = axis["labels"]
    months = {label: [label] for label in labels if len(label) == 7}
    for members, total in axis["relations"]:
        months[labels[total]] = [m for i in members for m in months[labels[i]]]
    out = {}
    for label, span in months.items():
        if label not in current:
            raise ValueError(f"the release history has a period {label} this release lacks")
        same = _current_months(label, current) == span
        out[label] = [current[label]] if same else [current[m] for m in span]
    return out


def _current_months(label: str, current: dict[str, int]) -> list[str]:
    months = [m for m in current if len(m) == 7]
    if len(label) == 7:
        return [label]
    if len(label) == 4:
        return [m for m in months if m[:4] == label]
    return months
