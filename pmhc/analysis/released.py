"""Look-ups into a partner release — shown counts by name, None where hidden — and the
headline figures `python -m pmhc summarize --audience partner` prints. The partner pages
(`pmhc.present.partner`) read the release through the same look-ups."""

from __future__ import annotations

from dataclasses import dataclass

from pmhc.analysis import indicators
from pmhc.analysis.cells import CellTable
from pmhc.analysis.release import ALL_CALLS, ALL_DISTRICTS, WHOLE_PERIOD, axes_of
from pmhc.analysis.stats import Rate
from pmhc.storage.releases import Release


@dataclass(frozen=True)
class Selection:
    """What a partner can choose: one district (or all), one year (or the whole period)."""

    district: str = ALL_DISTRICTS
    period: str = WHOLE_PERIOD

    def text(self) -> str:
        where = "all districts" if self.district == ALL_DISTRICTS else self.district
        when = "the whole period" if self.period == WHOLE_PERIOD else self.period
        return f"{where}, {when}"


class Released:
    """Look-ups into a release: shown counts, or None where hidden."""

    def __init__(self, release: Release):
        self.meta = release.meta
        self.tables = release.tables
        self.cells = {
            name: CellTable.from_frame(release.tables[name], axes_of(release.meta, name))
            for name in release.meta.get("tables", {})
        }
        self.hidden = release.meta["hidden"]
        self.threshold = release.meta["threshold"]

    @property
    def has_calls(self) -> bool:
        return "calls" in self.cells

    def axis(self, table: str, name: str):
        return next(a for a in self.cells[table].axes if a.name == name)

    def districts(self) -> list[str]:
        return list(self.axis("calls", "district").labels[:-1]) if self.has_calls else []

    def years(self) -> list[str]:
        if not self.has_calls:
            return []
        axis = self.axis("calls", "period")
        return [axis.labels[t] for _, t in axis.relations[:-1]]

    def months(self, period: str) -> list[str]:
        axis = self.axis("calls", "period")
        months = [label for label in axis.labels if len(label) == 7]
        return months if period == WHOLE_PERIOD else [m for m in months if m[:4] == period]

    def count(self, category: str, sel: Selection, period: str | None = None) -> int | None:
        """A shown count; None where hidden, or where the release has no such category (a
        partition too rare over the whole release to show anywhere is left out)."""
        if category not in self.axis("calls", "category").labels:
            return None
        return self.cells["calls"].get(
            category=category, district=sel.district, period=period or sel.period
        )

    def older(self, category: str, sel: Selection, period: str | None = None) -> str | None:
        """The earlier release a shown count is kept from ("calls to 2024-06"), or None
        when it is this release's own (a figure that moved by the threshold or less since
        partners last saw it keeps that value)."""
        frame = self.tables["calls"]
        if "as_of" not in frame:
            return None
        row = frame[
            (frame["category"] == category)
            & (frame["district"] == sel.district)
            & (frame["period"] == (period or sel.period))
        ]
        if row.empty or row["value"].isna().all():
            return None
        as_of = str(row["as_of"].iloc[0])
        return None if as_of == str(self.meta.get("edition") or "") else as_of

    def rate(self, key: str, sel: Selection, period: str | None = None) -> Rate | None:
        """An outcome's rate where its yes and no are both shown: of the calls with the
        outcome recorded, as on the analysts' pages (unknown is not no)."""
        yes = self.count(f"{key}:yes", sel, period)
        no = self.count(f"{key}:no", sel, period)
        if yes is None or no is None or not yes + no:
            return None
        return Rate(yes, yes + no)

    def outcome(self, key: str) -> dict | None:
        return next((o for o in self.meta.get("outcomes", []) if o["key"] == key), None)

    def count_text(self, n: int | None) -> str:
        return self.hidden if n is None else f"{n:,}"


def staff_rate(rel: Released, role: str) -> Rate | None:
    staff = rel.cells.get("staff")
    if staff is None:
        return None
    yes = staff.get(category="cit_40:yes", role=role)
    total = staff.get(category="staff", role=role)
    return None if yes is None or not total else Rate(yes, total)


# --- the command line's summary --------------------------------------------------------

SUPPRESSED = "suppressed"


def summary(release: Release) -> dict:
    """The headline figures partners may see, in the shape of `summarize`'s output: what
    `python -m pmhc summarize --audience partner` prints. Hidden values read "suppressed"."""
    rel = Released(release)
    out: dict = {
        "suppression": {
            "threshold": rel.threshold,
            "note": f"Counts of {rel.threshold} or fewer and figures from which they could "
            "be derived are hidden; districts with that few calls are pooled.",
        }
    }
    if rel.has_calls:
        out["calls"] = _calls_summary(rel)
    elif "incidents" in rel.cells:  # no month with enough calls to release any figure
        incidents = rel.cells["incidents"]
        out["calls"] = {
            "total_calls": _shown(incidents.get(category="incidents")),
            "mh_calls": _shown(incidents.get(category="mh:yes")),
            "by_district": {},
        }
    if "in_service" in rel.cells:
        table = rel.cells["in_service"]
        n, total = table.get(category="overdue:yes"), table.get(category="cit_trained")
        out["training"] = {
            "in_service_overdue": _shown(n),
            "in_service_overdue_share": _share(n, total),
        }
    if "staff" in rel.cells:
        out["roster"] = {
            "active": _shown(rel.cells["staff"].get(category="staff", role="All staff")),
            **{
                f"{key}_cit_40_share": _share_rate(staff_rate(rel, role))
                for key, role in (
                    ("patrol", "Patrol"),
                    ("supervisor", "Supervisors"),
                    ("command", "Command staff"),
                )
            },
        }
    if "crisis_now" in rel.tables:
        out["services"] = {
            "services": len(rel.tables["services"]),
            "crisis_now": dict(
                zip(
                    rel.tables["crisis_now"]["element"],
                    rel.tables["crisis_now"]["status"],
                    strict=True,
                )
            ),
        }
    return out


def _calls_summary(rel: Released) -> dict:
    whole = Selection()
    months = rel.months(WHOLE_PERIOD)
    incidents = rel.cells.get("incidents")
    result = {
        "total_calls": _shown(incidents.get(category="incidents")) if incidents else None,
        "mh_calls": _shown(rel.count(ALL_CALLS, whole)),
        "period": {"start": months[0], "end": months[-1]} if months else None,
        "by_year": {y: _shown(rel.count(ALL_CALLS, whole, y)) for y in rel.years()},
        "by_district": {d: _shown(rel.count(ALL_CALLS, Selection(d))) for d in rel.districts()},
    }
    for o in indicators.for_partners():  # the registry's outcomes partners may see
        key = o.key
        result[f"{key}_rate"] = _share_rate(rel.rate(key, whole)) if rel.outcome(key) else None
    persons = rel.cells.get("persons")
    result["persons"] = (
        _shown(persons.get(category="persons", period=WHOLE_PERIOD)) if persons else None
    )
    result["repeat_person_share"] = (
        _share(
            persons.get(category="persons:2+", period=WHOLE_PERIOD),
            persons.get(category="persons", period=WHOLE_PERIOD),
        )
        if persons
        else None
    )
    return result


def _shown(n: int | None):
    return SUPPRESSED if n is None else n


def _share(n: int | None, total: int | None):
    return SUPPRESSED if n is None or not total else round(n / total, 4)


def _share_rate(rate: Rate | None):
    return SUPPRESSED if rate is None or rate.value is None else round(rate.value, 4)
