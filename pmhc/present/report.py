"""The meeting pack: for one dataset, filters and period, the pages' own `View` objects
(one computation path) laid out as a printable, self-contained HTML report, a PDF
(WeasyPrint) and an Excel workbook with the numbers behind every chart.

A partner pack is built from `partner_views` alone: what the partner view of the pages
shows, with no sources, actions or record-level tables."""

from __future__ import annotations

import base64
import html
import re
import textwrap
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from pmhc.analysis import periods
from pmhc.analysis.filters import LABELS, Filters
from pmhc.analysis.released import Released, Selection
from pmhc.domain import checklist
from pmhc.present import excel, labels, numbers, partner, views
from pmhc.present.charts import Figure
from pmhc.present.guidance import PAGES
from pmhc.storage import settings as store

IMAGE_WIDTH = 640  # px of plot width in the static chart images
TITLE_CHARS = 70  # characters a line of a chart title in the images
MAX_TABLE_ROWS = 40  # longer tables are cut in the printed pack (the Excel pack has them)
OPEN_STATUSES = ("Not started", "In progress")
SUMMARY_ACTIONS = 5  # actions on the summary page; the meeting section lists them all
NUMBER = re.compile(r"[-+]?[\d,.]+(%| pts)?")  # right-aligned in the pack's tables


@dataclass
class Section:
    key: str
    heading: str
    view: views.View


@dataclass
class Pack:
    agency: str
    audience: str
    period: str
    filters: list[str]
    compared: str  # what the key figures' change is against, in words ("" if nothing)
    sources: list[dict]
    sections: list[Section]
    self_assessment: pd.DataFrame
    actions: pd.DataFrame = field(default_factory=pd.DataFrame)
    meetings: pd.DataFrame = field(default_factory=pd.DataFrame)
    made: date = field(default_factory=date.today)
    in_short: str = ""  # the partner view's plain-language summary of the shown figures

    @property
    def review(self) -> views.View | None:
        return next((s.view for s in self.sections if s.key == "review"), None)


def review_options(values: dict, control: str | None = None) -> dict:
    """The Review page's options as the page passes them: saved targets, and the control
    chart's outcome as the page chose it (`control`, an outcome key; None: the page's
    default, the first outcome the data have, `metrics.control_outcome`)."""
    targets = tuple(sorted((values.get("targets") or {}).items()))
    return {"outcome_key": control, "targets": targets}


def scope_for(ds, f: Filters, values: dict, answers: dict) -> views.Scope:
    """The staff pages' scope: every audience but partners sees the same figures."""
    return views.Scope(
        ds,
        f,
        store.programme_start(values),
        answers,
        holds_as_connection=bool(values.get("holds_as_connection")),
        handoff_needs_contact=store.definitions(values)[1],
        shelter_as_treatment=store.definitions(values)[2],
        data_end=store.data_end(values),
        targets=dict(values.get("targets") or {}),
        milestones=store.milestones(values),
    )


def page_views(scope: views.Scope, values: dict, control: str | None = None) -> list[Section]:
    """Each page's view, computed exactly as the page computes it."""
    out = []
    for page in PAGES:
        options = review_options(values, control) if page.key == "review" else {}
        prefix = f"Question {page.question}: " if page.question else ""
        out.append(Section(page.key, prefix + page.title, views.PAGES[page.key](scope, **options)))
    return out


def partner_views(release, selection, control: str | None = None) -> list[Section]:
    """What a partner may see: each page of the partner release (the allow-list of
    suppressed aggregates), as the partner pages draw it. Nothing else reaches the pack."""
    if release is None:
        return []
    out = []
    for page in PAGES:
        prefix = f"Question {page.question}: " if page.question else ""
        options = {"outcome_key": control} if page.key == "review" else {}
        view = partner.page_view(release, page.key, selection, **options)
        out.append(Section(page.key, prefix + page.title, view))
    return out


def partner_answers(release) -> pd.DataFrame:
    """The self-assessment as the release holds it (notes only where the analyst shared)."""
    rows = [
        {
            "question": q["number"],
            "item": i["id"],
            "text": i["text"],
            "answer": i["answer"],
            "note": i["note"],
        }
        for q in (release.meta.get("checklist", []) if release is not None else [])
        for i in q["items"]
    ]
    return pd.DataFrame(rows)


def build(
    ds,
    f: Filters,
    values: dict,
    answers: dict,
    actions: pd.DataFrame,
    audience: str = "internal",
    meetings: pd.DataFrame | None = None,
    release=None,
    selection: Selection | None = None,
    control: str | None = None,
) -> Pack:
    """The pack for staff from the dataset; for partners from the release alone (the
    dataset, settings and actions are not read then)."""
    if audience == "partner":
        return partner_pack(release, selection or Selection(), values, control)
    scope = scope_for(ds, f, values, answers)
    return Pack(
        agency=str(values.get("agency") or ds.label),
        audience=audience,
        period=period_text(scope),
        compared=compared_text(scope),
        filters=filter_lines(f),
        sources=source_rows(ds),
        sections=page_views(scope, values, control),
        self_assessment=checklist.answers_frame(answers),
        actions=open_actions(actions),
        meetings=pd.DataFrame() if meetings is None else meetings,
    )


def partner_pack(release, selection: Selection, values: dict, control: str | None = None) -> Pack:
    shared = release.tables.get("actions") if release is not None else None
    sections = partner_views(release, selection, control)
    overview = next((s.view for s in sections if s.key == "overview"), None)
    rel = Released(release) if release is not None else None
    return Pack(
        agency=str(values.get("agency") or "Partner release"),
        audience="partner",
        period=partner.period_words(rel, selection) if rel else "Nothing is published yet",
        compared="",
        filters=[f"Partner choice: {selection.text()}"],
        sources=[],
        sections=sections,
        self_assessment=partner_answers(release),
        actions=shared if shared is not None else pd.DataFrame(),
        in_short=partner.summary(overview, rel, selection) if rel and overview else "",
    )


def period_text(scope: views.Scope) -> str:
    """The calls' period and the key figures' window, in words (a handout is read away
    from the app, so no abbreviations)."""
    mh = scope.mh
    if mh is None or mh.empty:
        return "No calls in the selected period"
    first = mh["received_at"].min()
    last = periods.known_end(mh["received_at"].max(), scope.precision)
    text = f"Calls from {numbers.span_words(first, last)}"
    w = scope.window
    if w is not None:
        text += f". Key figures: {numbers.span_words(w.start, w.end)}"
        compared = compared_text(scope)
        text += f", compared with {compared}" if compared else f" ({w.missing or 'no comparison'})"
    return text


def compared_text(scope: views.Scope) -> str:
    w = scope.window if scope.mh is not None and not scope.mh.empty else None
    return numbers.span_words(*w.before) if w is not None and w.before is not None else ""


def filter_lines(f: Filters) -> list[str]:
    lines = [f"{LABELS[k]}: {', '.join(v)}" for k, v in f.selections().items() if v]
    return lines or ["None: every district, time, shift, call type and responder"]


def source_rows(ds) -> list[dict]:
    return [
        {
            "file": r.path.rsplit("/", 1)[-1],
            "sheet": r.sheet or "",
            "kind": r.kind or "not loaded",
            "rows in": r.rows_in,
            "loaded": r.rows_loaded,
            "rejected": r.rows_rejected,
        }
        for r in ds.reports
    ]


def open_actions(actions: pd.DataFrame, today: date | None = None) -> pd.DataFrame:
    """Actions not done or dropped, overdue ones first."""
    if actions is None or actions.empty:
        return pd.DataFrame(columns=[*store.ACTION_COLUMNS, "overdue"])
    today = today or date.today()
    live = actions[actions["status"].isin(OPEN_STATUSES) | actions["status"].isna()].copy()
    live["overdue"] = live["due"].map(lambda d: "overdue" if pd.notna(d) and d < today else "")
    live = live.sort_values(["overdue", "due"], ascending=[False, True], na_position="last")
    return live.reindex(columns=[*store.ACTION_COLUMNS, "overdue"])


def control_signals(view: views.View | None) -> pd.DataFrame:
    """Months of the control chart outside its limits."""
    fig = view.chart("control_chart") if view else None
    if fig is None or "signal" not in fig.data:
        return pd.DataFrame()
    out = fig.data[fig.data["signal"].isin(["Outside limits", "Run rule"])]
    months = pd.to_datetime(out["month"], errors="coerce")
    out = out.assign(month=months.dt.strftime("%b %Y").fillna(out["month"].astype(str)))
    return out.reindex(columns=["month", "rate", "centre", "lcl", "ucl", "signal"])


def month_runs(months: list[pd.Timestamp]) -> str:
    """'Aug 2024, Oct 2024 to Dec 2025': consecutive months as one run."""
    runs: list[list[pd.Timestamp]] = []
    for m in sorted(months):
        if runs and (m.year - runs[-1][-1].year) * 12 + m.month - runs[-1][-1].month == 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return ", ".join(
        f"{r[0]:%b %Y}" if len(r) == 1 else f"{r[0]:%b %Y} to {r[-1]:%b %Y}" for r in runs
    )


def share(column: pd.Series) -> pd.Series:
    """Shares as numbers, from numbers or from text such as '46.3%' (a hidden one: NaN)."""
    if pd.api.types.is_numeric_dtype(column):
        return column
    return pd.to_numeric(column.astype(str).str.rstrip("%"), errors="coerce") / 100


def signal_lines(view: views.View | None) -> list[str]:
    """The control chart's signals in sentences: its takeaway, then which months were above
    the upper limit, below the lower one, or broke a run rule."""
    fig = view.chart("control_chart") if view else None
    if fig is None or fig.empty or "signal" not in fig.data:
        return []
    data = fig.data.assign(month=pd.to_datetime(fig.data["month"], errors="coerce"))
    for column in ("rate", "centre", "lcl", "ucl"):  # the partner chart's numbers are text
        data[column] = share(data[column])
    lines = [fig.title + "."]
    outside = data["signal"] == "Outside limits"
    above = data[outside & (data["rate"] > data["ucl"])]
    below = data[outside & (data["rate"] < data["lcl"])]
    runs = data[data["signal"] == "Run rule"]
    for frame, what in ((above, "Above the upper limit"), (below, "Below the lower limit")):
        if len(frame):
            n = len(frame)
            lines.append(f"{what} ({n} month{'s' * (n != 1)}): {month_runs(list(frame['month']))}.")
    if len(runs):
        lines.append(f"Breaking a run rule: {month_runs(list(runs['month']))}.")
    last = data.dropna(subset=["rate"]).tail(1)
    if len(last):
        row = last.iloc[0]
        lines.append(
            f"Latest month, {row['month']:%B %Y}: {numbers.pct(row['rate'])} against a centre "
            f"line of {numbers.pct(row['centre'])}."
        )
    return lines


def answered_items(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The self-assessment on paper: the answered items (item, statement, answer, note)
    and how many are not answered."""
    if frame is None or frame.empty:
        return pd.DataFrame(), 0
    done = frame[frame["answer"].isin(checklist.ANSWERS)]
    table = pd.DataFrame(
        {
            "Item": done["item"].astype(str),
            "Statement": done["text"],
            "Answer": done["answer"],
            "Note": done["note"].fillna("") if "note" in done else "",
        }
    )
    return table, len(frame) - len(done)


def self_assessment_line(frame: pd.DataFrame) -> str:
    answered, unanswered = answered_items(frame)
    total = len(answered) + unanswered
    if not total:
        return "The self-assessment is not shared."
    if answered.empty:
        return f"None of the {total} self-assessment items is answered yet."
    counts = answered["Answer"].value_counts()
    tally = ", ".join(f"{counts[a]} {a}" for a in checklist.ANSWERS if a in counts)
    rest = f"; {unanswered} not answered yet" if unanswered else ""
    return f"{len(answered)} of {total} self-assessment items answered ({tally}){rest}."


# Instructions for someone at the screen: a handout has no buttons, sidebar or uploads.
INSTRUCTION = re.compile(
    r"\b(click\w*|select|choose|upload\w*|sidebar|button\w*|tick|drag|answer the|set the"
    r"|open the|go to|data page|question's page)\b",
    re.IGNORECASE,
)
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def on_paper(text: str) -> str:
    """A page's note for paper: what it states, without what it tells a user to do (a
    clause after a colon, a parenthesis or a whole sentence that is an instruction)."""
    text = re.sub(r"\s*\([^()]*\)", lambda m: "" if INSTRUCTION.search(m[0]) else m[0], text)
    kept = []
    for sentence in SENTENCE.split(text.replace("**", "")):
        if not INSTRUCTION.search(sentence):
            kept.append(sentence)
        elif ":" in sentence and not INSTRUCTION.search(sentence.split(":", 1)[0]):
            kept.append(sentence.split(":", 1)[0].rstrip() + ".")
    return " ".join(kept).strip()


# --- charts as images ---------------------------------------------------------------------


def static_spec(fig: Figure) -> dict:
    """The chart's Vega-Lite spec at a fixed width, its title broken into plain lines (the
    page's title wraps by a width expression, which an image renderer lays out too late)."""
    spec = fig.chart.to_dict()
    spec["width"] = IMAGE_WIDTH
    spec["autosize"] = {"type": "pad", "contains": "padding"}
    spec.pop("usermeta", None)
    title = spec.get("title")
    if isinstance(title, dict):
        title["text"] = textwrap.wrap(fig.title, TITLE_CHARS) or [fig.title]
    return spec


def static_description(fig: Figure) -> str:
    return str(fig.chart.to_dict().get("description") or fig.alt)


def chart_png(fig: Figure) -> bytes:
    import vl_convert  # imported when a pack is made, not when the app starts

    return vl_convert.vegalite_to_png(static_spec(fig), scale=2)


# --- HTML ---------------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10.5pt;
       color: #1a1a1a; max-width: 190mm; margin: 0 auto; }
h1 { font-size: 22pt; margin: 0 0 4mm; }
h2 { font-size: 15pt; margin: 8mm 0 3mm; border-bottom: 2px solid #0072B2;
     break-after: avoid; }
h3 { font-size: 12pt; margin: 5mm 0 2mm; break-after: avoid; }
section.page { break-before: page; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; font-size: 9pt; }
th, td { border: 1px solid #bbb; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
th { background: #0072B2; color: #fff; }
td.num { text-align: right; }
tr { break-inside: avoid; }
figure { margin: 3mm 0 5mm; break-inside: avoid; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 9pt; color: #444; }
.note { background: #fff4d6; padding: 2mm 3mm; }
.summary h1 { font-size: 18pt; margin: 0 0 2mm; }
.summary h2 { font-size: 12.5pt; margin: 5mm 0 1.5mm; }
.summary p.meta { margin: 0.5mm 0; }
.summary table { margin: 1mm 0 2mm; }
* { word-break: normal; overflow-wrap: normal; hyphens: manual; }
"""


def esc(value) -> str:
    return html.escape("" if value is None or value is pd.NA else str(value))


def cell_text(value, fmt: str | None) -> str:
    """A table cell as the pages write it: shares as %, months as 'Mar 2026', whole
    numbers with thousands separators; a dash when there is no value, as the pages show
    it (an action without a due date is NaT, a date to isinstance with no day to write)."""
    missing = value is None or value is pd.NA or value is pd.NaT
    if missing or (isinstance(value, float | np.floating) and pd.isna(value)):
        return labels.MISSING
    if fmt == "percent":
        return numbers.pct(float(value))
    if fmt in ("month", "date") and isinstance(value, pd.Timestamp):
        return f"{value:%b %Y}" if fmt == "month" else f"{value:%-d %b %Y}"
    if isinstance(value, date):
        return f"{value:%-d %b %Y}"
    # Rows arrive from frames as NumPy scalars: np.bool_, np.int64 and np.float32 are not
    # bool, int and float.
    if isinstance(value, bool | np.bool_):
        return "Yes" if value else "No"
    if isinstance(value, float | np.floating):
        value = float(value)
        return f"{value:,.0f}" if value == round(value) else f"{value:,.1f}"
    if isinstance(value, int | np.integer):
        return f"{value:,}"
    return str(value)


def table_html(frame: pd.DataFrame, limit: int = MAX_TABLE_ROWS, more: str = "") -> str:
    """A table in people's words (headings and codes as words, shares as %); longer than
    `limit` rows, cut with a line saying where the rest is."""
    if frame is None or frame.empty:
        return "<p>None.</p>"
    frame = labels.readable(frame)
    formats = labels.column_formats(frame)
    head = "".join(f"<th>{esc(formats[str(c)][0])}</th>" for c in frame.columns)
    rows = []
    for row in frame.head(limit).itertuples(index=False):
        cells = []
        for c, v in zip(frame.columns, row, strict=True):
            text = cell_text(v, formats[str(c)][1])
            klass = ' class="num"' if NUMBER.fullmatch(text) else ""
            cells.append(f"<td{klass}>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    rest = len(frame) - limit
    tail = f"<p>… and {rest:,} more rows{more or ' (in the Excel pack)'}.</p>" if rest > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{tail}"


def figures_html(view: views.View, compared: str = "") -> str:
    if not view.figures:
        return ""
    change = f"Change against {compared}" if compared else "Change"
    frame = pd.DataFrame(
        [{"Key figure": f.label, "Value": f.value, change: f.delta or ""} for f in view.figures]
    )
    if not any(f.delta for f in view.figures):  # partners' figures have no change
        frame = frame.drop(columns=change)
    return table_html(frame)


def chart_html(fig: Figure) -> str:
    if fig.empty:
        return f"<h3>{esc(fig.alt)}</h3><p>{esc(on_paper(fig.empty))}</p>"
    data = base64.b64encode(chart_png(fig)).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(static_description(fig))}">'
        f"<figcaption>{esc(fig.alt)}</figcaption></figure>"
    )


def notes_html(texts: list[str], tag: str = "p") -> str:
    kept = [t for t in (on_paper(x) for x in texts) if t]
    if tag == "li":
        return "".join(f"<li>{esc(t)}</li>" for t in kept)
    return "".join(f'<p class="note">{esc(t)}</p>' for t in kept)


def section_html(section: Section) -> str:
    v = section.view
    parts = [f'<section class="page"><h2>{esc(section.heading)}</h2>', notes_html(v.notes)]
    parts.append(figures_html(v))
    parts += [chart_html(fig) for fig in v.charts]
    for name, frame in v.tables.items():
        parts.append(f"<h3>{esc(name)}</h3>{table_html(frame)}")
    if v.missing:
        parts.append(f"<h3>Not in the data yet</h3><ul>{notes_html(v.missing, 'li')}</ul>")
    parts.append("</section>")
    return "".join(parts)


def summary_html(pack: Pack) -> str:
    """The first page, a handout on its own: period, headline figures with their change,
    the control chart's signals, targets, open actions and the self-assessment in a line."""
    parts = [
        '<section class="summary">',
        f"<h1>{esc(pack.agency)}: review meeting pack</h1>",
        f'<p class="meta"><strong>Period.</strong> {esc(pack.period)}.</p>',
        f'<p class="meta"><strong>Filters.</strong> {esc("; ".join(pack.filters))}.</p>',
        f'<p class="meta"><strong>Made.</strong> {pack.made.day} {pack.made:%B %Y}.</p>',
    ]
    if pack.audience == "partner":
        parts.append(
            '<p class="meta"><strong>Partner pack: counts from 1 to 10 are hidden.</strong></p>'
        )
    if pack.in_short:
        parts.append(f"<p><strong>In short.</strong> {esc(pack.in_short)}</p>")
    overview = next((s.view for s in pack.sections if s.key == "overview"), None)
    if overview and overview.figures:
        parts += ["<h2>Headline figures</h2>", figures_html(overview, pack.compared)]
    signals = signal_lines(pack.review)
    if signals:
        items = "".join(f"<li>{esc(line)}</li>" for line in signals)
        parts += ["<h2>Signals from the control chart</h2>", f"<ul>{items}</ul>"]
    targets = pack.review.tables.get("Targets and actuals") if pack.review else None
    if targets is not None:
        parts += ["<h2>Targets</h2>", table_html(targets)]
    shared = " shared with partners" if pack.audience == "partner" else ""
    parts.append(f"<h2>Open actions{shared}</h2>")
    parts.append(
        table_html(summary_actions(pack.actions), SUMMARY_ACTIONS, " (all in the meeting section)")
    )
    line = esc(self_assessment_line(pack.self_assessment))
    parts.append(f"<p><strong>Self-assessment.</strong> {line}</p>")
    parts.append("</section>")
    return "".join(parts)


def summary_actions(actions: pd.DataFrame) -> pd.DataFrame:
    if actions is None or actions.empty:
        return pd.DataFrame()
    keep = [c for c in ("recommendation", "owner", "due", "status", "overdue") if c in actions]
    return actions[keep]


def meeting_html(pack: Pack) -> str:
    review = pack.review
    targets = review.tables.get("Targets and actuals") if review else None
    parts = ['<section class="page"><h2>For the meeting</h2>', "<h3>Targets against actuals</h3>"]
    parts.append(table_html(targets) if targets is not None else "<p>No targets set.</p>")
    parts.append("<h3>Control-chart signals</h3>")
    signals = control_signals(review)
    parts.append(
        table_html(signals) if not signals.empty else "<p>Every month within the limits.</p>"
    )
    if pack.audience == "partner":
        parts += ["<h3>Actions shared with partners</h3>", table_html(pack.actions)]
    else:
        parts += ["<h3>Open and overdue actions</h3>", table_html(summary_actions(pack.actions))]
        parts += ["<h3>Review meetings</h3>", table_html(pack.meetings)]
    answered, _ = answered_items(pack.self_assessment)
    parts.append("<h3>Self-assessment</h3>")
    if not answered.empty:
        parts.append(table_html(answered, limit=200))
    parts.append(f"<p>{esc(self_assessment_line(pack.self_assessment))}</p></section>")
    return "".join(parts)


def sources_html(pack: Pack) -> str:
    if not pack.sources:
        return ""
    return (
        '<section class="page"><h2>About the data: sources and row accounting</h2>'
        + table_html(pd.DataFrame(pack.sources))
        + "</section>"
    )


def to_html(pack: Pack) -> str:
    body = (
        summary_html(pack)
        + "".join(section_html(s) for s in pack.sections)
        + meeting_html(pack)
        + sources_html(pack)
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(pack.agency)}: review meeting pack</title><style>{CSS}</style>"
        f"</head><body>{body}</body></html>"
    )


def to_pdf(pack: Pack) -> bytes:
    import weasyprint  # needs Pango; imported only when a PDF is asked for
    from weasyprint.urls import URLFetcher

    # Self-contained: WeasyPrint may read the pack's data: images and nothing else.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=to_html(pack), url_fetcher=fetcher).write_pdf()


def to_xlsx(pack: Pack) -> bytes:
    """One sheet per page: its key figures, then the numbers behind each chart and table."""
    sheets: dict[str, list[tuple[str, pd.DataFrame]]] = {
        "Cover": [
            ("Meeting pack", pd.DataFrame({"": [pack.agency, pack.period, *pack.filters]})),
            ("Sources", pd.DataFrame(pack.sources)),
        ]
    }
    for s in pack.sections:
        blocks = []
        if s.view.figures:
            blocks.append(
                (
                    "Key figures",
                    pd.DataFrame(
                        [
                            {"figure": f.label, "value": f.value, "change": f.delta}
                            for f in s.view.figures
                        ]
                    ),
                )
            )
        blocks += [(fig.title, fig.data) for fig in s.view.charts]
        blocks += list(s.view.tables.items())
        sheets[s.heading.split(":")[0]] = blocks
    sheets["Meeting"] = [
        ("Control-chart signals", control_signals(pack.review)),
        ("Self-assessment", pack.self_assessment),
    ]
    if pack.audience == "partner":
        sheets["Meeting"].insert(0, ("Actions shared with partners", pack.actions))
    else:
        sheets["Meeting"][:0] = [
            ("Open and overdue actions", pack.actions),
            ("Review meetings", pack.meetings),
        ]
    return excel.blocks_workbook(sheets, title=f"{pack.agency}: review meeting pack")


WRITERS = {".html": lambda p: to_html(p).encode("utf-8"), ".pdf": to_pdf, ".xlsx": to_xlsx}
