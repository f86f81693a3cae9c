"""The parts of docs/indicators.md written from the indicator registry
(`pmhc.analysis.indicators`): the outcome table, the rate cards and one reference entry per
indicator. Between `<!-- generated: NAME -->` and `<!-- end generated -->` the file is
this module's output; `python -m tools.write_indicators` rewrites it, and a test fails when
the checked-in file differs."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from pmhc.analysis import indicators
from pmhc.analysis.indicators import Indicator
from pmhc.present.guidance import PAGES

DOC = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"
BLOCK = re.compile(
    r"(?P<open><!-- generated: (?P<name>[\w-]+) -->\n).*?(?P<close><!-- end generated -->)",
    re.S,
)
TREND_NAMES = {
    "overview_outcomes": "Outcome trend (Overview)",
    "outcome_trend": "Outcome trend (5 Data & outcomes)",
}


def page_names(entry: Indicator) -> str:
    names = {
        p.key: (f"{p.question} {p.nav.split(' · ')[-1]}" if p.question else p.nav) for p in PAGES
    }
    return ", ".join(names[p] for p in entry.pages) or "—"


def _direction(entry: Indicator) -> str:
    return {True: "higher", False: "lower", None: "neither"}[entry.higher_is_better]


def outcome_table() -> str:
    rows = [
        '| Outcome (label; card) | An incident counts when | Base ("of N MH calls with …") |',
        "|---|---|---|",
    ]
    for o in indicators.outcomes():
        rows.append(f'| {o.label}; "{o.card}" | {o.numerator} | {o.base} |')
    return "\n".join(rows)


def rate_cards() -> str:
    rows = [
        "| Card | Figure | Pages | CLI key | Partners |",
        "|---|---|---|---|---|",
    ]
    for o in indicators.all_indicators():
        cli = f"`{o.key}_rate`" if o.outcome else "—"
        rows.append(
            f"| {o.card} | {o.label} | {page_names(o)} | {cli} | {'yes' if o.partner else 'no'} |"
        )
    return "\n".join(rows)


def reference() -> str:
    return "\n\n".join(_entry(o) for o in indicators.all_indicators())


def _entry(o: Indicator) -> str:
    twins = "; ".join(
        f"`{t.figure}` is the same count when the data have no `{t.unless}` column" for t in o.twins
    )
    lines = [
        f"#### {o.label} (`{o.key}`)",
        "",
        f'- Card: "{o.card}"; pages: {page_names(o)}; trends: '
        + (", ".join(TREND_NAMES[t] for t in o.trends) or "—")
        + ".",
        f"- Numerator: MH incidents where {o.numerator}.",
        f"- Denominator: MH incidents with {o.base}.",
        f"- Unknown: {o.unknown_text}",
        f"- Several rows per incident: {o.collapse}.",
        f"- Window: {o.window}.",
        f"- Unit: {o.unit}, shown as `{o.format}`; {_direction(o)} is better.",
        "- Source fields (any of): " + ", ".join(f"`{f}`" for f in o.needs) + f" ({o.unlock}).",
        "- Partners: " + _partners(o),
    ]
    if twins:
        lines.append(f"- Same count: {twins}.")
    if o.doc:
        lines.append(f"- {o.doc}")
    return "\n".join(lines)


def _partners(o: Indicator) -> str:
    if not o.partner:
        return "not shown."
    text = "in the release, counts of 1 to the threshold hidden"
    if not o.outcome:
        return text + "; not an outcome (no `summarize` key)."
    if not indicators.RELEASE_FOLLOWS_UNKNOWN_RULE:
        text += (
            ". Note: the release still counts an unknown outcome as no, so where outcomes "
            "are unrecorded the partner rate is lower than the pages'"
        )
    return text + "."


def choices() -> str:
    """The evaluator's choices (issue 20), each with the guidance it follows."""
    rows = ["| Choice | What the product does | Why, and the guidance |", "|---|---|---|"]
    rows += [f"| {name} | {what} | {why} |" for name, what, why in indicators.CHOICES]
    sources = [f"- **{short}**: {full}." for short, full in indicators.GUIDANCE.items()]
    return "\n".join([*rows, "", "Sources:", "", *sources])


def measures() -> str:
    """The registry's measures that are not a yes/no per incident (times, counts, splits)."""
    rows = ["| Card | Figure | Pages | CLI (`measures`) | Partners |", "|---|---|---|---|---|"]
    pages = {m.key: page_names(m) for m in indicators.measures()}  # type: ignore[arg-type]
    for m in indicators.measures():
        partners = "yes" if m.partner else "no"
        rows.append(f"| {m.card} | {m.label} | {pages[m.key]} | `{m.key}` | {partners} |")
    return "\n\n".join(["\n".join(rows), *(_measure(m) for m in indicators.measures())])


def _measure(m: indicators.Measure) -> str:
    lines = [
        f"#### {m.label} (`{m.key}`)",
        "",
        f'- Card: "{m.card}"; pages: {page_names(m)}; answers: *{m.question}*',  # type: ignore[arg-type]
        f"- Counted: {m.definition}.",
        f"- Base: {m.base}.",
        f"- Unit: {m.unit}. Window: the key-figure window on the pages, all the data in "
        "`summarize`.",
        "- Source fields: "
        + ", ".join(f"`{f}`" for f in m.needs)
        + f"; without them the page says it needs {m.unlock}.",
        "- Partners: "
        + ("shown, a base of 1 to the threshold hidden." if m.partner else "not shown."),
    ]
    if m.doc:
        lines.append(f"- {m.doc}")
    return "\n".join(lines)


BLOCKS: dict[str, Callable[[], str]] = {
    "measures": measures,
    "choices": choices,
    "outcome-table": outcome_table,
    "rate-cards": rate_cards,
    "reference": reference,
}


def render(text: str) -> str:
    """The document with every generated block written again from the registry."""

    def fill(m: re.Match) -> str:
        return f"{m['open']}{BLOCKS[m['name']]()}\n{m['close']}"

    return BLOCK.sub(fill, text)


def write(path: Path = DOC) -> bool:
    """Rewrite the generated blocks of `path`; True when the file changed."""
    old = path.read_text(encoding="utf-8")
    new = render(old)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old
