"""The meeting pack on the sample agency: its figures are the pages' own, the PDF renders
(pages counted, text extracted and checked), the Excel pack has the numbers behind the
charts, the partner pack leaves out what partners may not see, and the command line writes
all three."""

from __future__ import annotations

import io
import re
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from pmhc import cli
from pmhc.analysis import release
from pmhc.analysis.filters import Filters
from pmhc.analysis.released import Selection
from pmhc.application import figures
from pmhc.present import partner, report, views
from pmhc.storage import review_log
from pmhc.storage import settings as store
from pmhc.storage.workspace import Workspace

SOURCES = "riverside_cad_mh_calls_2023_2025.xlsx"


@pytest.fixture(scope="module")
def sample():
    ws = Workspace(__import__("tempfile").mkdtemp())
    return figures.read_dataset(ws, None)


@pytest.fixture(scope="module")
def values():
    return {**store.DEFAULTS, "programme_start": "2024-07-01", "targets": {"connection": 0.6}}


@pytest.fixture(scope="module")
def actions():
    return pd.DataFrame(
        {
            "recommendation": ["Add a night mobile crisis shift", "=HYPERLINK(1)", "Done item"],
            "owner": ["CIT coordinator", "Sgt <b>Lee</b>", "X"],
            "due": [date(2020, 1, 31), date(2099, 1, 1), date(2020, 1, 1)],
            "status": ["In progress", "Not started", "Done"],
        }
    )


# Two of the 32 self-assessment items answered.
ANSWERS = {
    "1.1": {"answer": "Yes", "note": "Sgt Lee coordinates"},
    "4.3": {"answer": "Partly", "note": ""},
}


@pytest.fixture(scope="module")
def pack(sample, values, actions):
    return report.build(sample, Filters(), values, ANSWERS, actions)


@pytest.fixture(scope="module")
def pdf_text(pack):
    reader = PdfReader(io.BytesIO(report.to_pdf(pack)))
    return len(reader.pages), [p.extract_text() for p in reader.pages]


def test_the_pack_shows_the_pages_figures(pack, sample, values):
    scope = report.scope_for(sample, Filters(), values, ANSWERS)
    for section in pack.sections:
        options = report.review_options(values) if section.key == "review" else {}
        page = views.PAGES[section.key](scope, **options)
        assert [(f.label, f.value, f.delta) for f in section.view.figures] == [
            (f.label, f.value, f.delta) for f in page.figures
        ]
        assert [c.title for c in section.view.charts] == [c.title for c in page.charts]
    overview = {f.label: f.value for f in pack.sections[0].view.figures}
    # 27,897 call rows loaded from the sample; MH incidents in the last 12 months.
    assert overview["MH calls"].replace(",", "").isdigit()


def test_the_pdf_renders_with_cover_sections_and_figures(pack, pdf_text):
    pages, text = pdf_text
    assert pages >= 10  # the summary, one section per page at least, the meeting, sources
    whole = "\n".join(text).replace("\n", " ")
    # Row accounting of the calls export, as the Data page reports it, on the last page.
    assert SOURCES in text[-1] and "27,898 27,897 1" in text[-1]
    for section in pack.sections:
        assert section.heading.split(":")[0] in whole
        for f in section.view.figures:
            assert f.value in whole, (section.key, f.label, f.value)
    # Connection over Jan-Dec 2025 is 52.1% (issue 11's definition), under the 60% target.
    assert "Targets against actuals" in whole and "off target" in whole
    assert "Add a night mobile crisis shift" in whole and "overdue" in whole
    assert "Done item" not in whole  # done actions are not open


def test_the_first_page_is_a_handout_summary(pdf_text):
    """Page 1 alone: the period in words, the headline figures with their change, the
    control chart's signals, the target, the open actions and the self-assessment's count."""
    summary = pdf_text[1][0].replace("\n", " ")
    assert summary.startswith("Sample data: review meeting pack")
    assert (
        "Calls from January 2023 to December 2025. Key figures: January to December "
        "2025, compared with January to December 2024." in summary
    )
    # 8,592 MH calls in 2025, 1.4% more than in 2024; connection 46.3%, 13.5 points up.
    assert "Change against January to December 2024" in summary
    assert "MH calls 8,592 +1.4%" in summary and "Connected 46.3% +13.5 pts" in summary
    # The control chart: August 2024 above the upper limit, September a run rule, then
    # October 2024 to December 2025 above it: 16 months.
    assert "Above the upper limit (16 months): Aug 2024, Oct 2024 to Dec 2025." in summary
    assert "Breaking a run rule: Sep 2024." in summary
    assert "Latest month, December 2025: 46.7% against a centre line of 29.4%." in summary
    assert "Connection to services 60.0% 46.3% off target" in summary
    assert "Add a night mobile crisis shift CIT coordinator 31 Jan 2020 In progress overdue" in (
        summary
    )
    assert "Done item" not in summary
    assert "2 of 32 self-assessment items answered (1 Yes, 1 Partly); 30 not answered yet." in (
        summary
    )
    assert SOURCES not in summary  # the row accounting is at the back
    assert not pdf_text[1][1].startswith("Sample data: review meeting pack")


def test_the_self_assessment_is_compact(pack, pdf_text):
    """The answered items, each once, then one line counting the others; no empty rows of
    the 30 unanswered items and no question repeated on every row."""
    whole = " ".join(pdf_text[1]).replace("\n", " ")
    assert "1.1 A named PMHC coordinator leads the collaboration. Yes Sgt Lee coordinates" in (
        whole
    )
    assert "4.3 A crisis receiving and stabilisation facility" in whole
    assert "Dedicated budget and staff time" not in whole  # item 1.6, not answered
    assert "Is our leadership committed?" not in report.meeting_html(pack)
    answered, unanswered = report.answered_items(pack.self_assessment)
    assert list(answered["Item"]) == ["1.1", "4.3"] and unanswered == 30


INSTRUCTIONS = re.compile(r"\b(click\w*|select|choose|upload\w*|sidebar|buttons?|tick)\b", re.I)


def test_no_on_screen_instructions_on_paper(pdf_text, partner_pack):
    """A handout has no sidebar, buttons or uploads: not in the PDF, nor in the HTML pack
    of staff, of partners, or of an agency with nothing loaded."""
    from pmhc.storage.dataset import Dataset

    empty = report.build(Dataset("empty"), Filters(), dict(store.DEFAULTS), {}, pd.DataFrame())
    texts = {"pdf": " ".join(pdf_text[1])}
    for name, p in (("partner", partner_pack), ("empty", empty)):
        texts[name] = re.sub(r"<[^>]+>", " ", report.to_html(p))
    for name, text in texts.items():
        found = [text[max(m.start() - 60, 0) : m.end() + 60] for m in INSTRUCTIONS.finditer(text)]
        assert not found, (name, found)
    assert "No calls are loaded." in texts["empty"]  # the note states, without the how-to


def test_control_signals_are_the_months_outside_the_limits(pack):
    signals = report.control_signals(pack.review)
    chart = pack.review.chart("control_chart").data
    outside = chart[chart["signal"].isin(["Outside limits", "Run rule"])]
    assert len(signals) == len(outside) > 0
    # The sample's connection rate rose after the July 2024 start. Under issue 20's
    # definition (a hand-off needs contact, shelter apart) July 2024 is 245 of 839 = 29.2%,
    # by the baseline's 29.4%: the first signal is August, 287 of 836 = 34.3% above the
    # upper limit 34.2%; then every month but September (a run rule) is above it.
    assert signals["month"].iloc[0] == "Aug 2024"
    assert signals["signal"].iloc[0] == "Outside limits"
    outside = signals[signals["signal"] == "Outside limits"]
    assert len(outside) > 10 and (outside["rate"] > outside["ucl"]).all()


def test_html_is_self_contained_and_escaped(pack):
    page = report.to_html(pack)
    assert '<img src="data:image/png;base64,' in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "Sgt &lt;b&gt;Lee&lt;/b&gt;" in page  # text from a user is escaped


def test_excel_pack_has_a_sheet_per_page_with_the_chart_numbers(pack):
    wb = openpyxl.load_workbook(io.BytesIO(report.to_xlsx(pack)))
    assert wb.sheetnames[:2] == ["Cover", "Overview"]
    assert {f"Question {n}" for n in range(1, 7)} <= set(wb.sheetnames)
    rows = [[c for c in r if c is not None] for r in wb["Question 3"].iter_rows(values_only=True)]
    # Training's coverage by district: West, 7 of 32 active patrol with the 40-hour course.
    assert any(r[:3] == ["West", 7, 32] for r in rows if r)
    meeting = [r[0] for r in wb["Meeting"].iter_rows(values_only=True) if r and r[0]]
    assert "'=HYPERLINK(1)" in meeting  # an action's text is never run as a formula
    assert "=HYPERLINK(1)" not in meeting


@pytest.fixture(scope="module")
def published(sample, values, actions):
    """The sample's partner release, with the first action shared."""
    return release.build(sample, 10, values, {}, actions.assign(shared=[True, False, False]))


@pytest.fixture(scope="module")
def partner_pack(published, values):
    return report.build(None, Filters(), values, {}, pd.DataFrame(), "partner", release=published)


def test_partner_pack_is_the_partner_release_and_nothing_else(partner_pack, published):
    page = report.to_html(partner_pack)
    assert SOURCES not in page and "CIT coordinator" in page  # the one shared action
    assert "Sgt &lt;b&gt;Lee" not in page  # an action not shared
    assert "Officers overdue" not in page and "officer_id" not in page
    assert "counts from 1 to 10 are hidden" in page
    # The summary page: the period in words and the partner view's own summary, from the
    # shown figures (25,468 MH calls in the sample's release, 36.4% connected).
    assert "<strong>Period.</strong> January 2023 to December 2025, all districts." in page
    assert (
        "<strong>In short.</strong> In all districts, from January 2023 to December 2025, the "
        "police recorded 25,468 mental-health calls. Share of those calls with each outcome: "
        "connection to services 36.4%"
    ) in page
    # Each section is the partner page's own view of the release, figure for figure.
    for section in partner_pack.sections:
        page_view = partner.page_view(published, section.key, Selection())
        assert [(f.label, f.value) for f in section.view.figures] == [
            (f.label, f.value) for f in page_view.figures
        ]
        assert [c.title for c in section.view.charts] == [c.title for c in page_view.charts]
    assert any(s.view.figures for s in partner_pack.sections)


def test_partner_pack_shows_no_count_from_1_to_10(partner_pack):
    for section in partner_pack.sections:
        for fig in section.view.charts:
            for column in ("numerator", "calls", "persons", "incidents", "staff"):
                if column in fig.data:
                    shown = pd.to_numeric(fig.data[column], errors="coerce").dropna()
                    assert not shown.between(1, 10).any(), (fig.key, column)


def test_nothing_published_gives_a_pack_that_says_so():
    pack = report.build(None, Filters(), dict(store.DEFAULTS), {}, pd.DataFrame(), "partner")
    assert "Nothing is published yet" in report.to_html(pack)


def test_cli_writes_each_format_and_refuses_others(tmp_path, capsys):
    ws = tmp_path / "ws"
    records = store.dataset_folder(ws, None)  # review records are kept with the dataset
    review_log.save_actions(
        records, pd.DataFrame([{"recommendation": "Night shift CIT", "status": "In progress"}])
    )
    action = review_log.load_actions(records)["id"].iloc[0]
    assert (
        review_log.add_meeting(records, date(2025, 12, 1), ["Dispatch"], "Fund it", [action]) == []
    )
    out = tmp_path / "pack.xlsx"
    args = ["report", "--data-dir", str(ws), "--out", str(out), "--district", "North"]
    assert cli.main(args) == 0
    assert out.read_bytes()[:2] == b"PK"
    book = openpyxl.load_workbook(out)
    cover = [r[0] for r in book["Cover"].iter_rows(values_only=True)]
    assert "District: North" in cover
    meeting = [r[:4] for r in book["Meeting"].iter_rows(values_only=True) if r and r[0]]
    assert ("2025-12-01", "Dispatch", "Fund it", "Night shift CIT") in meeting
    assert cli.main(["report", "--data-dir", str(ws), "--out", str(tmp_path / "x.doc")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --out must end in .pdf, .html or .xlsx")


def test_a_pack_of_calls_only_or_of_nothing_still_renders():
    from pmhc.storage.dataset import Dataset
    from tests.test_views import two_years

    for ds in (two_years(), Dataset("empty")):
        pack = report.build(ds, Filters(), dict(store.DEFAULTS), {}, pd.DataFrame())
        page = report.to_html(pack)
        assert "review meeting pack" in page
        assert report.to_xlsx(pack)[:2] == b"PK"
    assert "No calls in the selected period" in report.to_html(
        report.build(Dataset("empty"), Filters(), dict(store.DEFAULTS), {}, pd.DataFrame())
    )


def test_the_pack_shows_what_the_pages_show_in_the_app(monkeypatch, tmp_path):
    """The same workspace opened in the app and made into a pack from the command line's
    path: every key figure of every question page is the same text."""
    from pmhc.application import report as use_report
    from pmhc.application.actor import OPERATOR
    from pmhc.storage.workspace import Workspace
    from tests.test_app import metrics, open_app

    pack = use_report.meeting_pack(Workspace(tmp_path), OPERATOR, Filters())
    at = open_app(monkeypatch, tmp_path, "overview")
    for section in pack.sections:
        if section.key != "overview":
            at.switch_page(f"app_pages/{section.key}.py").run()
        shown = metrics(at)
        expected = {f.label: f.value for f in section.view.figures}
        assert shown == expected, section.key


def test_a_cell_without_a_value_reads_as_a_dash_on_paper_as_on_the_page():
    """An action recorded without a due date (NaT) or a figure that cannot be given reads
    as a dash in the pack, as the pages show it (labels.MISSING), not an error or a blank."""
    from pmhc.present.labels import MISSING
    from pmhc.present.report import cell_text

    assert cell_text(pd.NaT, "date") == MISSING == "\u2013"
    assert cell_text(pd.NaT, None) == MISSING
    assert cell_text(float("nan"), "percent") == MISSING
    assert cell_text(None, None) == MISSING
    assert cell_text(pd.Timestamp("2027-01-15"), "date") == "15 Jan 2027"


def test_yes_no_and_counts_from_a_frame_read_as_words_and_whole_numbers(pack):
    """A services table's yes/no columns arrive as NumPy booleans and counts as NumPy
    integers: the pack writes Yes/No and 12,503, as the pages show them, never True or
    12503."""
    from pmhc.present.report import cell_text

    row = pd.DataFrame({"open": [True], "calls": [12503]}).iloc[0]
    assert (cell_text(row["open"], None), cell_text(row["calls"], None)) == ("Yes", "12,503")
    assert cell_text(np.False_, None) == "No"
    assert (cell_text(np.float32(12503), None), cell_text(np.float32("nan"), None)) == (
        "12,503",
        "–",
    )
    page = report.to_html(pack)
    assert ">True<" not in page and ">False<" not in page
