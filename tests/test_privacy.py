"""Pseudonyms for person identifiers, and small-cell suppression for partners."""

from __future__ import annotations

import stat

import numpy as np
import pandas as pd
import pytest

from pmhc.analysis.suppression import (
    HIDDEN,
    protect,
    suppress,
    suppress_rate,
    suppress_value,
)
from pmhc.ingest.pseudonyms import pseudonymise, workspace_key

KEY_A = b"a" * 32
KEY_B = b"b" * 32


def test_pseudonyms_are_stable_per_key_and_differ_across_keys():
    ids = pd.Series(["MNI0004512", "MNI0004513", "MNI0004512"])
    a1, a2 = pseudonymise(ids, KEY_A), pseudonymise(ids, KEY_A)
    b = pseudonymise(ids, KEY_B)
    assert a1.tolist() == a2.tolist()
    assert a1[0] == a1[2] != a1[1]
    assert not set(a1) & set(b)
    assert all(p.startswith("P-") and len(p) == 18 for p in a1)  # 64 bits in hex


def test_pseudonyms_never_contain_the_raw_id():
    ids = pd.Series([f"MNI{n:07d}" for n in range(500)] + ["123", "4512"])
    out = pseudonymise(ids, KEY_A)
    assert out.is_unique
    for raw, p in zip(ids, out, strict=True):
        assert raw.lower() not in p.lower()


def test_pseudonymise_trims_and_upper_cases_first():
    out = pseudonymise(
        pd.Series([" mni0004512", "MNI0004512 ", "mni0004512", "", "  ", None]), KEY_A
    )
    assert out[0] == out[1] == out[2]
    assert out[3:].isna().all()  # blank stays blank


def test_numeric_ids_match_their_text_form():
    # The same person read as a number from one workbook and as text from a CSV.
    numeric = pseudonymise(pd.Series([12345.0, np.nan]), KEY_A)
    text = pseudonymise(pd.Series(["12345"]), KEY_A)
    assert numeric[0] == text[0]
    assert pd.isna(numeric[1])


def test_workspace_key_is_created_once_and_private(tmp_path):
    key = workspace_key(tmp_path / "ws")
    assert len(key) == 32
    assert workspace_key(tmp_path / "ws") == key
    mode = (tmp_path / "ws" / "secret.key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert workspace_key(tmp_path / "other") != key


# --- suppression -----------------------------------------------------------------------------


def hidden_cells(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return np.array([[v == HIDDEN for v in frame[c]] for c in columns]).T


def assert_no_line_with_one_hidden_cell(mask: np.ndarray) -> None:
    for axis in (0, 1):
        counts = mask.sum(axis=axis)
        lines = mask.shape[axis]
        if lines > 1:
            assert not (counts == 1).any(), mask


def test_one_column_hides_the_small_count_and_the_next_smallest():
    table = pd.DataFrame({"district": ["A", "B", "C", "D"], "calls": [7, 50, 40, 0]})
    out = suppress(table, ["calls"])
    assert out["calls"].tolist() == [HIDDEN, 50, HIDDEN, 0]
    assert out["district"].tolist() == ["A", "B", "C", "D"]


def test_counts_one_to_ten_are_hidden_zero_and_eleven_are_not():
    table = pd.DataFrame({"n": [0, 1, 10, 11, 500]})
    out = suppress(table, ["n"])
    assert out["n"].tolist() == [0, HIDDEN, HIDDEN, 11, 500]
    assert suppress(pd.DataFrame({"n": [3, 40]}), ["n"], threshold=2)["n"].tolist() == [3, 40]


def test_two_way_table_never_has_exactly_one_hidden_cell_in_a_line():
    table = pd.DataFrame(
        {"g": ["A", "B", "C"], "x": [7, 50, 40], "y": [20, 30, 12], "z": [100, 90, 80]}
    )
    out = suppress(table, ["x", "y", "z"])
    mask = hidden_cells(out, ["x", "y", "z"])
    assert mask.tolist() == [
        [True, True, False],
        [False, False, False],
        [True, True, False],
    ]
    assert_no_line_with_one_hidden_cell(mask)


def test_a_zero_is_hidden_when_it_is_the_only_partner():
    # Row B has a hidden 30 beside a 0: showing the 0 with the row total reveals the 30.
    table = pd.DataFrame({"g": ["A", "B"], "x": [7, 0], "y": [20, 30]})
    out = suppress(table, ["x", "y"])
    assert_no_line_with_one_hidden_cell(hidden_cells(out, ["x", "y"]))


@pytest.mark.parametrize("seed", range(25))
def test_random_tables_keep_the_rule(seed):
    rng = np.random.default_rng(seed)
    values = rng.choice([0, 1, 3, 8, 10, 11, 25, 60], size=(5, 4))
    table = pd.DataFrame(values, columns=list("abcd"))
    out = suppress(table, list("abcd"))
    mask = hidden_cells(out, list("abcd"))
    assert ((values >= 1) & (values <= 10) <= mask).all()  # every small count hidden
    assert_no_line_with_one_hidden_cell(mask)
    shown = ~mask
    assert (out.to_numpy()[shown] == values[shown]).all()  # the rest is unchanged


def test_single_values_and_rates():
    assert [suppress_value(n) for n in (None, 0, 1, 10, 11)] == [None, 0, HIDDEN, HIDDEN, 11]
    assert suppress_rate(5, 0.05) == HIDDEN
    assert suppress_rate(50, 0.5) == 0.5
    assert suppress_rate(0, 0.0) == 0.0
    assert suppress_rate(None, None) is None


def test_protect_hides_rates_whose_numerator_is_hidden():
    frame = pd.DataFrame(
        {
            "district": ["A", "B", "C"],
            "numerator": [5, 40, 30],
            "denominator": [50, 100, 90],
        }
    )
    frame["rate"] = frame["numerator"] / frame["denominator"]
    frame["low"], frame["high"] = frame["rate"] - 0.05, frame["rate"] + 0.05
    chart, display = protect(frame, ["numerator"], {"rate": "numerator"})
    # A is small; C is hidden too (complementary), so its rate goes with it.
    # A column with a hidden cell is text throughout (Arrow cannot mix types in a column).
    assert display["numerator"].tolist() == [HIDDEN, "40", HIDDEN]
    assert display["rate"].tolist() == [HIDDEN, "0.4000", HIDDEN]
    assert display["low"].tolist()[::2] == [HIDDEN, HIDDEN]
    assert chart["numerator"].isna().tolist() == [True, False, True]
    assert chart["rate"].isna().tolist() == [True, False, True]
    assert chart["high"].isna().tolist() == [True, False, True]
    assert display["denominator"].tolist() == [50, 100, 90]


def test_protect_rate_without_suppressed_counts():
    frame = pd.DataFrame({"numerator": [5, 40], "rate": [0.1, 0.4]})
    chart, display = protect(frame, [], {"rate": "numerator"})
    assert display["rate"].tolist() == [HIDDEN, "0.4000"]
    assert chart["rate"].isna().tolist() == [True, False]
