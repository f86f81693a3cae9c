"""From a file to canonical records, with every row accounted for.

For each table: find the header and the kind of records (or apply a saved mapping
profile), read the rows under the header, normalise the mapped columns, and split the
rows into loaded records and rejected rows with a reason. `rows_in == rows_loaded + rows_rejected`
always holds; what was coerced on the way is listed in the report's notes.
Columns that are not mapped, personal data among them, are never kept: they are read
only to tell blank rows and report footers from records.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pmhc.domain import rules as rules_mod
from pmhc.domain import schema
from pmhc.domain.errors import RowAccountingError
from pmhc.domain.rules import COMPONENTS, RESPONDERS, Rules
from pmhc.ingest import mapping as mp
from pmhc.ingest import value_kinds, values
from pmhc.ingest.profiles import Profile
from pmhc.ingest.pseudonyms import pseudonymise
from pmhc.ingest.reading import Table, open_tables

EARLIEST = pd.Timestamp("1990-01-01")
PARSE_THREADS = 2
FOOTER = re.compile(
    r"^\s*(grand\s+)?(total|totals|count|records|record count|page\s+\d+|"
    r"end of report|report total|number of records|sum)\b",
    re.IGNORECASE,
)


@dataclass
class SourceReport:
    path: str
    sheet: str | None
    kind: str | None
    header_row: int | None = None  # 1-based, as Excel shows it
    rows_in: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    mapping: dict[str, str] = field(default_factory=dict)  # field -> source column header
    confidence: dict[str, float] = field(default_factory=dict)
    note: str | None = None
    notes: list[str] = field(default_factory=list)
    personal_data_dropped: list[str] = field(default_factory=list)
    repeated_headers: dict[str, list[int]] = field(default_factory=dict)
    profile: str | None = None
    signature: str | None = None
    date1904: bool = False
    date_precision: str | None = None  # "month" when dates were built without a day
    # A title or parameter row naming mental-health calls (offered as "every call is MH")
    mh_title: str | None = None
    # Mapped columns whose values mostly do not fit their field (sentences, also in notes)
    misfits: list[str] = field(default_factory=list)
    # Unmapped columns that look like a field: column, field and a sentence, for the user
    suggestions: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Loaded:
    report: SourceReport
    records: pd.DataFrame | None = None
    rejected: pd.DataFrame | None = None  # row, reason, then the original values
    proposal: mp.Mapping | None = None  # what the mapper saw, for the Data page


@dataclass
class Context:
    rules: Rules
    key: bytes  # workspace secret for pseudonyms
    profiles: list[Profile] = field(default_factory=list)
    all_mh: bool = False  # "every call in this file is a mental-health call"
    mh_routes: tuple[str, ...] = ("final", "initial", "flag")  # see MH_ROUTES
    now: pd.Timestamp = field(default_factory=lambda: pd.Timestamp.now().floor("D"))


Progress = Callable[[str], None]


def ingest_file(
    source: str | Path | bytes,
    ctx: Context,
    name: str | None = None,
    progress: Progress | None = None,
    timings: dict | None = None,
) -> list[Loaded]:
    """Every table of one file, loaded. Raises reading.UnreadableFile for unusable files.

    `progress` hears each stage as it starts; `timings` collects seconds per stage."""
    clock = Stages(progress, timings)
    clock.start(
        f"Opening {Path(str(name or source)).name}"
        if not isinstance(source, bytes)
        else f"Opening {name}",
        "open",
    )
    return ingest_tables(open_tables(source, name), ctx, clock)


def ingest_tables(
    tables: Sequence[Table], ctx: Context, clock: Stages | None = None
) -> list[Loaded]:
    """Every one of these tables (of one file) loaded."""
    loaded = [ingest_table(t, ctx, clock=clock) for t in tables]
    offer_all_mh(list(tables), loaded, ctx)
    return loaded


def offer_all_mh(tables: list[Table], loaded: list[Loaded], ctx: Context) -> None:
    """A title row above the header, or a parameter sheet of the same file, that names
    mental-health calls ("Calls for Service with Mental Health Indicators", "Filters: MH
    Indicator = Y") is offered as the declaration "every call is MH", never applied by itself:
    a title may describe a filter that also let other calls through."""
    params = [
        _mh_text(t.peek, ctx.rules)
        for t, x in zip(tables, loaded, strict=True)
        if x.report.kind is None
    ]
    param = next((p for p in params if p), None)
    for t, x in zip(tables, loaded, strict=True):
        r = x.report
        if r.kind != "calls" or ctx.all_mh or r.header_row is None or _declared(x):
            continue
        r.mh_title = _mh_text(t.peek[: r.header_row - 1], ctx.rules) or param
        if r.mh_title:
            r.notes.append(
                f"The export's title or parameters name mental-health calls ({r.mh_title!r}): "
                "if every call in it is one, declare it (Data page: 'Every call in this file is "
                "a mental-health call'; command line: --all-mh)."
            )


def _declared(x: Loaded) -> bool:
    """Every call already declared MH (by the upload's choice or a saved profile)."""
    rec = x.records
    return rec is not None and "mh_route" in rec and bool((rec["mh_route"] == "declared").all())


def _mh_text(rows: list[list[str | None]], rules: Rules) -> str | None:
    """The first cell of these rows that the MH call-type rules recognise (cut to 80)."""
    cells = [str(c).strip() for row in rows for c in row if c is not None and str(c).strip()]
    if not cells:
        return None
    flags = rules.mh_flag(pd.Series(cells, dtype="str")).to_numpy(bool)
    hit = next((c for c, f in zip(cells, flags, strict=True) if f), None)
    return None if hit is None else hit[:80]


class Stages:
    """Announces the stages of a load and adds up how long each took."""

    def __init__(self, progress: Progress | None = None, timings: dict | None = None):
        self.progress, self.timings = progress, timings
        self.stage: str | None = None
        self.since = time.perf_counter()

    def start(self, message: str, stage: str) -> None:
        self.stop()
        self.stage, self.since = stage, time.perf_counter()
        if self.progress:
            self.progress(message)

    def stop(self) -> None:
        if self.stage is not None and self.timings is not None:
            elapsed = time.perf_counter() - self.since
            self.timings[self.stage] = self.timings.get(self.stage, 0.0) + elapsed
        self.stage = None


def ingest_table(
    table: Table, ctx: Context, proposal: mp.Mapping | None = None, clock: Stages | None = None
) -> Loaded:
    clock = clock or Stages()
    if table.problem:
        return Loaded(SourceReport(str(table.path), table.sheet, None, note=table.problem))
    where = table.sheet or Path(table.path).name
    clock.start(f"Finding the header and mapping the columns of {where}", "map")
    profile = None
    refused: list[str] = []
    if proposal is None:
        proposal, profile = _propose(table, ctx, refused)
    report = SourceReport(str(table.path), table.sheet, None)
    if proposal is None or proposal.kind is None:
        report.note = refused[0][0].upper() + refused[0][1:] if refused else _no_records_note(table)
        return Loaded(report)
    _describe_mapping(report, table, proposal, profile)
    if not proposal.matches:
        report.note = "No column matched a known field."
        return Loaded(report, proposal=proposal)

    positions = {name: m.column for name, m in proposal.matches.items()}
    # Unmapped columns are read as well, only to tell blank rows and report footers: a row
    # filled only there (a footer in an unmapped first column) must still be accounted for.
    # They are dropped right here, never kept.
    every = sorted(set(positions.values()) | set(range(len(proposal.headers))))
    clock.start(f"Reading the rows of {where}", "read")
    sheet = table.load(proposal.header_row, every)
    clock.start(f"Checking and cleaning the values of {where}", "clean")
    raw = pd.DataFrame({name: sheet[pos] for name, pos in positions.items()})
    row_numbers = pd.Series(np.arange(len(raw)) + proposal.header_row + 2, index=raw.index)

    # Rows the reader could not split as the header says (a CSV row wider than its header):
    # rejected with their reason, never dropped as blank.
    malformed = pd.Series(sheet.attrs.get("row_reasons", {}), dtype="object")
    filled = _filled_counts(sheet)
    empty = filled == 0
    if len(malformed):
        empty &= ~sheet.index.isin(malformed.index)
    footer = (
        _footer_rows(sheet[~empty], filled[~empty]) if empty.any() else _footer_rows(sheet, filled)
    )
    del sheet
    if empty.any():  # boolean indexing copies every column: only when there is a row to drop
        raw, row_numbers = raw[~empty], row_numbers[~empty]
    report.rows_in = len(raw)
    if report.rows_in == 0:
        return _header_only(report, proposal)
    _check_values(report, raw, proposal)

    reasons = pd.Series(pd.NA, index=raw.index, dtype="object")
    reasons[footer] = "report footer or totals row"
    if len(malformed):
        reasons[malformed.index] = malformed.to_numpy()
    reasons[_repeated_header_rows(raw, proposal)] = "repeated header row"

    all_mh = ctx.all_mh or bool(profile and profile.all_mh)
    normalise = NORMALISERS[proposal.kind]
    # Footers and repeated headers are not records: left out of the values, they neither
    # appear in the notes ("1 values are not dates (e.g. 'Rcvd Dt/Tm')") nor sway a column.
    furniture = reasons.notna()
    records, row_reasons, notes = normalise(
        raw[~furniture] if furniture.any() else raw, report, ctx, all_mh
    )
    reasons = reasons.fillna(row_reasons)
    report.notes.extend(notes)

    bad = reasons.notna()
    rejected = _rejected_frame(raw[bad], row_numbers[bad], reasons[bad], proposal)
    if bad.any():
        records = records[~bad[records.index]]
    records = records.reset_index(drop=True)
    report.rows_loaded, report.rows_rejected = len(records), int(bad.sum())
    _check_accounting(report)
    clock.stop()
    return Loaded(report, records, rejected, proposal)


def _describe_mapping(
    report: SourceReport, table: Table, proposal: mp.Mapping, profile: Profile | None
) -> None:
    """What the load report says of the mapping: kind, header row, columns, dropped data."""
    report.kind = proposal.kind
    report.date1904 = table.date1904
    report.header_row = proposal.header_row + 1
    report.signature = proposal.signature
    report.profile = profile.name if profile else None
    report.personal_data_dropped = [h for h in proposal.headers if h and mp.is_personal_data(h)]
    report.repeated_headers = {h: [p + 1 for p in pos] for h, pos in proposal.duplicates.items()}
    for h, pos in report.repeated_headers.items():
        report.notes.append(
            f"The column name {h!r} appears {len(pos)} times (columns "
            f"{', '.join(map(str, pos))}); the first one is used."
        )
    report.mapping = proposal.as_sources()
    report.confidence = {n: m.confidence for n, m in proposal.matches.items()}
    if profile is None:  # a profile is a complete mapping: what it leaves out, it meant to
        samples = mp.column_samples(table.peek, proposal.header_row)
        report.suggestions = mp.suggestions(proposal, samples)


def _check_values(report: SourceReport, raw: pd.DataFrame, proposal: mp.Mapping) -> None:
    """Warn of mapped columns (automatic or chosen) whose values mostly do not fit their
    field, from a sample of each column."""
    kind = schema.KINDS[proposal.kind or ""]
    for name, m in proposal.matches.items():
        if name == "person_id":
            continue  # its values are never shown, not even as examples
        sentence = mp.misfit(kind.field(name), m.header, value_kinds.sample(raw[name]))
        if sentence:
            report.misfits.append(sentence)
    report.notes.extend(report.misfits)


def _check_accounting(report: SourceReport) -> None:
    """Every row in is loaded or rejected. An explicit check, not an assert: it must hold
    under `python -O` too."""
    if report.rows_in != report.rows_loaded + report.rows_rejected:
        raise RowAccountingError(
            f"{report.rows_in} rows in but {report.rows_loaded} loaded and "
            f"{report.rows_rejected} rejected."
        )


def _header_only(report: SourceReport, proposal: mp.Mapping) -> Loaded:
    """A header with no rows under it loads nothing: say so rather than report zeros."""
    report.note = (
        f"It has a header row (row {report.header_row}, read as {report.kind}) but no rows "
        "under it, so there is nothing to load; export the data again with its rows."
    )
    report.kind = None
    return Loaded(report, proposal=proposal)


def _propose(
    table: Table, ctx: Context, refused: list[str] | None = None
) -> tuple[mp.Mapping | None, Profile | None]:
    """A saved profile whose columns match this table wins over a fresh guess."""
    for profile in ctx.profiles:
        row = mp.locate_header(table.peek, profile.headers)
        if row is None:
            continue
        headers = [str(h or "").strip() for h in table.peek[row]]
        if mp.columns_signature(headers) != profile.signature:
            continue
        # A profile is a complete mapping: fields it leaves out stay unmapped.
        base = mp.Mapping(profile.kind, row, headers, {}, mp.duplicates(headers))
        return mp.apply_overrides(base, profile.overrides), profile
    return mp.propose(table.peek, rules=ctx.rules, refused=refused), None


def _no_records_note(table: Table) -> str:
    if not any(any(v for v in row) for row in table.peek):
        return "The sheet is empty."
    return (
        "No header row with recognisable columns (calls, training, roster or services) was "
        "found in the first rows; this sheet looks like notes or a summary table and was "
        "not loaded."
    )


def _filled_counts(sheet: pd.DataFrame) -> pd.Series:
    """How many cells of each row hold something."""
    filled = np.zeros(len(sheet), dtype=np.int32)
    for col in sheet:
        filled += (~values.blank(sheet[col])).to_numpy(dtype=np.int32)
    return pd.Series(filled, index=sheet.index)


def _footer_rows(raw: pd.DataFrame, filled: pd.Series) -> pd.Series:
    """A row whose first filled cell reads 'Total…', 'Records…', 'Page 3 of 9' and which
    fills at most two cells: report furniture, not a record."""
    candidate = filled <= 2
    if not candidate.any():
        return candidate
    first_text = raw[candidate].apply(
        lambda row: next((str(v) for v in row if pd.notna(v) and str(v).strip()), ""), axis=1
    )
    return candidate & first_text.reindex(raw.index, fill_value="").str.match(FOOTER)


def _repeated_header_rows(raw: pd.DataFrame, proposal: mp.Mapping) -> pd.Series:
    """Paged report exports repeat the header row on each page."""
    hits = np.zeros(len(raw), dtype=np.int32)
    for name, m in proposal.matches.items():
        col = raw[name]
        if col.dtype.kind in "biufcmM":
            continue
        header = m.header.strip()
        # A fixed-string search first (fast in Arrow); exact comparison on the few hits.
        near = col.astype("str").str.contains(header, regex=False).fillna(False).to_numpy(bool)
        if near.any():
            same = col[near].astype("str").str.strip() == header
            hits[np.flatnonzero(near)[same.fillna(False).to_numpy(bool)]] += 1
    return pd.Series(hits >= max(2, len(proposal.matches) // 2), index=raw.index)


def _rejected_frame(
    raw: pd.DataFrame, rows: pd.Series, reasons: pd.Series, proposal: mp.Mapping
) -> pd.DataFrame:
    out = pd.DataFrame({"row": rows.astype(int), "reason": reasons.astype("str")})
    for name, m in proposal.matches.items():
        if name == "person_id":
            continue  # never kept as written, not even among rejected rows
        out[m.header] = values.as_text(raw[name])
    return out.reset_index(drop=True)


# --- per-kind normalisation ------------------------------------------------------------


def _typed(
    raw: pd.DataFrame, kind: schema.Kind, report: SourceReport, ctx: Context, skip: set[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Each mapped column parsed by its field type (dates, flags, numbers, categories).

    Columns are independent, and most of the work runs in Arrow and NumPy with the GIL
    released, so two threads share it."""
    names = [n for n in raw.columns if n not in skip]
    with ThreadPoolExecutor(max_workers=PARSE_THREADS) as pool:
        parsed = list(pool.map(lambda n: _parse_column(raw[n], kind.field(n), report, ctx), names))
    out = pd.DataFrame({n: p[0] for n, p in zip(names, parsed, strict=True)}, index=raw.index)
    return out, [note for _, n in parsed for note in n]


def _parse_column(
    col: pd.Series, f: schema.Field, report: SourceReport, ctx: Context
) -> tuple[pd.Series, list[str]]:
    label = report.mapping[f.name]
    if f.type == schema.FLAG:
        return values.parse_flag(col, label)
    if f.type == schema.NUMBER:
        return values.parse_number(col, label)
    if f.name in AFTER_RECEIVED and value_kinds.time_only(col):
        # times of day, put on the received date once it is known (_on_received_day)
        return values.parse_time_of_day(col, label)
    if f.type == schema.DATETIME:
        return values.parse_datetime(col, label, report.date1904)
    if f.type == schema.CATEGORY:
        value, notes = values.clean_category(col)
        return value, [f"{label}: {x}" for x in notes]
    if f.type == schema.PERSON:
        return pseudonymise(col, ctx.key), []
    return values.as_text(col).astype("str"), []


def _normalise_calls(raw, report, ctx, all_mh):
    kind = schema.CALLS
    skip = {
        "received_at",
        "received_time",
        "received_year",
        "received_month",
        "received_day",
        "received_hour",
        "received_weekday",
    }
    out, notes = _typed(raw, kind, report, ctx, skip)
    reasons = pd.Series(pd.NA, index=raw.index, dtype="object")

    if "incident_id" in raw:  # already read as text by _typed
        reasons[out["incident_id"].isna()] = "no incident number"
    else:
        out["incident_id"] = "row-" + pd.Series(np.arange(len(raw)) + 1, index=raw.index).astype(
            "str"
        )
        notes.append("There is no incident number column: each row is counted as one call.")

    when, timed, n = _received_at(raw, report)
    notes.extend(n)
    out["received_at"] = when
    missing = when.isna()
    reasons[missing & reasons.isna()] = "no readable received date"
    out_of_range = ((when < EARLIEST) | (when > ctx.now + pd.Timedelta(days=1))).fillna(False)
    out_of_range &= reasons.isna()
    if out_of_range.any():
        reasons[out_of_range] = (
            "received date out of range (" + when[out_of_range].dt.strftime("%Y-%m-%d") + ")"
        )
    hour = None if timed is None else when.dt.hour.where(timed)
    out["hour"] = _part_or(raw, "received_hour", report, hour)
    out["weekday"] = _part_or(
        raw,
        "received_weekday",
        report,
        when.dt.day_of_week if "received_year" not in raw or "received_day" in raw else None,
    )
    for name in AFTER_RECEIVED:
        if name in out and out[name].dtype.kind == "m":
            out[name], note = _on_received_day(out[name], when, report.mapping[name])
            notes.append(note)
    _derive_call_fields(out, ctx, all_mh, notes)
    return out, reasons, notes


# Moments after the call was received: a column of times alone is dated by the call.
AFTER_RECEIVED = ("arrived_at", "cleared_at", "transferred_at")


def _on_received_day(clock: pd.Series, received: pd.Series, label: str) -> tuple[pd.Series, str]:
    """Times of day put on the received date, or the next day when earlier than the
    received time (the call ran past midnight)."""
    moment = received.dt.normalize() + clock
    next_day = (moment < received.dt.floor("min")).fillna(False)
    moment = moment.where(~next_day, moment + pd.Timedelta(days=1))
    n, later = values.count(int(clock.notna().sum())), int(next_day.sum())
    note = f"{label}: {n} times of day with no date, each put on its call's received date"
    if later:
        note += f" ({values.count(later)} past midnight, on the next day)"
    return moment.astype("datetime64[us]"), note + "."


def _received_at(raw: pd.DataFrame, report: SourceReport):
    """The received date-time from one column, a date plus a time, or year/month/day/hour,
    and where the time of day is known (None when the source has no times at all)."""
    notes: list[str] = []
    if "received_at" in raw:
        when, n = values.parse_datetime(
            raw["received_at"], report.mapping["received_at"], report.date1904
        )
        notes += n
        has_time = bool((when.dropna() != when.dropna().dt.normalize()).any())
        timed = when.notna() if has_time else None
        if "received_time" in raw:
            clock, n = values.parse_time_of_day(
                raw["received_time"], report.mapping["received_time"]
            )
            notes += n
            when = when.dt.normalize() + clock.fillna(pd.Timedelta(0))
            timed = clock.notna()  # a blank or unreadable time is not midnight
            notes.append(
                f"Date and time combined from {report.mapping['received_at']!r} and "
                f"{report.mapping['received_time']!r}."
            )
        return when.astype("datetime64[us]"), timed, notes
    parts = {}
    for part in ("year", "month", "day", "hour"):
        name = f"received_{part}"
        if name in raw:
            parts[part], n = values.parse_part(raw[name], part, report.mapping[name])
            notes += n
    year = parts.get("year")
    if year is None:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]"), None, notes
    frame = pd.DataFrame(
        {
            "year": year,
            "month": parts.get("month", pd.Series(1, index=raw.index)),
            "day": parts.get("day", pd.Series(1, index=raw.index)),
        }
    ).astype("float64")
    when = pd.to_datetime(frame, errors="coerce")
    if "hour" in parts:
        when = when + pd.to_timedelta(parts["hour"].astype("float64"), unit="h").fillna(
            pd.Timedelta(0)
        )
    used = [report.mapping[f"received_{p}"] for p in parts]
    precision = "day" if "day" in parts else "month" if "month" in parts else "year"
    report.date_precision = precision
    notes.append(
        f"Dates built from {', '.join(repr(u) for u in used)}"
        + ("" if precision == "day" else f" (to the {precision}; day set to the 1st)")
        + "."
    )
    timed = parts["hour"].notna() if "hour" in parts else None
    return when.astype("datetime64[us]"), timed, notes


def _part_or(raw, name, report, fallback):
    if name in raw:
        part = "hour" if name.endswith("hour") else "weekday"
        value, _ = values.parse_part(raw[name], part, report.mapping[name])
        return value.astype("Int8")
    if fallback is None:
        return pd.Series(pd.NA, index=raw.index, dtype="Int8")
    return fallback.astype("Int8")


# Ways a call is recognised as a mental-health call, in the order they are credited.
MH_ROUTES = ("final", "initial", "flag")
ROUTE_LABELS = {
    "final": "final call type",
    "initial": "initial call type",
    "flag": "the CAD's mental-health flag",
    "declared": "the declaration that every call in the file is a mental-health call",
}
HANDOFF_UNITS = ("mobile_crisis", "co_responder")


def _derive_call_fields(out: pd.DataFrame, ctx: Context, all_mh: bool, notes: list[str]) -> None:
    derive_call_fields(out, ctx.rules, all_mh, notes, ctx.mh_routes)


def derive_call_fields(
    out: pd.DataFrame,
    rules: Rules,
    declared: bool | pd.Series = False,
    notes: list[str] | None = None,
    routes: tuple[str, ...] = MH_ROUTES,
) -> None:
    """MH flag and route, disposition group and the per-row outcome flags the metrics count.

    Unknown is not no: every derived flag is NA where its sources are blank (Kleene logic,
    values.any_of). Also used to re-apply edited rules to stored call rows, where
    `declared` marks the rows of files declared "every call is MH"."""
    notes = notes if notes is not None else []
    _derive_mh(out, rules, declared, notes, routes)
    _derive_outcomes(out, rules)


def _type_flag(rules: Rules, types: pd.Series) -> pd.Series:
    """MH by a call-type column: NA where the type is blank (unknown, not "not MH")."""
    return rules.mh_flag(types).astype("boolean").where(types.notna())


def _derive_mh(out, rules, declared, notes, routes) -> None:
    by: dict[str, pd.Series] = {}
    if "call_type_final" in out:
        by["final"] = _type_flag(rules, out["call_type_final"])
    if "call_type_initial" in out:
        by["initial"] = _type_flag(rules, out["call_type_initial"])
        out["mh_at_dispatch"] = by["initial"]
    if "mh_flag" in out:
        by["flag"] = out["mh_flag"].astype("boolean")
    used = [r for r in routes if r in by]
    route = pd.Series(pd.NA, index=out.index, dtype="object")
    mh = values.any_of([by[r] for r in used])
    if mh is None:
        mh = pd.Series(pd.NA, index=out.index, dtype="boolean")
    for r in reversed(used):  # the first route that says yes is credited
        route = route.mask(by[r].fillna(False).to_numpy(bool), r)
    decl = pd.Series(declared, index=out.index, dtype=bool)
    if decl.any():
        mh = mh.mask(decl.to_numpy(), True)
        route = route.mask(decl.to_numpy(), "declared")
    out["mh"] = mh.astype("boolean")
    out["mh_route"] = pd.Categorical(route, categories=[*MH_ROUTES, "declared"])
    counts = out["mh_route"].value_counts()
    parts = [f"{int(counts[r]):,} by {ROUTE_LABELS[r]}" for r in counts.index if counts[r]]
    if parts:
        notes.append("Mental-health calls identified: " + ", ".join(parts) + ".")
    unused = [ROUTE_LABELS[r] for r in by if r not in used]
    if unused:
        notes.append(
            "Not used to identify mental-health calls (a setting): " + ", ".join(unused) + "."
        )


def _from_group(group: pd.Series, name: str) -> pd.Series:
    """Row is in the disposition group; NA where the disposition is blank."""
    return (group == name).astype("boolean").where(group.notna())


OUTCOME_TEXT = {
    "dispositions": "disposition",
    "destinations": "transport_destination",
    "responders": "responder_type",
}


def _derive_outcomes(out: pd.DataFrame, rules: Rules) -> None:
    # Abbreviations the tables do not list, read where unambiguous (never call types, so
    # the MH-call flag is what the full words decide).
    rules = rules.reading({k: out[c] for k, c in OUTCOME_TEXT.items() if c in out})
    group = None
    if "disposition" in out:
        group = out["disposition_group"] = rules.disposition_group(out["disposition"])
    for name, flag, grp in (
        ("is_arrest", "arrest", "arrest"),
        ("is_involuntary", "involuntary_hold", "involuntary"),
    ):
        parts = [out[flag].astype("boolean")] if flag in out else []
        if group is not None:
            parts.append(_from_group(group, grp))
        if parts:
            out[name] = values.any_of(parts)
    _units(out, rules)
    components = _components(out, rules, group)
    for name, value in components.items():
        out[f"conn_{name}"] = value
    if components:
        out["conn_any"] = values.any_of(list(components.values()))
    if "cit_arrived" in out:
        out["cit_on_scene"] = out["cit_arrived"].astype("boolean")
    elif "unit_cit" in out:
        out["cit_on_scene"] = out["unit_cit"]


def _units(out: pd.DataFrame, rules: Rules) -> None:
    """One flag per responder type (unit_mobile_crisis, unit_cit...): NA where blank."""
    if "responder_type" not in out:
        return
    cls = rules.responder_class(out["responder_type"])
    for c in RESPONDERS:
        out[f"unit_{c}"] = (cls == c).astype("boolean").where(cls.notna())


def _components(out: pd.DataFrame, rules: Rules, group: pd.Series | None) -> dict:
    """The components of a connection to resources, each a Kleene flag per row.

    A disposition is the base: a blank one leaves the row unknown unless another source says
    yes. Destinations and units only add yeses (a blank destination is no transport)."""
    transport, handoff, referral, shelter = [], [], None, None
    if group is not None:
        dispo = out["disposition"]
        conn = _from_group(group, "connection")
        read = conn | _from_group(group, "involuntary")  # a hold's transport is kept apart
        hits = {c: rules.component_hits(dispo, c) for c in COMPONENTS}
        # "Shelter transport" also matches TRANSPORT*: a shelter is not treatment
        shelter = read & hits["shelter"]
        transport.append(read & hits["transport"] & ~hits["shelter"])
        handoff.append(read & hits["handoff"])
        # a connection disposition matching no component row is a referral
        other = hits["transport"] | hits["handoff"] | hits["shelter"]
        referral = conn & (hits["referral"] | ~other)
    if "transport_destination" in out:
        dest = rules.destination_class(out["transport_destination"])
        transport.append((dest == "treatment").astype("boolean").fillna(False))
    if "responder_type" in out:
        unit = out[[f"unit_{c}" for c in HANDOFF_UNITS]].fillna(False).any(axis=1)
        handoff.append(unit.astype("boolean"))
    if "mobile_crisis" in out:
        handoff.append(out["mobile_crisis"].astype("boolean"))
    found = {"referral": referral, "transport": values.any_of(transport), "shelter": shelter}
    found["handoff"] = values.any_of(handoff)
    return {k: v for k, v in found.items() if v is not None}


def _normalise_training(raw, report, ctx, all_mh):
    out, notes = _typed(raw, schema.TRAINING, report, ctx, {"completed_on"})
    reasons = pd.Series(pd.NA, index=raw.index, dtype="object")
    out["officer_id"] = values.as_text(raw["officer_id"]).astype("str")
    when, n = values.parse_datetime(
        raw["completed_on"], report.mapping["completed_on"], report.date1904
    )
    notes += n
    out["completed_on"] = when
    reasons[out["officer_id"].isna()] = "no officer id"
    reasons[when.isna() & reasons.isna()] = "no readable completion date"
    reasons[out["course"].isna() & reasons.isna()] = "no course name"
    if "course_type" in out:
        given = ctx.rules.course_type(out["course_type"].astype("str"))
        derived = ctx.rules.course_type(out["course"].astype("str"))
        out["course_type"] = given.where(given != "other", derived)
    else:
        out["course_type"] = ctx.rules.course_type(out["course"].astype("str"))
        notes.append("Course types derived from course names by the course rules.")
    if "status" in out:
        status = out["status"].astype("str").str.casefold()
        out["completed"] = ~status.str.contains(
            r"incomplete|no.?show|fail|cancel|withdr|absent|"
            r"enrolled|scheduled|registered|not",
            regex=True,
        ).fillna(False)
    else:
        out["completed"] = True
    return out, reasons, notes


def _normalise_roster(raw, report, ctx, all_mh):
    out, notes = _typed(raw, schema.ROSTER, report, ctx, {"active"})
    reasons = pd.Series(pd.NA, index=raw.index, dtype="object")
    out["officer_id"] = values.as_text(raw["officer_id"]).astype("str")
    reasons[out["officer_id"].isna()] = "no officer id"
    dup = out["officer_id"].duplicated(keep="first") & out["officer_id"].notna()
    reasons[dup & reasons.isna()] = "officer id listed twice (the first row is used)"
    if "active" in raw:
        text = values.as_text(raw["active"]).str.casefold()
        inactive = text.str.contains(
            r"inactive|separat|retir|terminat|resign|former|leave|"
            r"^n$|^no$|^0$|false",
            regex=True,
        ).fillna(False)
        out["active"] = ~inactive
    else:
        out["active"] = True
    groups = role_group(out.get("role"), out.get("rank"), ctx.rules)
    if groups is not None:
        out["role_group"] = groups
    return out, reasons, notes


def role_group(
    role: pd.Series | None, rank: pd.Series | None, rules: Rules | None = None
) -> pd.Series | None:
    """patrol / supervisor / command / dispatcher / specialist / civilian / other from role
    and rank text, by the roster-role rules (rank decides for supervisors and command)."""
    return (rules or _default_rules()).role_group(role, rank)


def _normalise_services(raw, report, ctx, all_mh):
    out, notes = _typed(raw, schema.SERVICES, report, ctx, set())
    reasons = pd.Series(pd.NA, index=raw.index, dtype="object")
    reasons[out["name"].isna()] = "no service name"
    out["service_group"] = service_group(out["type"], ctx.rules) if "type" in out else "other"
    hours = out.get("hours")
    if hours is not None:
        out["always_open"] = (
            hours.astype("str")
            .str.contains(r"24\s*/\s*7|24\s*hours?|24x7|always|around the clock", case=False)
            .fillna(False)
        )
    return out, reasons, notes


SERVICE_LABELS = rules_mod.SERVICE_LABELS


def service_group(types: pd.Series, rules: Rules | None = None) -> pd.Series:
    """The service group of each type, by the service-type rules."""
    return (rules or _default_rules()).service_group(types)


@functools.cache
def _default_rules() -> Rules:
    return rules_mod.load_rules()


NORMALISERS = {
    "calls": _normalise_calls,
    "training": _normalise_training,
    "roster": _normalise_roster,
    "services": _normalise_services,
}
