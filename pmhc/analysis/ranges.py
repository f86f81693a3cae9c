"""Protection ranges by linear programming (docs/privacy.md): for each hidden figure, the
smallest and largest value it can take under every published equation, the earlier
releases' included, with every count non-negative.

A partner who solves these programmes learns exactly that range and nothing narrower
(integrality aside, see the limits in docs/privacy.md). A hidden figure is *protected*
when its range is at least `2 * protection` wide and, for a count, does not lie inside
1..threshold (which would say "there was at least one, and few"). Whether a figure is
protected depends only on the shown values and the pattern of hidden cells, never on the
hidden values themselves, so two exports differing only in small cells still give the same
release.

It stays fast by (1) fixing every variable an equation with one unknown pins, (2) solving
each connected component of equations on its own, and (3) solving one programme per
figure only when the feasible points found so far (the true table and the extremes of the
summed objectives) do not already prove the range wide enough."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

EPS = 1e-6
PROPAGATION_SWEEPS = 6
MAX_FAILS = 40  # per component and round: hide cells for these, then look again
BATCH_ROUNDS = 10  # programmes over all the unproven rows at once


@dataclass
class System:
    """Variables with bounds, equations `a_eq x = b_eq`, inequalities `a_ub x <= b_ub`,
    and the figures to protect: `targets` rows of coefficients with an offset (the shown
    part of the figure), each a count (`small`) or the change of a carried figure."""

    x0: np.ndarray  # the true values: a feasible point, used as a first witness only
    lower: np.ndarray
    upper: np.ndarray
    eq_rows: list[dict[int, float]] = field(default_factory=list)
    eq_rhs: list[float] = field(default_factory=list)
    ub_rows: list[dict[int, float]] = field(default_factory=list)
    ub_rhs: list[float] = field(default_factory=list)
    targets: list[dict[int, float]] = field(default_factory=list)
    offsets: list[float] = field(default_factory=list)
    small: list[bool] = field(default_factory=list)
    keys: list = field(default_factory=list)  # names the caller gives each target

    def equation(self, row: dict[int, float], rhs: float) -> None:
        row = {k: v for k, v in row.items() if v}
        if row:
            self.eq_rows.append(row)
            self.eq_rhs.append(float(rhs))

    def inequality(self, row: dict[int, float], rhs: float) -> None:
        row = {k: v for k, v in row.items() if v}
        if row:
            self.ub_rows.append(row)
            self.ub_rhs.append(float(rhs))

    def target(self, row: dict[int, float], offset: float, small: bool, key=None) -> None:
        self.targets.append({k: v for k, v in row.items() if v})
        self.offsets.append(float(offset))
        self.small.append(small)
        self.keys.append(key)


def protected(lo: float, hi: float, small: bool, protection: int, threshold: int) -> bool:
    """Wide enough, and for a count not inside 1..threshold; or known to be 0 (every
    solution gives 0: no call of that kind, which names no one)."""
    if abs(lo) <= EPS and abs(hi) <= EPS:
        return True
    if hi - lo < 2 * protection - EPS:
        return False
    return not (small and lo >= 1 - EPS and hi <= threshold + EPS)


def failures(
    system: System, protection: int, threshold: int, proven: set | None = None
) -> dict[int, tuple[float, float]]:
    """The targets that are not protected, with their (low, high) ranges. Targets whose
    key is in `proven` are taken as protected (a caller that only ever relaxes the system
    keeps them so); the keys of targets found protected are added to it."""
    proven = set() if proven is None else proven
    fixed = _presolve(system)
    low, cap = _propagate(system, fixed)
    out: dict[int, tuple[float, float]] = {}
    unknown: set[int] = set()  # not looked at to the end this time: neither failed nor proven
    live = []
    for i, row in enumerate(system.targets):
        if system.keys[i] is not None and system.keys[i] in proven:
            continue
        k = next(iter(row)) if len(row) == 1 else -1
        if k >= 0 and k not in fixed and cap[k] > EPS:
            lo_k, hi_k = float(low[k]), float(cap[k])  # bounds the range from outside
            if not protected(lo_k, hi_k, system.small[i], protection, threshold):
                out[i] = (lo_k, hi_k)  # the range is inside these: too narrow already
                continue
        free = {k: v for k, v in row.items() if k not in fixed}
        const = system.offsets[i] + sum(v * fixed[k] for k, v in row.items() if k in fixed)
        if not free:
            if not protected(const, const, system.small[i], protection, threshold):
                out[i] = (const, const)
        else:
            live.append((i, free, const))
    if not live:
        _prove(system, out.keys(), proven)
        return out
    var = np.array(sorted(set(range(len(system.x0))) - set(fixed)), dtype=int)
    col = np.full(len(system.x0), -1)
    col[var] = np.arange(len(var))
    eq, b_eq = _matrix(system.eq_rows, system.eq_rhs, fixed, col, len(var))
    ub, b_ub = _matrix(system.ub_rows, system.ub_rhs, fixed, col, len(var))
    tg = _rows([{int(col[k]): v for k, v in f.items()} for _, f, _ in live], len(var))
    labels = _components(len(var), [eq, ub, tg])
    target_label = labels[tg.indices[tg.indptr[:-1]]]
    for comp in np.unique(target_label):
        mine = np.flatnonzero(target_label == comp)
        cols = np.flatnonzero(labels == comp)
        problem = _Sub(system, var[cols], eq, b_eq, ub, b_ub, cols)
        consts = np.array([live[j][2] for j in mine])
        small = [system.small[live[j][0]] for j in mine]

        def good(lo, hi, k, consts=consts, small=small):
            return protected(lo + consts[k], hi + consts[k], small[k], protection, threshold)

        found = problem.ranges(tg[mine][:, cols].tocsr(), good)
        for k, (lo, hi, status) in enumerate(found):
            if status == "fail":
                out[live[mine[k]][0]] = (lo + consts[k], hi + consts[k])
            elif status == "unknown":
                unknown.add(live[mine[k]][0])
    _prove(system, out.keys() | unknown, proven)
    return out


def _prove(system: System, failed, proven: set) -> None:
    proven.update(k for i, k in enumerate(system.keys) if k is not None and i not in failed)


class _Sub:
    """One connected component: its programme and the feasible points found so far."""

    def __init__(self, system, var, eq, b_eq, ub, b_ub, cols):
        eq, b_eq = _restrict(eq, b_eq, cols)
        ub, b_ub = _restrict(ub, b_ub, cols)
        self.n = len(var)
        self.highs = _programme(system.lower[var], system.upper[var], eq, b_eq, ub, b_ub)
        self.points = [system.x0[var]]

    def solve(self, c: np.ndarray) -> np.ndarray | None:
        """The point minimising c·x; None when unbounded. Only the objective changes
        from one programme of a component to the next: HiGHS starts from the last
        optimal basis, which stays feasible, and primal simplex goes on from there
        (3.9x less processor time than solving each from nothing; the same optima)."""
        h = self.highs
        costs = np.asarray(c, float)
        if h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), costs) != _OK:
            raise ValueError("the audit's solver did not take the figure to range")
        with _ONE_AT_A_TIME:
            h.run()
        status = h.getModelStatus()
        # Only a programme known to be unbounded gives an open range: "unbounded or
        # infeasible", or any stop short of an optimum, is refused (fails closed).
        if status == highspy.HighsModelStatus.kUnbounded:
            return None
        if status == highspy.HighsModelStatus.kInfeasible:
            raise ValueError("the published equations have no solution")
        if status != highspy.HighsModelStatus.kOptimal:
            raise ValueError(f"the audit's solver stopped ({h.modelStatusToString(status)})")
        x = np.array(h.getSolution().col_value)
        self.points.append(x)
        return x

    def ranges(self, rows: sparse.csr_matrix, good) -> list[tuple[float, float, str]]:
        """(min, max) of each row·x, or a narrower pair from feasible points when that
        already passes `good(lo, hi, k)` (the true range is at least as wide). Points
        come from programmes over many rows at once — all of them, then the rows still
        unproven — and one programme per row and side only for what is left."""
        k = rows.shape[0]
        lo, hi = np.full(k, np.inf), np.full(k, -np.inf)
        done = np.zeros(k, bool)

        def update() -> None:
            values = rows @ np.column_stack(self.points)
            lo[:] = np.minimum(lo, values.min(axis=1))
            hi[:] = np.maximum(hi, values.max(axis=1))
            done[:] = [good(lo[i], hi[i], i) for i in range(k)]

        update()
        rng = np.random.default_rng(0)  # fixed: the same release every time
        stale = 0
        for r in range(BATCH_ROUNDS):
            left = np.flatnonzero(~done)
            if not len(left) or stale >= 2:
                break
            before = int(done.sum())
            # all rows up, all down, then each row up or down at random: every vertex
            # found is a feasible point that widens some rows' known ranges
            signs = (-1.0 if r == 0 else 1.0) if r < 2 else rng.choice([-1.0, 1.0], len(left))
            c = (
                np.asarray(
                    rows[left].multiply(np.reshape(signs, (-1, 1)) * np.ones((1, 1))).sum(axis=0)
                ).ravel()
                if r >= 2
                else signs * np.asarray(rows[left].sum(axis=0)).ravel()
            )
            self.solve(c)
            update()
            stale = stale + 1 if int(done.sum()) == before else 0
        exact = np.zeros(k, bool)
        for i in np.flatnonzero(~done):
            if done[i]:  # a point found for another row proved it
                continue
            if int((exact & ~done).sum()) >= MAX_FAILS:
                break  # enough to hide more cells; the rest are looked at next round
            row = rows[i].toarray().ravel()
            if not (lo[i] <= EPS and np.all(row >= 0)):  # else already at its least, 0
                low = self.solve(row)
                lo[i] = -np.inf if low is None else float(low @ row)
            high = self.solve(-row)
            hi_i = np.inf if high is None else float(high @ row)
            update()
            hi[i], exact[i] = max(hi[i], hi_i), True
            done[i] = good(lo[i], hi[i], i)
        status = np.where(done, "ok", np.where(exact, "fail", "unknown"))
        return list(zip(lo.tolist(), hi.tolist(), status.tolist(), strict=True))


# HiGHS keeps one task scheduler per process, and its threads are not for two solves at
# once from Python threads (two sessions publishing on one server): one solve at a time,
# each on one thread. A programme takes milliseconds, so nobody waits long.
_ONE_AT_A_TIME = threading.Lock()
_OK = highspy.HighsStatus.kOk


def _programme(lower, upper, eq, b_eq, ub, b_ub) -> highspy.Highs:
    """A HiGHS model of `eq x = b_eq`, `ub x <= b_ub`, `lower <= x <= upper` with no
    objective yet, silent, solving by primal simplex (warm from each previous optimum)."""
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = len(lower)
    matrix = sparse.vstack([eq, ub]).tocsc() if ub.shape[0] else eq.tocsc()
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = np.zeros(len(lower))
    lp.col_lower_ = np.where(np.isfinite(lower), lower, -inf)
    lp.col_upper_ = np.where(np.isfinite(upper), upper, inf)
    lp.row_lower_ = np.concatenate([b_eq, np.full(ub.shape[0], -inf)])
    lp.row_upper_ = np.concatenate([b_eq, b_ub])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("simplex_strategy", 4)  # primal: the last basis is primal feasible
    h.passModel(lp)
    return h


def _presolve(system: System) -> dict[int, float]:
    """Variables fixed by an equation with one unknown (or equal bounds), repeatedly."""
    fixed = {int(i): float(system.lower[i]) for i in np.flatnonzero(system.lower == system.upper)}
    nonneg = system.lower >= 0
    rows = list(zip(system.eq_rows, system.eq_rhs, strict=True))
    changed = True
    while changed:
        changed = False
        left = []
        for row, rhs in rows:
            free = [k for k in row if k not in fixed]
            if not free:
                continue
            rest = rhs - sum(v * fixed[j] for j, v in row.items() if j in fixed)
            if len(free) == 1:
                fixed[free[0]] = rest / row[free[0]]
                changed = True
            elif abs(rest) <= EPS and _one_sign(row, free, nonneg):
                # non-negative unknowns adding up to 0: every one of them is 0
                fixed.update(dict.fromkeys(free, 0.0))
                changed = True
            else:
                left.append((row, rhs))
        rows = left
    return fixed


def _propagate(system: System, fixed: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """Bounds around each variable's range from the equations one at a time (each
    unknown lies within what the others' bounds leave), all equations at once and
    repeated a few times: cheap, and enough to see that most narrow ranges are narrow
    without a programme. Any number of sweeps gives bounds that hold, so the ranges the
    programmes find do not depend on it."""
    lo = system.lower.astype(float).copy()
    hi = system.upper.astype(float).copy()
    for k, v in fixed.items():
        lo[k] = hi[k] = v
    if not system.eq_rows:
        return lo, hi
    a_eq = _rows(system.eq_rows, len(lo))
    rows = np.repeat(np.arange(a_eq.shape[0]), np.diff(a_eq.indptr))
    cols, a = a_eq.indices, a_eq.data
    b = np.asarray(system.eq_rhs, dtype=float)[rows]
    m = a_eq.shape[0]
    with np.errstate(invalid="ignore"):
        for _ in range(PROPAGATION_SWEEPS):
            least = np.where(a > 0, a * lo[cols], a * hi[cols])
            most = np.where(a > 0, a * hi[cols], a * lo[cols])
            others_least = _others(least, rows, m, -np.inf)
            others_most = _others(most, rows, m, np.inf)
            up, down = (b - others_least) / a, (b - others_most) / a
            new_hi, new_lo = np.where(a > 0, up, down), np.where(a > 0, down, up)
            before_lo, before_hi = lo.copy(), hi.copy()
            np.minimum.at(hi, cols, new_hi)
            np.maximum.at(lo, cols, new_lo)
            if np.all(before_hi - hi <= EPS) and np.all(lo - before_lo <= EPS):
                break
    return lo, hi


def _others(terms: np.ndarray, rows: np.ndarray, m: int, inf: float) -> np.ndarray:
    """Per term, the sum of the other terms of its row (`inf` when one of them is)."""
    infinite = terms == inf
    finite = np.where(infinite, 0.0, terms)
    total = np.bincount(rows, weights=finite, minlength=m)
    count = np.bincount(rows, weights=infinite.astype(float), minlength=m)
    return np.where(count[rows] - infinite > 0, inf, total[rows] - finite)


def _one_sign(row: dict[int, float], free: list[int], nonneg: np.ndarray) -> bool:
    signs = {row[k] > 0 for k in free}
    return len(signs) == 1 and all(nonneg[k] for k in free)


def _rows(rows: list[dict[int, float]], n: int) -> sparse.csr_matrix:
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for row in rows:
        indices.extend(row)
        data.extend(row.values())
        indptr.append(len(indices))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), n))


def _matrix(rows, rhs, fixed, col, n) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The rows over the free variables, the fixed ones moved to the right-hand side;
    rows left with no free variable are dropped."""
    out, b = [], []
    for row, r in zip(rows, rhs, strict=True):
        free = {int(col[k]): v for k, v in row.items() if k not in fixed}
        if free:
            out.append(free)
            b.append(r - sum(v * fixed[k] for k, v in row.items() if k in fixed))
    return _rows(out, n), np.array(b, dtype=float)


def _components(n: int, mats: list[sparse.csr_matrix]) -> np.ndarray:
    """A component label per variable: variables sharing a row share a component."""
    stacked = sparse.vstack([m for m in mats if m.shape[0]] or [sparse.csr_matrix((0, n))])
    stacked = (stacked != 0).astype(np.int8).tocsr()
    graph = (stacked.T @ stacked).tocsr()
    return connected_components(graph, directed=False)[1]


def _restrict(m: sparse.csr_matrix, b: np.ndarray, cols: np.ndarray):
    """The rows of `m` that touch these columns, restricted to them (a component's rows
    touch no other column)."""
    sub = m[:, cols].tocsr()
    keep = np.diff(sub.indptr) > 0
    return sub[keep], b[keep]
