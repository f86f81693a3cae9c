"""The partner view explains itself, from the release alone: the period in words, which
measures this agency's data can and cannot show, where the data end (a short last month
said to be a part month), and a short summary written from the figures shown — the same
words for two exports that differ only inside hidden cells, other words when a shown
figure changes."""

from __future__ import annotations

import pytest

from pmhc.analysis.filters import Filters
from pmhc.analysis.release import ALL_DISTRICTS, WHOLE_PERIOD
from pmhc.analysis.released import Released, Selection
from pmhc.present import partner, views
from pmhc.storage import releases
from tests import partner_exports as exports
from tests.test_partner_app import publish


def released(folder, frame) -> Released:
    return Released(releases.load(publish(folder, frame)))


@pytest.fixture(scope="module")
def base(published_base_cache) -> Released:
    return Released(releases.load(published_base_cache))  # built once per run (conftest.py)


def selections(rel: Released) -> list[Selection]:
    return [
        Selection(d, p)
        for d in (ALL_DISTRICTS, *rel.districts())
        for p in (WHOLE_PERIOD, *rel.years())
    ]


def overview_summary(rel: Released, sel: Selection) -> str:
    return partner.summary(partner.overview(rel, sel), rel, sel)


def test_the_period_reads_in_words(base):
    assert partner.period_words(base, Selection()) == "January 2024 to December 2025, all districts"
    assert (
        partner.period_words(base, Selection("North", "2024")) == "January to December 2024, North"
    )


def test_the_measures_the_data_can_and_cannot_show(base):
    shown, missing = partner.measures(base)
    # The export has dispositions, use of force, responder type and a person id; no injury
    # columns, no CIT request flags and no roster.
    assert {"Connection to services", "Use of force", "Repeat contacts"} <= set(shown)
    assert {"Injury to the person", "Injury to officers", "CIT training of staff"} <= set(missing)
    assert not set(shown) & set(missing)


def test_the_summary_is_written_from_the_shown_figures(base):
    # 1,247 MH calls over 2024-2025; 49.4% connected, 21.7% arrested, 2.4% with force.
    assert overview_summary(base, Selection()) == (
        "In all districts, from January 2024 to December 2025, the police recorded 1,247 "
        "mental-health calls. Share of those calls with each outcome: connection to services "
        "49.4%, arrest 21.7%, use of force 2.4%. 53.3% of people with a recorded identifier "
        "had two or more mental-health contacts."
    )
    # A district whose calls are hidden gets no summary at all.
    assert overview_summary(base, Selection("Bayside")) == ""


@pytest.mark.parametrize("pair", ["swap_small_districts", "trade_small_months"])
def test_the_summary_is_the_same_when_only_hidden_cells_differ(base, pair, published_export):
    changed = Released(releases.load(published_export(pair)))  # the pair's changed export
    for sel in selections(base):
        assert overview_summary(changed, sel) == overview_summary(base, sel), sel
        assert partner.data_end_note(changed, sel) == partner.data_end_note(base, sel)


def test_the_summary_changes_with_a_shown_figure(base, tmp_path):
    """The comparison can fail: 30 fewer North calls change the shown total."""
    frame = exports.base_export()
    north = frame.index[frame["District"] == "North"][:30]
    changed = released(tmp_path / "fewer", frame.drop(north))
    assert "1,217 mental-health calls" in overview_summary(changed, Selection())
    assert overview_summary(changed, Selection()) != overview_summary(base, Selection())


def test_the_data_end_and_a_short_last_month(base, tmp_path):
    assert partner.data_end_note(base, Selection()) == "The published data end with December 2025."
    # The export stops on 10 December 2025: 16 MH calls shown that month, against a typical
    # month of 52, so the last month is said to be probably a part month.
    frame = exports.base_export()
    late = frame["Call Date"].str.startswith("2025-12") & (frame["Call Date"].str[-2:] > "10")
    short = released(tmp_path / "short", frame[~late])
    note = partner.data_end_note(short, Selection(ALL_DISTRICTS, "2024"))  # whatever the year
    assert note == (
        "The published data end with December 2025. It has 16 MH calls against 52 in a typical "
        "month shown: probably a part month, so its figures are lower than a whole month's."
    )


def test_one_district_is_not_compared_with_districts(base, sample_scope):
    """With one district chosen, no chart title ranks the districts."""
    view = partner.outcomes(base, Selection("North"))
    assert view.chart("outcomes_by_district") is None
    assert partner.outcomes(base, Selection()).chart("outcomes_by_district") is not None
    chart = views.PAGES["outcomes"](sample_scope).chart("outcomes_by_district")
    assert chart is not None and "lowest" not in chart.title
    assert chart.title.startswith("Connection rate in North: ")


@pytest.fixture(scope="module")
def sample_scope():
    import tempfile

    from pmhc.application import figures
    from pmhc.storage.workspace import Workspace

    ds = figures.read_dataset(Workspace(tempfile.mkdtemp()), None)
    return views.Scope(ds, Filters(district=("North",)))
