"""Filters follow the data: loading, appending or switching datasets refits the period and
the value filters to the data now in view, and the sidebar says what is shown."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pmhc.analysis import filters

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


# --- the rules -------------------------------------------------------------------------

OLD = (date(2023, 1, 1), date(2025, 12, 31))


def test_a_period_over_the_whole_old_span_becomes_the_new_span():
    march = (date(2026, 3, 1), date(2026, 3, 31))
    assert filters.refit_period(OLD, OLD, march) == march
    # next month appended: "everything" keeps meaning everything
    spring = (date(2026, 3, 1), date(2026, 4, 30))
    assert filters.refit_period(march, march, spring) == spring


def test_a_narrower_period_keeps_the_part_the_new_data_cover():
    picked = (date(2025, 6, 1), date(2026, 3, 15))
    new = (date(2026, 1, 1), date(2026, 4, 30))
    assert filters.refit_period(picked, OLD, new) == (date(2026, 1, 1), date(2026, 3, 15))


def test_a_period_the_new_data_do_not_reach_becomes_the_new_span():
    picked = (date(2023, 1, 1), date(2023, 6, 30))
    new = (date(2026, 3, 1), date(2026, 3, 31))
    assert filters.refit_period(picked, OLD, new) == new
    assert filters.refit_period(None, OLD, new) == new
    assert filters.refit_period((), OLD, new) == new


def test_values_the_new_data_lack_are_dropped():
    chosen = {"district": ["Harbor", "North"], "shift": ["Nights"]}
    offered = {"district": ["North", "South"], "time": ["Day", "Night"]}
    assert filters.refit_choices(chosen, offered) == {"district": ["North"], "time": []}


def test_the_sentence_names_the_period_and_districts():
    assert (
        filters.describe_view((date(2026, 3, 1), date(2026, 4, 30)), 2)
        == "Now showing 1 Mar – 30 Apr 2026, 2 districts."
    )
    assert (
        filters.describe_view((date(2025, 12, 5), date(2026, 1, 3)), 1)
        == "Now showing 5 Dec 2025 – 3 Jan 2026, 1 district."
    )
    assert filters.describe_view((date(2026, 3, 1), date(2026, 3, 31)), 0) == (
        "Now showing 1 Mar – 31 Mar 2026."
    )


# --- in the app ------------------------------------------------------------------------


def month_export(month: int, n: int = 40) -> bytes:
    """`n` MH calls in `month` of 2026, days 1 to the month's last, in North and South."""
    last = pd.Timestamp(2026, month, 1).days_in_month
    days = [1 + i * (last - 1) // (n - 1) for i in range(n)]
    return (
        pd.DataFrame(
            {
                "Incident No.": [f"INC26-{month:02d}{i:03d}" for i in range(n)],
                "Call Date": [f"2026-{month:02d}-{d:02d}" for d in days],
                "Call Time": [f"{i % 24:02d}:15" for i in range(n)],
                "Call Type": ["PERSON IN CRISIS"] * n,
                "District": [("North", "South")[i % 2] for i in range(n)],
                "Disposition": ["Transported to ED"] * n,
            }
        )
        .to_csv(index=False)
        .encode()
    )


def upload(at: AppTest, name: str, data: bytes, button: str) -> None:
    at.switch_page("app_pages/data.py").run()
    uploader = next(u for u in at.file_uploader if u.key.startswith("uploads"))
    uploader.set_value([(name, data, "text/csv")]).run()
    at.button(key=button).click().run()
    assert not at.exception, [e.value for e in at.exception]


def sidebar_note(at: AppTest) -> str:
    return "\n".join(c.value for c in at.sidebar.caption if "Now showing" in c.value)


def period(at: AppTest):
    return tuple(at.sidebar.date_input(key="period").value)


def test_load_append_and_switch_refit_the_filters(monkeypatch, tmp_path):
    monkeypatch.setenv("PMHC_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PMHC_AUDIENCE", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert period(at) == OLD  # the sample's span
    at.sidebar.multiselect(key="district").set_value(["Harbor", "North"]).run()

    # Loading March: the sample's 2023-2025 period and its Harbor district do not survive.
    upload(at, "march.csv", month_export(3), "confirm-upload")
    assert period(at) == (date(2026, 3, 1), date(2026, 3, 31))
    assert at.sidebar.multiselect(key="district").value == ["North"]
    assert sidebar_note(at) == "Now showing 1 Mar – 31 Mar 2026, 1 district."
    # Nothing shown is empty: the overview counts the March calls in North.
    at.switch_page("app_pages/overview.py").run()
    assert "No calls match these filters" not in "\n".join(m.value for m in at.markdown)

    # Appending April: the whole-span period grows to take April in.
    at.sidebar.multiselect(key="district").set_value([]).run()
    upload(at, "april.csv", month_export(4), "append-upload")
    assert [s.value for s in at.success] == [
        "Added 40 incidents, replaced 0 already loaded (matched on incident number). "
        "80 incidents now."
    ]
    assert period(at) == (date(2026, 3, 1), date(2026, 4, 30))
    assert sidebar_note(at).endswith("Now showing 1 Mar – 30 Apr 2026, 2 districts.")

    # A narrowed period, then back to the sample: the period becomes the sample's span.
    at.sidebar.date_input(key="period").set_value((date(2026, 3, 5), date(2026, 4, 20))).run()
    assert sidebar_note(at) == ""  # said once, when the data changed
    at.switch_page("app_pages/data.py").run()
    at.selectbox(key="pick-dataset").set_value("").run()
    at.run()
    assert period(at) == OLD


@pytest.mark.parametrize("picked", [(date(2026, 3, 5), date(2026, 3, 20))])
def test_a_narrowed_period_survives_an_append_it_still_fits(monkeypatch, tmp_path, picked):
    monkeypatch.setenv("PMHC_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PMHC_AUDIENCE", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    upload(at, "march.csv", month_export(3), "confirm-upload")
    at.sidebar.date_input(key="period").set_value(picked).run()
    upload(at, "april.csv", month_export(4), "append-upload")
    assert period(at) == picked
    assert "Now showing 5 Mar – 20 Mar 2026" in sidebar_note(at)
