"""Tables of counts with their totals, and the suppression that makes them safe to publish
(docs/privacy.md).

A table is an N-dimensional array of counts. Each axis lists its labels, totals included
(e.g. months, then years, then "All"), and its *relations*: which members add up to which
total (the months of 2024 add up to 2024; the years to "All"). Every line of the array
along an axis, restricted to one relation, is an equation `members = total` that a reader
can solve for one unknown. Suppression therefore:

1. hides every count from 0 to the threshold (zeros too: a 0 shown where 1..10 would be
   hidden says which cells are empty, and which cells are hidden must not depend on the
   small counts themselves);
2. repeats, until nothing changes: in any relation with exactly one hidden cell, hide the
   smallest shown cell as well (first by position on ties);
3. audits all the equations together (`pmhc.analysis.audit`): while some hidden cell is
   determined by them (two blocks of hidden cells joined by one, say), hides one more
   shown cell on a line through it, not a total where a member will do, and goes back to 2.

All steps look only at the cells above the threshold and at what is already hidden, so
two tables that differ only in cells at or below the threshold get the same cells hidden
and the same values shown. That is the guarantee the partner release rests on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmhc.analysis import audit


@dataclass(frozen=True)
class Axis:
    """One dimension of a table: labels (totals included) and what adds up to what."""

    name: str
    labels: tuple[str, ...]
    relations: tuple[tuple[tuple[int, ...], int], ...] = ()  # (member indices, total index)

    @classmethod
    def flat(cls, name: str, members: list[str], total: str) -> Axis:
        """Members and their total (e.g. districts and "All districts"). With no members
        (an export without districts) the total stands alone: no relation, which would
        say the total is 0."""
        n = len(members)
        return cls(name, (*members, total), ((tuple(range(n)), n),) if n else ())

    @classmethod
    def groups(cls, name: str, groups: dict[str, list[str]], total: str) -> Axis:
        """Several partitions of one total (e.g. arrest yes/no, and the disposition groups,
        each adding up to all calls): the total cell is shared by every relation."""
        labels: list[str] = []
        relations: list[tuple[int, ...]] = []
        for members in groups.values():
            start = len(labels)
            labels.extend(members)
            relations.append(tuple(range(start, len(labels))))
        n = len(labels)
        return cls(name, (*labels, total), tuple((r, n) for r in relations))

    @classmethod
    def hierarchy(cls, name: str, leaves: list[str], parent: list[str], total: str) -> Axis:
        """Leaves grouped under parents grouped under one total (months, years, "All")."""
        parents = list(dict.fromkeys(parent))
        labels = (*leaves, *parents, total)
        relations = [
            (tuple(i for i, p in enumerate(parent) if p == name_), len(leaves) + j)
            for j, name_ in enumerate(parents)
        ]
        relations.append((tuple(range(len(leaves), len(leaves) + len(parents))), len(labels) - 1))
        return cls(name, labels, tuple(relations))

    def index(self, label: str) -> int:
        return self.labels.index(label)


def hidden_cells(
    values: np.ndarray,
    axes: list[Axis],
    threshold: int,
    hide: np.ndarray | None = None,
    keep: np.ndarray | None = None,
    exact: bool = True,
    cost: np.ndarray | None = None,
) -> np.ndarray:
    """Which cells to hide: counts 0..threshold (and `hide`), then complementary cells
    until no relation along any axis has exactly one hidden cell and no hidden cell is
    determined by all the equations together (`audit`). `keep` marks cells that must stay
    shown because another table publishes the same figure; they are never picked as
    complements. Without `exact`, the line rule only (a caller that audits otherwise).
    `cost` orders the complements (default: the counts, the smallest hidden first)."""
    values = np.asarray(values, dtype=float)
    cost = values if cost is None else np.asarray(cost, dtype=float)
    hidden = values <= threshold
    if hide is not None:
        hidden |= hide
    keep = np.zeros(values.shape, bool) if keep is None else keep & ~hidden
    while True:
        changed = True
        while changed:
            changed = False
            for axis, spec in enumerate(axes):
                for members, total in spec.relations:
                    if _complete_relation(cost, hidden, keep, axis, [*members, total]):
                        changed = True
        extra = audit.complements(cost, hidden, keep, axes) if exact else []
        if not extra:
            return hidden
        hidden.flat[extra] = True


def _complete_relation(
    values: np.ndarray, hidden: np.ndarray, keep: np.ndarray, axis: int, idx: list[int]
) -> bool:
    """Hide one more cell in each line of this relation that has exactly one hidden cell.
    Changes `hidden` in place; True when anything changed."""
    if len(idx) < 2:
        return False
    v = np.moveaxis(values, axis, -1)[..., idx].reshape(-1, len(idx))
    h = np.moveaxis(hidden, axis, -1)[..., idx].reshape(-1, len(idx))
    k = np.moveaxis(keep, axis, -1)[..., idx].reshape(-1, len(idx))
    lonely = h.sum(axis=1) == 1
    if not lonely.any():
        return False
    candidates = np.where(h | k, np.inf, v)
    if np.isinf(candidates[lonely]).all(axis=1).any():
        raise ValueError("a hidden cell's only complements are cells that must be shown")
    pick = np.argmin(candidates, axis=1)  # the smallest shown cell, first on ties
    h[lonely, pick[lonely]] = True
    shape = np.moveaxis(hidden, axis, -1)[..., idx].shape
    view = np.moveaxis(hidden, axis, -1)
    view[..., idx] = h.reshape(shape)  # moveaxis is a view: this writes into `hidden`
    return True


@dataclass
class CellTable:
    """A suppressed table: its axes and, per cell, the count or None where hidden."""

    axes: list[Axis]
    values: np.ndarray  # float, NaN where hidden

    @classmethod
    def suppress(
        cls,
        counts: np.ndarray,
        axes: list[Axis],
        threshold: int,
        hide: np.ndarray | None = None,
        keep: np.ndarray | None = None,
    ) -> CellTable:
        counts = np.asarray(counts, dtype=float)
        if counts.shape != tuple(len(a.labels) for a in axes):
            raise ValueError(f"counts of shape {counts.shape} do not fit the axes")
        hidden = hidden_cells(counts, axes, threshold, hide, keep)
        return cls(axes, np.where(hidden, np.nan, counts))

    def get(self, **labels: str) -> int | None:
        """The shown count at these labels (one per axis), or None when hidden."""
        at = tuple(a.index(labels[a.name]) for a in self.axes)
        value = self.values[at]
        return None if np.isnan(value) else int(value)

    def to_frame(self) -> pd.DataFrame:
        """Long form: one column per axis, then `value` (null where hidden)."""
        grids = np.meshgrid(*[np.arange(len(a.labels)) for a in self.axes], indexing="ij")
        frame = pd.DataFrame(
            {
                a.name: np.asarray(a.labels, dtype=object)[g.ravel()]
                for a, g in zip(self.axes, grids, strict=True)
            }
        )
        frame["value"] = pd.array(
            [None if np.isnan(v) else int(v) for v in self.values.ravel()], dtype="Int64"
        )
        return frame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, axes: list[Axis]) -> CellTable:
        shape = tuple(len(a.labels) for a in axes)
        values = frame["value"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        return cls(axes, values.reshape(shape))
