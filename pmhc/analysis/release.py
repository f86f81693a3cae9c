"""The partner release: the allow-list of aggregates community partners may see
(docs/privacy.md). Built from a dataset by the analyst, saved to the workspace, and the
only thing a partner session ever reads.

What it holds, every count suppressed together with the totals it adds up to
(`pmhc.analysis.cells`):
- `calls`: MH incidents by category, district and period. Categories are all MH calls,
  each outcome and CIT flag as yes/no, and the disposition groups; districts with
  `threshold` or fewer calls in the whole period are pooled as "Other districts";
  periods are calendar months, years and the whole period.
- `incidents`: all incidents, MH and not (the CLI's total).
- `persons`: people with one and with two or more MH contacts, per year and overall.
- `staff`: active staff by role group with and without 40-hour CIT; `in_service`:
  CIT-trained staff overdue for in-service or current.
- plain tables that hold no count of people: the services inventory and the Crisis Now
  elements; self-assessment answers, with notes only where the analyst shared them;
  action-tracker rows the analyst marked shared.
Nothing else: no incident, no person, no free text that was not shared."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmhc.analysis import crisis_now, metrics, workforce
from pmhc.analysis.cells import Axis, CellTable
from pmhc.analysis.history import FROZEN, Past, old_calls_cells
from pmhc.analysis.protection import Context, Piece, secure
from pmhc.domain import checklist
from pmhc.domain.errors import InputError
from pmhc.domain.rules import DISPOSITION_GROUPS, GROUP_LABELS
from pmhc.storage.dataset import Dataset, mh_incidents
from pmhc.storage.releases import Release

FORMAT = 1
ALL_DISTRICTS = "All districts"
OTHER_DISTRICTS = "Other districts"
NO_DISTRICT = "District not recorded"
WHOLE_PERIOD = "Whole period"
ALL_CALLS = "calls"
FLAGS = {  # yes/no facts about a call besides the outcomes, for the dispatch page
    "cit_requested": "CIT requested",
    "cit_dispatched": "CIT dispatched",
    "cit_arrived": "CIT arrived",
    "mh_at_dispatch": "Recognised as MH at dispatch",
}
NOT_RECORDED = "not_recorded"
UNKNOWN = "unknown"  # an outcome not recorded for the call: not counted as no
POOLED = "disposition:other"  # rare disposition groups, pooled (`recode`)
ROLE_GROUPS = {"patrol": "Patrol", "supervisor": "Supervisors", "command": "Command staff"}
ACTION_COLUMNS = ["recommendation", "owner", "due", "status"]
SERVICE_COLUMNS = ["name", "type", "hours", "police_dropoff"]


# The release's rule: counts from 1 to the threshold are hidden (the US CMS cell-size
# policy), with what they could be worked out from, and each hidden count's feasible range
# must span at least ±protection.
DEFAULT_THRESHOLD = 10
DEFAULT_PROTECTION = 3
HIDDEN = f"≤{DEFAULT_THRESHOLD}"  # what a hidden count reads as at the default threshold


def hidden_label(threshold: int) -> str:
    """What a hidden count reads as, e.g. "≤10"."""
    return f"≤{threshold}"


def build(
    ds: Dataset,
    threshold: int = DEFAULT_THRESHOLD,
    settings: dict | None = None,
    answers: dict | None = None,
    actions: pd.DataFrame | None = None,
    history: Past | None = None,
) -> Release:
    """The release of a dataset under the workspace's settings, audited together with
    every release partners already have (`history`)."""
    settings = settings or {}
    past = history or Past()
    protection = int(settings.get("protection") or DEFAULT_PROTECTION)
    meta: dict = {
        "format": FORMAT,
        "threshold": threshold,
        "protection": protection,
        "hidden": hidden_label(threshold),
        "agency": str(settings.get("agency") or ""),
        "programme_start": settings.get("programme_start"),
        "targets": dict(settings.get("targets") or {}),
        "tables": {},
    }
    pieces: dict[str, Piece] = {}
    ctx = Context(last=past.last_shown())
    frozen = past.frozen()
    mh = _released_months(ds.mh, threshold, frozen) if ds.mh is not None else None
    if ds.calls is not None and mh is not None and (len(mh) or frozen is not None):
        _calls_pieces(ds, mh, threshold, past, pieces, ctx)
        meta["outcomes"] = [
            {"key": o.key, "label": o.label, "card": o.card, "higher_is_better": o.higher_is_better}
            for o in metrics.available_outcomes(mh)
            if o.partner  # registry: partners may see it
        ]
        meta["flags"] = {k: v for k, v in FLAGS.items() if k in mh}
        labels = pieces["calls"].axes[0].labels
        named = {g: GROUP_LABELS[g] for g in DISPOSITION_GROUPS} | {NOT_RECORDED: "Not recorded"}
        meta["dispositions"] = {g: x for g, x in named.items() if f"disposition:{g}" in labels}
    elif ds.calls is not None:  # no month with enough MH calls: no calls table to match
        counts, axes = incidents_counts(ds.calls)
        pieces["incidents"] = Piece("incidents", counts, axes)
    if ds.roster is not None and ds.training is not None and "role_group" in ds.roster:
        as_of = staff_date(ds.training, mh)
        staff = workforce.with_certification(ds.roster, ds.training, as_of)
        meta["staff_as_of"] = as_of.date().isoformat()
        pieces["staff"] = Piece("staff", *staff_counts(staff))
        counts, axes = in_service_counts(ds.training, as_of, staff["officer_id"])
        pieces["in_service"] = Piece("in_service", counts, axes)
        ctx.links.append(
            (("in_service", 2), ("staff", _flat(pieces["staff"], "cit_40:yes", "All staff")))
        )
    calls = pieces.get("calls")
    meta["edition"] = (
        f"calls to {calls.axes[2].labels[_last_month(calls.axes[2])]}"
        if calls is not None
        else (f"staff as of {meta['staff_as_of']}" if "staff_as_of" in meta else "")
    )
    try:
        secure(pieces, ctx, threshold, protection)
    except ValueError as err:
        raise InputError(f"The partner release cannot be made safe: {err}.") from err
    tables: dict[str, pd.DataFrame] = {}
    for name, piece in pieces.items():
        tables[name] = _frame(piece, ctx, meta["edition"])
        meta["tables"][name] = [_axis_meta(a) for a in piece.axes]
    if ds.services is not None:
        columns = [c for c in SERVICE_COLUMNS if c in ds.services]
        tables["services"] = ds.services[columns].astype("str").reset_index(drop=True)
        tables["crisis_now"] = crisis_now.core_elements(ds.services).astype("str")
    meta["checklist"] = shared_checklist(answers or {})
    tables["actions"] = shared_actions(actions)
    private = {"history": {"epoch": np.array(past.epoch)}}
    if calls is not None:
        private[FROZEN] = _frozen(calls, list(category_groups(mh)) if mh is not None else [])
    return Release(meta, tables, private)


def _calls_pieces(
    ds: Dataset, mh: pd.DataFrame, threshold: int, past: Past, pieces: dict, ctx: Context
) -> None:
    """The calls table (months already released kept as released), the incidents table
    over its months and the people table, with what links them."""
    counts, axes, pinned = history_counts(mh, threshold, past)
    closed = _closed(axes, past.frozen())
    calls = Piece("calls", counts, axes, hide=closed & ~pinned, pinned=pinned)
    pieces["calls"] = calls
    whole = _flat(calls, ALL_CALLS, ALL_DISTRICTS, WHOLE_PERIOD)
    inc, inc_axes = incidents_counts(ds.calls, mh, counts.flat[whole])
    pieces["incidents"] = Piece("incidents", inc, inc_axes, keep=np.array([True, False, False]))
    ctx.links.append((("incidents", 0), ("calls", whole)))
    twins = twin_categories(mh, axes[0].labels)
    for a, b in twins:
        ia, ib = axes[0].index(a), axes[0].index(b)
        size = counts[0].size
        ctx.links.extend((("calls", ia * size + k), ("calls", ib * size + k)) for k in range(size))
    calls.cost = twin_costs(counts, axes[0], twins)
    ctx.old = old_calls_cells(past, {a.name: list(a.labels) for a in axes})
    persons = persons_counts(mh)
    if persons is not None:
        pieces["persons"] = Piece("persons", *persons)
        p = pieces["persons"]
        for period in p.axes[1].labels:
            if period in axes[2].labels:
                ctx.people.append(
                    (
                        ("persons", _flat(p, "persons:1", period)),
                        ("persons", _flat(p, "persons:2+", period)),
                        ("calls", _flat(calls, ALL_CALLS, ALL_DISTRICTS, period)),
                    )
                )


def _flat(piece: Piece, *labels: str) -> int:
    at = tuple(a.index(x) for a, x in zip(piece.axes, labels, strict=True))
    return int(np.ravel_multi_index(at, piece.counts.shape))


def _last_month(axis: Axis) -> int:
    return max(i for i, label in enumerate(axis.labels) if len(label) == 7)


def _frame(piece: Piece, ctx: Context, edition: str) -> pd.DataFrame:
    """The published table: fresh values with this edition, figures shown before with
    their last value and the release they are from, None where hidden."""
    frame = CellTable(piece.axes, np.where(piece.hidden, np.nan, piece.counts)).to_frame()
    values: list = []
    as_of: list = []
    for flat, shown in enumerate(frame["value"]):
        last = ctx.last.get((piece.name, *piece.labels(flat)))
        if piece.pinned.flat[flat] and last is not None:
            values.append(last[0])
            as_of.append(last[1])
        elif not pd.isna(shown):
            values.append(int(shown))
            as_of.append(edition)
        elif last is not None:
            values.append(last[0])
            as_of.append(last[1])
        else:
            values.append(None)
            as_of.append(None)
    frame["value"] = pd.array(values, dtype="Int64")
    frame["as_of"] = pd.array(as_of, dtype="str")
    return frame


def _frozen(calls: Piece, keys: list[str]) -> dict:
    """The calls of the released months, to keep them as released next time, and the
    outcomes and flags the data had (`keys`, recoded away or not)."""
    months = [i for i, label in enumerate(calls.axes[2].labels) if len(label) == 7]
    return {
        "keys": np.array(keys, dtype=str),
        "counts": calls.counts[:, :, months],
        "categories": np.array(calls.axes[0].labels),
        "districts": np.array(calls.axes[1].labels),
        "months": np.array([calls.axes[2].labels[i] for i in months]),
    }


def _closed(axes: list[Axis], frozen: dict | None) -> np.ndarray:
    """The cells of months already released."""
    shape = tuple(len(a.labels) for a in axes)
    out = np.zeros(shape, bool)
    if frozen is not None:
        out[:, :, _closed_periods(axes[2], len(frozen["months"]))] = True
    return out


def _axis_meta(axis: Axis) -> dict:
    return {
        "name": axis.name,
        "labels": list(axis.labels),
        "relations": [[list(m), t] for m, t in axis.relations],
    }


def axes_of(meta: dict, table: str) -> list[Axis]:
    """The axes of a released table, read back from the release's JSON."""
    return [
        Axis(a["name"], tuple(a["labels"]), tuple((tuple(m), t) for m, t in a["relations"]))
        for a in meta["tables"][table]
    ]


# --- MH calls --------------------------------------------------------------------------


def _released_months(mh: pd.DataFrame, threshold: int, frozen: dict | None) -> pd.DataFrame:
    """The calls the release covers: with a history, from its first month to its last
    or the last busy month after it."""
    if frozen is None:
        return released_calls(mh, threshold)
    month = metrics.months(mh)
    first = pd.Period(str(frozen["months"][0]), "M").to_timestamp()
    last = pd.Period(str(frozen["months"][-1]), "M").to_timestamp()
    counts = month[month > last].value_counts()
    busy = counts[counts > threshold].index
    if not busy.empty:
        last = max(last, busy.max())
    return mh[(month >= first) & (month <= last)]


def released_calls(mh: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The MH calls the release covers: from the first to the last month with more than
    `threshold` calls. Sparse months at either end are left out, so that the months the
    release lists never depend on a handful of calls."""
    if mh.empty:
        return mh
    month = metrics.months(mh)
    counts = month.value_counts()
    busy = counts[counts > threshold].index
    if busy.empty:
        return mh.iloc[:0]
    return mh[(month >= busy.min()) & (month <= busy.max())]


def calls_table(mh: pd.DataFrame, threshold: int) -> CellTable:
    counts, axes = calls_counts(mh, threshold)
    return CellTable.suppress(counts, axes, threshold)


def calls_counts(mh: pd.DataFrame, threshold: int) -> tuple[np.ndarray, list[Axis]]:
    """The MH-call counts before suppression, totals filled in, with their axes."""
    groups = category_groups(mh, threshold)
    category = Axis.groups("category", {k: list(v) for k, v in groups.items()}, ALL_CALLS)
    district_codes, district = district_axis(mh, threshold)
    month_codes, period = period_axis(mh)
    return _count(mh, groups, [category, district, period], district_codes, month_codes), [
        category,
        district,
        period,
    ]


def _count(mh, groups, axes, district_codes, month_codes) -> np.ndarray:
    shape = tuple(len(a.labels) for a in axes)
    counts = np.zeros(shape)
    for members in groups.values():
        codes = _category_codes(mh, members, axes[0])
        cell = np.ravel_multi_index((codes, district_codes, month_codes), shape)
        counts += np.bincount(cell, minlength=counts.size).reshape(shape)
    return with_totals(counts, axes)


def history_counts(
    mh: pd.DataFrame, threshold: int, past: Past
) -> tuple[np.ndarray, list[Axis], np.ndarray]:
    """The calls counts with the months already released taken as released (a record
    filed late waits for a revision) and the districts and categories of the history;
    with the cells of those months partners saw, which stay as they were (`pinned`)."""
    frozen = past.frozen()
    if frozen is None:
        counts, axes = calls_counts(mh, threshold)
        return counts, axes, np.zeros(counts.shape, bool)
    labels = [str(c) for c in frozen["categories"]]
    groups = groups_of(labels)
    category = Axis.groups("category", {k: list(v) for k, v in groups.items()}, ALL_CALLS)
    keys = [str(k) for k in frozen.get("keys", list(groups))]
    if list(category.labels) != labels or set(category_groups(mh)) != set(keys):
        raise InputError(
            "These calls have other outcome or flag columns than the releases partners "
            "already have; publish a revision to start a new release history."
        )
    named = [str(d) for d in frozen["districts"]][:-1]
    members = [d for d in named if d != OTHER_DISTRICTS]
    names = mh["district"].astype("object") if "district" in mh else None
    outside = names is not None and bool((~names.isin(members) & names.notna()).any())
    if OTHER_DISTRICTS in named or (outside and members):
        members.append(OTHER_DISTRICTS)
    district = Axis.flat("district", members, ALL_DISTRICTS)
    months = [str(m) for m in frozen["months"]]
    first = pd.Period(months[0], "M")
    data_months = metrics.months(mh)
    last = (
        max(pd.Period(months[-1], "M"), data_months.max().to_period("M"))
        if len(mh)
        else (pd.Period(months[-1], "M"))
    )
    labels = [str(p) for p in pd.period_range(first, last, freq="M")]
    period = Axis.hierarchy("period", labels, [p[:4] for p in labels], WHOLE_PERIOD)
    axes = [category, district, period]
    keep = mh[(data_months >= first.to_timestamp()) & (data_months <= last.to_timestamp())]
    month = metrics.months(keep)
    month_codes = ((month.dt.year - first.year) * 12 + (month.dt.month - first.month)).to_numpy(int)
    if "district" in keep:
        position = {m: i for i, m in enumerate(members)}
        other = position.get(OTHER_DISTRICTS, 0)
        district_codes = np.array(
            [position.get(n, other) for n in keep["district"].astype("object")], dtype=int
        )
    else:
        district_codes = np.zeros(len(keep), dtype=int)
    counts = _count(keep, groups, axes, district_codes, month_codes)
    counts[:, :, : len(months)] = 0
    old = {d: i for i, d in enumerate(map(str, frozen["districts"]))}
    for j, d in enumerate(district.labels):
        if d in old:
            counts[:, j, : len(months)] = frozen["counts"][:, old[d], :]
    counts = with_totals(_zero_totals(counts, axes), axes)
    pinned = _pinned(past, axes, counts, len(months))
    return counts, axes, pinned


def _zero_totals(counts: np.ndarray, axes: list[Axis]) -> np.ndarray:
    """The counts with year and whole-period cells cleared, to fill again from months."""
    out = counts.copy()
    out[:, :, [t for _, t in axes[2].relations]] = 0
    return out


def _pinned(past: Past, axes: list[Axis], counts: np.ndarray, closed: int) -> np.ndarray:
    """Cells of released months that the last release of the epoch showed."""
    pinned = np.zeros(counts.shape, bool)
    last = past.same_epoch()[-1]
    frame = last.tables.get("calls")
    if frame is None:
        return pinned
    shown = frame[frame["value"].notna()]
    index = [{x: i for i, x in enumerate(a.labels)} for a in axes]
    shut = _closed_periods(axes[2], closed)
    for c, d, p, v in zip(
        shown["category"], shown["district"], shown["period"], shown["value"], strict=True
    ):
        i, j, k = index[0].get(c), index[1].get(d), index[2].get(p)
        if None not in (i, j, k) and shut[k] and counts[i, j, k] == v:
            pinned[i, j, k] = True
    return pinned


def _closed_periods(axis: Axis, closed: int) -> np.ndarray:
    """Per period label, whether all its months were released before: the first
    `closed` months, and the years (and the whole period) made of them only."""
    shut = np.zeros(len(axis.labels), bool)
    shut[:closed] = True
    for members, total in axis.relations:  # months into years before years into the whole
        shut[total] = bool(shut[list(members)].all())
    return shut


def category_groups(mh: pd.DataFrame, threshold: int | None = None) -> dict[str, tuple[str, ...]]:
    """Each partition of the MH calls: outcomes as yes / no / unknown (unknown only when
    some call has the outcome unrecorded: unknown is not no), flags as yes/no, and the
    disposition groups. With a `threshold`, partitions are recoded globally first
    (`recode`): what is that rare over the whole release is never shown anyway."""
    groups: dict[str, tuple[str, ...]] = {}
    for o in metrics.available_outcomes(mh):
        if not o.partner:  # registry: not for partners
            continue
        flag = metrics.outcome_flag(mh, o)
        unknown = flag is not None and bool(flag.isna().any())
        groups[o.key] = (f"{o.key}:yes", f"{o.key}:no", *([f"{o.key}:{UNKNOWN}"] * unknown))
    for key in FLAGS:
        if key in mh:
            groups[key] = (f"{key}:yes", f"{key}:no")
    if "disposition_group" in mh:
        groups["disposition"] = tuple(
            f"disposition:{g}" for g in (*DISPOSITION_GROUPS, NOT_RECORDED)
        )
    return groups if threshold is None else recode(mh, groups, threshold)


def recode(
    mh: pd.DataFrame, groups: dict[str, tuple[str, ...]], threshold: int
) -> dict[str, tuple[str, ...]]:
    """Global recoding before suppression, as districts are pooled (τ-ARGUS does the
    same): a yes/no partition whose yes or no has `threshold` or fewer calls over the
    whole release is left out (its rate could be shown nowhere, and its other member
    would only cost complements); disposition groups that rare are pooled into "other"
    (the partition is left out when fewer than two groups are left). An unknown member
    stays whatever its size: without it yes + no would not add up to the calls."""
    out: dict[str, tuple[str, ...]] = {}
    for key, members in groups.items():
        sizes = {m: int(_member_mask(mh, m).sum()) for m in members}
        if key != "disposition":
            if min(sizes[m] for m in members[:2]) > threshold:
                out[key] = members
            continue
        rare = [m for m in members if sizes[m] <= threshold]
        common = [m for m in members if m not in rare and m != POOLED]
        if len(common) + bool(rare) >= 2 and len(common) >= 1:
            kept = tuple(m for m in members if m in common or (m == POOLED and rare))
            out[key] = kept if (not rare or POOLED in kept) else (*kept, POOLED)
    return out


def _member_mask(mh: pd.DataFrame, member: str) -> np.ndarray:
    """Whether each call is in one category (members of a partition exclude each other)."""
    key, value = member.split(":", 1)
    if key == "disposition":
        group = mh["disposition_group"].astype("object")
        if value == NOT_RECORDED:
            return group.isna().to_numpy(bool)
        known = group.where(group.isin(DISPOSITION_GROUPS), "other")
        return (group.notna() & (known == value)).to_numpy(bool)
    if key in FLAGS:
        flag = mh[key].fillna(False).astype(bool).to_numpy()
        return flag if value == "yes" else ~flag
    outcome = metrics.outcome_flag(mh, metrics.OUTCOME_BY_KEY[key])
    if outcome is None:  # category_groups offers only available outcomes
        raise ValueError(f"no data for the outcome {key}")
    known, hit = metrics.known_and_hits(outcome)
    return {"yes": hit, "no": known & ~hit, UNKNOWN: ~known}[value]


def _category_codes(mh: pd.DataFrame, members: tuple[str, ...], axis: Axis) -> np.ndarray:
    """Each incident's member of one partition, as an index on the category axis. A call
    in no member (a disposition group pooled into "other", or an unknown outcome in a
    history whose partition has no unknown) raises: the caller checks the members fit."""
    codes = np.full(len(mh), -1)
    for m in members:
        codes[_member_mask(mh, m)] = axis.index(m)
    if members[0].startswith("disposition:") and POOLED in members:
        codes[codes < 0] = axis.index(POOLED)  # the rare groups, pooled
    if (codes < 0).any():
        raise InputError(
            "These calls have values the releases partners already have no category for "
            "(an outcome now unrecorded for some calls); publish a revision to start a new "
            "release history."
        )
    return codes


def district_axis(mh: pd.DataFrame, threshold: int) -> tuple[np.ndarray, Axis]:
    """Districts with more than `threshold` calls in the whole period by name; the rest
    pooled, so that which small districts exist is not shown either."""
    if "district" not in mh:
        return np.zeros(len(mh), dtype=int), Axis.flat("district", [], ALL_DISTRICTS)
    codes, values = pd.factorize(mh["district"])
    names = [*map(str, values), NO_DISTRICT]
    codes = np.where(codes >= 0, codes, len(values))  # blank: "District not recorded"
    sizes = np.bincount(codes, minlength=len(names))
    totals: dict[str, int] = {}
    for name, size in zip(names, sizes, strict=True):
        totals[name] = totals.get(name, 0) + int(size)
    large = sorted(n for n, size in totals.items() if size > threshold)
    pooled = any(0 < size <= threshold for size in totals.values())
    members = large + ([OTHER_DISTRICTS] if pooled else [])
    axis = Axis.flat("district", members, ALL_DISTRICTS)
    position = {m: i for i, m in enumerate(members)}
    lookup = np.array([position.get(n, len(large)) for n in names], dtype=int)
    return lookup[codes], axis


def period_axis(frame: pd.DataFrame) -> tuple[np.ndarray, Axis]:
    """Every calendar month from the first to the last call, their years, the whole."""
    month = metrics.months(frame)
    first, last = month.min(), month.max()
    leaves = pd.period_range(first, last, freq="M")
    labels = [str(p) for p in leaves]  # "2024-03"
    axis = Axis.hierarchy("period", labels, [p[:4] for p in labels], WHOLE_PERIOD)
    codes = (month.dt.year - first.year) * 12 + (month.dt.month - first.month)
    return codes.to_numpy(dtype=int), axis


def with_totals(counts: np.ndarray, axes: list[Axis]) -> np.ndarray:
    """Fill every total cell from its members, axis by axis, in relation order (months
    into years before years into the whole period)."""
    out = counts.copy()
    for k, axis in enumerate(axes):
        moved = np.moveaxis(out, k, 0)  # a view: writes go into `out`
        for members, total in axis.relations:
            moved[total] = moved[list(members)].sum(axis=0)
    return out


# --- other tables ----------------------------------------------------------------------


def staff_date(training: pd.DataFrame, mh: pd.DataFrame | None) -> pd.Timestamp:
    """'Now' for staff figures: the end of the month of the last training record or of the
    last released month, whichever is later. Always a month's end, never the date of one
    call or of one officer's course."""
    dates = [workforce.reference_date(training)]
    if mh is not None and len(mh):
        dates.append(metrics.months(mh).max())
    return (max(dates) + pd.offsets.MonthEnd(0)).normalize()


def incidents_counts(
    calls: pd.DataFrame, mh: pd.DataFrame | None = None, mh_count: float | None = None
) -> tuple[np.ndarray, list[Axis]]:
    """All incidents, MH and not. With the released MH calls `mh`: only the months they
    cover, the MH count being the calls table's whole-period total (`mh_count`, linked to
    it so that both are shown or neither)."""
    axis = Axis.groups("category", {"mh": ["mh:yes", "mh:no"]}, "incidents")
    if mh is not None and len(mh):
        month, covered = metrics.months(calls), metrics.months(mh)
        calls = calls[(month >= covered.min()) & (month <= covered.max())]
        n = float(mh_count if mh_count is not None else len(mh))
        other = float(max(len(calls) - len(mh), 0))
        counts = np.array([n, other, n + other], dtype=float)
    else:
        n = float(len(mh_incidents(calls)))
        counts = np.array([n, len(calls) - n, len(calls)], dtype=float)
    return counts, [axis]


def incidents_table(
    calls: pd.DataFrame,
    threshold: int,
    mh: pd.DataFrame | None = None,
    mh_shown: bool | None = None,
) -> CellTable:
    """The incidents table suppressed on its own (its MH count kept shown or hidden as
    the calls table's whole-period total is)."""
    counts, axes = incidents_counts(calls, mh)
    linked = np.array([True, False, False])
    hide, keep = (None, linked) if mh_shown or mh is None else (linked, None)
    return CellTable.suppress(counts, axes, threshold, hide, keep)


def persons_counts(mh: pd.DataFrame) -> tuple[np.ndarray, list[Axis]] | None:
    """People with 1 and with 2+ MH contacts, per year and overall. People are not
    additive across years, so the periods are separate tables sharing one axis."""
    if "person_id" not in mh:
        return None
    category = Axis.groups("category", {"repeat": ["persons:2+", "persons:1"]}, "persons")
    years = sorted(str(int(y)) for y in mh["received_at"].dt.year.dropna().unique())
    period = Axis("period", (*years, WHOLE_PERIOD))
    counts = np.zeros((3, len(period.labels)))
    year = mh["received_at"].dt.year.to_numpy()
    for j, label in enumerate(period.labels):
        people = mh[["person_id"]]  # contacts need the identifier only: copy no more
        part = people if label == WHOLE_PERIOD else people[year == int(label)]
        contacts = metrics.person_contacts(part)
        counts[:, j] = [(contacts >= 2).sum(), (contacts == 1).sum(), len(contacts)]
    return counts, [category, period]


def persons_table(mh: pd.DataFrame, threshold: int) -> CellTable | None:
    found = persons_counts(mh)
    return None if found is None else CellTable.suppress(found[0], found[1], threshold)


def staff_counts(staff: pd.DataFrame) -> tuple[np.ndarray, list[Axis]]:
    roles = list(ROLE_GROUPS)
    role = Axis.flat("role", [ROLE_GROUPS[r] for r in roles] + ["Other staff"], "All staff")
    category = Axis.groups("category", {"cit": ["cit_40:yes", "cit_40:no"]}, "staff")
    counts = np.zeros((len(category.labels), len(role.labels)))
    group = staff["role_group"].astype("object")
    trained = staff["cit_trained"].astype(bool).to_numpy()
    for i, r in enumerate([*roles, None]):
        mask = (~group.isin(roles)) if r is None else (group == r)
        mask = mask.to_numpy(bool)
        counts[0, i], counts[1, i] = (mask & trained).sum(), (mask & ~trained).sum()
    return with_totals(counts, [category, role]), [category, role]


def staff_table(staff: pd.DataFrame, threshold: int) -> CellTable:
    counts, axes = staff_counts(staff)
    return CellTable.suppress(counts, axes, threshold)


def in_service_counts(
    training: pd.DataFrame, as_of: pd.Timestamp, officers: pd.Series
) -> tuple[np.ndarray, list[Axis]]:
    """CIT-trained staff overdue for in-service or current. Their total is the staff
    table's trained staff (linked: shown in both or neither)."""
    overdue = workforce.overdue_in_service(training, as_of, officers)["overdue"]
    axis = Axis.groups("category", {"overdue": ["overdue:yes", "overdue:no"]}, "cit_trained")
    n = int(overdue.sum())
    return np.array([n, len(overdue) - n, len(overdue)], dtype=float), [axis]


# --- twin figures ----------------------------------------------------------------------

# The same count under two names: an outcome derived from the disposition alone is the
# disposition group's count. One place, to move into the indicator registry with the
# figure definitions: (outcome yes-category, disposition category, the source flag column
# whose presence makes them differ).
TWINS = (
    ("arrest:yes", "disposition:arrest", "arrest"),
    ("involuntary:yes", "disposition:involuntary", "involuntary_hold"),
    # derived from the disposition, the outcome is unknown exactly where it is blank
    (f"arrest:{UNKNOWN}", f"disposition:{NOT_RECORDED}", "arrest"),
    (f"involuntary:{UNKNOWN}", f"disposition:{NOT_RECORDED}", "involuntary_hold"),
)


def twin_categories(mh: pd.DataFrame, labels) -> list[tuple[str, str]]:
    """The twin category pairs among these category labels: one cell each, shown or
    hidden together. A pair counts as twins only when the calls agree on them (the
    outcome is then the disposition's): a linked pair that differed could not be one
    cell."""
    out = []
    for a, b, flag in TWINS:
        present = a in labels and b in labels and flag not in mh
        if present and np.array_equal(_member_mask(mh, a), _member_mask(mh, b)):
            out.append((a, b))
    return out


def twin_costs(counts: np.ndarray, category: Axis, twins: list[tuple[str, str]]) -> np.ndarray:
    """What hiding each calls cell costs: its count, and for a twin also its twin's count
    and, in a yes/no partition, the other member's, which hiding it forces too (so that a
    complement is taken from a figure that costs one cell, where there is one)."""
    cost = counts.astype(float).copy()
    for a, b in twins:
        ia, ib = category.index(a), category.index(b)
        for x, y in ((ia, ib), (ib, ia)):
            cost[x] += counts[y]
            for members, _ in category.relations:
                if y in members and len(members) == 2:
                    cost[x] += counts[members[0] if members[1] == y else members[1]]
    return cost


def groups_of(labels: list[str]) -> dict[str, tuple[str, ...]]:
    """The partitions of a category axis, read back from its labels."""
    groups: dict[str, list[str]] = {}
    for label in labels:
        if label != ALL_CALLS:
            groups.setdefault(label.split(":", 1)[0], []).append(label)
    return {k: tuple(v) for k, v in groups.items()}


# --- text the analyst chose to share ---------------------------------------------------


def shared_checklist(answers: dict) -> list[dict]:
    """Each question's answers; a note only where the analyst marked it shared."""
    out = []
    for q in checklist.QUESTIONS:
        score, answered = checklist.score(q, answers)
        items = []
        for item_id, text in q.items:
            a = answers.get(item_id, {})
            items.append(
                {
                    "id": item_id,
                    "text": text,
                    "answer": a.get("answer", ""),
                    "note": a.get("note", "") if a.get("shared") else "",
                }
            )
        out.append(
            {
                "number": q.number,
                "short": q.short,
                "score": score,
                "answered": answered,
                "items": items,
            }
        )
    return out


def shared_actions(actions: pd.DataFrame | None) -> pd.DataFrame:
    """Action-tracker rows marked shared, without the mark; none unless marked."""
    if actions is None or actions.empty or "shared" not in actions:
        return pd.DataFrame(columns=ACTION_COLUMNS, dtype="str")
    shared = actions[actions["shared"].fillna(False).astype(bool)]
    out = shared.reindex(columns=ACTION_COLUMNS).astype("object")
    return out.where(out.notna(), "").astype("str").reset_index(drop=True)
