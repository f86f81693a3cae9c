"""Indicators on small hand-built incident frames, against answers worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from pmhc.analysis import metrics as M
from pmhc.analysis.stats import Rate

B = "boolean"


@pytest.fixture
def incidents() -> pd.DataFrame:
    """Eight incidents; seven are MH calls (h is not). Persons: p1 three MH contacts, p2
    two, p3 one; g has no person id; p4 only on the non-MH call."""
    return pd.DataFrame(
        {
            "incident_id": list("abcdefgh"),
            "received_at": pd.to_datetime(
                [
                    "2024-01-01 08:00",  # Mon
                    "2024-01-02 09:00",  # Tue
                    "2024-01-03 10:00",  # Wed
                    "2024-02-01 23:00",  # Thu
                    "2024-02-02 00:00",  # Fri
                    "2024-02-03 00:00",  # Sat
                    "2024-03-01 12:00",  # Fri
                    "2024-03-02 01:00",  # Sat
                ]
            ),
            "mh": pd.array([True] * 7 + [False], dtype=B),
            "district": ["N", "N", "S", "S", "S", "E", "E", "E"],
            "person_id": ["p1", "p1", "p1", "p2", "p2", "p3", None, "p4"],
            "is_arrest": pd.array([True, False, False, False, False, False, False, True], B),
            "is_connection": pd.array([False, True, True, True, False, False, True, False], B),
            "use_of_force": pd.array([True, False, False, False, None, False, False, True], B),
            "person_injury": pd.array([False, False, True, False, False, False, False, True], B),
            "officer_injury": pd.array([False, True, True, False, False, False, False, False], B),
            "cit_requested": pd.array([True, True, True, True, False, False, None, True], B),
            "cit_dispatched": pd.array([True, True, False, True, False, False, None, True], B),
            "cit_arrived": pd.array([True, False, False, True, False, False, None, True], B),
            "mh_at_dispatch": pd.array([True, True, False, False, True, False, True, False], B),
            "call_type_final": ["x"] * 8,
            "hour": pd.array([8, 9, 10, 23, 0, 0, 12, 1], dtype="Int8"),
            "weekday": pd.array([0, 1, 2, 3, 4, 5, 4, 5], dtype="Int8"),
            "disposition_group": pd.Categorical(
                ["arrest", "connection", "connection", "connection", None, "resolved"]
                + ["connection", "arrest"],
                categories=["arrest", "involuntary", "connection", "resolved", "no_contact"]
                + ["other"],
            ),
        }
    )


@pytest.fixture
def mh(incidents) -> pd.DataFrame:
    return M.mh_incidents(incidents)


def test_mh_incidents(incidents, mh):
    assert mh["incident_id"].tolist() == list("abcdefg")
    unknown = incidents.assign(mh=pd.array([None] * 8, dtype=B))
    assert len(M.mh_incidents(unknown)) == 8  # no MH information: all incidents
    assert len(M.mh_incidents(incidents.drop(columns="mh"))) == 8


def test_outcome_rates_with_wilson_intervals(mh):
    assert M.outcome_rate(mh, "arrest") == Rate(1, 7)
    assert M.outcome_rate(mh, "connection") == Rate(4, 7)
    # Unknown is not no: e's blank force flag leaves the denominator (it was 1/7 when a
    # blank counted as no): 1 of the 6 calls with a recorded flag.
    assert M.outcome_rate(mh, "use_of_force") == Rate(1, 6)
    # Injury is two figures since issue 20 (it was one, 2 of 7: b officer, c both): the
    # person was hurt on c only, officers on b and c.
    assert M.outcome_rate(mh, "person_injury") == Rate(1, 7)
    assert M.outcome_rate(mh, "officer_injury") == Rate(2, 7)
    assert M.outcome_rate(mh, "cit_on_scene") is None  # no cit_on_scene column
    assert M.outcome_rate(mh, "involuntary") is None
    assert M.rate_dict(M.outcome_rate(mh, "connection")) == {
        "numerator": 4,
        "denominator": 7,
        "rate": 0.5714,
        "low": 0.2505,
        "high": 0.8418,
    }
    assert M.rate_dict(Rate(10, 100))["low"] == 0.0552
    assert M.rate_dict(Rate(10, 100))["high"] == 0.1744
    assert M.rate_dict(None) is None


def test_available_outcomes(mh):
    keys = [o.key for o in M.available_outcomes(mh)]
    # the combined injury became person and officer injury (issue 20)
    assert keys == ["connection", "arrest", "use_of_force", "person_injury", "officer_injury"]


def test_repeat_encounters(mh):
    r = M.repeat_encounters(mh)
    assert r.persons == 3  # p1, p2, p3 (p4 only on the non-MH call)
    assert r.repeat_2 == Rate(2, 3)
    assert r.repeat_3 == Rate(1, 3)
    assert r.contacts_per_person == 2.0  # 6 identified contacts / 3 persons
    assert r.identified == Rate(6, 7)
    assert M.repeat_encounters(mh.drop(columns="person_id")) is None


def test_contacts_distribution(mh):
    out = M.contacts_distribution(mh, top=2)
    assert out[["contacts", "contacts_label", "persons", "incidents"]].values.tolist() == [
        [1, "1", 1, 1],
        [2, "2+", 2, 5],
    ]
    assert out["share_of_incidents"].tolist() == pytest.approx([1 / 6, 5 / 6])
    full = M.contacts_distribution(mh)
    assert full["persons"].tolist() == [1, 1, 1] and full["contacts"].tolist() == [1, 2, 3]


def test_cit_funnel(mh):
    out = M.cit_funnel(mh)
    assert out[["order", "stage", "calls"]].values.tolist() == [
        [0, "CIT requested", 4],
        [1, "CIT dispatched", 3],
        [2, "CIT arrived", 2],
    ]
    # g's CIT flags are blank: shares are of the 6 MH calls with the step recorded (they
    # were of all 7 when blank counted as no).
    assert out["recorded"].tolist() == [6, 6, 6]
    assert out["share_of_mh_calls"].tolist() == pytest.approx([4 / 6, 3 / 6, 2 / 6])
    assert M.cit_funnel(mh.drop(columns=["cit_requested", "cit_dispatched", "cit_arrived"])) is None


def test_identification_at_dispatch_vs_close(incidents):
    out = M.identification(incidents)
    got = {(str(m.date()), w): (c, round(s, 4)) for m, w, c, s in out.values.tolist()}
    assert got == {
        ("2024-01-01", "At dispatch"): (2, 0.6667),
        ("2024-01-01", "Only at close"): (1, 0.3333),
        ("2024-02-01", "At dispatch"): (1, 0.3333),
        ("2024-02-01", "Only at close"): (2, 0.6667),
        ("2024-03-01", "At dispatch"): (1, 1.0),
    }
    assert M.identification(incidents.drop(columns="mh_at_dispatch")) is None


def test_hour_weekday_has_168_cells(mh):
    out = M.hour_weekday(mh)
    assert len(out) == 168
    assert out["calls"].sum() == 7
    cell = out.set_index(["weekday", "hour"])
    assert cell.loc[(0, 8), "calls"] == 1 and cell.loc[(0, 8), "connections"] == 0
    assert cell.loc[(1, 9), "connection_rate"] == 1.0
    assert cell.loc[(4, 0), "weekday_name"] == "Fri"
    assert pd.isna(cell.loc[(6, 6), "connection_rate"])  # no calls: no rate, not 0
    assert M.hour_weekday(mh.assign(hour=pd.array([None] * 7, dtype="Int8"))) is None


def test_counts_year_period_and_district(mh):
    assert M.calls_by_year(mh) == {"2024": 7}
    assert M.period(mh) == (pd.Timestamp("2024-01-01 08:00"), pd.Timestamp("2024-03-01 12:00"))
    assert M.period(mh.head(0)) is None
    # most calls first; ties in district order
    assert M.counts_by(mh, "district").values.tolist() == [["S", 3], ["E", 2], ["N", 2]]
    assert M.counts_by(mh, "beat") is None


def test_rate_frames_by_month_and_district(mh):
    monthly = M.monthly_outcomes(mh, [M.OUTCOME_BY_KEY["connection"]])
    assert monthly[["numerator", "denominator"]].values.tolist() == [[2, 3], [1, 3], [1, 1]]
    assert monthly["low"].iloc[0] == pytest.approx(0.2077, abs=1e-4)
    assert monthly["high"].iloc[2] == 1.0  # 1 of 1: exactly 1, not 0.999…
    by = M.outcomes_by(mh, "district", [M.OUTCOME_BY_KEY["arrest"]])
    assert by[["district", "numerator", "denominator"]].values.tolist() == [
        ["E", 0, 2],
        ["N", 1, 2],
        ["S", 0, 3],
    ]
    assert by["low"].tolist()[::2] == [0.0, 0.0]
    assert M.monthly_calls(mh)["calls"].tolist() == [3, 3, 1]


def test_disposition_breakdown(mh):
    out = M.disposition_breakdown(mh)
    got = dict(zip(out["label"], out["calls"], strict=True))
    assert got == {
        # renamed from "Connection to services": the connection rate is built from more
        # than the disposition (issue 11), so the disposition group says what it is
        "Referral or treatment": 4,
        "Arrest": 1,
        "Resolved on scene": 1,
        "Not recorded": 1,
        "Involuntary hold": 0,
        "No contact": 0,
        "Other": 0,
    }
    assert out["share"].sum() == pytest.approx(1.0)


def test_response_minutes():
    frame = pd.DataFrame(
        {
            "received_at": pd.to_datetime(["2024-01-01 10:00"] * 3 + ["2024-02-01 10:00"]),
            "arrived_at": pd.to_datetime(
                ["2024-01-01 10:08", "2024-01-01 10:20", "2024-01-01 09:00", "2024-02-01 10:04"]
            ),
        }
    )
    assert M.response_minutes(frame).tolist() == [8.0, 20.0, 4.0]  # negative dropped
    out = M.monthly_response(frame)
    assert out[["median_minutes", "calls"]].values.tolist() == [[14.0, 2], [4.0, 1]]


def test_completeness(mh):
    out = M.completeness(mh, ["person_id", "use_of_force", "disposition_group", "beat"])
    assert out["field"].tolist() == ["person_id", "use_of_force", "disposition_group"]
    assert out["filled"].tolist() == pytest.approx([6 / 7, 6 / 7, 6 / 7])
    assert out["missing"].tolist() == pytest.approx([1 / 7, 1 / 7, 1 / 7])
    assert out["records"].tolist() == [7, 7, 7]


def test_previous_window_has_equal_length_and_ends_before_start():
    start, end = pd.Timestamp("2024-04-01"), pd.Timestamp("2024-06-30 23:59:59.999999")
    before = M.previous_window(start, end)
    assert before == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31 23:59:59.999999"))
    assert before[1] - before[0] == end - start


def test_compare_outcome_between_windows(mh):
    frame = pd.concat([mh] * 10, ignore_index=True)  # enough calls to judge
    jan = M.in_window(frame, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31 23:59"))
    feb = M.in_window(frame, pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-29 23:59"))
    assert (len(jan), len(feb)) == (30, 30)
    change = M.compare_outcome(jan, feb, M.OUTCOME_BY_KEY["connection"])
    assert change.before == Rate(20, 30) and change.after == Rate(10, 30)
    # issue 20's wording: significant, not "real"
    assert (
        change.verdict == "It fell by 33.3 points in the worse direction: "
        "a statistically significant change, not adjusted for trend or season."
    )
    assert M.compare_outcome(jan, feb, M.OUTCOME_BY_KEY["involuntary"]) is None
