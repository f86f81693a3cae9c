"""The workspace's records in a database (pmhc.storage.db), on SQLite and on PostgreSQL:
the schema the migrations make, the one-time import of a workspace kept as JSON files,
no lost edits between concurrent sessions (threads and processes), and workspaces that
share one PostgreSQL database without seeing each other's rows."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from pmhc.domain.errors import StaleEdit
from pmhc.storage import answers, audit, db, releases, review_log, settings, shares
from pmhc.storage import datasets as store
from pmhc.storage.workspace import Workspace

LEGACY = Path(__file__).parent / "legacy_workspace"  # written by the JSON-file storage
LEGACY_ID = "9c4e151eaed1d1a8"


def test_the_migrations_make_the_schema_the_code_uses(database, tmp_path):
    audit.record(tmp_path, "ana", "analyst", "upload")  # the first open migrates
    with db.engine_for(tmp_path).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "0001"


def test_the_sqlite_file_is_private_and_written_ahead(tmp_path, monkeypatch):
    monkeypatch.delenv(db.ENV_URL, raising=False)
    settings.save_settings(tmp_path, None, threshold=7)
    assert stat.S_IMODE((tmp_path / db.DB_FILE).stat().st_mode) == 0o600
    with db.read(tmp_path) as (conn, _):
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS


# --- an old workspace ---------------------------------------------------------------------


@pytest.fixture
def legacy(tmp_path) -> Path:
    folder = tmp_path / "ws"
    shutil.copytree(LEGACY, folder, ignore=shutil.ignore_patterns("MADE_BY*"))
    return folder


def test_a_json_workspace_is_imported_once_on_first_start(database, legacy):
    ws = Workspace(legacy)
    [saved] = store.list_saved(ws.datasets_dir)
    assert (saved.id, saved.name, saved.incidents, saved.status) == (
        LEGACY_ID,
        "March 2025",
        20,
        "agency",
    )
    assert store.load(ws.datasets_dir, LEGACY_ID).calls["incident_id"].nunique() == 20
    assert store.last_choice(ws.datasets_dir, "dana@agency.gov") == LEGACY_ID
    values = settings.load_settings(legacy, LEGACY_ID)
    assert values["threshold"] == 5 and values["programme_start"] == "2024-07-01"
    assert values["targets"] == {"connection_rate": 0.4}
    assert settings.milestones(values)[0][1] == "CIT course"
    assert settings.load_settings(legacy)["programme_start"] == "2024-01-01"  # the sample's
    records = settings.dataset_folder(legacy, LEGACY_ID)
    actions = review_log.load_actions(records)
    assert sorted(actions["recommendation"]) == ["Night shift CIT", "Train dispatch"]
    assert dict(zip(actions["recommendation"], actions["status"], strict=True)) == {
        "Night shift CIT": "Not started",
        "Train dispatch": "Done",
    }
    history = review_log.history(records)
    assert list(history["change"]) == ["added", "added", "status"]
    assert history["by"].notna().all()  # the old "by": null is named, never null
    [meeting] = review_log.load_meetings(records)
    assert meeting["decisions"] == "Fund the night shift"
    assert review_log.meetings_frame(records, actions)["linked actions"][0] == "Night shift CIT"
    assert review_log.load_actions(settings.dataset_folder(legacy, None))[
        "recommendation"
    ].tolist() == ["Sample action"]
    got = answers.load(legacy)
    assert {k: (v["answer"], v["shared"]) for k, v in got.items()} == {
        "1.1": ("Yes", True),
        "2.3": ("Partly", False),
    }
    assert sorted(s.status() for s in shares.load(legacy)) == ["active", "revoked"]
    assert [e["action"] for e in audit.read(legacy)] == ["upload", "share-create"]
    assert releases.publish_record(legacy)["dataset"] == LEGACY_ID
    with db.read(legacy) as (conn, ws_key):
        terms = conn.execute(sa.select(db.rules.c.body).where(db.rules.c.ws == ws_key)).scalar()
    assert "HEARING VOICES" in terms
    # Once: what the old files say afterwards does not come back.
    (legacy / "audit.jsonl").write_text("")
    audit.record(legacy, "ana", "analyst", "upload")
    assert len(audit.read(legacy)) == 3


# --- no lost edits --------------------------------------------------------------------------


def test_settings_merge_by_key_and_refuse_a_stale_copy(database, tmp_path):
    read_by_a = settings.settings_stamps(tmp_path, None)
    read_by_b = settings.settings_stamps(tmp_path, None)
    seen = {k: read_by_a.get(k, db.Stamp()).version for k in ("programme_start", "targets")}
    settings.save_settings(
        tmp_path, None, by="Dana", expected_versions=seen, programme_start="2025-01-01"
    )
    seen_b = {k: read_by_b.get(k, db.Stamp()).version for k in ("programme_start", "targets")}
    with pytest.raises(StaleEdit) as refused:
        settings.save_settings(
            tmp_path, None, by="Lee", expected_versions=seen_b, programme_start="2025-02-01"
        )
    at = settings.settings_stamps(tmp_path, None)["programme_start"].at
    assert str(refused.value) == f"Changed by Dana at {at[11:16]} — reload to see it."
    # A different setting from the same copy is no conflict.
    settings.save_settings(
        tmp_path, None, by="Lee", expected_versions={"targets": 0}, targets={"arrest_rate": 0.1}
    )
    values = settings.load_settings(tmp_path)
    assert values["programme_start"] == "2025-01-01" and values["targets"] == {"arrest_rate": 0.1}
    stamp = settings.settings_stamps(tmp_path, None)["targets"]
    assert (stamp.version, stamp.by) == (1, "Lee")


def _action(text: str) -> dict:
    return {"id": None, "recommendation": text, "owner": "Ops", "due": None, "status": None}


def test_two_analysts_adding_actions_both_keep_theirs(database, tmp_path):
    records = tmp_path / "settings" / "sample"
    copy_a, copy_b = review_log.load_actions(records), review_log.load_actions(records)
    review_log.save_actions(
        records, pd.concat([copy_a, pd.DataFrame([_action("Night shift")])]), by="Dana", base=copy_a
    )
    review_log.save_actions(
        records,
        pd.concat([copy_b, pd.DataFrame([_action("Train dispatch")])]),
        by="Lee",
        base=copy_b,
    )
    saved = review_log.load_actions(records)
    assert sorted(saved["recommendation"]) == ["Night shift", "Train dispatch"]
    # Both edit "Night shift" from the same copy: the second is refused, nothing saved.
    copy_a, copy_b = saved.copy(), saved.copy()
    row = copy_a.index[copy_a["recommendation"] == "Night shift"][0]
    copy_a.loc[row, "status"] = "Done"
    review_log.save_actions(records, copy_a, by="Dana", base=saved)
    copy_b.loc[row, "owner"] = "Lt Ruiz"
    with pytest.raises(StaleEdit, match=r"^Changed by Dana at \d\d:\d\d — reload to see it\.$"):
        review_log.save_actions(records, copy_b, by="Lee", base=saved)
    # Lee's change to the other action, from the same stale copy, is no conflict.
    other = copy_b.index[copy_b["recommendation"] == "Train dispatch"][0]
    copy_b.loc[row, "owner"] = "Ops"  # back as read: only the other row differs now
    copy_b.loc[other, "status"] = "In progress"
    review_log.save_actions(records, copy_b, by="Lee", base=saved)
    both = review_log.load_actions(records).set_index("recommendation")["status"].to_dict()
    assert both == {"Night shift": "Done", "Train dispatch": "In progress"}
    saved = review_log.load_actions(records)
    copy_a = saved.copy()
    row = copy_a.index[copy_a["recommendation"] == "Night shift"][0]
    copy_a.loc[row, "owner"] = "Lt Ruiz"
    review_log.save_actions(records, copy_a, by="Dana", base=saved)
    # Deleting a row someone changed since is refused too; deleting one's own is not.
    with pytest.raises(StaleEdit):
        review_log.save_actions(records, saved.drop(index=row), by="Lee", base=saved)
    fresh = review_log.load_actions(records)
    mine = fresh.index[fresh["recommendation"] == "Train dispatch"][0]
    review_log.save_actions(records, fresh.drop(index=mine), by="Lee", base=fresh)
    final = review_log.load_actions(records)
    assert final[["recommendation", "owner", "status"]].values.tolist() == [
        ["Night shift", "Lt Ruiz", "Done"]
    ]
    history = review_log.history(records)
    assert list(zip(history["change"], history["by"], strict=True)) == [
        ("added", "Dana"),
        ("added", "Lee"),
        ("status", "Dana"),
        ("status", "Lee"),
        ("owner", "Dana"),
        ("removed", "Lee"),
    ]


def test_meetings_and_answers_merge_row_by_row(database, tmp_path):
    records = tmp_path / "settings" / "sample"
    review_log.add_meeting(records, date(2026, 1, 5), ["Dispatch"], "First", [], by="Dana")
    review_log.add_meeting(records, date(2026, 1, 5), ["Dispatch"], "Second", [], by="Lee")
    a, b = review_log.load_meetings(records)
    assert {a["decisions"], b["decisions"]} == {"First", "Second"}
    review_log.update_meeting(
        records,
        a["id"],
        date(2026, 1, 6),
        ["Dispatch"],
        "Fixed",
        [],
        by="Lee",
        expected_version=a["version"],
    )
    with pytest.raises(StaleEdit, match=r"^Changed by Lee at"):
        review_log.update_meeting(
            records,
            a["id"],
            date(2026, 1, 7),
            ["Dispatch"],
            "Mine",
            [],
            by="Dana",
            expected_version=a["version"],
        )
    answers.save(tmp_path, "1.1", "Yes", by="Dana", expected_version=0)
    answers.save(tmp_path, "1.2", "No", by="Lee", expected_version=0)  # another item: merged
    with pytest.raises(StaleEdit, match=r"^Changed by Dana at"):
        answers.save(tmp_path, "1.1", "No", by="Lee", expected_version=0)
    got = answers.load(tmp_path)
    assert {k: (v["answer"], v["by"]) for k, v in got.items()} == {
        "1.1": ("Yes", "Dana"),
        "1.2": ("No", "Lee"),
    }


def _bump(folder: str, who: str, times: int) -> int:
    """Read-modify-write a counter kept as a setting `times` times, reloading and retrying
    on StaleEdit; the number of refusals seen."""
    refused = 0
    done = 0
    while done < times:
        stamp = settings.settings_stamps(Path(folder), None).get("targets", db.Stamp())
        count = settings.load_settings(Path(folder))["targets"].get("n", 0)
        try:
            settings.save_settings(
                Path(folder),
                None,
                by=who,
                expected_versions={"targets": stamp.version},
                targets={"n": count + 1},
            )
        except StaleEdit:
            refused += 1
            continue
        done += 1
    return refused


def _add_actions(folder: str, who: str, times: int) -> None:
    records = Path(folder) / "settings" / "sample"
    for i in range(times):
        for _ in range(50):  # a row of another writer changed meanwhile: reload, redo
            copy = review_log.load_actions(records)
            grown = pd.concat([copy, pd.DataFrame([_action(f"{who} {i}")])], ignore_index=True)
            try:
                review_log.save_actions(records, grown, by=who, base=copy)
                break
            except StaleEdit:
                continue
        review_log.add_meeting(records, date(2026, 1, 1), ["Dispatch"], f"{who} {i}", [], by=who)
        answers.save(Path(folder), f"{who}.{i}", "Yes", by=who, expected_version=0)


def test_concurrent_threads_lose_no_edit(database, tmp_path):
    with ThreadPoolExecutor(4) as pool:
        bumps = [pool.submit(_bump, str(tmp_path), f"t{n}", 10) for n in range(4)]
        adds = [pool.submit(_add_actions, str(tmp_path), f"w{n}", 5) for n in range(4)]
        [f.result() for f in adds]
        [f.result() for f in bumps]
    assert settings.load_settings(tmp_path)["targets"] == {"n": 40}
    assert settings.settings_stamps(tmp_path, None)["targets"].version == 40
    records = tmp_path / "settings" / "sample"
    assert len(review_log.load_actions(records)) == 20
    assert len(review_log.load_meetings(records)) == 20
    assert len(answers.load(tmp_path)) == 20
    history = review_log.history(records)
    assert (history["change"] == "added").sum() == 20 and history["by"].str.match("w").all()


def _in_child(call: str) -> subprocess.Popen:
    """A fresh interpreter (its own engine and connections) running `call` on this module's
    helpers, started from the repository whatever the suite did to this process's state."""
    root = Path(__file__).resolve().parents[1]
    code = (
        f"import sys; sys.path[:0] = [{str(root)!r}, {str(root / 'tests')!r}]\n"
        f"import importlib; m = importlib.import_module({_bump.__module__!r})\n"
        f"m.{call}"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=root)


def test_concurrent_processes_lose_no_edit(database, tmp_path):
    folder = str(tmp_path)
    children = [_in_child(f"_bump({folder!r}, 'p{n}', 6)") for n in range(2)]
    children += [_in_child(f"_add_actions({folder!r}, 'q{n}', 3)") for n in range(2)]
    assert [child.wait(timeout=300) for child in children] == [0, 0, 0, 0]
    assert settings.load_settings(tmp_path)["targets"] == {"n": 12}
    records = tmp_path / "settings" / "sample"
    assert len(review_log.load_actions(records)) == 6
    assert len(review_log.load_meetings(records)) == 6


def test_workspaces_sharing_a_database_see_only_their_own_rows(database, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    settings.save_settings(one, None, threshold=3, by="ana")
    audit.record(one, "ana", "admin", "share-create")
    shares.create(one, "County", 30)
    assert settings.load_settings(two)["threshold"] == settings.WORKSPACE_DEFAULTS["threshold"]
    assert audit.read(two) == [] and shares.load(two) == []
    assert len(audit.read(one)) == 1 and len(shares.load(one)) == 1


def test_a_rule_table_saved_from_a_stale_copy_is_refused(database, tmp_path):
    ws = Workspace(tmp_path)
    terms = ws.rules().mh_terms
    seen = ws.rules_stamps().get("mh_terms", db.Stamp()).version
    extra = pd.DataFrame([{"term": "HEARING VOICES", "kind": "include"}])
    ws.save_rules("mh_terms", pd.concat([terms, extra]), by="Dana", expected_version=seen)
    with pytest.raises(StaleEdit, match=r"^Changed by Dana at"):
        ws.save_rules("mh_terms", terms, by="Lee", expected_version=seen)
    assert ws.rules().mh_flag(pd.Series(["HEARING VOICES"])).all()  # Dana's edit stands
    stamp = ws.rules_stamps()["mh_terms"]
    assert (stamp.version, stamp.by) == (1, "Dana")
    with pytest.raises(ValueError):  # a bad table: one sentence, nothing saved
        ws.save_rules("mh_terms", pd.DataFrame([{"term": "", "kind": "include"}]), by="Lee")
    assert ws.rules_stamps()["mh_terms"].version == 1
