"""Meeting mode: no editing widgets, larger type, and a page for two districts or two
periods side by side, each side computed with its own filters."""

from __future__ import annotations

from tests.test_app import assert_clean, charts, open_app


def test_meeting_mode_hides_editing_and_compares_two_districts(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path, "training")
    assert any(h.value == "Self-assessment" for h in at.header)
    one_view = len(charts(at))
    at.toggle(key="meeting_mode").set_value(True).run()
    assert_clean(at)
    assert not any(h.value == "Self-assessment" for h in at.header)
    assert not [s for s in at.selectbox if s.label.startswith("Answer to")]

    at.get("button_group")[0].set_value("Two districts").run()
    assert_clean(at)
    left, right = at.selectbox(key="cmp_d1").value, at.selectbox(key="cmp_d2").value
    assert left != right
    headers = [h.value for h in at.header]
    assert left in headers and right in headers
    # Each side has its own charts (coverage by district drops: one district a side).
    assert len(charts(at)) >= 2 * (one_view - 2)


def test_two_periods_side_by_side_count_their_own_calls(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path, "services")
    at.toggle(key="meeting_mode").set_value(True).run()
    at.get("button_group")[0].set_value("Two periods").run()
    assert_clean(at)
    # The sample's two halves (2023 to mid 2024, mid 2024 to 2025): connection rose after
    # the July 2024 programme start, so the right side's rate is the higher.
    rates = [float(m.value.rstrip("%")) for m in at.metric if m.label == "Connected"]
    assert len(rates) == 2 and rates[1] > rates[0]
    assert [h.value for h in at.header if " to " in h.value] == [
        "01 Jan 2023 to 01 Jul 2024",
        "02 Jul 2024 to 31 Dec 2025",
    ]


def test_review_in_meeting_mode_has_no_save_buttons(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path, "review")
    assert [b for b in at.button if b.label == "Save actions"]
    at.toggle(key="meeting_mode").set_value(True).run()
    assert_clean(at)
    assert not [b for b in at.button if b.label.startswith("Save")]
    # The meeting is recorded in the meeting itself: the log stays, through its form.
    assert any(h.value == "Review meetings" for h in at.header)
