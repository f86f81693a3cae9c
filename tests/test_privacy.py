"""Pseudonyms for person identifiers. (What partners see is suppressed by the partner
release: tests/test_release.py and test_release_audit.py.)"""

from __future__ import annotations

import stat

import numpy as np
import pandas as pd

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
