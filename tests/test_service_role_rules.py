"""The service-type and roster-role rule tables: defaults, precedence, whole words,
workspace overrides, and the service types as evidence that a sheet is a services list."""

from __future__ import annotations

import pandas as pd
import pytest

from pmhc.domain.rules import load_rules, save_rule_table
from pmhc.ingest import mapping as mp

RULES = load_rules()


def test_service_groups_first_group_wins():
    types = pd.Series(
        [
            "988 Suicide & Crisis Lifeline",
            "Mobile Crisis Team",
            "Crisis Stabilization Unit",  # stabilisation before anything later in the order
            "Hospital Emergency Department",
            "Withdrawal management (detox)",
            "Peer Respite",  # respite is stabilisation, which comes before peer
            "Emergency Shelter",  # emergency department comes before housing
            "Community Mental Health Center",
            "Food bank",
            None,
        ]
    )
    assert RULES.service_group(types).tolist() == [
        "crisis_line",
        "mobile_crisis",
        "crisis_stabilisation",
        "emergency_department",
        "detox",
        "crisis_stabilisation",
        "emergency_department",
        "outpatient",
        "other",
        "other",
    ]
    assert RULES.known_service(types).tolist() == [True] * 8 + [False, False]


def test_service_terms_match_whole_words_only():
    # "ER" and "ED" are whole words: not inside "Centered" or "Bed".
    assert RULES.service_group(pd.Series(["Person-Centered Bed Registry"])).tolist() == ["other"]


def test_rank_decides_command_and_supervisor_and_role_the_rest():
    role = pd.Series(["Patrol", "Dispatch", "Investigations", "Patrol", "Adult Services", "Admin"])
    rank = pd.Series(["Sergeant", "Officer", "Lieutenant", "Officer", "Officer", "Chief"])
    assert RULES.role_group(role, rank).astype(str).tolist() == [
        "supervisor",
        "dispatcher",
        "command",
        "patrol",
        "patrol",  # "Adult" is not "Lt": whole words only
        "command",
    ]
    # Without a rank column the role text decides everything, first group in order.
    assert RULES.role_group(pd.Series(["Patrol Supervisor", "K-9 Unit", "Clerk"]), None).astype(
        str
    ).tolist() == ["supervisor", "specialist", "civilian"]
    assert RULES.role_group(None, None) is None


def test_workspace_rows_override_the_defaults(tmp_path):
    table = RULES.services.copy()
    table.loc[len(table)] = ["FOOD BANK", "other", "Basic needs"]
    table.loc[len(table)] = ["WELLNESS HUB", "crisis_stabilisation", ""]
    save_rule_table(tmp_path, "services", table)
    edited = load_rules(tmp_path)
    types = pd.Series(["Food Bank", "Wellness Hub"])
    assert edited.service_group(types).tolist() == ["other", "crisis_stabilisation"]
    assert edited.known_service(types).tolist() == [True, True]
    assert edited.unmatched(pd.Series(["Food Bank", "Library", "Library"]), "service").to_dict(
        "records"
    ) == [{"value": "Library", "count": 2}]


def test_a_bad_service_row_is_one_sentence():
    bad = pd.DataFrame({"pattern": ["CRISIS LINE"], "service_group": ["hotline"], "note": [""]})
    with pytest.raises(ValueError, match="unknown service_group 'hotline'"):
        save_rule_table("/nonexistent-never-written", "services", bad)


def test_service_types_are_the_evidence_for_a_services_sheet(tmp_path):
    peek = [["Name", "Type"], ["Hub A", "Wellness Hub"], ["Hub B", "Wellness Hub"]]
    refused: list[str] = []
    assert mp.propose(peek, rules=RULES, refused=refused) is None
    assert "only 0 of the first 2 values" in refused[0]
    table = RULES.services.copy()
    table.loc[len(table)] = ["WELLNESS HUB", "crisis_stabilisation", ""]
    save_rule_table(tmp_path, "services", table)
    proposal = mp.propose(peek, rules=load_rules(tmp_path))
    assert proposal is not None and proposal.kind == "services"
    # The user's choice of kind needs no evidence.
    assert mp.propose(peek, "services", rules=RULES).kind == "services"
