"""Every use case of the application layer against every kind of user: admin, analyst,
viewer, a partner link and someone signed out. A refused call says why in one sentence
and changes nothing on disk; an allowed write leaves one audit entry naming who did it,
what, and the value before and after.

The matrix enumerates the package's registries (`guard.WRITES`, `guard.READS`), so a new
use case without a row here fails `test_every_use_case_has_a_row`."""

from __future__ import annotations

import importlib
import pkgutil
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import pmhc.application
from pmhc.analysis.filters import Filters
from pmhc.application import actor as actors
from pmhc.application import datasets, partners, report, review, rules, settings
from pmhc.application.errors import Denied
from pmhc.application.guard import READS, WRITES
from pmhc.storage import audit, review_log, uploads
from pmhc.storage import settings as settings_store
from pmhc.storage.workspace import Workspace
from tests import partner_exports as exports
from tests.databases import workspace_state

ROLES = {
    "admin": actors.user("ada@agency.example", "admin"),
    "analyst": actors.user("ann@agency.example", "analyst"),
    "viewer": actors.user("vic@agency.example", "viewer"),
    "partner link": actors.partner_link("0a1b2c3d"),
    "signed out": actors.SIGNED_OUT_ACTOR,
}
RANK = {"viewer": 1, "analyst": 2, "admin": 3}


@dataclass
class Template:
    """A workspace with a saved dataset, a partner link and an upload read but not saved."""

    folder: Path
    ds_id: str
    new: object
    new_id: str
    share_id: str
    export: Path
    proposal: object
    two_id: str  # a dataset with two versions (an export appended)
    meeting: dict  # a logged meeting of ds_id


def export_2024(seed: int) -> bytes:
    """A partner test export's calls of 2024: the matrix checks who may do what, not the
    figures, and a draft or published release of one year is built in a tenth of the
    time of two years' (the release audit grows with the months)."""
    frame = exports.base_export(seed)
    return exports.csv_bytes(frame[frame["Call Date"] < "2025"])


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Template:
    folder = tmp_path_factory.mktemp("template") / "ws"
    ws = Workspace(folder)
    export = folder.parent / "march.csv"
    export.write_bytes(export_2024(seed=8))
    first = export_2024(seed=7)
    _, ds_id = uploads.save_uploads(ws, [("calls.csv", first)], {})
    new, new_id = uploads.ingest_uploads(ws, [("march.csv", export.read_bytes())], {})
    _, share = partners.create_link(ws, ROLES["admin"], "County partners", 30)
    proposal = uploads.mapping_view(new.reports[0], "march.csv", export.read_bytes()).proposal
    april = export_2024(seed=9)
    two, two_id = uploads.save_uploads(ws, [("april.csv", april)], {})
    uploads.append_to(ws, two, two_id, new, new_id, by="ann@agency.example")
    records = settings_store.dataset_folder(ws.folder, ds_id)
    review_log.add_meeting(records, date(2025, 1, 5), ["Dispatch"], "Keep it", [], by="ann")
    meeting = review_log.load_meetings(records)[0]
    return Template(folder, ds_id, new, new_id, share.id, export, proposal, two_id, meeting)


def milestones() -> pd.DataFrame:
    return pd.DataFrame({"date": [date(2024, 7, 1)], "label": ["Mobile crisis launched"]})


def actions() -> pd.DataFrame:
    return pd.DataFrame(
        [{"recommendation": "Add CIT", "owner": "Lt", "due": None, "status": "Not started"}]
    )


def extra_term(ws: Workspace) -> pd.DataFrame:
    table = ws.rules().mh_terms
    row = {table.columns[0]: "WELFARE CHECK", table.columns[1]: "include"}
    return pd.concat([table, pd.DataFrame([row])], ignore_index=True)


# Each write use case: the least role allowed, the audit action it writes, and a valid call.
WRITE_CASES = {
    "add_meeting": (
        "analyst",
        "meeting-add",
        lambda ws, a, t: review.add_meeting(
            ws, a, t.ds_id, date(2025, 1, 5), ["Dispatch"], "Keep the crisis line", []
        ),
    ),
    "append_export": (
        "analyst",
        "dataset-append",
        lambda ws, a, t: datasets.append_export(ws, a, t.ds_id, t.new, t.new_id),
    ),
    "assign_values": (
        "analyst",
        "rules-edit",
        lambda ws, a, t: rules.assign_values(
            ws, a, "mh_terms", {"WELFARE CHECK": "include"}, t.ds_id
        ),
    ),
    "choose_dataset": (
        "viewer",
        "dataset-switch",
        lambda ws, a, t: datasets.choose_dataset(ws, a, t.ds_id),
    ),
    "confirm_upload": (
        "analyst",
        "upload",
        lambda ws, a, t: datasets.confirm_upload(ws, a, t.new, t.new_id, name="March"),
    ),
    "create_link": (
        "admin",
        "share-create",
        lambda ws, a, t: partners.create_link(ws, a, "Crisis line", 30),
    ),
    "delete_dataset": (
        "analyst",
        "dataset-delete",
        lambda ws, a, t: datasets.delete_dataset(ws, a, t.ds_id),
    ),
    "make_agency": (
        "analyst",
        "dataset-agency",
        lambda ws, a, t: datasets.make_agency(ws, a, t.ds_id),
    ),
    "undo_last": (
        "analyst",
        "dataset-undo",
        lambda ws, a, t: datasets.undo_last(ws, a, t.two_id),
    ),
    "update_meeting": (
        "analyst",
        "meeting-edit",
        lambda ws, a, t: review.update_meeting(
            ws,
            a,
            t.ds_id,
            t.meeting["id"],
            date(2025, 1, 6),
            ["Dispatch", "CIT coordinator"],
            "Keep the crisis line",
            [],
            based_on=t.meeting["version"],
        ),
    ),
    "export_audit": ("admin", "audit-export", lambda ws, a, t: report.export_audit(ws, a)),
    "load_files": (
        "analyst",
        "upload",
        lambda ws, a, t: datasets.load_files(ws, a, [str(t.export)]),
    ),
    "publish": ("analyst", "publish", lambda ws, a, t: partners.publish(ws, a, t.ds_id)),
    "reapply_rules": (
        "analyst",
        "rules-apply",
        lambda ws, a, t: datasets.reapply_rules(ws, a, t.ds_id),
    ),
    "rename_dataset": (
        "analyst",
        "dataset-rename",
        lambda ws, a, t: datasets.rename_dataset(ws, a, t.ds_id, "East side 2025"),
    ),
    "revoke_link": (
        "admin",
        "share-revoke",
        lambda ws, a, t: partners.revoke_link(ws, a, t.share_id),
    ),
    "save_actions": (
        "analyst",
        "actions-edit",
        lambda ws, a, t: review.save_actions(ws, a, t.ds_id, actions()),
    ),
    "save_answer": (
        "analyst",
        "answers-edit",
        lambda ws, a, t: review.save_answer(ws, a, "6.1", "Yes", "Board meets monthly"),
    ),
    "save_profile": (
        "analyst",
        "profile-save",
        lambda ws, a, t: datasets.save_profile(ws, a, "CAD monthly", t.proposal, False),
    ),
    "save_rules": (
        "analyst",
        "rules-edit",
        lambda ws, a, t: rules.save_rules(ws, a, "mh_terms", extra_term(ws), t.ds_id),
    ),
    "set_data_end": (
        "analyst",
        "settings-edit",
        lambda ws, a, t: settings.set_data_end(ws, a, t.ds_id, date(2024, 12, 20)),
    ),
    "set_definitions": (
        "analyst",
        "settings-edit",
        lambda ws, a, t: settings.set_definitions(ws, a, t.ds_id, holds_as_connection=True),
    ),
    "set_mh_routes": (
        "analyst",
        "settings-edit",
        lambda ws, a, t: settings.set_mh_routes(ws, a, t.ds_id, ["final"]),
    ),
    "set_milestones": (
        "analyst",
        "settings-edit",
        lambda ws, a, t: settings.set_milestones(ws, a, t.ds_id, milestones()),
    ),
    "set_programme_start": (
        "analyst",
        "settings-edit",
        lambda ws, a, t: settings.set_programme_start(ws, a, t.ds_id, date(2024, 7, 1)),
    ),
    "set_targets": (
        "analyst",
        "settings-edit",
        lambda ws, a, t: settings.set_targets(ws, a, t.ds_id, {"connection": 0.5}),
    ),
}

# Each read: who may (a partner link only what is published), and a valid call.
READ_CASES = {
    "actions": ("viewer", lambda ws, a, t: review.actions(ws, a, t.ds_id)),
    "actions_workbook": ("viewer", lambda ws, a, t: review.actions_workbook(ws, a, t.ds_id)),
    "answers": ("viewer", lambda ws, a, t: review.answers(ws, a)),
    "answers_workbook": ("viewer", lambda ws, a, t: review.answers_workbook(ws, a)),
    "audit_entries": ("admin", lambda ws, a, t: report.audit_entries(ws, a)),
    "current": ("viewer", lambda ws, a, t: settings.current(ws, a, t.ds_id, False)),
    "dataset_record": ("viewer", lambda ws, a, t: datasets.dataset_record(ws, a, t.ds_id)),
    "dataset_versions": ("viewer", lambda ws, a, t: datasets.dataset_versions(ws, a, t.two_id)),
    "setting_versions": ("viewer", lambda ws, a, t: settings.setting_versions(ws, a, t.ds_id)),
    "rule_versions": ("viewer", lambda ws, a, t: rules.rule_versions(ws, a)),
    "dataset_name": ("viewer", lambda ws, a, t: datasets.dataset_name(ws, a, t.ds_id)),
    "page_figures": (
        "viewer",
        lambda ws, a, t: datasets.page_figures(ws, a, t.new, "leadership", {}),
    ),
    "draft": ("viewer", lambda ws, a, t: partners.draft(ws, a, t.new, t.new_id)),
    "last_choice": ("viewer", lambda ws, a, t: datasets.last_choice(ws, a)),
    "links": ("admin", lambda ws, a, t: partners.links(ws, a)),
    "list_datasets": ("viewer", lambda ws, a, t: datasets.list_datasets(ws, a)),
    "meeting_pack": (
        "partner",
        lambda ws, a, t: report.meeting_pack(ws, a, Filters(), "partner", t.ds_id),
    ),
    "meetings": ("viewer", lambda ws, a, t: review.meetings(ws, a, t.ds_id)),
    "meeting_records": ("viewer", lambda ws, a, t: review.meeting_records(ws, a, t.ds_id)),
    "open_dataset": ("viewer", lambda ws, a, t: datasets.open_dataset(ws, a, t.ds_id)),
    "preview_upload": (
        "analyst",
        lambda ws, a, t: datasets.preview_upload(ws, a, [("m.csv", t.export.read_bytes())], {}),
    ),
    "published": ("partner", lambda ws, a, t: partners.published(ws, a)),
    "published_version": ("partner", lambda ws, a, t: partners.published_version(ws, a)),
}


def allowed(least: str, role: str) -> bool:
    if role == "signed out":
        return False
    if role == "partner link":
        return least == "partner"
    return least == "partner" or RANK[role] >= RANK[least]


def snapshot(folder: Path) -> dict[str, str]:
    return workspace_state(folder)


def fresh(template: Template, tmp_path: Path) -> Workspace:
    folder = tmp_path / "ws"
    shutil.copytree(template.folder, folder)
    return Workspace(folder)


def test_every_use_case_has_a_row():
    for module in pkgutil.iter_modules(pmhc.application.__path__):
        importlib.import_module(f"pmhc.application.{module.name}")
    assert set(WRITES) == set(WRITE_CASES), "a write use case without a row in the matrix"
    assert set(READS) == set(READ_CASES), "a read use case without a row in the matrix"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(WRITE_CASES))
def test_write_use_case(name, role, template, tmp_path):
    least, action, call = WRITE_CASES[name]
    ws, who = fresh(template, tmp_path), ROLES[role]
    before, entries = snapshot(ws.folder), len(audit.read(ws.folder))
    if not allowed(least, role):
        with pytest.raises(Denied) as refused:
            call(ws, who, template)
        sentence = str(refused.value)
        assert sentence.endswith(".") and "\n" not in sentence and len(sentence) < 120
        assert snapshot(ws.folder) == before, "a refused call changed the workspace"
        return
    call(ws, who, template)
    written = audit.read(ws.folder)[entries:]
    assert [e["action"] for e in written][-1:] == [action]
    assert (written[-1]["who"], written[-1]["role"]) == (who.who, who.role)
    if action != "audit-export":  # an export changes nothing to compare
        assert {"before", "after"} <= set(written[-1]["details"])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(READ_CASES))
def test_read_use_case(name, role, template, tmp_path):
    least, call = READ_CASES[name]
    ws, who = fresh(template, tmp_path), ROLES[role]
    before = snapshot(ws.folder)
    if allowed(least, role):
        call(ws, who, template)
        return
    with pytest.raises(Denied):
        call(ws, who, template)
    assert snapshot(ws.folder) == before


def test_refusals_name_the_role_and_what_it_cannot_do(template, tmp_path):
    ws = fresh(template, tmp_path)
    table = extra_term(ws)
    with pytest.raises(Denied, match=r"^Viewers cannot change the rules\.$"):
        rules.save_rules(ws, ROLES["viewer"], "mh_terms", table, template.ds_id)
    with pytest.raises(Denied, match=r"^Analysts cannot create partner links\.$"):
        partners.create_link(ws, ROLES["analyst"], "County", 30)
    with pytest.raises(Denied, match=r"^Sign in to see a dataset\.$"):
        datasets.open_dataset(ws, ROLES["signed out"], template.ds_id)
    with pytest.raises(Denied, match=r"^A partner link cannot see a dataset"):
        datasets.open_dataset(ws, ROLES["partner link"], template.ds_id)


def test_a_partner_link_gets_the_partner_pack_whatever_it_asks_for(template, tmp_path):
    ws = fresh(template, tmp_path)
    pack = report.meeting_pack(ws, ROLES["partner link"], Filters(), "internal", template.ds_id)
    assert pack.audience == "partner" and pack.sources == [] and pack.actions.empty


def test_a_use_case_needs_the_acting_user(template, tmp_path):
    ws = fresh(template, tmp_path)
    with pytest.raises(TypeError):
        datasets.rename_dataset(ws, "ann@agency.example", template.ds_id, "x")  # type: ignore[arg-type]
