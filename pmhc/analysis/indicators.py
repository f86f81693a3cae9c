"""The indicator registry: one entry per outcome figure the product shows, and beside it the
one function that computes it.

Everything that shows an outcome reads this registry and nothing else: the pages' cards and
trends (`pmhc.present.views`), the partner release and its pages, `python -m pmhc summarize`
(text and JSON), the meeting pack and `docs/indicators.md`, which is written from it
(`python -m tools.write_indicators`; a test fails when the checked-in file is stale).

An entry's function takes incidents (one row each, already collapsed) and returns the outcome
per incident as nullable booleans (NA: not recorded), or None when the data have no field
for it. A built dataset carries most flags ready in `column` (see `storage.dataset.collapse`);
the function is what computes it from the source fields otherwise.

Adding an indicator is one `@indicator(...)` entry and its function, here (or, in a test,
`registered(...)`): it then appears on the pages named in `pages`, in the trends named in
`trends`, in `summarize`, in the pack, in the release when `partner` is true, and in the
docs."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import pandas as pd

from pmhc.ingest.pipeline import HANDOFF_UNITS
from pmhc.ingest.values import any_of
from pmhc.storage.dataset import connection_flag

Flag = Callable[[pd.DataFrame], "pd.Series | None"]

# The rules shared by every outcome today, as data: the release and the docs read them.
# The partner release follows UNKNOWN_LEAVES: its outcomes are yes / no / unknown cells
# (`analysis/release.py`) and a partner rate is yes / (yes + no), as on the pages.
RELEASE_FOLLOWS_UNKNOWN_RULE = True
UNKNOWN_LEAVES = "leaves"  # an unrecorded outcome leaves the denominator (unknown is not no)
UNKNOWN_RULES = {
    UNKNOWN_LEAVES: "Unknown is not no: an incident whose outcome is not recorded leaves the "
    "denominator; the card says what recorded means.",
}
ANY_ROW = (
    "any row: yes if any row of the incident is yes, no if a row records no and none yes, "
    "unknown when no row records it"
)
WINDOWS = (
    "cards: the key-figure window (the last 12 complete months, or the selected period), "
    "against the window before; charts: the selected period; `summarize`: all the data"
)
# The pages that show outcome cards, and the trend charts that draw outcomes (keys of the
# pages' views and of their charts).
PAGES = ("overview", "policies", "training", "services", "outcomes", "review")

# The guidance the choices below follow (docs/indicators.md cites these by their short name).
GUIDANCE = {
    "BJA toolkit": "Bureau of Justice Assistance, Police-Mental Health Collaboration (PMHC) "
    "Toolkit: Essential Element 10 and *Measuring Performance*",
    "CSG data": "Council of State Governments Justice Center, data collection guidance for "
    "police-mental health collaborations (*Police-Mental Health Collaborations: A Framework "
    "for Implementing Effective Law Enforcement Responses*, and its six questions)",
    "Laney": "D. B. Laney, Improved control charts for attributes, Quality Engineering 14(4), 2002",
    "ITS": "J. L. Bernal, S. Cummins, A. Gasparrini, Interrupted time series regression for "
    "the evaluation of public health interventions: a tutorial, Int. J. Epidemiology 46(1), "
    "2017",
}

# What an evaluator would ask of each figure, the choice made and why (issue 20); written to
# docs/indicators.md, "Choices and the guidance behind them".
CHOICES: tuple[tuple[str, str, str], ...] = (
    (
        "Connection needs contact",
        "A mobile-crisis or co-responder unit on a call is a connection only when the "
        "disposition does not record that the call was resolved on scene or nobody was "
        "contacted (groups `resolved` and `no_contact`: Resolved, No action, Resources "
        "declined, Unable to contact). Attendance is its own figure (*Crisis unit "
        "attended*). A setting (on by default).",
        "BJA toolkit: a connection is a linkage made; the response and the linkage are "
        "reported as separate measures. CSG data: record the disposition and the "
        "services the person was connected to.",
    ),
    (
        "Shelter is not treatment",
        "A shelter transport is its own component (`shelter`), a connection only under a "
        "setting (off by default); TRANSPORT* in a shelter disposition is not a treatment "
        "transport.",
        "BJA toolkit: treatment destinations are crisis centres, emergency departments and "
        "detox/sobering centres.",
    ),
    (
        "Injuries apart",
        "Injury to the person and injury to officers are two figures, each with its own unknowns.",
        "CSG data and the BJA toolkit list them as separate safety measures.",
    ),
    (
        "Partial months",
        "A first or last month is partial when the data start or stop inside it (daily "
        "dates), when it has under half the median month's calls (dates known only to the "
        "month), or when the analyst's data end date falls inside it. Partial months are "
        "out of the 12-month window, the trends and the control chart.",
        "CSG data: compare like periods; a part month is not a month.",
    ),
    (
        "One period per row of cards",
        "Every card states its period; every card of a page's top row describes the "
        "key-figure window.",
        "BJA toolkit (*Measuring Performance*): a measure is reported with its period.",
    ),
    (
        "Too few to judge",
        "A rate needs at least 30 calls and at least 5 with and 5 without the outcome "
        "(n·p and n·(1−p) ≥ 5); control-chart months with fewer than 5 expected events "
        "either way are greyed and not judged.",
        "The normal approximation behind the intervals, the z-test and the p-chart limits "
        "needs n·p and n·(1−p) of 5 or more.",
    ),
    (
        "Before and after",
        "A two-proportion z-test says whether the change is larger than chance: *a "
        "statistically significant change, not adjusted for trend or season*, never *a "
        "real improvement* (the windows differ in length, the rate may have been rising "
        "already, and a person's repeat calls are not independent).",
        "ITS: a before/after comparison ignores the underlying trend.",
    ),
    (
        "Interrupted time series",
        "Beside before/after: least squares of the monthly rate on time, a step and a "
        "slope change at the start, with a yearly sine and cosine from 24 months; Newey-"
        "West (HAC) errors, never narrower than ordinary ones, with t intervals; a month "
        "the start falls inside is left out; at least 6 whole months each side. The page "
        "says the level and slope change with 95% intervals and draws the pre-start trend "
        "extended.",
        "ITS (segmented regression, seasonality, autocorrelation).",
    ),
    (
        "Control chart",
        "The baseline is the whole months before the programme start; a start after the "
        "1st makes its month a transition month (marked, not in the baseline, not judged). "
        "Laney's sigma-Z of the baseline is computed; when it is above 1 and a chi-square "
        "test of binomial variation gives p < 0.05, the limits are widened by it (Laney "
        "p′-chart), and the caption says which chart is drawn. Run rules mark every point "
        "of a broken run, not only the point that completes it.",
        "Laney: with large monthly counts a p-chart signals on ordinary variation.",
    ),
    (
        "Repeat encounters",
        "A person in the window counts as 2+ (3+) when one of their MH contacts in the "
        "window had 1+ (2+) other MH contacts in the 12 months up to it, looking back "
        "before the window's start; the card names the window and the look-back, and the "
        "CLI uses the same rule over its period.",
        "CSG data: repeat contacts with the same person over a fixed look-back.",
    ),
)
CHOICES += (
    (
        "Coverage a year earlier",
        "Question 1's and 3's change against 12 months earlier counts the staff in post "
        "then by the roster's hire and assignment dates; without them no change is shown "
        "and the card says why.",
        "Today's roster read back a year counts today's staff: a promotion wave shows as "
        "a rise in supervisors' coverage that no training made.",
    ),
    (
        "Abbreviations no table lists",
        "A token of 4+ letters in a disposition, destination or responder value that no "
        "rule matches is read as the one word the outcome rules use that it is a prefix or "
        "the consonants of (REFRL: REFERRAL); never in call types, never where a rule "
        "matches the value as written; the Data page lists each reading with its evidence.",
        "The MH-call flag is decided by full words only, so its false-positive rate is "
        "unchanged (the same Toronto calls and Vera call types are flagged).",
    ),
    (
        "Times are medians",
        "Officer time (arrival to clearance), custodial transfer time and response time "
        "are medians of minutes from at least 10 calls, spans under 0 or over 24 hours "
        "left out and counted; never for partners.",
        "BJA toolkit (*Measuring Performance*): officer time and transfer time are "
        "efficiency measures; a few long hospital waits pull a mean far up.",
    ),
)
TRENDS = ("overview_outcomes", "outcome_trend")


@dataclass(frozen=True)
class Twin:
    """Another figure that is the same count (a release category such as
    "disposition:arrest"), as long as the source field `unless` is absent from the data."""

    figure: str
    unless: str


@dataclass(frozen=True)
class Indicator:
    key: str  # id: JSON keys (`<key>_rate`), release categories (`<key>:yes`), targets
    label: str  # the full name (charts, tables, the control chart)
    card: str  # the key-figure card's label
    numerator: str  # what counts as yes (documentation)
    base: str  # what an incident needs to be in the denominator: "of N MH calls with …"
    column: str  # the incident column a built dataset carries it in
    higher_is_better: bool | None
    needs: tuple[str, ...]  # canonical source fields, any of which makes it available
    unlock: str  # what a missing figure says it needs ("needs a use-of-force column")
    doc: str = ""  # further documentation (docs/indicators.md)
    pages: tuple[str, ...] = ()  # pages whose key cards include it, in registry order
    trends: tuple[str, ...] = ()  # trend charts that draw it (`TRENDS`)
    partner: bool = True  # partners see it (in the release)
    outcome: bool = True  # one of the outcomes (summary, release, before/after); False: a
    # card of its own (a dispatch step)
    twins: tuple[Twin, ...] = ()
    unknown: str = UNKNOWN_LEAVES  # how an unrecorded outcome is treated (`UNKNOWN_RULES`)
    collapse: str = ANY_ROW  # how several rows of one incident give one value
    window: str = WINDOWS
    unit: str = "share of MH incidents"
    format: str = ".1%"
    takeaway: str = "{label}: {value} of MH calls over the period"  # a trend's title
    holds: tuple[str, str] | None = None  # (label, column) when holds count as connections
    # Its colour on every chart of every page (Okabe & Ito 2008; `colour_by_label`).
    colour: str = "#595959"
    compute: Flag | None = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.key

    @property
    def short(self) -> str:
        return self.card

    @property
    def unknown_text(self) -> str:
        return UNKNOWN_RULES[self.unknown]

    def flag(self, incidents: pd.DataFrame) -> pd.Series | None:
        """The outcome per incident (NA: not recorded); None without a field for it."""
        if self.column in incidents:
            return incidents[self.column].astype("boolean")
        return None if self.compute is None else self.compute(incidents)

    def twins_in(self, columns) -> list[str]:
        """The figures that are this same count in data with these source columns."""
        return [t.figure for t in self.twins if t.unless not in columns]


REGISTRY: dict[str, Indicator] = {}


def indicator(**entry) -> Callable[[Flag], Flag]:
    """Register the decorated function as the computation of a new entry."""

    def register(compute: Flag) -> Flag:
        add(Indicator(**entry, compute=compute))
        return compute

    return register


def colour_by_label() -> dict[str, str]:
    """Each indicator's full name and its colour: one colour per outcome on every page.
    Outcomes drawn together (connection, arrest, hold, force, injury; the three CIT
    figures) stay apart under deuteranopia and protanopia (tests/test_colours.py); the
    last CIT figure is a dark grey because Okabe-Ito's yellow is unreadable on white."""
    return {entry.label: entry.colour for entry in REGISTRY.values()}


def add(entry: Indicator) -> None:
    if entry.key in REGISTRY:
        raise ValueError(f"The indicator {entry.key} is registered twice.")
    REGISTRY[entry.key] = entry


@contextlib.contextmanager
def registered(entry: Indicator) -> Iterator[Indicator]:
    """An entry registered for the duration of a block (tests)."""
    add(entry)
    try:
        yield entry
    finally:
        REGISTRY.pop(entry.key, None)


def get(key: str) -> Indicator:
    return REGISTRY[key]


def all_indicators() -> list[Indicator]:
    return list(REGISTRY.values())


def on_page(page: str) -> list[Indicator]:
    """The outcomes whose key cards a page shows, in registry order."""
    return [o for o in REGISTRY.values() if page in o.pages]


def in_trend(trend: str) -> list[Indicator]:
    return [o for o in REGISTRY.values() if trend in o.trends]


def outcomes() -> list[Indicator]:
    """The outcomes: what `summarize`, the release and the before/after table list."""
    return [o for o in REGISTRY.values() if o.outcome]


def for_partners() -> list[Indicator]:
    return [o for o in outcomes() if o.partner]


def with_holds(entry: Indicator) -> Indicator:
    """The entry when the setting counts a hold ending in a transport to treatment."""
    return with_definitions(entry, holds=True)


# The connection's definitions (settings, issue 20), each with its default.
DEFINITION_DEFAULTS = {"holds": False, "contact": True, "shelter": False}


def with_definitions(
    entry: Indicator, holds: bool = False, contact: bool = True, shelter: bool = False
) -> Indicator:
    """The connection entry under the definition settings (other entries unchanged): its
    column is `is_connection`, suffixed by what differs from the default (`_holds`,
    `_attended`: a hand-off counts without contact, `_shelter`), computed from the
    incidents' components when a built dataset does not carry it."""
    if entry.holds is None or (not holds and contact and not shelter):
        return entry
    label, column = entry.holds if holds else (entry.label, entry.column)
    column += "_attended" * (not contact) + "_shelter" * shelter
    named = (("hand-offs without contact", not contact), ("shelter", shelter))
    extra = [text for text, on in named if on]
    if extra:
        label += f" ({' and '.join(extra)} included)"

    def compute(incidents: pd.DataFrame) -> pd.Series | None:
        return connection_flag(incidents, holds, contact, shelter)

    return replace(entry, label=label, column=column, compute=compute)


def _column(name: str) -> Flag:
    def read(incidents: pd.DataFrame) -> pd.Series | None:
        return incidents[name].astype("boolean") if name in incidents else None

    return read


# --- the entries ------------------------------------------------------------------------


@indicator(
    key="connection",
    colour="#009E73",
    label="Connection to services",
    card="Connected",
    numerator="the incident has a connection component (referral, transport to treatment, "
    "hand-off to mobile crisis or a co-responder; see *Connection to resources*), and no "
    "arrest; by default a hand-off counts only with contact (not when the disposition is "
    "Resolved, No action, Resources declined, Unable to contact or another no-contact or "
    "resolved disposition), a shelter transport is not treatment, and a held incident "
    "counts only under the hold setting, with a transport",
    base="a recorded disposition, or a treatment transport, crisis unit, arrest or hold",
    column="is_connection",
    higher_is_better=True,
    needs=("disposition", "transport_destination", "responder_type"),
    unlock="a disposition, transport destination or responder-type column",
    doc="An incident is recorded when its disposition is, or when another source settles the "
    "outcome without it: a transport to treatment or a mobile-crisis or co-responder unit "
    "(connected), an arrest or a hold (not connected). So the base can be larger than the "
    "MH calls with a recorded disposition. Three definitions are settings (Data page, "
    "*Definitions*), named on every connection card: (1) **hand-off needs contact** (on by "
    "default): a mobile-crisis or co-responder unit on the call is a linkage only when the "
    "disposition does not say the call was resolved on scene or nobody was contacted; "
    "the BJA PMHC toolkit (*Measuring Performance*) and the CSG Justice Center's data "
    "collection guidance count a connection as a referral or linkage made, not as a unit's "
    "presence, so attendance is reported apart (*Crisis unit attended*); on the sample, "
    "2025 moves from 52.1% to 48.3% with this rule alone; (2) **shelter is not treatment** "
    "(default): the toolkit names crisis centres, emergency departments and detox as "
    "treatment destinations, so a shelter transport is its own component, a connection "
    "only when the setting says so (52.1% to 50.1% alone); (3) **holds** (off by default, "
    "below).",
    pages=("overview", "services", "outcomes"),
    trends=TRENDS,
    collapse="any row per component (yes if any row has it, unknown when no row records "
    "it), then per incident: an arrest is never a connection, a hold only under the setting",
    holds=(
        "Connection to services (holds with a transport to treatment included)",
        "is_connection_holds",
    ),
)
def connection(incidents: pd.DataFrame) -> pd.Series | None:
    return _column("is_connection")(incidents)


@indicator(
    key="crisis_attended",
    colour="#882255",  # Tol's wine: the Okabe-Ito colours are the outcomes'
    label="Mobile crisis or co-responder attended",
    card="Crisis unit attended",
    numerator="a mobile-crisis or co-responder unit was on the call (responder-type rules, "
    "or the mobile-crisis flag), whatever the disposition",
    base="a recorded responder type or mobile-crisis flag",
    column="crisis_attended",
    higher_is_better=None,
    needs=("responder_type", "mobile_crisis"),
    unlock="a responder-type or mobile-crisis column",
    pages=("services",),
    partner=False,
    outcome=False,
    doc="Attendance, not a connection: the connection rate counts a crisis unit's hand-off "
    "only when there was contact (a setting). Reported apart so that neither figure hides "
    "the other (BJA PMHC toolkit, *Measuring Performance*: report the response and the "
    "linkage as separate measures). No direction is better: more attendance is the "
    "programme's intent, but the figure is a process measure.",
)
def crisis_attended(incidents: pd.DataFrame) -> pd.Series | None:
    parts = [incidents[f"unit_{u}"] for u in HANDOFF_UNITS if f"unit_{u}" in incidents]
    if "mobile_crisis" in incidents:
        parts.append(incidents["mobile_crisis"])
    return any_of(parts)


@indicator(
    key="arrest",
    colour="#D55E00",
    label="Arrest",
    card="Arrested",
    numerator="the arrest flag is yes, or a row's disposition group is `arrest`",
    base="a recorded disposition or arrest flag",
    column="is_arrest",
    higher_is_better=False,
    needs=("disposition", "arrest"),
    unlock="a disposition or arrest column",
    pages=("overview", "outcomes"),
    trends=TRENDS,
    twins=(Twin("disposition:arrest", unless="arrest"),),
    doc="Without an arrest column, arrests are the disposition group `arrest` (the most "
    "serious group wins), so the count equals the MH calls whose disposition is an arrest.",
)
def arrest(incidents: pd.DataFrame) -> pd.Series | None:
    return _column("is_arrest")(incidents)


@indicator(
    key="involuntary",
    colour="#CC79A7",
    label="Involuntary hold",
    card="Involuntary hold",
    numerator="the hold flag is yes, or a row's disposition group is `involuntary`",
    base="a recorded disposition or hold flag",
    column="is_involuntary",
    higher_is_better=None,
    needs=("disposition", "involuntary_hold"),
    unlock="a disposition or involuntary-hold (apprehension) column",
    pages=("services",),
    trends=("outcome_trend",),
    doc="No direction is better: a change is only called statistically significant.",
)
def involuntary(incidents: pd.DataFrame) -> pd.Series | None:
    return _column("is_involuntary")(incidents)


@indicator(
    key="use_of_force",
    colour="#000000",
    label="Use of force",
    card="Force used",
    numerator="the use-of-force flag is yes",
    base="a recorded use-of-force flag",
    column="use_of_force",
    higher_is_better=False,
    needs=("use_of_force",),
    unlock="a use-of-force column",
    pages=("overview", "outcomes"),
    trends=TRENDS,
)
def use_of_force(incidents: pd.DataFrame) -> pd.Series | None:
    return _column("use_of_force")(incidents)


INJURY_FLAGS = ("person_injury", "officer_injury")
INJURY_DOC = (
    "Injury to the person and injury to officers are two figures, not one: they answer "
    "different questions (the person's safety; officer safety) and the CSG Justice Center's "
    "data collection guidance and the BJA PMHC toolkit list them apart. A blank flag is "
    "unknown and leaves the denominator."
)


@indicator(
    key="person_injury",
    colour="#0072B2",
    label="Injury to the person",
    card="Person injured",
    numerator="the person-injury flag is yes on any row",
    base="a recorded person-injury flag",
    column="person_injury",
    higher_is_better=False,
    needs=("person_injury",),
    unlock="a person-injury (subject injury) column",
    pages=("outcomes",),
    trends=TRENDS,
    doc=INJURY_DOC,
)
def person_injury(incidents: pd.DataFrame) -> pd.Series | None:
    return _column("person_injury")(incidents)


@indicator(
    key="officer_injury",
    colour="#332288",  # Tol's indigo: apart from the person's blue for colour-blind readers
    label="Injury to officers",
    card="Officer injured",
    numerator="the officer-injury flag is yes on any row",
    base="a recorded officer-injury flag",
    column="officer_injury",
    higher_is_better=False,
    needs=("officer_injury",),
    unlock="an officer-injury column",
    pages=("outcomes",),
    trends=TRENDS,
    doc=INJURY_DOC,
)
def officer_injury(incidents: pd.DataFrame) -> pd.Series | None:
    return _column("officer_injury")(incidents)


@indicator(
    key="cit_dispatched",
    colour="#56B4E9",
    label="CIT dispatched",
    card="CIT dispatched",
    numerator="the CIT-dispatched flag is yes on any row",
    base="a recorded CIT-dispatched flag",
    column="cit_dispatched",
    higher_is_better=True,
    needs=("cit_dispatched",),
    unlock="a CIT-dispatched column",
    pages=("policies",),
    outcome=False,
    doc="A dispatch step, not an outcome: shown as a card on question 2 and as a step of the "
    "CIT funnel; the release holds it as a flag.",
)
def cit_dispatched(incidents: pd.DataFrame) -> pd.Series | None:
    return _column("cit_dispatched")(incidents)


@indicator(
    key="cit_on_scene",
    colour="#E69F00",
    label="CIT unit on scene (CAD)",
    card="CIT unit on scene (CAD)",
    numerator="the CIT-arrived flag is yes; without that column, any unit's type is CIT "
    "(unit-type rules)",
    base="a recorded CIT-arrived flag or unit type",
    column="cit_on_scene",
    higher_is_better=True,
    needs=("cit_arrived", "responder_type"),
    unlock="a CIT-arrived column or a responder-type column",
    pages=("policies",),
    doc="What the CAD records about the unit; compare *CIT-certified officer on scene*.",
)
def cit_on_scene(incidents: pd.DataFrame) -> pd.Series | None:
    return _column("cit_on_scene")(incidents)


@indicator(
    key="trained_on_scene",
    colour="#595959",
    label="CIT-certified officer on scene (training log)",
    card="CIT-certified officer on scene (training log)",
    numerator="a row's officer had completed a 40-hour CIT course (training log) on or "
    "before the call's received time",
    base="a recorded officer id",
    column="trained_on_scene",
    higher_is_better=True,
    needs=("officer_id",),
    unlock="officer ids on calls plus a training log",
    pages=("training",),
    doc="Computed from officer ids and the training log, not from the CAD.",
)
def trained_on_scene(incidents: pd.DataFrame) -> pd.Series | None:
    return _column("trained_on_scene")(incidents)


POLICE_UNITS = ("cit", "patrol", "co_responder")  # a co-responder team includes an officer
NON_POLICE_TEXT = r"(?<!\d)988(?!\d)|\bcrisis line\b|\bcrisis lifeline\b"


@indicator(
    key="non_police",
    colour="#44AA99",  # Tol's teal: apart from the outcomes' Okabe-Ito colours
    label="Handled by a non-police responder (mobile crisis, 988)",
    card="Non-police response",
    numerator="a mobile-crisis unit attended and no police unit (CIT, patrol or "
    "co-responder) did, or the disposition or call source says the call went to 988 or a "
    "crisis line",
    base="a recorded responder type, or a disposition or call source naming 988",
    column="non_police",
    higher_is_better=None,
    needs=("responder_type", "disposition", "call_source"),
    unlock="a responder-type column (or dispositions naming 988 transfers)",
    pages=("services",),
    doc="The share of MH calls the crisis system answers without police, which the BJA PMHC "
    "toolkit and the 988 / Crisis Now model aim to raise; no direction is called better on "
    "the card because a low share can be the right answer to the calls an area has. A "
    "share of many calls: partners see it (the release's yes/no cells).",
)
def non_police(incidents: pd.DataFrame) -> pd.Series | None:
    units = [f"unit_{u}" for u in ("mobile_crisis", *POLICE_UNITS) if f"unit_{u}" in incidents]
    texts = [c for c in ("disposition", "call_source") if c in incidents]
    if "unit_mobile_crisis" not in units and not texts:
        return None
    said = pd.Series(False, index=incidents.index)
    for c in texts:
        said |= incidents[c].astype("str").str.contains(NON_POLICE_TEXT, case=False, na=False)
    if "unit_mobile_crisis" in units:
        crisis = incidents["unit_mobile_crisis"].astype("boolean")
        police = any_of([incidents[c] for c in units[1:]])
        alone = crisis.fillna(False)
        if police is not None:
            alone &= ~police.fillna(False)
        flag = alone.astype("boolean").where(crisis.notna(), pd.NA)
    else:  # no unit types: the text alone says which calls went to 988
        recorded = pd.concat([incidents[c].notna() for c in texts], axis=1).any(axis=1)
        flag = said.astype("boolean").where(recorded, pd.NA)
    return flag.mask(said, True)


# --- figures that are not a yes/no per incident -------------------------------------------
# Times (medians of minutes), counts, splits and concentrations: each a `Measure` entry with
# the one function that computes it from `Inputs`, read by the pages (`views.measures`),
# `summarize` (text and JSON: `measures` and the entry's own keys), the pack (the pages'
# views) and docs/indicators.md. The entries are in `pmhc.analysis.measures`.


@dataclass(frozen=True)
class Inputs:
    """What a measure is computed from: the MH incidents of the period (`mh`), every MH
    incident for look-backs (`history`), the dataset (roster, training) and the period's
    name; `outcome` gives an outcome entry under the definition settings."""

    mh: pd.DataFrame | None
    history: pd.DataFrame | None
    ds: object
    period: str = ""
    as_of: pd.Timestamp | None = None
    outcome: Callable[[str], Indicator] = get


@dataclass
class Result:
    text: str  # as the card shows it ("41 min", "27.5%", "too few to judge")
    value: float | None  # the headline number (JSON)
    n: int  # the calls, people or staff it rests on
    detail: str = ""  # a sentence for the card's help
    json: dict = field(default_factory=dict)  # further `summarize` keys of its own
    table: pd.DataFrame | None = None  # the numbers behind it (page and pack)
    missing: str | None = None  # what would give the exact figure, when a proxy is shown
    base: str = ""  # what `n` counts when it differs from the entry's base (a proxy's)


MeasureFn = Callable[[Inputs], "Result | None"]


@dataclass(frozen=True)
class Measure:
    key: str  # JSON key under `measures`
    label: str
    card: str
    question: str  # the question it answers, as the page puts it
    definition: str  # what is counted or timed (documentation and the card's help)
    base: str  # which incidents (people, staff) it rests on
    needs: tuple[str, ...]  # canonical source fields it reads (all of them)
    unlock: str  # what a missing figure says it needs
    section: str = "calls"  # the `summarize` part it belongs to (calls, training, roster)
    unit: str = "minutes"
    pages: tuple[str, ...] = ()
    partner: bool = False  # partners see it (in the release, through its own cells)
    drawn: bool = True  # its card is drawn from the entry (False: by the page's own
    # function, which takes its label from here and adds a change against the year before)
    doc: str = ""
    compute: MeasureFn | None = field(default=None, compare=False, repr=False)

    def result(self, inputs: Inputs) -> Result | None:
        return None if self.compute is None else self.compute(inputs)


MEASURES: dict[str, Measure] = {}


def measure(**entry) -> Callable[[MeasureFn], MeasureFn]:
    """Register the decorated function as the computation of a new measure."""

    def register(compute: MeasureFn) -> MeasureFn:
        if entry["key"] in MEASURES or entry["key"] in REGISTRY:
            raise ValueError(f"The figure {entry['key']} is registered twice.")
        MEASURES[entry["key"]] = Measure(**entry, compute=compute)
        return compute

    return register


def _entries() -> dict[str, Measure]:
    """The measures, registered on first use: their module reads `metrics`, which reads
    this one, so it cannot be imported while this one is."""
    import pmhc.analysis.measures  # noqa: F401

    return MEASURES


def measures(section: str | None = None, page: str | None = None) -> list[Measure]:
    return [
        m
        for m in _entries().values()
        if (section is None or m.section == section) and (page is None or page in m.pages)
    ]


def get_measure(key: str) -> Measure:
    return _entries()[key]


def is_measure(key: str) -> bool:
    return key in _entries()
