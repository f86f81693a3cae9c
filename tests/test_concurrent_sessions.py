"""Two people working at once through the use cases (as two app sessions do): neither
loses an edit. Saves from the same starting copy that touch different rows or settings
both survive; a save that would overwrite what the other saved meanwhile is refused with
who changed it, and nothing of it is written. And who sees which dataset: a draft is its
owner's (and the administrators') until it is made the agency's. On SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pandas as pd
import pytest

from pmhc.application import actor as actors
from pmhc.application import datasets, review, rules, settings
from pmhc.application.errors import Denied
from pmhc.domain.errors import StaleEdit
from pmhc.storage import uploads
from pmhc.storage.workspace import Workspace
from tests import partner_exports as exports
from tests.test_datasets import export

ANN = actors.user("ann@agency.example", "analyst")
BEN = actors.user("ben@agency.example", "analyst")
VIC = actors.user("vic@agency.example", "viewer")
ADA = actors.user("ada@agency.example", "admin")


@pytest.fixture
def ws(database, tmp_path) -> Workspace:
    """A new workspace, on SQLite and on PostgreSQL."""
    return Workspace(tmp_path / "ws")


def upload(ws: Workspace, who: actors.Actor, seed: int, name: str) -> str:
    data = exports.csv_bytes(exports.base_export(seed=seed))
    new, new_id = uploads.ingest_uploads(ws, [(f"{name}.csv", data)], {})
    return datasets.confirm_upload(ws, who, new, new_id, name=name)


def row(text: str, owner: str) -> dict:
    return {"recommendation": text, "owner": owner, "due": None, "status": "Not started"}


def test_two_sessions_adding_actions_at_once_keep_both(ws):
    ds_id = upload(ws, ANN, 1, "East")
    review.save_actions(ws, ANN, ds_id, pd.DataFrame([row("Add CIT", "Lt")]))
    base_ann = review.actions(ws, ANN, ds_id)
    base_ben = review.actions(ws, BEN, ds_id)
    mine = pd.concat([base_ann, pd.DataFrame([row("Crisis line audit", "Ann")])])
    theirs = pd.concat([base_ben, pd.DataFrame([row("Dispatch script", "Ben")])])
    with ThreadPoolExecutor(2) as pool:
        done = [
            pool.submit(review.save_actions, ws, ANN, ds_id, mine, based_on=base_ann),
            pool.submit(review.save_actions, ws, BEN, ds_id, theirs, based_on=base_ben),
        ]
        assert [len(f.result()) for f in done] == [1, 1]  # one "added" entry each
    saved = review.actions(ws, VIC, ds_id)
    assert sorted(saved["recommendation"]) == ["Add CIT", "Crisis line audit", "Dispatch script"]
    assert dict(zip(saved["recommendation"], saved["changed_by"], strict=True)) == {
        "Add CIT": ANN.who,
        "Crisis line audit": ANN.who,
        "Dispatch script": BEN.who,
    }


def test_an_action_changed_meanwhile_is_refused_not_overwritten(ws):
    ds_id = upload(ws, ANN, 1, "East")
    review.save_actions(ws, ANN, ds_id, pd.DataFrame([row("Add CIT", "Lt")]))
    base = review.actions(ws, ANN, ds_id)
    first = base.assign(status="Done")
    second = base.assign(owner="Sgt")
    review.save_actions(ws, ANN, ds_id, first, based_on=base)
    with pytest.raises(StaleEdit, match=r"^Changed by ann@agency\.example at \d\d:\d\d"):
        review.save_actions(ws, BEN, ds_id, second, based_on=base)
    saved = review.actions(ws, VIC, ds_id)
    assert list(saved[["status", "owner"]].itertuples(index=False, name=None)) == [("Done", "Lt")]


def test_settings_keys_merge_and_a_stale_key_is_refused(ws):
    ds_id = upload(ws, ANN, 1, "East")
    seen_ann = settings.setting_versions(ws, ANN, ds_id)
    seen_ben = settings.setting_versions(ws, BEN, ds_id)
    settings.set_targets(ws, ANN, ds_id, {"connection": 0.5}, based_on=seen_ann)
    # another key from the same starting copy: both kept
    settings.set_programme_start(ws, BEN, ds_id, date(2024, 7, 1), based_on=seen_ben)
    with pytest.raises(StaleEdit, match=r"ann@agency\.example"):
        settings.set_targets(ws, BEN, ds_id, {"connection": 0.9}, based_on=seen_ben)
    now = settings.current(ws, VIC, ds_id, False)
    assert (now["targets"], now["programme_start"]) == ({"connection": 0.5}, "2024-07-01")


def test_a_stale_answer_and_a_stale_rule_table_are_refused(ws):
    seen = review.answers(ws, BEN).get("6.1", {}).get("version", 0)
    review.save_answer(ws, ANN, "6.1", "Yes", "Board meets monthly", based_on=seen)
    with pytest.raises(StaleEdit, match=r"ann@agency\.example"):
        review.save_answer(ws, BEN, "6.1", "No", based_on=seen)
    assert review.answers(ws, VIC)["6.1"]["answer"] == "Yes"
    versions = rules.rule_versions(ws, BEN)
    table = ws.rules().mh_terms
    extra = pd.DataFrame([{table.columns[0]: "WELFARE CHECK", table.columns[1]: "include"}])
    rules.save_rules(
        ws, ANN, "mh_terms", pd.concat([table, extra]), None, versions.get("mh_terms", 0)
    )
    with pytest.raises(StaleEdit, match=r"ann@agency\.example"):
        rules.save_rules(ws, BEN, "mh_terms", table, None, versions.get("mh_terms", 0))
    assert "WELFARE CHECK" in set(ws.rules().mh_terms[table.columns[0]])


def test_a_dataset_changed_meanwhile_refuses_a_rename_and_an_undo(ws):
    march, march_id = uploads.ingest_uploads(ws, [("march.csv", export(1, 40))], {})
    ds_id = datasets.confirm_upload(ws, ANN, march, march_id, name="East")
    first = datasets.dataset_record(ws, ANN, ds_id)
    seen = first.stamp.version
    new, new_id = uploads.ingest_uploads(ws, [("april.csv", export(31, 70))], {})
    shown, added, replaced, total = datasets.append_export(ws, ANN, ds_id, new, new_id, seen)
    assert (first.incidents, added, replaced, total) == (40, 30, 10, 70)
    assert datasets.appended(added, replaced).startswith("Added 30 incidents, replaced 10")
    with pytest.raises(StaleEdit, match=r"ann@agency\.example"):
        datasets.rename_dataset(ws, ANN, ds_id, "East 2025", based_on=seen)
    with pytest.raises(StaleEdit):
        datasets.undo_last(ws, ANN, ds_id, based_on=seen)
    record = datasets.dataset_record(ws, ANN, ds_id)
    assert (record.name, record.version, record.id) == ("East", 2, shown)
    listed = datasets.dataset_versions(ws, ANN, ds_id)
    assert [v.kind for v in listed] == ["upload", "append"]
    assert listed[-1].sentence() == f"Added {added:,} incidents, replaced {replaced:,}."
    back = datasets.undo_last(ws, ANN, ds_id, based_on=record.stamp.version)
    after = datasets.dataset_record(ws, ANN, ds_id)
    assert (back, after.version, after.incidents) == (ds_id, 1, first.incidents)


def test_a_viewer_lists_agency_datasets_only_and_cannot_open_a_draft(ws):
    draft = upload(ws, ANN, 1, "Ann's draft")
    agency = upload(ws, BEN, 2, "Ben's")
    datasets.make_agency(ws, BEN, agency)
    listed = {
        role.who: sorted(s.name for s in datasets.list_datasets(ws, role))
        for role in (ANN, BEN, VIC, ADA)
    }
    assert listed == {
        ANN.who: ["Ann's draft", "Ben's"],
        BEN.who: ["Ben's"],
        VIC.who: ["Ben's"],
        ADA.who: ["Ann's draft", "Ben's"],
    }
    for who in (VIC, BEN):
        with pytest.raises(Denied, match="another person's draft"):
            datasets.open_dataset(ws, who, draft)
        with pytest.raises(Denied):
            datasets.choose_dataset(ws, who, draft)
    datasets.make_agency(ws, ANN, draft)
    assert sorted(s.name for s in datasets.list_datasets(ws, VIC)) == ["Ann's draft", "Ben's"]
    assert datasets.open_dataset(ws, VIC, draft)[1] == draft


def test_adding_unmatched_values_from_a_stale_list_is_refused(ws):
    """The Data page's "Add rules": two people list the unmatched call types under the same
    rules; the second to add, from the list as it was before the first saved, is refused
    with who changed the table, and nothing of theirs is written."""
    seen_ann = rules.rule_versions(ws, ANN).get("mh_terms", 0)
    seen_ben = rules.rule_versions(ws, BEN).get("mh_terms", 0)
    terms = ws.rules().mh_terms
    pattern = terms.columns[0]
    before = len(terms)
    rules.assign_values(ws, ANN, "mh_terms", {"WELFARE CHECK": "include"}, None, seen_ann)
    with pytest.raises(StaleEdit, match=r"^Changed by ann@agency\.example at \d\d:\d\d"):
        rules.assign_values(ws, BEN, "mh_terms", {"NOISE COMPLAINT": "include"}, None, seen_ben)
    after = ws.rules().mh_terms
    assert len(after) == before + 1
    assert "NOISE COMPLAINT" not in " ".join(after[pattern].astype(str))
    assert rules.rule_versions(ws, BEN)["mh_terms"] == seen_ben + 1
    # From the list as it is now, Ben's value is added.
    fresh = rules.rule_versions(ws, BEN)["mh_terms"]
    rules.assign_values(ws, BEN, "mh_terms", {"NOISE COMPLAINT": "include"}, None, fresh)
    assert len(ws.rules().mh_terms) == before + 2
