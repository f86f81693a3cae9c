"""The registry's figures that are not a yes/no per incident (`indicators.Measure`), each
entry beside the one function that computes it: officer time on MH calls, custodial
transfer time, outcomes by who attended, repeat calls by location, and the figures the
pages drew on their own before (MH calls, repeat encounters, response time, CIT coverage
and in-service training).

Times are medians of minutes: a median of a handful of calls describes those calls, so
they are never for partners and a median of fewer than `MIN_TIMED` calls is not shown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmhc.analysis import metrics, workforce
from pmhc.analysis.indicators import Inputs, Result, measure
from pmhc.analysis.metrics import with_intervals
from pmhc.analysis.stats import Rate

MIN_TIMED = 10  # calls a median of minutes needs
MAX_MINUTES = 24 * 60  # longer (or negative) spans are data errors, left out and counted
TOP_SHARE = 0.1  # the busiest tenth of locations

BJA = "BJA PMHC toolkit (*Measuring Performance*)"
CSG = "CSG Justice Center data collection guidance"


def minutes_between(start: pd.Series, end: pd.Series) -> tuple[pd.Series, int]:
    """(minutes from start to end where both are known and the span is 0-24 h, the number
    of spans left out as impossible)."""
    minutes = (end - start).dt.total_seconds() / 60
    known = minutes.dropna()
    kept = known[(known >= 0) & (known < MAX_MINUTES)]
    return kept, len(known) - len(kept)


def timed(minutes: pd.Series, dropped: int, what: str, prefix: str) -> Result:
    """A median of minutes with its quartiles, p90 and total hours."""
    n = len(minutes)
    left_out = f" {dropped:,} spans under 0 or over 24 hours were left out." if dropped else ""
    if n < MIN_TIMED:
        return Result(
            "too few to judge",
            None,
            n,
            f"{n:,} {what}: a median needs at least {MIN_TIMED}.{left_out}",
            {f"{prefix}_calls": n},
            base=what,
        )
    q1, median, q3, p90 = (float(minutes.quantile(q)) for q in (0.25, 0.5, 0.75, 0.9))
    hours = float(minutes.sum()) / 60
    return Result(
        f"{median:.0f} min",
        round(median, 1),
        n,
        f"Median {median:.0f} minutes (half of the calls between {q1:.0f} and {q3:.0f}; "
        f"9 in 10 under {p90:.0f}) over {n:,} {what}; {hours:,.0f} officer-hours in "
        f"all.{left_out}",
        {
            f"{prefix}_calls": n,
            f"{prefix}_median": round(median, 1),
            f"{prefix}_p90": round(p90, 1),
            f"{prefix}_hours_total": round(hours, 1),
        },
        base=what,
    )


# --- new measures (issue 20) ---------------------------------------------------------------


@measure(
    key="officer_time",
    label="Officer time on MH calls (arrival to clearance)",
    card="Median time on scene",
    question="How much officer time do mental-health calls take?",
    definition="minutes from the first unit's arrival to the call's clearance (the last "
    "row's clearance when an incident has several), per MH call",
    base="MH calls with both an arrival and a clearance time, the span 0 to 24 hours",
    needs=("arrived_at", "cleared_at"),
    unlock="an arrived date-time and a cleared (closed) date-time column",
    pages=("policies",),
    doc=f"What a call costs in patrol time, the resource measure of the {BJA}; shown as a "
    "median because a few long calls (a hospital wait) pull a mean far up; the total "
    "officer-hours counts the first unit only. Not for partners: a median describes the "
    "calls it is taken from, and a small group's median describes a handful of calls.",
)
def officer_time(inp: Inputs) -> Result | None:
    mh = inp.mh
    if mh is None or "arrived_at" not in mh or "cleared_at" not in mh:
        return None
    minutes, dropped = minutes_between(mh["arrived_at"], mh["cleared_at"])
    return timed(minutes, dropped, "MH calls with both times", "officer_minutes")


@measure(
    key="custody_transfer",
    label="Custodial transfer time",
    card="Median custody handover",
    question="How long do officers wait to hand a person over to a hospital or crisis centre?",
    definition="minutes from the first unit's arrival to the handover of custody (the "
    "transfer time column); without that column, arrival to clearance on calls ending in "
    "an involuntary hold or a transport to treatment (a proxy that includes the time on "
    "scene)",
    base="MH calls with a handover time (or, for the proxy, held or transported calls with "
    "both an arrival and a clearance time), the span 0 to 24 hours",
    needs=("arrived_at", "cleared_at"),
    unlock="an arrived date-time and a custody-transfer (handover) date-time column, or a "
    "cleared date-time for the proxy",
    pages=("services",),
    doc="Emergency-department wait times keep officers off patrol; the BJA PMHC toolkit "
    "names the time to transfer custody at a receiving facility among the programme's "
    "efficiency measures. Exact with a `transferred_at` column (custody transfer, handover "
    "or hospital release time); otherwise the page shows the proxy and says which column "
    "would give the handover itself. Not for partners (a median of a handful of calls).",
)
def custody_transfer(inp: Inputs) -> Result | None:
    mh = inp.mh
    if mh is None or "arrived_at" not in mh:
        return None
    if "transferred_at" in mh:
        minutes, dropped = minutes_between(mh["arrived_at"], mh["transferred_at"])
        return timed(minutes, dropped, "MH calls with a handover time", "transfer_minutes")
    if "cleared_at" not in mh:
        return None
    custodial = pd.Series(False, index=mh.index)
    for column in ("is_involuntary", "conn_transport"):
        if column in mh:
            custodial |= mh[column].fillna(False).astype(bool)
    if not custodial.any() and not {"is_involuntary", "conn_transport"} & set(mh.columns):
        return None
    held = mh[custodial.to_numpy(bool)]
    minutes, dropped = minutes_between(held["arrived_at"], held["cleared_at"])
    out = timed(
        minutes, dropped, "held or transported MH calls with both times", "transfer_minutes"
    )
    out.detail = "A proxy: arrival to clearance on calls ending in a hold or a transport to " + (
        "treatment, so the time on scene is in it. " + out.detail
    )
    out.json["transfer_minutes_proxy"] = True
    out.missing = (
        "a custody-transfer (handover) time column would give the handover time itself; "
        "this is arrival to clearance"
    )
    return out


ATTENDED = (
    ("CIT officer on scene", "cit_on_scene"),
    ("Co-responder or mobile crisis", "crisis_attended"),
)
SPLIT_OUTCOMES = ("use_of_force", "arrest", "connection")


def _attendance_groups(inp: Inputs) -> dict[str, pd.Series] | None:
    """Group name -> yes/no per incident (NA: not recorded); "Neither" where every
    recorded attendance flag is no."""
    mh = inp.mh
    groups = {}
    for name, key in ATTENDED:
        flag = inp.outcome(key).flag(mh)
        if flag is not None and flag.notna().any():
            groups[name] = flag.astype("boolean")
    if not groups:
        return None
    frame = pd.DataFrame(groups)
    known = frame.notna().all(axis=1)
    groups["Neither"] = (~frame.fillna(False).any(axis=1)).astype("boolean").where(known)
    return groups


@measure(
    key="outcomes_by_attendance",
    label="Outcomes by who attended (CIT officer, co-responder or mobile crisis, neither)",
    card="Connected with CIT or co-responder",
    question="Do calls a CIT officer or a co-responder attends end differently?",
    definition="use of force, arrest and connection rates (each of the calls with it "
    "recorded) among MH calls with a CIT officer on scene, with a co-responder or "
    "mobile-crisis unit, and with neither; a call with both is in both groups",
    base="MH calls whose CIT-on-scene or crisis-unit attendance is recorded, and whose outcome is",
    needs=("cit_arrived", "responder_type", "mobile_crisis"),
    unlock="a CIT-arrived, responder-type or mobile-crisis column",
    unit="share of MH calls in the group",
    pages=("outcomes",),
    doc=f"The split the {BJA} and CIT programme practice ask for: whether the calls the "
    "programme's responders attend end in less force, fewer arrests and more connections. "
    "It compares groups, it does not show cause: CIT officers and co-responders are sent "
    "to different calls. The card gives the connection rate with a CIT officer or "
    "co-responder against neither. Not for partners yet: the release holds no cells for "
    "this split.",
)
def outcomes_by_attendance(inp: Inputs) -> Result | None:
    mh = inp.mh
    if mh is None or mh.empty:
        return None
    groups = _attendance_groups(inp)
    if groups is None:
        return None
    rows = []
    for name, member in groups.items():
        inside = mh[member.fillna(False).to_numpy(bool)]
        for key in SPLIT_OUTCOMES:
            o = inp.outcome(key)
            rate = metrics.outcome_rate(inside, o)
            if rate is not None:
                rows.append((name, o.label, rate.numerator, rate.denominator))
    if not rows:
        return None
    table = pd.DataFrame(rows, columns=["attended", "outcome", "numerator", "denominator"])
    table = with_intervals(table)
    conn = table[table["outcome"] == inp.outcome("connection").label].set_index("attended")
    attended = [g for g, _ in ATTENDED if g in conn.index]
    text, value = "not in the data", None
    if attended and "Neither" in conn.index:
        best = conn.loc[attended].sort_values("denominator").iloc[-1]  # the larger group
        neither = conn.loc["Neither"]
        if best["denominator"] and neither["denominator"]:
            value = float(best["rate"])
            text = f"{_pct(best['rate'])} vs {_pct(neither['rate'])}"
    json = {
        f"{_slug(r.attended)}__{_slug(r.outcome)}": None if pd.isna(r.rate) else round(r.rate, 4)
        for r in table.itertuples()
    }
    detail = (
        "Connection rate with a CIT officer or co-responder on scene (the larger group) "
        "against neither. Groups compared, not a cause: the responders go to different calls."
    )
    return Result(text, value, len(mh), detail, {"outcomes_by_attendance": json}, table)


def _pct(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def _slug(text: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


@measure(
    key="repeat_locations",
    label="Repeat calls by location (beat)",
    card="Busiest tenth of beats",
    question="Do mental-health calls come back to the same places?",
    definition="the share of the period's MH calls in the busiest tenth of locations (beats; "
    "at least one), with each location's calls, its calls in the 12 months before and the "
    "change",
    base="MH calls with a recorded beat",
    needs=("beat",),
    unlock="a beat or reporting-area column (addresses are never read: docs/privacy.md)",
    unit="share of MH calls",
    pages=("outcomes",),
    doc=f"Places that call again and again are where a co-responder's outreach or a "
    f"problem-solving plan pays (the {CSG}: repeat calls by location as well as by "
    "person). Beats, not addresses: the product never reads an address, so a repeat "
    "address needs the agency to send a hashed address as the beat column. Not for "
    "partners: a list of places with their counts can point at a home.",
)
def repeat_locations(inp: Inputs) -> Result | None:
    mh = inp.mh
    if mh is None or "beat" not in mh:
        return None
    located = mh[mh["beat"].notna().to_numpy(bool)]
    if located.empty:
        return None
    counts = located["beat"].astype("str").value_counts()
    top = max(1, int(np.ceil(TOP_SHARE * len(counts))))
    share = Rate(int(counts.iloc[:top].sum()), int(counts.sum()))
    table = counts.rename("calls").rename_axis("location").reset_index()
    table["share_of_calls"] = table["calls"] / share.denominator
    before = _year_before(inp, located)
    if before is not None:
        earlier = before["beat"].astype("str").value_counts()
        table["calls_12_months_before"] = table["location"].map(earlier).fillna(0).astype(int)
        table["change"] = table["calls"] - table["calls_12_months_before"]
    detail = (
        f"{share.numerator:,} of {share.denominator:,} MH calls with a beat were in the "
        f"busiest {top} of {len(counts)} beats; the busiest, {table['location'].iloc[0]}, "
        f"had {int(table['calls'].iloc[0]):,}."
    )
    json = {
        "repeat_location_share": round(share.value, 4) if share.value is not None else None,
        "locations": len(counts),
        "busiest_locations": top,
    }
    return Result(_pct(share.value), share.value, share.denominator, detail, json, table)


def _year_before(inp: Inputs, located: pd.DataFrame) -> pd.DataFrame | None:
    """The same locations' MH calls in the 12 months before the period's first call."""
    history = inp.history
    if history is None or "beat" not in history or located.empty:
        return None
    start = located["received_at"].min()
    when = history["received_at"]
    return history[((when < start) & (when >= start - pd.DateOffset(months=12))).to_numpy(bool)]


# --- figures the pages drew on their own (issue 17): their labels, wording and the value
# `summarize` gives come from here; the pages add the change against the window before. ---


def _rate_result(rate: Rate | None, what: str, json_key: str) -> Result | None:
    if rate is None or not rate.denominator:
        return None
    value = rate.value
    return Result(
        _pct(value),
        value,
        rate.denominator,
        f"{rate.numerator:,} of {rate.denominator:,} {what}.",
        {json_key: None if value is None else round(value, 4)},
    )


@measure(
    key="mh_calls",
    label="Mental-health calls",
    card="MH calls",
    question="How many mental-health calls are there?",
    definition="distinct MH incidents (rows sharing an incident number are one incident)",
    base="every MH incident in the period",
    needs=("received_at",),
    unlock="a received date column",
    unit="incidents",
    pages=("overview",),
    partner=True,
    drawn=False,
    doc="The MH calls the rules flag (call type, MH flag or disposition; Data page). "
    "Partners see it with counts from 1 to the threshold hidden.",
)
def mh_calls(inp: Inputs) -> Result | None:
    if inp.mh is None:
        return None
    n = len(inp.mh)
    return Result(f"{n:,}", float(n), n, f"{n:,} distinct MH incidents.", {})


@measure(
    key="repeat_people",
    label="People with 2+ MH contacts within 12 months",
    card="2+ MH contacts",
    question="Do the same people come back?",
    definition="people with an MH contact in the period who had another MH contact in the "
    f"{metrics.LOOKBACK_MONTHS} months up to it (a rolling look-back per person that "
    "reaches back before the period's start)",
    base="people with a recorded (pseudonymised) identifier and an MH contact in the period",
    needs=("person_id",),
    unlock="a person identifier column (pseudonymised on upload)",
    unit="share of people",
    pages=("overview", "outcomes"),
    partner=True,
    drawn=False,
    doc="The CSG Justice Center's repeat-contact measure over a fixed look-back; `summarize` "
    "gives it over all the data as `repeat_person_share` (3+: `repeat_person_share_3plus`).",
)
def repeat_people(inp: Inputs) -> Result | None:
    if inp.mh is None:
        return None
    repeats = metrics.repeat_encounters(inp.mh, inp.history)
    if repeats is None:
        return None
    return _rate_result(repeats.repeat_2, "people with a recorded identifier", "repeat_2")


@measure(
    key="response_time",
    label="Response time (call received to first arrival)",
    card="Median response",
    question="How quickly does a unit arrive?",
    definition="minutes from the call received to the first unit's arrival",
    base="MH calls with both times, the span 0 to 24 hours",
    needs=("received_at", "arrived_at"),
    unlock="an arrived date-time column",
    pages=("policies",),
    drawn=False,
    doc="Not for partners: a median of a handful of calls describes those calls.",
)
def response_time(inp: Inputs) -> Result | None:
    mh = inp.mh
    if mh is None or "arrived_at" not in mh:
        return None
    minutes, dropped = minutes_between(mh["received_at"], mh["arrived_at"])
    out = timed(minutes, dropped, "MH calls with both times", "response_minutes")
    out.detail = "From call received to first unit arrived. " + out.detail
    return out


def _staff(inp: Inputs) -> pd.DataFrame | None:
    ds = inp.ds
    roster, training = getattr(ds, "roster", None), getattr(ds, "training", None)
    if roster is None or training is None:
        return None
    as_of = inp.as_of or workforce.reference_date(training, getattr(ds, "calls", None))
    return workforce.with_certification(roster, training, as_of)


def _coverage(groups: tuple[str, ...], json_key: str):
    def compute(inp: Inputs) -> Result | None:
        staff = _staff(inp)
        if staff is None:
            return None
        return _rate_result(workforce.coverage(staff, groups), "active staff", json_key)

    return compute


for _key, _group, _label in (
    ("patrol_coverage", "patrol", "Patrol"),
    ("supervisor_coverage", "supervisor", "Supervisors"),
    ("command_coverage", "command", "Command staff"),
):
    measure(
        key=_key,
        label=f"{_label} with the 40-hour CIT course",
        card=f"{_label} with 40-hour CIT",
        question="Are officers trained?" if _group == "patrol" else "Are leaders trained?",
        definition=f"active {_label.lower()} in the roster who completed a 40-hour CIT course "
        "on or before the reference date (the period's end, else the latest date in the data)",
        base=f"active {_label.lower()} in the roster",
        needs=("officer_id", "role", "completed_on"),
        unlock="a roster (with rank or role) and a training log",
        section="roster",
        unit="share of active staff",
        pages=("training",) if _group == "patrol" else ("leadership",),
        partner=True,
        drawn=False,
        doc="Against 12 months earlier only when the roster dates who was in post then "
        "(hire or assignment dates): today's roster read back a year counts today's staff, "
        "which is not a trend. `summarize`: `" + f"{_group}_cit_40_share`.",
    )(_coverage((_group,), f"{_group}_cit_40_share"))


@measure(
    key="in_service_overdue",
    label="CIT officers overdue for in-service training",
    card="Overdue for in-service",
    question="Is CIT training kept current?",
    definition="CIT-certified officers whose last CIT course (40-hour or in-service) is "
    f"over {workforce.IN_SERVICE_MONTHS} months old on the reference date",
    base="CIT-certified active sworn officers (every certified officer without a roster)",
    needs=("officer_id", "completed_on"),
    unlock="a training log",
    section="training",
    unit="officers",
    pages=("training",),
    drawn=False,
    doc="`summarize`: `in_service_overdue`, `in_service_overdue_share` (and of all active "
    "sworn officers, `in_service_overdue_share_of_sworn`).",
)
def in_service_overdue(inp: Inputs) -> Result | None:
    ds = inp.ds
    training = getattr(ds, "training", None)
    if training is None:
        return None
    as_of = inp.as_of or workforce.reference_date(training, getattr(ds, "calls", None))
    status = workforce.in_service(training, as_of, _staff(inp))
    share = status.of_certified
    return Result(
        f"{status.overdue:,}",
        float(status.overdue),
        share.denominator,
        f"{status.overdue:,} of {share.denominator:,} CIT-certified officers "
        f"({_pct(share.value)}) on {as_of:%d %b %Y}.",
        {"overdue_share": None if share.value is None else round(share.value, 4)},
    )
