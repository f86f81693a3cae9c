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
from pmhc.analysis.suppression import DEFAULT_THRESHOLD
from pmhc.domain import checklist
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
ROLE_GROUPS = {"patrol": "Patrol", "supervisor": "Supervisors", "command": "Command staff"}
ACTION_COLUMNS = ["recommendation", "owner", "due", "status"]
SERVICE_COLUMNS = ["name", "type", "hours", "police_dropoff"]


def hidden_label(threshold: int) -> str:
    """What a hidden count reads as, e.g. "≤10"."""
    return f"≤{threshold}"


def build(
    ds: Dataset,
    threshold: int = DEFAULT_THRESHOLD,
    settings: dict | None = None,
    answers: dict | None = None,
    actions: pd.DataFrame | None = None,
) -> Release:
    """The release of a dataset under the workspace's settings."""
    settings = settings or {}
    meta: dict = {
        "format": FORMAT,
        "threshold": threshold,
        "hidden": hidden_label(threshold),
        "agency": str(settings.get("agency") or ""),
        "programme_start": settings.get("programme_start"),
        "targets": dict(settings.get("targets") or {}),
        "tables": {},
    }
    tables: dict[str, pd.DataFrame] = {}

    def add(name: str, table: CellTable | None) -> None:
        if table is not None:
            tables[name] = table.to_frame()
            meta["tables"][name] = [_axis_meta(a) for a in table.axes]

    mh = released_calls(ds.mh, threshold) if ds.mh is not None else None
    if ds.calls is not None and mh is not None and len(mh):
        calls = calls_table(mh, threshold)
        whole = calls.get(category=ALL_CALLS, district=ALL_DISTRICTS, period=WHOLE_PERIOD)
        add("incidents", incidents_table(ds.calls, threshold, mh, whole is not None))
        add("calls", calls)
        add("persons", persons_table(mh, threshold))
        meta["outcomes"] = [
            {"key": o.key, "label": o.label, "card": o.card, "higher_is_better": o.higher_is_better}
            for o in metrics.available_outcomes(mh)
            if o.partner  # registry: partners may see it
        ]
        meta["flags"] = {k: v for k, v in FLAGS.items() if k in mh}
        meta["dispositions"] = (
            {g: GROUP_LABELS[g] for g in DISPOSITION_GROUPS} | {NOT_RECORDED: "Not recorded"}
            if "disposition_group" in mh
            else {}
        )
    elif ds.calls is not None:  # no month with enough MH calls: no calls table to match
        add("incidents", incidents_table(ds.calls, threshold))
    if ds.roster is not None and ds.training is not None and "role_group" in ds.roster:
        as_of = staff_date(ds.training, mh)
        staff = workforce.with_certification(ds.roster, ds.training, as_of)
        meta["staff_as_of"] = as_of.date().isoformat()
        table = staff_table(staff, threshold)
        trained = table.get(category="cit_40:yes", role="All staff") is not None
        add("staff", table)
        add(
            "in_service",
            in_service_table(ds.training, as_of, staff["officer_id"], threshold, trained),
        )
    if ds.services is not None:
        columns = [c for c in SERVICE_COLUMNS if c in ds.services]
        tables["services"] = ds.services[columns].astype("str").reset_index(drop=True)
        tables["crisis_now"] = crisis_now.core_elements(ds.services).astype("str")
    meta["checklist"] = shared_checklist(answers or {})
    tables["actions"] = shared_actions(actions)
    return Release(meta, tables)


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
    groups = category_groups(mh)
    category = Axis.groups("category", {k: list(v) for k, v in groups.items()}, ALL_CALLS)
    district_codes, district = district_axis(mh, threshold)
    month_codes, period = period_axis(mh)
    axes = [category, district, period]
    shape = tuple(len(a.labels) for a in axes)
    counts = np.zeros(shape)
    for members in groups.values():
        codes = _category_codes(mh, members, category)
        cell = np.ravel_multi_index((codes, district_codes, month_codes), shape)
        counts += np.bincount(cell, minlength=counts.size).reshape(shape)
    return with_totals(counts, axes), axes


def category_groups(mh: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Each partition of the MH calls: outcomes and flags as yes/no, dispositions by group."""
    groups: dict[str, tuple[str, ...]] = {}
    for o in metrics.available_outcomes(mh):
        if not o.partner:  # registry: not for partners
            continue
        groups[o.key] = (f"{o.key}:yes", f"{o.key}:no")
    for key in FLAGS:
        if key in mh:
            groups[key] = (f"{key}:yes", f"{key}:no")
    if "disposition_group" in mh:
        groups["disposition"] = tuple(
            f"disposition:{g}" for g in (*DISPOSITION_GROUPS, NOT_RECORDED)
        )
    return groups


def _category_codes(mh: pd.DataFrame, members: tuple[str, ...], axis: Axis) -> np.ndarray:
    """Each incident's member of one partition, as an index on the category axis."""
    key = members[0].split(":")[0]
    if key == "disposition":
        # Codes of the distinct values, then one look-up per value: no per-row strings.
        codes, values = pd.factorize(mh["disposition_group"])
        group = [g if g in DISPOSITION_GROUPS else "other" for g in map(str, values)]
        lookup = np.array([axis.index(f"disposition:{g}") for g in group] or [0], dtype=int)
        blank = axis.index(f"disposition:{NOT_RECORDED}")
        return np.where(codes >= 0, lookup[np.maximum(codes, 0)], blank)
    if key in FLAGS:
        flag = mh[key].fillna(False).astype(bool).to_numpy()
    else:
        outcome = metrics.outcome_flag(mh, metrics.OUTCOME_BY_KEY[key])
        if outcome is None:  # category_groups offers only available outcomes
            raise ValueError(f"no data for the outcome {key}")
        # Outcomes are nullable now (unknown is not no on the internal pages). The partner
        # partition stays yes / not yes until its suppression can take a third member
        # without a zero complement: an unknown outcome falls under "no" here.
        flag = metrics.known_and_hits(outcome)[1]
    return np.where(flag, axis.index(f"{key}:yes"), axis.index(f"{key}:no"))


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


def incidents_table(
    calls: pd.DataFrame,
    threshold: int,
    mh: pd.DataFrame | None = None,
    mh_shown: bool | None = None,
) -> CellTable:
    """All incidents, MH and not. With the released MH calls `mh`: only the months they
    cover, so that the MH count is the calls table's whole-period total, and that cell
    shown here exactly when it is shown there (`mh_shown`), so that neither table gives
    back a cell the other hides."""
    axis = Axis.groups("category", {"mh": ["mh:yes", "mh:no"]}, "incidents")
    hide = keep = None
    if mh is not None:
        month, covered = metrics.months(calls), metrics.months(mh)
        calls = calls[(month >= covered.min()) & (month <= covered.max())]
        n = len(mh)
        linked = np.array([True, False, False])
        hide, keep = (None, linked) if mh_shown else (linked, None)
    else:
        n = len(mh_incidents(calls))
    counts = np.array([n, len(calls) - n, len(calls)], dtype=float)
    return CellTable.suppress(counts, [axis], threshold, hide, keep)


def persons_table(mh: pd.DataFrame, threshold: int) -> CellTable | None:
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
    return CellTable.suppress(counts, [category, period], threshold)


def staff_table(staff: pd.DataFrame, threshold: int) -> CellTable:
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
    return CellTable.suppress(with_totals(counts, [category, role]), [category, role], threshold)


def in_service_table(
    training: pd.DataFrame,
    as_of: pd.Timestamp,
    officers: pd.Series,
    threshold: int,
    trained_shown: bool = True,
) -> CellTable:
    """CIT-trained staff overdue for in-service or current. Their total is the staff
    table's trained staff: shown here exactly when shown there (`trained_shown`)."""
    overdue = workforce.overdue_in_service(training, as_of, officers)["overdue"]
    axis = Axis.groups("category", {"overdue": ["overdue:yes", "overdue:no"]}, "cit_trained")
    n = int(overdue.sum())
    counts = np.array([n, len(overdue) - n, len(overdue)], dtype=float)
    linked = np.array([False, False, True])
    hide, keep = (None, linked) if trained_shown else (linked, None)
    return CellTable.suppress(counts, [axis], threshold, hide, keep)


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
