"""Suppression of a whole release, audited with every release partners already have
(docs/privacy.md, rules 2 to 4 and "The release history").

Each count table of the release is a `Piece`. One loop hides cells until nothing changes:
1. per table, the line rule and the exact audit of `pmhc.analysis.cells` (no hidden cell
   determined by the table's equations);
2. linked figures — the same count in two places (`Link`: twin categories, the incidents
   table's MH calls, the in-service table's trained staff) — hidden in both or neither;
3. carry-forward: a figure partners saw before that has moved by `threshold` or less since
   is not shown afresh; it keeps its last shown value, "as of" that release;
4. protection ranges (`pmhc.analysis.ranges`): every hidden figure of this release and
   of the earlier ones, under all published equations, the earlier releases', the people
   ≤ calls inequalities and non-negativity, must range over at least `2 * protection`
   and not lie inside 1..threshold; where one does not, a shown cell on a line through it
   is hidden too (a member before a total, the smallest first).
Every step reads the shown values and the pattern of hidden cells only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pmhc.analysis import audit, ranges
from pmhc.analysis.cells import Axis, hidden_cells

MAX_ROUNDS = 500
EXACT_FIRST_ROUND = False
PATIENT_ROUNDS = 40  # rounds of complements; after them every figure gets one per round
DEFER_HOPS = 4  # figures this many lines from a covered one wait for the next round
MAX_HOPS = 6  # how far from an unprotected figure a complement is looked for


@dataclass
class Piece:
    """One count table: true counts, axes, cells it must hide (`hide`), cells better kept
    shown (`keep`: published elsewhere too), and cells fixed by the history (`pinned`:
    months already released, shown as they were)."""

    name: str
    counts: np.ndarray
    axes: list[Axis]
    # None is "no cell": made an all-False array of the counts' shape on construction
    hide: Any = None
    keep: Any = None
    pinned: Any = None
    # what hiding each cell costs (None: its count); a twin costs what it forces too
    cost: Any = None
    hidden: np.ndarray = field(init=False)
    lines: list[np.ndarray] = field(init=False)
    # per cell, the cells on the lines through it (CSR: `near_at[i]:near_at[i+1]`)
    near_at: np.ndarray = field(init=False)
    near: np.ndarray = field(init=False)
    total: np.ndarray = field(init=False)  # per cell, whether it is a total on some axis

    def __post_init__(self):
        shape = self.counts.shape
        self.hide = np.zeros(shape, bool) if self.hide is None else self.hide.copy()
        self.keep = np.zeros(shape, bool) if self.keep is None else self.keep.copy()
        self.pinned = np.zeros(shape, bool) if self.pinned is None else self.pinned.copy()
        self.cost = self.counts.astype(float) if self.cost is None else self.cost.copy()
        self.hidden = self.hide.copy()
        self.lines = audit.relation_lines(self.counts.shape, self.axes)
        self.near_at, self.near = _line_index(self.counts.size, self.lines)
        self.total = audit._is_total(np.arange(self.counts.size), shape, self.axes)

    def labels(self, flat: int) -> tuple[str, ...]:
        at = np.unravel_index(flat, self.counts.shape)
        return tuple(a.labels[i] for a, i in zip(self.axes, at, strict=True))


Cell = tuple[str, int]  # (piece name, flat index)


@dataclass
class Context:
    """What ties the pieces together and to the history."""

    links: list[tuple[Cell, Cell]] = field(default_factory=list)
    # (persons:1, persons:2+, calls): people with one contact plus twice those with two or
    # more cannot exceed the calls they are counted from
    people: list[tuple[Cell, Cell, Cell]] = field(default_factory=list)
    # earlier releases' calls cells as sums of this release's: value shown, or None
    old: list[tuple[list[int], float | None]] = field(default_factory=list)
    last: dict[tuple, tuple[int, str]] = field(default_factory=dict)


def secure(pieces: dict[str, Piece], ctx: Context, threshold: int, protection: int) -> None:
    """Set each piece's `hidden`: the cells not shown afresh in this release."""
    # The exact linear audit of each table (slow) in the first round; after it, only cells
    # shown so far are hidden, and a shown cell is above the threshold, so a hidden cell the
    # equations give back has a range of width 0 away from 0, which the ranges catch.
    exact = EXACT_FIRST_ROUND
    for a, b in ctx.links:  # a figure kept as released makes its twin kept as well
        for (x, i), (y, j) in ((a, b), (b, a)):
            if pieces[x].pinned.flat[i]:
                pieces[y].pinned.flat[j] = True
                pieces[y].hide.flat[j] = False
    proven: set = set()  # hiding more only widens ranges: a protected figure stays so
    tries = 0  # rounds that hid complements
    for _ in range(MAX_ROUNDS):
        for p in pieces.values():
            try:
                found = hidden_cells(
                    p.counts, p.axes, threshold, p.hide, p.keep | p.pinned, exact, p.cost
                )
            except ValueError:  # a figure better kept shown is the only complement: hide it
                found = hidden_cells(p.counts, p.axes, threshold, p.hide, p.pinned, exact, p.cost)
            found &= ~p.pinned
            p.hidden = found
            p.hide |= found  # what the exact audit found stays hidden in later rounds
        exact = False
        if _link(pieces, ctx) or _carry(pieces, ctx, threshold):
            continue
        system, cells = _system(pieces, ctx)
        fails = ranges.failures(system, protection, threshold, proven)
        if not fails:
            return
        tries += 1
        patient = tries <= PATIENT_ROUNDS
        picks = _complements(
            pieces, system, cells, sorted(fails), _partners(ctx), ctx.last, patient
        )
        if not picks:
            raise ValueError("a hidden figure cannot be protected by hiding more cells")
        for name, flat in picks:
            pieces[name].hide.flat[flat] = True
    raise ValueError("the release's suppression did not settle")


def _link(pieces: dict[str, Piece], ctx: Context) -> bool:
    changed = False
    for (a, i), (b, j) in ctx.links:
        if pieces[a].pinned.flat[i] or pieces[b].pinned.flat[j]:
            continue  # kept as released: its value is known, hiding the twin adds nothing
        if pieces[a].hidden.flat[i] != pieces[b].hidden.flat[j]:
            pieces[a].hide.flat[i] = pieces[b].hide.flat[j] = True
            changed = True
    return changed


def _carry(pieces: dict[str, Piece], ctx: Context, threshold: int) -> bool:
    """Hide (to show with its last value) each figure that moved by `threshold` or less."""
    changed = False
    for p in pieces.values():
        for flat in np.flatnonzero(~p.hidden.ravel() & ~p.pinned.ravel()):
            last = ctx.last.get((p.name, *p.labels(int(flat))))
            if last is not None and abs(p.counts.flat[flat] - last[0]) <= threshold:
                p.hide.flat[flat] = True
                changed = True
    return changed


def _system(pieces: dict[str, Piece], ctx: Context) -> tuple[ranges.System, list[Cell]]:
    """The linear programme of everything published: hidden cells are the variables."""
    cells: list[Cell] = []
    var: dict[Cell, int] = {}
    for p in pieces.values():
        for flat in np.flatnonzero(p.hidden.ravel()):
            var[(p.name, int(flat))] = len(cells)
            cells.append((p.name, int(flat)))
    x0 = np.array([pieces[n].counts.flat[f] for n, f in cells], dtype=float)
    s = ranges.System(x0, np.zeros(len(cells)), np.full(len(cells), np.inf))

    def row(terms: list[tuple[Cell, float]]) -> tuple[dict[int, float], float]:
        out: dict[int, float] = {}
        const = 0.0
        for cell, coef in terms:
            if cell in var:
                out[var[cell]] = out.get(var[cell], 0.0) + coef
            else:
                const += coef * pieces[cell[0]].counts.flat[cell[1]]
        return out, const

    for p in pieces.values():
        for lines in p.lines:
            for line in lines[p.hidden.ravel()[lines].any(axis=1)]:
                terms = [((p.name, int(c)), 1.0) for c in line[:-1]]
                r, const = row([*terms, ((p.name, int(line[-1])), -1.0)])
                s.equation(r, -const)
    for a, b in ctx.links:
        r, const = row([(a, 1.0), (b, -1.0)])
        s.equation(r, -const)
    for one, more, calls in ctx.people:
        r, const = row([(one, 1.0), (more, 2.0), (calls, -1.0)])
        if r and float(np.dot(list(r.values()), x0[list(r)])) + const <= 1e-9:
            s.inequality(r, -const)  # only where it holds (late records can break it)
    for i, cell in enumerate(cells):
        s.target({i: 1.0}, 0.0, True, cell)
    seen = set()
    for span, value in ctx.old:
        r, const = row([(("calls", c), 1.0) for c in span])
        if value is not None:
            s.equation(r, value - const)
        elif len(r) > 1 and tuple(sorted(r)) not in seen:
            seen.add(tuple(sorted(r)))
            s.target(r, const, True, ("old", *span))
    return s, cells


def _partners(ctx: Context) -> dict[Cell, list[Cell]]:
    out: dict[Cell, list[Cell]] = {}
    for a, b in ctx.links:
        out.setdefault(a, []).append(b)
        out.setdefault(b, []).append(a)
    return out


def _complements(
    pieces: dict[str, Piece],
    system: ranges.System,
    cells: list[Cell],
    fails: list[int],
    partners: dict[Cell, list[Cell]],
    last: dict[tuple, tuple[int, str]],
    patient: bool = True,
) -> list[Cell]:
    """Shown cells to hide so that the unprotected figures get wider ranges, chosen as a
    greedy set cover (as τ-ARGUS's and sdcTable's heuristics cost their secondary
    suppressions): each candidate of `_near_candidates` covers its figure; the candidate
    covering the most open figures is hidden first (a figure partners saw before first: it
    keeps showing that value; then a member before a total, then the cheapest, `cost`);
    figures a few lines from one just covered wait for the next round. Only when nothing
    is next to any figure is a complement looked for further out (`_best`). The ranges are
    computed again before more is hidden, so one complement often protects a whole row."""
    supports: list[list[Cell]] = []
    for t in fails:
        support = [cells[v] for v in system.targets[t]]
        supports.append(support + [x for c in support for x in partners.get(c, [])])
    covers: dict[Cell, set[int]] = {}
    split: dict[Cell, tuple[list[Cell], list[Cell]]] = {}  # no cell is hidden meanwhile
    for k, support in enumerate(supports):
        for cell in _near_candidates(pieces, support, partners, split):
            covers.setdefault(cell, set()).add(k)
    picks: list[Cell] = []
    open_ = set(range(len(supports)))
    while open_:
        best, key = None, None
        for cell, covered in covers.items():
            n = len(covered & open_)
            if not n:
                continue
            p = pieces[cell[0]]
            before = (cell[0], *p.labels(cell[1])) in last
            rank = (not before, -n, _is_total(p, cell[1]), p.cost.flat[cell[1]], cell)
            if key is None or rank < key:
                best, key = cell, rank
        if best is None:
            break
        picks.append(best)
        done = covers.pop(best) & open_
        open_ -= done
        # a figure a few lines from one just covered is often protected by that: look again
        # next round (one figure's cells are often repeated along totals of one member)
        for _ in range(DEFER_HOPS if patient else 0):
            near = {
                (name, c)
                for j in done
                for name, f in supports[j]
                for c in _neighbours(pieces[name], f)
            }
            done = {k for k in open_ if near & set(supports[k])}
            open_ -= done
    for k in sorted(open_ if not picks else ()):  # nothing next to these: look further out
        far = _best(pieces, supports[k], partners, last)
        if far is not None:
            picks.append(far)
    return list(dict.fromkeys(picks))


def _near_candidates(
    pieces: dict[str, Piece],
    support: list[Cell],
    partners: dict[Cell, list[Cell]],
    split: dict[Cell, tuple[list[Cell], list[Cell]]],
) -> list[Cell]:
    """The shown cells that may protect a figure: the members (not totals) on lines
    through its hidden cells; where there are none, the members one line further out,
    through hidden cells and twins; where there are none either, the totals next to it.
    `split` keeps each cell's candidates as (members, totals) while nothing is hidden:
    figures share cells, and working them out again was a fifth of a release's build."""
    totals: list[Cell] = []
    ring, seen = list(support), set(support)
    for hop in range(2):
        members: list[Cell] = []
        following: list[Cell] = []
        for name, flat in ring:
            p = pieces[name]
            found = split.get((name, flat))
            if found is None:
                found = split[(name, flat)] = _split_candidates(p, name, flat)
            members.extend(found[0])
            totals.extend(found[1])
            for c in _neighbours(p, flat) if hop == 0 else ():
                cell = (name, c)
                if p.hidden.flat[c] and cell not in seen:
                    seen.add(cell)
                    following.append(cell)
                    following.extend(x for x in partners.get(cell, []) if x not in seen)
        if members:
            return members
        if hop == 0:
            near_totals = list(totals)
        ring = following
    return near_totals


def _split_candidates(p: Piece, name: str, flat: int) -> tuple[list[Cell], list[Cell]]:
    """The cell's candidates (`_candidates`), members and totals apart, in their order."""
    cands = _candidates(p, flat)
    if not cands:
        return [], []
    is_total = p.total.flat[cands]
    members = [(name, c) for c, total in zip(cands, is_total, strict=True) if not total]
    totals = [(name, c) for c, total in zip(cands, is_total, strict=True) if total]
    return members, totals


def _best(
    pieces: dict[str, Piece],
    support: list[Cell],
    partners: dict[Cell, list[Cell]],
    last: dict[tuple, tuple[int, str]],
) -> Cell | None:
    """The shown cell to hide: on a line through the figure's cells, else one line
    further out through hidden cells (a total two steps away), and so on: a figure
    partners saw before (it keeps showing that value), then a member before a total,
    then the smallest, then the first."""
    seen = set(support)
    ring = list(support)
    for _ in range(MAX_HOPS):
        best = None
        following: list[Cell] = []
        for name, flat in ring:
            p = pieces[name]
            for cand in _candidates(p, flat):
                before = (name, *p.labels(cand)) in last
                key = (not before, _is_total(p, cand), p.counts.flat[cand], name, cand)
                best = key if best is None or key < best else best
            for c in _neighbours(p, flat):
                cell = (name, c)
                if p.hidden.flat[c] and cell not in seen:
                    seen.add(cell)
                    following.append(cell)
                    following.extend(x for x in partners.get(cell, []) if x not in seen)
        if best is not None:
            return best[3], int(best[4])
        ring = following
    return None


def _line_index(size: int, lines: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """For every cell, the cells sharing a line with it (itself included), as CSR."""
    src, dst = [np.zeros(0, int)], [np.zeros(0, int)]
    for arr in lines:
        m = arr.shape[1]
        src.append(np.repeat(arr, m, axis=1).ravel())
        dst.append(np.tile(arr, (1, m)).ravel())
    pairs = np.unique(np.column_stack([np.concatenate(src), np.concatenate(dst)]), axis=0)
    at = np.searchsorted(pairs[:, 0], np.arange(size + 1))
    return at, pairs[:, 1]


def _neighbours(p: Piece, flat: int) -> list[int]:
    return p.near[p.near_at[flat] : p.near_at[flat + 1]].tolist()


def _candidates(p: Piece, flat: int) -> list[int]:
    """Shown cells that may be hidden, on the lines through one cell."""
    near = p.near[p.near_at[flat] : p.near_at[flat + 1]]
    blocked = p.hidden.flat[near] | p.keep.flat[near] | p.pinned.flat[near]
    return near[~blocked].tolist()


def _is_total(p: Piece, flat: int) -> bool:
    return bool(p.total.flat[flat])
