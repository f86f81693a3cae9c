"""Datasets with a life, on SQLite and on PostgreSQL: a dataset has a name, an owner, a
status (its owner's draft until made the agency's) and versions. Next month's export
appended is a new version of the same dataset (duplicates replaced, what it added said in
one sentence), the version list says what each version did, and the last change can be
undone."""

from __future__ import annotations

from datetime import date

import pytest

from pmhc.domain.errors import InputError, StaleEdit
from pmhc.storage import datasets as store
from pmhc.storage import review_log, settings, uploads
from tests.test_datasets import export


def test_appending_makes_a_new_version_of_the_same_dataset(database, workspace):
    folder = workspace.datasets_dir
    march, march_id = uploads.save_uploads(workspace, [("march.csv", export(1, 40))], {}, by="dana")
    store.rename(folder, march_id, "Riverside CAD")
    settings.save_settings(workspace.folder, march_id, programme_start="2025-01-01")
    april, april_id = uploads.ingest_uploads(workspace, [("april.csv", export(31, 70))], {})
    combined, combined_id, replaced = uploads.append_to(
        workspace, march, march_id, april, april_id, by="lee"
    )
    [saved] = store.list_saved(folder)  # one dataset, not a second one
    assert (saved.id, saved.dataset, saved.version, saved.name) == (
        combined_id,
        march_id,
        2,
        "Riverside CAD",
    )
    assert saved.incidents == len(combined.calls) == 70 and replaced == 10
    first, second = store.versions(folder, march_id)
    assert (first.n, first.by, first.incidents, first.id) == (1, "dana", 40, march_id)
    assert (second.added, second.replaced, second.by, second.kind) == (30, 10, "lee", "append")
    assert second.sentence() == "Added 30 incidents, replaced 10."
    assert uploads.appended(30, 10) == (
        "Added 30 incidents, replaced 10 already loaded (matched on incident number)."
    )
    # Settings and records belong to the dataset, whichever version is shown.
    assert settings.load_settings(workspace.folder, combined_id)["programme_start"] == "2025-01-01"
    assert store.name_of(folder, combined_id) == "Riverside CAD"
    assert len(store.load_dataset(folder, march_id)[0].calls) == 70
    assert len(store.load(folder, march_id).calls) == 40  # the first version, as it was


def test_the_last_change_can_be_undone(database, workspace):
    folder = workspace.datasets_dir
    march, march_id = uploads.save_uploads(workspace, [("m.csv", export(1, 20))], {}, by="dana")
    store.remember_choice(folder, "dana", march_id)
    april, april_id = uploads.ingest_uploads(workspace, [("a.csv", export(15, 30))], {})
    _, combined_id, _ = uploads.append_to(workspace, march, march_id, april, april_id, by="dana")
    store.remember_choice(folder, "lee", combined_id)
    assert store.last_choice(folder, "dana") == combined_id  # the dataset as it is now
    record = store.dataset_record(folder, combined_id)
    with pytest.raises(StaleEdit):
        store.undo_last(folder, march_id, by="dana", expected_version=record.stamp.version - 1)
    back = store.undo_last(folder, combined_id, by="dana", expected_version=record.stamp.version)
    assert (back.id, back.version, back.incidents) == (march_id, 1, 20)
    assert not (folder / combined_id).exists()  # the undone tables are gone from disk
    assert store.last_choice(folder, "lee") == march_id
    with pytest.raises(InputError, match="one version only"):
        store.undo_last(folder, march_id, by="dana")


def test_unchanged_tables_are_shared_between_versions(database, workspace):
    folder = workspace.datasets_dir
    _, ds_id = uploads.save_uploads(workspace, [("m.csv", export(1, 20))], {}, by="dana")
    settings.save_settings(workspace.folder, ds_id, by="dana", mh_routes=["final"])
    _, new_id = uploads.reapply_rules(workspace, ds_id, by="dana")
    assert [v.kind for v in store.versions(folder, ds_id)] == ["upload", "rules"]
    old, new = folder / ds_id / "completeness.parquet", folder / new_id / "completeness.parquet"
    assert old.stat().st_ino == new.stat().st_ino  # one file on disk, two names


def test_a_draft_is_its_owners_until_made_the_agencys(database, workspace):
    folder = workspace.datasets_dir
    _, mine = uploads.save_uploads(workspace, [("m.csv", export(1, 20))], {}, by="dana")

    def listed(user, role):
        return [s.dataset for s in store.list_datasets(folder, user=user, role=role)]

    assert store.dataset_record(folder, mine).status == "draft"
    assert listed("dana", "analyst") == [mine] and listed("boss", "admin") == [mine]
    assert listed("lee", "analyst") == [] and listed("vic", "viewer") == []
    assert listed(None, None) == []  # signed out, or a partner link
    store.make_agency(folder, mine, by="lee")
    assert listed("vic", "viewer") == [mine] and listed("lee", "analyst") == [mine]
    assert listed(None, None) == []
    record = store.dataset_record(folder, mine)
    assert (record.status, record.owner, record.stamp.by) == ("agency", "dana", "lee")


def test_a_rename_from_a_stale_copy_is_refused(database, workspace):
    folder = workspace.datasets_dir
    _, ds_id = uploads.save_uploads(workspace, [("m.csv", export(1, 20))], {}, by="dana")
    seen = store.dataset_record(folder, ds_id).stamp.version
    store.rename(folder, ds_id, "March", by="Dana", expected_version=seen)
    with pytest.raises(StaleEdit, match=r"^Changed by Dana at \d\d:\d\d — reload to see it\.$"):
        store.rename(folder, ds_id, "Mine", by="Lee", expected_version=seen)
    assert store.name_of(folder, ds_id) == "March"


def test_deleting_a_dataset_deletes_its_versions_and_records(database, workspace):
    folder = workspace.datasets_dir
    march, march_id = uploads.save_uploads(workspace, [("m.csv", export(1, 20))], {})
    april, april_id = uploads.ingest_uploads(workspace, [("a.csv", export(21, 30))], {})
    _, combined_id, _ = uploads.append_to(workspace, march, march_id, april, april_id)
    records = settings.dataset_folder(workspace.folder, combined_id)
    review_log.add_meeting(records, date(2026, 1, 2), ["Dispatch"], "x", [])
    store.delete(folder, combined_id)
    assert store.list_saved(folder) == [] and store.versions(folder, march_id) == []
    assert not (folder / march_id).exists() and not (folder / combined_id).exists()
    assert review_log.load_meetings(records) == []
