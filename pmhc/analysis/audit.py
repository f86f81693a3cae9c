"""The audit behind complementary suppression (docs/privacy.md): can the published totals,
combined, give back a hidden cell?

Every relation line of a table (members add up to their total) is a linear equation over
its cells. With the shown cells as constants, the equations restricted to the hidden
cells form a system `A x = b`. A hidden cell `i` is *determined* when every solution has
the same `x_i`: when `e_i` lies in the row space of `A`, i.e. when every vector of the
null space of `A` is 0 at `i`. The line rule (no equation with exactly one hidden cell)
catches the simplest case only; several equations together can still pin a cell down (two
blocks of hidden cells joined by one cell, or yes + no = all across districts and months).

The audit looks at which cells are hidden and at the values of shown cells only, so like
the line rule it hides the same cells in two tables that differ only in small cells.
Hidden cells fall into independent blocks (linked by equations with two or more hidden
cells); each block is checked on its own (an eigendecomposition of a small matrix), or the
whole table is checked from its few shown cells when most cells are hidden."""

from __future__ import annotations

import numpy as np

TOLERANCE = 1e-8  # the matrices hold 0 and ±1: a null-space entry below this is a zero


def relation_lines(shape: tuple[int, ...], axes: list) -> list[np.ndarray]:
    """Per relation of every axis, the flat indices of the cells of each of its lines:
    an array of (lines, members + 1), the total last."""
    index = np.arange(int(np.prod(shape))).reshape(shape)
    out = []
    for k, axis in enumerate(axes):
        moved = np.moveaxis(index, k, -1)
        for members, total in axis.relations:
            cols = [*members, total]
            out.append(moved[..., cols].reshape(-1, len(cols)))
    return out


def complements(values: np.ndarray, hidden: np.ndarray, keep: np.ndarray, axes: list) -> list:
    """Flat indices of shown cells to hide next: one for each block of hidden cells in
    which some hidden cell is determined by the equations; empty when none is."""
    flat = hidden.ravel()
    if not flat.any():
        return []
    lines = [ln[flat[ln].any(axis=1)] for ln in relation_lines(hidden.shape, axes)]
    lines = [ln for ln in lines if len(ln)]
    block = _blocks(flat, lines)
    line_block = [block[_first_hidden(ln, flat)] for ln in lines]
    shown_cost = _cost_from_shown(hidden, axes)
    fixed = None
    picks = []
    for b in np.unique(block[flat]):
        cells = np.flatnonzero(flat & (block == b))
        own = [ln[lb == b] for ln, lb in zip(lines, line_block, strict=True)]
        determined = determined_cells(cells, own, flat, shown_cost)
        if determined is None:  # cheaper for the whole table, from its shown cells
            fixed = determined_from_shown(hidden, axes) if fixed is None else fixed
            determined = [int(c) for c in cells[fixed[cells]]]
        if determined:
            picks.append(_complement(determined[0], own, values, flat, keep, axes))
    return picks


def _cost_from_shown(hidden: np.ndarray, axes: list) -> float:
    """About the work of `determined_from_shown`, to compare with a block's n³."""
    n_hidden = int(hidden.sum())
    n_shown = hidden.size - n_hidden
    free = int(np.prod([_axis_null(a).shape[1] for a in axes]))
    return float(n_shown) * free * (n_shown + n_hidden)


def _axis_null(axis) -> np.ndarray:
    """A basis (labels x dimension) of the vectors along one axis that satisfy its
    relations."""
    m = np.zeros((len(axis.relations), len(axis.labels)))
    for r, (members, total) in enumerate(axis.relations):
        m[r, list(members)] = 1
        m[r, total] -= 1
    if not len(m):
        return np.eye(len(axis.labels))
    _, s, vt = np.linalg.svd(m, full_matrices=True)
    return vt[int((s > TOLERANCE).sum()) :].T


def determined_from_shown(hidden: np.ndarray, axes: list) -> np.ndarray:
    """Per cell, whether it is determined, seen from the shown cells: the tables that
    satisfy every equation are the tensor product of each axis's solutions, with basis
    rows B_i. A change `B y` of a table keeps every shown cell when B_S y = 0, and leaves
    hidden cell i unchanged for all such y exactly when B_i is in the row space of B_S."""
    bases = [_axis_null(a) for a in axes]

    def rows(cells: np.ndarray) -> np.ndarray:
        at = np.unravel_index(cells, hidden.shape)
        out = bases[0][at[0]]
        for k in range(1, len(axes)):
            width = out.shape[1] * bases[k].shape[1]
            out = (out[:, :, None] * bases[k][at[k]][:, None, :]).reshape(len(cells), width)
        return out

    flat = hidden.ravel()
    fixed = np.zeros(flat.size, bool)
    if flat.all():  # nothing shown: every table that adds up fits
        return fixed
    shown, cells = rows(np.flatnonzero(~flat)), np.flatnonzero(flat)
    h = rows(cells)
    # An orthonormal basis of the row space of B_S from the small Gram matrix B_S B_Sᵀ
    # (shown cells are few when this method is chosen): cheaper than an SVD of B_S.
    w, v = np.linalg.eigh(shown @ shown.T)
    keep = w > 1e-10 * max(1.0, float(w.max()))
    q = (v[:, keep].T @ shown) / np.sqrt(w[keep])[:, None]
    residual = h - (h @ q.T) @ q
    size = np.linalg.norm(h, axis=1)
    fixed[cells] = np.linalg.norm(residual, axis=1) <= 1e-6 * np.maximum(size, 1e-12)
    return fixed


def _first_hidden(lines: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """For each line, the flat index of its first hidden cell."""
    return lines[np.arange(len(lines)), np.argmax(flat[lines], axis=1)]


def _blocks(flat: np.ndarray, lines: list[np.ndarray]) -> np.ndarray:
    """A block label per cell: hidden cells sharing an equation share a label (the
    smallest flat index of the block, found by propagating minima until stable)."""
    label = np.where(flat, np.arange(flat.size), flat.size)
    while True:
        before = label.copy()
        for ln in lines:
            lab = np.where(flat[ln], label[ln], flat.size)
            low = lab.min(axis=1, keepdims=True)
            np.minimum.at(label, ln[flat[ln]], np.broadcast_to(low, ln.shape)[flat[ln]])
        if np.array_equal(before, label):
            return label


def determined_cells(
    cells: np.ndarray, lines: list[np.ndarray], flat: np.ndarray, limit: float = np.inf
) -> list | None:
    """The cells of one block that every solution of its equations fixes; None when, once
    peeled, the block is still so large that its decomposition would cost over `limit`."""
    column = np.full(flat.size, -1)
    column[cells] = np.arange(len(cells))
    parts = []
    for ln in lines:
        sign = np.ones(ln.shape[1])
        sign[-1] = -1  # members - total = 0
        part = np.zeros((len(ln), len(cells)))
        row, pos = np.nonzero(flat[ln])
        np.add.at(part, (row, column[ln[row, pos]]), sign[pos])
        parts.append(part)
    a = np.vstack(parts) if parts else np.zeros((0, len(cells)))
    a, cells = _peel(a, cells)
    if float(len(cells)) ** 3 > limit:
        return None
    # The null space of A is that of the small square AᵀA: its eigenvectors with
    # eigenvalue 0 (eigh of a symmetric matrix, cheaper than an SVD of a tall A).
    gram = a.T @ a
    w, v = np.linalg.eigh(gram)
    null = v[:, w < TOLERANCE * max(1.0, float(w.max(initial=0.0)))].T
    if null.shape[0] == 0:
        return [int(c) for c in cells]
    fixed = np.abs(null).max(axis=0) < TOLERANCE
    return [int(c) for c in cells[fixed]]


def _peel(a: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop cells that no solution pins down, with the one equation each is in: a cell in
    no equation is free, and a cell in exactly one can always make that equation hold, so
    the other cells' solutions are those of the system without it. Repeated until every
    cell left is in two equations or more; what is determined does not change."""
    rows = np.ones(len(a), bool)
    cols = np.ones(len(cells), bool)
    while True:
        nonzero = a[rows][:, cols] != 0
        per_cell = nonzero.sum(axis=0)
        loose = per_cell <= 1
        if not loose.any():
            return a[rows][:, cols], cells[cols]
        row_ids, col_ids = np.flatnonzero(rows), np.flatnonzero(cols)
        rows[row_ids[nonzero[:, loose].any(axis=1)]] = False
        cols[col_ids[loose]] = False


def _complement(
    cell: int,
    lines: list[np.ndarray],
    values: np.ndarray,
    flat: np.ndarray,
    keep: np.ndarray,
    axes: list,
) -> int:
    """The shown cell to hide for a determined cell: on a line through it if one has a
    candidate, else on any line of its block; not a total where a member will do, then
    the smallest, then the first."""
    through = [ln[(ln == cell).any(axis=1)] for ln in lines]
    for group in (through, lines):
        cells = np.unique(np.concatenate([ln.ravel() for ln in group] or [np.array([], int)]))
        cells = cells[~flat[cells] & ~keep.ravel()[cells]]
        if len(cells):
            totals = _is_total(cells, values.shape, axes)
            order = np.lexsort((cells, values.ravel()[cells], totals))
            return int(cells[order[0]])
    raise ValueError("a hidden cell is determined and no shown cell can be hidden with it")


def _is_total(cells: np.ndarray, shape: tuple[int, ...], axes: list) -> np.ndarray:
    """Whether each cell is a total along some axis."""
    at = np.unravel_index(cells, shape)
    out = np.zeros(len(cells), bool)
    for k, axis in enumerate(axes):
        totals = np.array(sorted({t for _, t in axis.relations}), dtype=int)
        out |= np.isin(at[k], totals)
    return out
