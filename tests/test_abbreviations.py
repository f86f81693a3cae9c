"""Abbreviated CAD values: the abbreviations table, whole-token expansion, the new rule
tables (destinations, responders, connection components), and no new false positives on
the 3,227 call types and the dispositions of the Vera five-city crosswalk."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import VERA, real_file  # tests/ is on the path under pytest

from pmhc.domain import rules as R
from pmhc.domain.rules import load_rules, save_rule_table


@pytest.fixture(scope="module")
def rules() -> R.Rules:
    return load_rules()


@pytest.fixture(scope="module")
def plain(rules) -> R.Rules:
    """The same rules without any abbreviation."""
    empty = pd.DataFrame({"abbreviation": [], "expansion": []})
    return R.Rules(rules.mh_terms, rules.dispositions, rules.courses, abbreviations=empty)


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("WELF CHK-MH", "WELFARE CHECK-MENTAL HEALTH"),
        ("WELFCHK MH", "WELFARE CHECK MENTAL HEALTH"),
        ("TRANSP TO CRISIS CTR", "TRANSPORTED TO CRISIS CENTER"),
        ("TRNSPT HOSP", "TRANSPORTED HOSPITAL"),
        ("SUIC ATT", "SUICIDE ATTEMPT"),
        ("EMERG DET", "EMERGENCY DETENTION"),
        ("MHA PATROL", "MHA PATROL"),  # MHA is its own token: never MENTAL HEALTH A
        ("TRANSPORTATION", "TRANSPORTATION"),  # whole tokens only
        ("MH/BH", "MENTAL HEALTH/BEHAVIORAL HEALTH"),
    ],
)
def test_whole_token_expansion(rules, text, expanded):
    assert rules.expand(text) == expanded


def test_abbreviated_values_meet_the_rules(rules, plain):
    calls = pd.Series(["WELF CHK - MH", "SUIC ATT", "BH CRISIS", "EMOT DIST PERS", "DET ASSIST"])
    assert plain.mh_flag(calls).tolist() == [False, False, True, False, False]
    assert rules.mh_flag(calls).tolist() == [True, True, True, True, False]
    dispo = pd.Series(["TRANSP TO CRISIS CTR", "REFD TO MH SVCS", "EMERG DET", "ARR", "GOA"])
    # Without the table only the spelled-out GOA is understood.
    assert plain.disposition_group(dispo).tolist() == ["other"] * 4 + ["no_contact"]
    assert rules.disposition_group(dispo).tolist() == [
        "connection",
        "connection",
        "involuntary",
        "arrest",
        "no_contact",
    ]


def test_new_tables(rules):
    dest = pd.Series(["Jail medical unit", "St Mary Hosp", "HOME", None, "CRISIS STAB UNIT"])
    assert rules.destination_class(dest).tolist()[:3] == ["custody", "treatment", "other"]
    assert pd.isna(rules.destination_class(dest)[3])
    assert rules.destination_class(dest)[4] == "treatment"
    units = pd.Series(["MCT 2", "Co-Responder", "CIT", "Patrol officer", None, "K9"])
    got = rules.responder_class(units).tolist()
    assert got[:4] == ["mobile_crisis", "co_responder", "cit", "patrol"] and got[5] == "other"
    dispo = pd.Series(["TRANSP TO HOSP", "MCT ON SCENE", "REFERRED", "NOT TRANSPORTED", None])
    assert rules.component_hits(dispo, "transport").tolist()[:4] == [True, False, False, False]
    assert rules.component_hits(dispo, "handoff").tolist()[:4] == [False, True, False, False]
    assert pd.isna(rules.component_hits(dispo, "referral")[4])


def test_abbreviations_are_editable_as_data(tmp_path, rules):
    table = pd.concat(
        [
            rules.abbreviations,
            pd.DataFrame([{"abbreviation": "PIC", "expansion": "PERSON IN CRISIS"}]),
        ]
    )
    save_rule_table(tmp_path, "abbreviations", table)
    edited = load_rules(tmp_path)
    assert edited.mh_flag(pd.Series(["PIC"])).tolist() == [True]
    assert rules.mh_flag(pd.Series(["PIC"])).tolist() == [False]
    with pytest.raises(ValueError, match="listed twice"):
        save_rule_table(tmp_path, "abbreviations", pd.concat([table, table]))
    with pytest.raises(ValueError, match="without"):
        save_rule_table(
            tmp_path, "abbreviations", pd.DataFrame({"abbreviation": ["X*"], "expansion": ["Y"]})
        )


def test_no_new_false_positives_on_the_vera_crosswalk(rules, plain):
    """The abbreviations change nothing on 3,227 real call types and the real dispositions of
    five cities: every value spelled out there is grouped exactly as before."""
    path = real_file(VERA)
    fastexcel = pytest.importorskip("fastexcel")
    book = fastexcel.read_excel(str(path))
    calls = book.load_sheet("CallTypes", dtypes="string").to_pandas()["Field 1"]
    assert len(calls) == 3227
    assert rules.mh_flag(calls).tolist() == plain.mh_flag(calls).tolist()
    dispo = book.load_sheet("Disposition", dtypes="string").to_pandas()["Field1"]
    assert (
        rules.disposition_group(dispo).astype(str).tolist()
        == plain.disposition_group(dispo).astype(str).tolist()
    )
