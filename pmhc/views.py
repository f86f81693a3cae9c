"""What each page shows, computed: key figures, charts with their numbers, and what is
missing. Pure functions of a `Scope` (dataset + filters + settings + audience), so the
pages stay thin, tests and benchmarks call them directly, and the app caches them on
(dataset id, filters)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import altair as alt
import numpy as np
import pandas as pd

from pmhc import charts, checklist, crisis_now, metrics, workforce
from pmhc import filters as flt
from pmhc.charts import Figure
from pmhc.dataset import Dataset
from pmhc.metrics import OUTCOME_BY_KEY, Outcome
from pmhc.privacy import DEFAULT_THRESHOLD, HIDDEN, protect
from pmhc.stats import Rate, compare


@dataclass
class KeyFigure:
    label: str
    value: str
    delta: str | None = None
    delta_color: str = "off"  # "normal": up is good; "inverse": down is good
    help: str | None = None


@dataclass
class View:
    figures: list[KeyFigure] = field(default_factory=list)
    charts: list[Figure] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # "Chart X needs column Y"
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def chart(self, key: str) -> Figure | None:
        return next((c for c in self.charts if c.key == key), None)


@dataclass
class Scope:
    ds: Dataset
    filters: flt.Filters = field(default_factory=flt.Filters)
    programme_start: pd.Timestamp | None = None
    audience: str = "internal"
    threshold: int = DEFAULT_THRESHOLD
    answers: dict = field(default_factory=dict)

    @property
    def partner(self) -> bool:
        return self.audience == "partner"

    @cached_property
    def base(self) -> pd.DataFrame | None:
        """Incidents with every filter but the period (for period comparisons)."""
        if self.ds.calls is None:
            return None
        return flt.apply(self.ds.calls, replace(self.filters, start=None, end=None))

    @cached_property
    def incidents(self) -> pd.DataFrame | None:
        if self.base is None:
            return None
        return flt.apply(self.base, flt.Filters(start=self.filters.start, end=self.filters.end))

    @cached_property
    def mh(self) -> pd.DataFrame | None:
        return None if self.incidents is None else metrics.mh_incidents(self.incidents)

    @cached_property
    def windows(self) -> tuple[pd.DataFrame, pd.DataFrame, str] | None:
        """(current, previous, label): the selected period against the one before it of
        equal length; without a period filter, the last 12 months against the 12 before."""
        base = self.base
        if base is None or base.empty:
            return None
        mh = metrics.mh_incidents(base)
        if self.filters.start or self.filters.end:
            start = pd.Timestamp(self.filters.start or base["received_at"].min().date())
            end = (
                pd.Timestamp(self.filters.end or base["received_at"].max().date())
                + pd.Timedelta(days=1)
                - pd.Timedelta(microseconds=1)
            )
            label = f"{start:%d %b %Y} to {end:%d %b %Y}, against the period before it"
        else:
            end = (
                base["received_at"].max().normalize()
                + pd.Timedelta(days=1)
                - pd.Timedelta(microseconds=1)
            )
            start = end - pd.DateOffset(months=12) + pd.Timedelta(microseconds=1)
            label = "last 12 months in the data, against the 12 months before"
        before = metrics.previous_window(start, end)
        return (metrics.in_window(mh, start, end), metrics.in_window(mh, *before), label)

    @cached_property
    def as_of(self) -> pd.Timestamp:
        if self.filters.end:
            return pd.Timestamp(self.filters.end)
        return workforce.reference_date(self.ds.training, self.ds.calls)

    @cached_property
    def staff(self) -> pd.DataFrame | None:
        """Active roster with CIT status as of the period's end, filtered by district/shift."""
        if self.ds.roster is None or self.ds.training is None:
            return None
        staff = workforce.with_certification(self.ds.roster, self.ds.training, self.as_of)
        for key in ("district", "shift"):
            chosen = getattr(self.filters, key)
            if chosen and key in staff:
                staff = staff[staff[key].isin(chosen)]
        return staff


RATE_TOOLTIP = [
    alt.Tooltip("label:N", title="Outcome"),
    alt.Tooltip("rate:Q", title="Rate", format=".1%"),
    alt.Tooltip("numerator:Q", title="Calls with outcome", format=","),
    alt.Tooltip("denominator:Q", title="MH calls", format=","),
]


# --- formatting ------------------------------------------------------------------------


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * value:.{digits}f}%"


def num(value) -> str:
    return f"{int(value):,}" if value is not None and not pd.isna(value) else "–"


def _count_text(scope: Scope, n: int) -> str:
    return HIDDEN if scope.partner and 1 <= n <= scope.threshold else f"{n:,}"


def rate_figure(scope: Scope, label: str, outcome: Outcome) -> KeyFigure | None:
    """A rate over the current window, with the change against the previous window."""
    if scope.windows is None:
        return None
    current, previous, window = scope.windows
    now, before = metrics.outcome_rate(current, outcome), metrics.outcome_rate(previous, outcome)
    if now is None:
        return None
    if scope.partner and 1 <= now.numerator <= scope.threshold:
        return KeyFigure(label, HIDDEN, help="Hidden: fewer than 11 calls.")
    if not now.judgeable:
        return KeyFigure(
            label, "too few to judge", help=f"Only {now.denominator} MH calls in the {window}."
        )
    lo, hi = now.interval
    help_text = (
        f"{now.numerator:,} of {now.denominator:,} MH calls, {window}; 95% interval "
        f"{pct(lo)} to {pct(hi)}."
    )
    change = compare(before, now, outcome.higher_is_better) if before else None
    if change is None:
        return KeyFigure(label, pct(now.value), help=help_text)
    colour = {True: "normal", False: "inverse", None: "off"}[outcome.higher_is_better]
    return KeyFigure(
        label,
        pct(now.value),
        f"{100 * change.difference:+.1f} pts",
        colour,
        f"{help_text} {change.verdict}",
    )


def count_figure(scope: Scope, label: str) -> KeyFigure | None:
    if scope.windows is None:
        return None
    current, previous, window = scope.windows
    now, before = len(current), len(previous)
    delta = None
    if before and not (scope.partner and (now <= scope.threshold or before <= scope.threshold)):
        delta = f"{100 * (now - before) / before:+.1f}%"
    return KeyFigure(
        label, _count_text(scope, now), delta, "off", f"Distinct mental-health incidents, {window}."
    )


def _rates_for_chart(
    scope: Scope, frame: pd.DataFrame, counts: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Chart numbers and display table, suppressed for partners."""
    if not scope.partner:
        return frame, frame
    rates = {"rate": "numerator"} if "rate" in frame and "numerator" in frame else {}
    return protect(frame, counts, rates, scope.threshold)


def _missing_calls(view: View, what: str, needs: str) -> None:
    view.missing.append(f"**{what}** needs {needs}.")


# --- pages -----------------------------------------------------------------------------


def overview(scope: Scope) -> View:
    view = View()
    if scope.mh is None:
        view.notes.append(
            "No calls are loaded: upload a calls export on the Data page to see the outcomes."
        )
    else:
        fig = count_figure(scope, "Mental-health calls")
        view.figures += [
            f
            for f in [fig]
            + [
                rate_figure(scope, OUTCOME_BY_KEY[k].label, OUTCOME_BY_KEY[k])
                for k in ("connection", "arrest", "use_of_force")
            ]
            if f is not None
        ]
        view.figures += [f for f in [_repeat_figure(scope)] if f is not None]
        view.charts.append(_monthly_calls_chart(scope))
        four = _outcome_trend(
            scope, [OUTCOME_BY_KEY[k] for k in metrics.KEY_OUTCOMES], key="overview_outcomes"
        )
        if four is not None:
            view.charts.append(four)
    scores = checklist.scores_frame(scope.answers)
    if scores["answered"].sum():
        data = scores.fillna({"score": 0.0})
        weakest = scores.dropna(subset=["score"]).sort_values("score").iloc[0]
        view.charts.append(
            Figure(
                "self_assessment",
                charts.scores(
                    data,
                    title=f"Self-assessment: weakest answered question is {weakest['question']}",
                    subtitle="Share of checklist points: Yes 1, Partly ½, No 0 (Not sure excluded)",
                    description="Bar chart of the self-assessment score of each of the six "
                    "framework questions.",
                ),
                data,
                "Self-assessment by question",
                "Self-assessment score per question.",
            )
        )
    else:
        view.notes.append(
            "The self-assessment is not started: answer the checklist on each "
            "question's page to see the scores here."
        )
    return view


def _repeat_figure(scope: Scope) -> KeyFigure | None:
    if scope.windows is None:
        return None
    current, previous, window = scope.windows
    now, before = metrics.repeat_encounters(current), metrics.repeat_encounters(previous)
    if now is None:
        return None
    r = now.repeat_2
    if scope.partner and 1 <= r.numerator <= scope.threshold:
        return KeyFigure("People with 2+ MH contacts", HIDDEN)
    if not r.judgeable:
        return KeyFigure("People with 2+ MH contacts", "too few to judge")
    help_text = (
        f"{r.numerator:,} of {r.denominator:,} people with a recorded identifier, "
        f"{window}; {now.contacts_per_person:.2f} contacts per person."
    )
    change = (
        compare(before.repeat_2, r, higher_is_better=False) if before and before.persons else None
    )
    if change is None:
        return KeyFigure("People with 2+ MH contacts", pct(r.value), help=help_text)
    return KeyFigure(
        "People with 2+ MH contacts",
        pct(r.value),
        f"{100 * change.difference:+.1f} pts",
        "inverse",
        f"{help_text} {change.verdict}",
    )


def _monthly_calls_chart(scope: Scope) -> Figure:
    data = metrics.monthly_calls(scope.mh)
    chart_data, table = _rates_for_chart(scope, data, ["calls"])
    if len(data) >= 2:
        first, last = data["calls"].iloc[:3].mean(), data["calls"].iloc[-3:].mean()
        direction = (
            "rising" if last > first * 1.05 else "falling" if last < first * 0.95 else "steady"
        )
        title = f"Mental-health calls are {direction}: about {last:,.0f} a month lately"
    else:
        title = "Mental-health calls per month"
    if scope.partner:
        title = "Mental-health calls per month"
    chart = charts.trend(
        chart_data,
        x="month",
        y="calls",
        colour=None,
        title=title,
        subtitle="Distinct incidents per calendar month",
        y_title="MH calls",
        description="Line chart of the number of mental-health calls per month.",
        percent=False,
        marker=scope.programme_start,
    )
    return Figure(
        "monthly_calls", chart, table, title, "Monthly count of distinct mental-health incidents."
    )


def _outcome_trend(scope: Scope, outcomes: list[Outcome], key: str) -> Figure | None:
    mh = scope.mh
    available = [o for o in outcomes if metrics.outcome_flag(mh.head(0), o) is not None]
    if not available or mh.empty:
        return None
    data = metrics.monthly_outcomes(mh, available)
    chart_data, table = _rates_for_chart(scope, data, ["numerator"])
    title = _trend_takeaway(mh, available, scope.programme_start)
    chart = charts.trend(
        chart_data,
        x="month",
        y="rate",
        colour="label",
        title=title,
        band=None,
        subtitle="Share of MH calls per month; dashed line marks the programme start"
        if scope.programme_start is not None
        else "Share of MH calls per month",
        y_title="Share of MH calls",
        description="Line chart of monthly rates of "
        + ", ".join(o.label.lower() for o in available)
        + " among mental-health calls.",
        marker=scope.programme_start,
        tooltip=RATE_TOOLTIP,
    )
    return Figure(key, chart, table, title, "Monthly outcome rates among mental-health calls.")


def _trend_takeaway(mh: pd.DataFrame, outcomes: list[Outcome], start: pd.Timestamp | None) -> str:
    """'Since the programme start, connections rose from 31% to 45%' for the biggest change."""
    if start is None or mh.empty:
        lead = outcomes[0]
        rate = metrics.outcome_rate(mh, lead)
        return f"{lead.label}: {pct(rate.value)} of MH calls over the period"
    before = mh[mh["received_at"] < start]
    after = mh[mh["received_at"] >= start]
    best = None
    for o in outcomes:
        change = metrics.compare_outcome(before, after, o)
        if change and (best is None or abs(change.difference) > abs(best[1].difference)):
            best = (o, change)
    if best is None:
        return "Outcome rates per month"
    o, c = best
    verb = "rose" if c.difference > 0 else "fell"
    note = "" if c.p_value < 0.05 else " (within chance)"
    return (
        f"Since the programme start, {o.label.lower()} {verb} from {pct(c.before.value, 0)} "
        f"to {pct(c.after.value, 0)}{note}"
    )


def leadership(scope: Scope) -> View:
    view = View()
    staff = scope.staff
    if staff is None or "role_group" not in staff:
        view.missing.append(
            "**CIT coverage of supervisors and command staff** needs a roster "
            "(with rank or role) and a training log."
        )
    else:
        table = workforce.leadership_coverage(staff)
        for label in ("Supervisors", "Command staff", "Patrol"):
            row = table[table["group"] == label]
            if len(row):
                r = Rate(int(row["numerator"].iloc[0]), int(row["denominator"].iloc[0]))
                view.figures.append(
                    KeyFigure(
                        f"{label} with 40-hour CIT",
                        pct(r.value, 0),
                        help=f"{r.numerator} of {r.denominator} active, "
                        f"as of {scope.as_of:%d %b %Y}.",
                    )
                )
        chart_data, display = _rates_for_chart(scope, table, ["numerator"])
        lowest = table.sort_values("rate").iloc[0] if len(table) else None
        title = (
            f"{lowest['group']} have the lowest CIT coverage: {pct(lowest['rate'], 0)}"
            if lowest is not None
            else "CIT coverage by group"
        )
        view.charts.append(
            Figure(
                "leadership_coverage",
                charts.bars(
                    chart_data,
                    category="group",
                    value="rate",
                    title=title,
                    subtitle=f"Active staff with the 40-hour course, as of {scope.as_of:%d %b %Y}; "
                    "bars show 95% intervals",
                    value_title="Share with 40-hour CIT",
                    category_title="Group",
                    description="Bar chart of the share of patrol, supervisors, command staff and "
                    "dispatchers who completed 40-hour CIT training.",
                    percent=True,
                    sort=None,
                    error=("low", "high"),
                    target=workforce.COVERAGE_TARGET,
                    target_label="20% of patrol (CIT guidance)",
                ),
                display,
                title,
                "CIT coverage of patrol, supervisors, command and dispatch.",
            )
        )
    if scope.ds.training is not None:
        hours = _hours_per_officer(scope)
        if hours is not None:
            view.charts.append(hours)
    else:
        view.missing.append("**Training hours per officer** needs a training log.")
    return view


def _hours_per_officer(scope: Scope) -> Figure | None:
    training = workforce.completed(scope.ds.training)
    if "hours" not in training:
        return None
    officers = (
        scope.ds.roster["active"].astype(bool).sum()
        if scope.ds.roster is not None
        else training["officer_id"].nunique()
    )
    year = training["completed_on"].dt.year
    data = (training.groupby(year)["hours"].sum() / max(1, officers)).rename("hours_per_officer")
    data = data.rename_axis("year").reset_index()
    data["year"] = data["year"].astype(str)
    last = data.iloc[-1]
    title = f"{last['hours_per_officer']:.1f} training hours per officer in {last['year']}"
    chart = charts.bars(
        data,
        category="year",
        value="hours_per_officer",
        title=title,
        subtitle=f"All completed courses divided by {officers:,} staff",
        value_title="Hours per officer",
        category_title="Year",
        description="Bar chart of completed training hours per officer by year.",
        sort=None,
    )
    return Figure("hours_per_officer", chart, data, title, "Training hours per officer by year.")


def policies(scope: Scope) -> View:
    view = View()
    mh = scope.mh
    if mh is None:
        view.notes.append("No calls are loaded.")
        return view
    for key, label in (("cit_on_scene", "CIT officer on scene"),):
        fig = rate_figure(scope, label, OUTCOME_BY_KEY[key])
        if fig:
            view.figures.append(fig)
    funnel = metrics.cit_funnel(mh)
    if funnel is None:
        _missing_calls(
            view,
            "The CIT requested → dispatched → arrived funnel",
            "CIT requested, dispatched or arrived columns",
        )
    else:
        chart_data, table = _rates_for_chart(scope, funnel, ["calls"])
        stages = dict(zip(funnel["stage"], funnel["share_of_mh_calls"], strict=True))
        first, last = funnel.iloc[0], funnel.iloc[-1]
        title = (
            f"{pct(last['calls'] / max(1, first['calls']), 0)} of calls with "
            f"{first['stage'].lower()} end with {last['stage'].lower()}"
            if len(funnel) > 1 and first["calls"]
            else "CIT requests and responses"
        )
        view.charts.append(
            Figure(
                "cit_funnel",
                charts.bars(
                    chart_data,
                    category="stage",
                    value="calls",
                    title=title,
                    subtitle="Distinct MH calls at each step",
                    value_title="MH calls",
                    category_title="Step",
                    sort=list(funnel["stage"]),
                    description="Funnel of MH calls where a CIT officer was requested, dispatched and "
                    "arrived: " + ", ".join(f"{k} {pct(v)}" for k, v in stages.items()),
                ),
                table,
                title,
                "CIT requested, dispatched and arrived counts.",
            )
        )
        dispatched = Outcome("cit_dispatched", "CIT dispatched", "cit_dispatched", True, "")
        fig = rate_figure(scope, "CIT dispatched", dispatched) if "cit_dispatched" in mh else None
        if fig:
            view.figures.append(fig)
    ident = metrics.identification(scope.incidents)
    if ident is None:
        _missing_calls(
            view,
            "MH calls identified at dispatch vs only at close",
            "both an initial and a final call-type column",
        )
    else:
        at_dispatch = ident[ident["identified"] == "At dispatch"]["calls"].sum() / max(
            1, ident["calls"].sum()
        )
        view.figures.append(
            KeyFigure(
                "Identified as MH at dispatch",
                pct(at_dispatch),
                help="Share of MH calls whose initial call type was already a mental-health type.",
            )
        )
        chart_data, table = _rates_for_chart(scope, ident, ["calls"])
        title = f"{pct(at_dispatch, 0)} of MH calls were recognised at dispatch"
        view.charts.append(
            Figure(
                "identification",
                charts.stacked(
                    chart_data,
                    x="month",
                    y="calls",
                    colour="identified",
                    title=title,
                    subtitle="Initial call type already mental-health, or recognised only at close",
                    y_title="Share of MH calls",
                    normalise=True,
                    domain=["At dispatch", "Only at close"],
                    description="Stacked bars per month of MH calls identified at dispatch versus only "
                    "at close.",
                ),
                table,
                title,
                "MH calls identified at dispatch by month.",
            )
        )
    response = metrics.monthly_response(mh)
    if response is None:
        _missing_calls(view, "Response times", "an arrived date-time column")
    else:
        minutes = metrics.response_minutes(mh)
        view.figures.append(
            KeyFigure(
                "Median response",
                f"{minutes.median():.0f} min",
                help="From call received to first unit arrived, over MH calls with both times.",
            )
        )
        data = response.assign(outcome="Median minutes")
        if scope.partner:
            data = data[data["calls"] > scope.threshold]
        title = f"Median time to arrival: {minutes.median():.0f} minutes"
        view.charts.append(
            Figure(
                "response_time",
                charts.trend(
                    data,
                    x="month",
                    y="median_minutes",
                    colour=None,
                    title=title,
                    subtitle="Median minutes from call received to first arrival, per month",
                    y_title="Minutes",
                    percent=False,
                    marker=scope.programme_start,
                    description="Line chart of the monthly median response time to MH calls.",
                ),
                data,
                title,
                "Monthly median response time.",
            )
        )
    if "responder_type" in mh:
        data = mh["responder_type"].value_counts().rename("calls").reset_index()
        data.columns = ["responder", "calls"]
        data["share"] = data["calls"] / max(1, len(mh))
        chart_data, table = _rates_for_chart(scope, data, ["calls"])
        top = data.iloc[0]
        title = f"{top['responder']} handled the most MH calls ({pct(top['share'], 0)})"
        view.charts.append(
            Figure(
                "responders",
                charts.bars(
                    chart_data,
                    category="responder",
                    value="calls",
                    title=title,
                    subtitle="Primary responder type on MH calls",
                    value_title="MH calls",
                    category_title="Responder",
                    description="Bar chart of MH calls by responder type.",
                ),
                table,
                title,
                "MH calls by responder type.",
            )
        )
    else:
        _missing_calls(view, "Calls by responder type", "a responder or unit type column")
    return view


def training(scope: Scope) -> View:
    view = View()
    staff = scope.staff
    if staff is not None and "role_group" in staff:
        r = workforce.coverage(staff)
        view.figures.append(
            KeyFigure(
                "Patrol with 40-hour CIT",
                pct(r.value, 0),
                help=f"{r.numerator} of {r.denominator} active patrol officers as of "
                f"{scope.as_of:%d %b %Y}. Guidance: about 20–25% in large agencies, more in "
                "small ones.",
            )
        )
        for column, label in (("district", "District"), ("shift", "Shift")):
            data = workforce.coverage_by(staff, column)
            if data is None or data.empty:
                view.missing.append(
                    f"**Coverage by {column}** needs a {column} column in the roster."
                )
                continue
            chart_data, display = _rates_for_chart(scope, data, ["numerator"])
            low = data.iloc[0]
            title = f"{low[column]} has the lowest patrol CIT coverage: {pct(low['rate'], 0)}"
            view.charts.append(
                Figure(
                    f"coverage_by_{column}",
                    charts.bars(
                        chart_data,
                        category=column,
                        value="rate",
                        title=title,
                        subtitle="Active patrol with the 40-hour course; bars show 95% intervals",
                        value_title="Share of patrol with 40-hour CIT",
                        category_title=label,
                        description=f"Bar chart of patrol CIT coverage by {column}, with the 20% "
                        "guidance line.",
                        percent=True,
                        error=("low", "high"),
                        target=workforce.COVERAGE_TARGET,
                        target_label="20% guidance",
                    ),
                    display,
                    title,
                    f"Patrol CIT coverage by {column}.",
                )
            )
    else:
        view.missing.append(
            "**Share of patrol with 40-hour CIT** needs a roster (with rank or "
            "role) and a training log."
        )
    t = scope.ds.training
    if t is None:
        view.missing.append("**In-service currency and training hours** need a training log.")
        return view
    officers = staff["officer_id"] if staff is not None else None
    overdue = workforce.overdue_in_service(t, scope.as_of, officers)
    n_over = int(overdue["overdue"].sum())
    view.figures.append(
        KeyFigure(
            "Overdue for in-service",
            _count_text(scope, n_over),
            help=f"CIT-trained officers with no CIT course in the {workforce.IN_SERVICE_MONTHS} "
            f"months before {scope.as_of:%d %b %Y} (of {len(overdue)} CIT-trained).",
        )
    )
    if len(overdue):
        bins = pd.cut(
            overdue["months_since"],
            [-1, 12, 24, 36, 60, 1000],
            labels=["0–12", "12–24", "24–36", "36–60", "60+"],
        )
        data = (
            bins.value_counts()
            .reindex(bins.cat.categories, fill_value=0)
            .rename("officers")
            .reset_index()
        )
        data.columns = ["months", "officers"]
        data["months"] = data["months"].astype(str)
        chart_data, display = _rates_for_chart(scope, data, ["officers"])
        title = f"{n_over} CIT officers are overdue for in-service training"
        view.charts.append(
            Figure(
                "in_service",
                charts.bars(
                    chart_data,
                    category="months",
                    value="officers",
                    title=title,
                    subtitle="CIT-trained officers by months since their last CIT course; over 24 is "
                    "overdue",
                    value_title="Officers",
                    category_title="Months since",
                    sort=list(data["months"]),
                    description="Bar chart of CIT-trained officers by months since their last CIT "
                    "course.",
                ),
                display,
                title,
                "Months since last CIT course.",
            )
        )
        if not scope.partner:
            view.tables["Officers overdue for in-service"] = (
                overdue[overdue["overdue"]]
                .sort_values("months_since", ascending=False)
                .reset_index(drop=True)
            )
    hours = workforce.hours_by_type(t)
    if not hours.empty:
        hours = hours[hours["period"] >= hours["period"].max() - pd.DateOffset(years=4)]
        share = hours.groupby("course")["hours"].sum()
        top = share.idxmax()
        title = f"{top} accounts for the most training hours since {hours['period'].min():%Y}"
        view.charts.append(
            Figure(
                "hours_by_type",
                charts.stacked(
                    hours,
                    x="period",
                    y="hours",
                    colour="course",
                    title=title,
                    subtitle="Completed course hours per quarter",
                    y_title="Hours",
                    x_title="Quarter",
                    domain=sorted(hours["course"].unique()),
                    description="Stacked bar chart of training hours by course type per quarter.",
                ),
                hours,
                title,
                "Training hours by course type per quarter.",
            )
        )
    trained = workforce.certified_over_time(t, officers)
    if len(trained):
        title = f"{int(trained['officers'].iloc[-1])} officers now hold the 40-hour CIT course"
        view.charts.append(
            Figure(
                "certified_over_time",
                charts.trend(
                    trained,
                    x="month",
                    y="officers",
                    colour=None,
                    title=title,
                    subtitle="Cumulative officers with the 40-hour course",
                    y_title="Officers",
                    percent=False,
                    marker=scope.programme_start,
                    description="Line chart of the cumulative number of CIT-certified officers.",
                ),
                trained,
                title,
                "Cumulative CIT-certified officers.",
            )
        )
    if scope.mh is not None:
        fig = rate_figure(
            scope, "MH calls with a CIT-trained officer", OUTCOME_BY_KEY["trained_on_scene"]
        )
        if fig:
            view.figures.append(fig)
        else:
            view.missing.append(
                "**MH calls with a CIT-trained officer on scene** needs officer "
                "ids on the calls export."
            )
    return view


def services(scope: Scope) -> View:
    view = View()
    mh = scope.mh
    if mh is not None:
        fig = rate_figure(scope, "Connected to services", OUTCOME_BY_KEY["connection"])
        if fig:
            view.figures.append(fig)
        grid = metrics.hour_weekday(mh)
        if grid is None:
            _missing_calls(view, "Hour × weekday patterns", "a received time (hour) column")
        else:
            view.charts.extend(_heatmaps(scope, grid))
        disp = metrics.disposition_breakdown(mh)
        if disp is None:
            _missing_calls(view, "The disposition breakdown", "a disposition column")
        else:
            chart_data, table = _rates_for_chart(scope, disp, ["calls"])
            top = disp.iloc[0]
            title = f"Most MH calls end as {str(top['label']).lower()} ({pct(top['share'], 0)})"
            view.charts.append(
                Figure(
                    "dispositions",
                    charts.bars(
                        chart_data,
                        category="label",
                        value="calls",
                        title=title,
                        subtitle="Most serious disposition of each MH incident",
                        value_title="MH calls",
                        category_title="Disposition group",
                        description="Bar chart of MH calls by disposition group.",
                    ),
                    table,
                    title,
                    "MH calls by disposition group.",
                )
            )
            jail = int(mh["is_arrest"].sum()) if "is_arrest" in mh else None
            if jail is not None:
                view.figures.append(
                    KeyFigure(
                        "Ended in arrest",
                        _count_text(scope, jail),
                        help="MH incidents with an arrest on any row.",
                    )
                )
        dest = metrics.destinations(mh)
        if dest is not None and len(dest):
            chart_data, table = _rates_for_chart(scope, dest.head(15), ["calls"])
            title = f"{dest.iloc[0]['destination']} is the most common destination"
            view.charts.append(
                Figure(
                    "destinations",
                    charts.bars(
                        chart_data,
                        category="destination",
                        value="calls",
                        title=title,
                        subtitle="MH calls by transport destination",
                        value_title="MH calls",
                        category_title="Destination",
                        description="Bar chart of MH calls by transport destination.",
                    ),
                    table,
                    title,
                    "MH calls by transport destination.",
                )
            )
    if scope.ds.services is None:
        view.missing.append(
            "**The services inventory** needs a services workbook (name, type, "
            "hours, police drop-off)."
        )
    else:
        elements = crisis_now.core_elements(scope.ds.services)
        view.tables["Crisis Now core elements"] = elements
        have = int((elements["status"] == "Yes").sum())
        view.figures.append(
            KeyFigure(
                "Crisis Now core elements in place",
                f"{have} of 3",
                help="Crisis line 24/7, mobile crisis 24/7, crisis "
                "stabilisation accepting police drop-off.",
            )
        )
        cols = [
            c
            for c in ("name", "type", "hours", "police_dropoff", "capacity")
            if c in scope.ds.services
        ]
        view.tables["Services inventory"] = scope.ds.services[cols]
    return view


def _heatmaps(scope: Scope, grid: pd.DataFrame) -> list[Figure]:
    figures = []
    data = grid.copy()
    if scope.partner:
        matrix = data.pivot(index="weekday", columns="hour", values="calls")
        from pmhc.privacy import suppress

        hidden = suppress(matrix.reset_index(drop=True), list(matrix.columns), scope.threshold)
        mask = (hidden == HIDDEN).to_numpy().ravel()
        data.loc[mask, "calls"] = np.nan
        if "connection_rate" in data:
            data.loc[mask, "connection_rate"] = np.nan
    busiest = grid.loc[grid["calls"].idxmax()]
    title = f"MH calls peak on {busiest['weekday_name']} around {int(busiest['hour']):02d}:00"
    figures.append(
        Figure(
            "heatmap_calls",
            charts.heatmap(
                data,
                value="calls",
                title=title,
                subtitle="Distinct MH calls by day of week and hour",
                value_title="MH calls",
                description="Heatmap of MH calls by weekday and hour of day.",
            ),
            data,
            title,
            "MH calls by weekday and hour.",
        )
    )
    if "connection_rate" in grid and grid["connection_rate"].notna().any():
        night = grid[(grid["hour"] < 7) | (grid["hour"] >= 23)]
        day = grid[(grid["hour"] >= 9) & (grid["hour"] < 17) & (grid["weekday"] < 5)]
        n_rate = night["connections"].sum() / max(1, night["calls"].sum())
        d_rate = day["connections"].sum() / max(1, day["calls"].sum())
        title = (
            (
                f"Connections drop to {pct(n_rate, 0)} at night, against {pct(d_rate, 0)} on "
                "weekday office hours"
            )
            if n_rate < d_rate
            else f"Connection rate at night {pct(n_rate, 0)}, weekday office hours {pct(d_rate, 0)}"
        )
        sparse = data["calls"] < 30
        rates = data.assign(connection_rate=data["connection_rate"].mask(sparse))
        figures.append(
            Figure(
                "heatmap_connection",
                charts.heatmap(
                    rates,
                    value="connection_rate",
                    title=title,
                    subtitle="Share of MH calls connected to services; blank cells have under 30 calls",
                    value_title="Connection rate",
                    percent=True,
                    description="Heatmap of the connection rate by weekday and hour, showing service "
                    "gaps at night and weekends.",
                ),
                rates,
                title,
                "Connection rate by weekday and hour.",
            )
        )
    return figures


def outcomes(scope: Scope) -> View:
    view = View()
    mh = scope.mh
    if mh is None:
        view.notes.append("No calls are loaded.")
        return view
    for key in metrics.KEY_OUTCOMES:
        o = OUTCOME_BY_KEY[key]
        fig = rate_figure(scope, o.label, o)
        if fig:
            view.figures.append(fig)
        else:
            _missing_calls(view, o.label, o.unlock)
    rep = _repeat_figure(scope)
    if rep:
        view.figures.append(rep)
    else:
        _missing_calls(
            view, "Repeat encounters", "a person identifier column (pseudonymised on upload)"
        )
    trend = _outcome_trend(
        scope,
        [OUTCOME_BY_KEY[k] for k in (*metrics.KEY_OUTCOMES, "involuntary")],
        key="outcome_trend",
    )
    if trend:
        view.charts.append(trend)
    if "district" in mh:
        data = metrics.outcomes_by(mh, "district")
        if data is not None and len(data):
            chart_data, table = _rates_for_chart(scope, data, ["numerator"])
            conn = data[data["outcome"] == "connection"].sort_values("rate")
            title = (
                f"{conn.iloc[0]['district']} has the lowest connection rate "
                f"({pct(conn.iloc[0]['rate'], 0)})"
                if len(conn)
                else "Outcome rates by district"
            )
            chart = charts.bars(
                chart_data,
                category="district",
                value="rate",
                colour="label",
                title=title,
                subtitle="Share of MH calls; one panel per outcome",
                value_title="Share of MH calls",
                category_title="District",
                percent=True,
                sort=None,
                description="Grouped bar chart of outcome rates by district.",
                tooltip=[alt.Tooltip("district:N", title="District"), *RATE_TOOLTIP],
            )
            view.charts.append(
                Figure("outcomes_by_district", chart, table, title, "Outcome rates by district.")
            )
    dist = metrics.contacts_distribution(mh)
    if dist is not None and len(dist):
        chart_data, table = _rates_for_chart(scope, dist, ["persons", "incidents"])
        repeat_incidents = dist[dist["contacts"] >= 2]["incidents"].sum() / max(
            1, dist["incidents"].sum()
        )
        title = (
            f"People with repeat contacts account for {pct(repeat_incidents, 0)} of "
            "identified MH calls"
        )
        view.charts.append(
            Figure(
                "contacts_per_person",
                charts.bars(
                    chart_data,
                    category="contacts_label",
                    value="persons",
                    title=title,
                    subtitle="People by number of MH contacts in the period",
                    value_title="People",
                    category_title="MH contacts",
                    sort=list(dist["contacts_label"]),
                    description="Bar chart of people by their number of mental-health contacts.",
                ),
                table,
                title,
                "People by number of MH contacts.",
            )
        )
    rows = scope.ds.call_rows
    fields = [
        c
        for c in (
            "incident_id",
            "received_at",
            "call_type_initial",
            "call_type_final",
            "district",
            "disposition",
            "cit_requested",
            "cit_dispatched",
            "cit_arrived",
            "responder_type",
            "use_of_force",
            "person_injury",
            "person_id",
            "officer_id",
            "arrived_at",
            "transport_destination",
        )
        if rows is not None and c in rows
    ]
    if fields:
        data = metrics.completeness(rows, fields)
        worst = data.sort_values("filled").iloc[0]
        title = (
            f"{worst['field'].replace('_', ' ').capitalize()} is the least complete field "
            f"({pct(worst['filled'], 0)} filled)"
        )
        view.charts.append(
            Figure(
                "completeness",
                charts.bars(
                    data,
                    category="field",
                    value="filled",
                    title=title,
                    subtitle="Share of call rows with a value",
                    value_title="Share filled",
                    category_title="Field",
                    percent=True,
                    sort="x",
                    description="Bar chart of the share of call records with a value in each field.",
                ),
                data,
                title,
                "Data completeness per field.",
            )
        )
    return view


def review(scope: Scope, outcome_key: str = "connection") -> View:
    view = View()
    mh = scope.mh
    if mh is None:
        view.notes.append("No calls are loaded.")
        return view
    start = scope.programme_start
    if start is None:
        view.notes.append("Set the programme start date to compare before and after.")
    else:
        before, after = mh[mh["received_at"] < start], mh[mh["received_at"] >= start]
        rows = []
        for o in metrics.available_outcomes(mh):
            c = metrics.compare_outcome(before, after, o)
            a, b = metrics.outcome_rate(before, o), metrics.outcome_rate(after, o)
            rows.append(
                {
                    "outcome": o.label,
                    "before": a.value,
                    "after": b.value,
                    "before_calls": a.denominator,
                    "after_calls": b.denominator,
                    "change_points": None if c is None else 100 * c.difference,
                    "low": None if c is None else 100 * c.interval[0],
                    "high": None if c is None else 100 * c.interval[1],
                    "verdict": "too few to judge" if c is None else c.verdict,
                }
            )
        view.tables["Before and after the programme start"] = pd.DataFrame(rows)
        for row in rows[:4]:
            if row["change_points"] is not None:
                view.figures.append(
                    KeyFigure(
                        row["outcome"],
                        pct(row["after"]),
                        f"{row['change_points']:+.1f} pts",
                        _colour(row["outcome"]),
                        row["verdict"],
                    )
                )
    o = OUTCOME_BY_KEY.get(outcome_key)
    data = (
        metrics.monthly_outcomes(mh, [o])
        if o and metrics.outcome_flag(mh.head(0), o) is not None
        else None
    )
    if data is None or data.empty:
        _missing_calls(view, "The control chart", o.unlock if o else "an outcome column")
        return view
    data = p_chart(data)
    signals = int((data["signal"] == "Outside limits").sum())
    title = (
        f"{o.label}: {signals} month{'s' if signals != 1 else ''} outside the control limits"
        if signals
        else f"{o.label}: every month within the control limits"
    )
    chart_data, table = _rates_for_chart(scope, data, ["numerator"])
    view.charts.append(
        Figure(
            "control_chart",
            charts.control_chart(
                chart_data,
                title=title,
                subtitle="p-chart: centre line is the overall rate; limits are "
                "3 standard errors for each month's calls",
                y_title=o.label,
                description=f"Control chart of the monthly {o.label.lower()} rate.",
            ),
            table,
            title,
            "Monthly rate with control limits.",
        )
    )
    return view


def _colour(label: str) -> str:
    o = next((x for x in metrics.OUTCOMES if x.label == label), None)
    return {True: "normal", False: "inverse", None: "off"}[o.higher_is_better if o else None]


def p_chart(data: pd.DataFrame) -> pd.DataFrame:
    """Centre line and 3-sigma limits of a p-chart for monthly rates."""
    data = data.copy()
    p = data["numerator"].sum() / max(1, data["denominator"].sum())
    sigma = np.sqrt(p * (1 - p) / data["denominator"].clip(lower=1))
    data["centre"] = p
    data["lcl"] = (p - 3 * sigma).clip(lower=0)
    data["ucl"] = (p + 3 * sigma).clip(upper=1)
    outside = (data["rate"] < data["lcl"]) | (data["rate"] > data["ucl"])
    data["signal"] = np.where(outside, "Outside limits", "Within limits")
    return data


PAGES = {
    "overview": overview,
    "leadership": leadership,
    "policies": policies,
    "training": training,
    "services": services,
    "outcomes": outcomes,
    "review": review,
}
