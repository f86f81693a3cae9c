"""Saved datasets: named, listed, renamed, deleted; written whole under a lock; next
month's export appended with duplicates dropped; settings kept with each dataset; each
user's last choice remembered (no workspace-wide current dataset)."""

from __future__ import annotations

import multiprocessing
import shutil
import stat
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from pmhc.domain.errors import InputError
from pmhc.storage import datasets as store
from pmhc.storage import files, review_log, settings, uploads

pytestmark = pytest.mark.usefixtures("database")
HEADER = "Incident No,Call Date,Call Time,Call Type,District,Disposition\n"


def export(first: int, last: int, arrest_every: int = 4) -> bytes:
    """Incidents first..last, one row each, all PERSON IN CRISIS calls in March 2025."""
    rows = [
        f"INC-{i:04d},2025-03-{1 + i % 28:02d},10:{i % 60:02d},PERSON IN CRISIS,North,"
        + ("Subject Arrested" if i % arrest_every == 0 else "Transported to ED")
        for i in range(first, last + 1)
    ]
    return (HEADER + "\n".join(rows) + "\n").encode()


def test_save_list_rename_delete(workspace):
    _, ds_id = uploads.save_uploads(workspace, [("march.csv", export(1, 20))], {})
    folder = workspace.datasets_dir
    [saved] = store.list_saved(folder)
    assert (saved.id, saved.name, saved.rows_in, saved.incidents) == (ds_id, "march.csv", 20, 20)
    store.rename(folder, ds_id, "  March   2025 ")
    assert store.name_of(folder, ds_id) == "March 2025"
    assert store.load(folder, ds_id).calls["incident_id"].nunique() == 20
    with pytest.raises(InputError):
        store.rename(folder, ds_id, "   ")
    store.delete(folder, ds_id)
    assert store.list_saved(folder) == [] and not store.exists(folder, ds_id)
    assert [p.name for p in folder.iterdir()] == [".lock"]  # nothing half-deleted left


def test_ids_from_outside_never_name_a_path(workspace):
    for bad in ("../../etc", "sample:abc", "", "ABCDEF0123456789"):
        assert not store.exists(workspace.datasets_dir, bad)
        with pytest.raises(InputError):
            store.load(workspace.datasets_dir, bad)


def test_a_half_written_dataset_is_never_listed_or_opened(workspace):
    _, ds_id = uploads.save_uploads(workspace, [("march.csv", export(1, 20))], {})
    folder = workspace.datasets_dir
    # A crash mid-save leaves a temporary folder, or a folder without its manifest.
    shutil.copytree(folder / ds_id, folder / f".{ds_id}.abc.tmp")
    shutil.copytree(folder / ds_id, folder / "0123456789abcdef")
    (folder / "0123456789abcdef" / store.MANIFEST).unlink()
    assert [s.id for s in store.list_saved(folder)] == [ds_id]
    assert not store.exists(folder, "0123456789abcdef")


def _save_in_process(args) -> str:
    folder, data = args
    from pmhc.storage.workspace import Workspace

    _, ds_id = uploads.save_uploads(Workspace(folder), [("march.csv", data)], {})
    return ds_id


def test_concurrent_saves_of_the_same_upload_give_one_complete_dataset(workspace):
    data = export(1, 200)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        ids = pool.map(_save_in_process, [(workspace.folder, data)] * 8)
    assert len(set(ids)) == 1
    folder = workspace.datasets_dir
    assert [s.id for s in store.list_saved(folder)] == ids[:1]
    loaded = store.load(folder, ids[0])
    assert loaded.calls is not None and len(loaded.calls) == 200
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_reads_during_saves_see_whole_datasets_only(workspace):
    folder = workspace.datasets_dir
    payloads = [export(1, 50 + i) for i in range(6)]

    def save(data):
        return uploads.save_uploads(workspace, [("m.csv", data)], {})[1]

    def read_all(_):
        seen = 0
        for s in store.list_saved(folder):
            ds = store.load(folder, s.id)
            assert ds.calls is not None and len(ds.calls) == s.incidents
            seen += 1
        return seen

    with ThreadPoolExecutor(8) as pool:
        saves = [pool.submit(save, d) for d in payloads]
        reads = [pool.submit(read_all, i) for i in range(30)]
        assert all(r.result() <= 6 for r in reads)
        assert len({s.result() for s in saves}) == 6


def test_next_months_export_is_appended_and_duplicates_replaced(workspace):
    march, march_id = uploads.save_uploads(workspace, [("march.csv", export(1, 40))], {})
    # April's export repeats incidents 31-40 (now with every one an arrest) and adds 41-70.
    april, april_id = uploads.ingest_uploads(
        workspace, [("april.csv", export(31, 70, arrest_every=1))], {}
    )
    combined, combined_id, replaced = uploads.append_to(workspace, march, march_id, april, april_id)
    assert replaced == 10
    calls = combined.calls
    assert len(calls) == 70 and calls["incident_id"].is_unique
    # Arrests by hand: March's 1-30 every 4th (4, 8, ..., 28: 7), then 31-70 all arrests.
    assert int(calls["is_arrest"].sum()) == 7 + 40
    assert calls["received_at"].is_monotonic_increasing
    assert [r.path for r in combined.reports] == ["march.csv", "april.csv"]
    reread = store.load(workspace.datasets_dir, combined_id)
    assert len(reread.calls) == 70 and reread.label == "march.csv + april.csv"
    done = reread.completeness.set_index("field")
    assert done.loc["incident_id", "records"] == 80 and done.loc["incident_id", "filled"] == 1.0


def test_settings_that_describe_a_dataset_stay_with_it(workspace):
    _, a = uploads.save_uploads(workspace, [("a.csv", export(1, 10))], {})
    _, b = uploads.save_uploads(workspace, [("b.csv", export(11, 20))], {})
    folder = workspace.folder
    settings.save_settings(folder, a, programme_start="2025-01-01", threshold=5)
    assert settings.load_settings(folder, a)["programme_start"] == "2025-01-01"
    assert settings.load_settings(folder, b)["programme_start"] is None  # not carried over
    assert settings.load_settings(folder, b)["threshold"] == 5  # workspace-wide
    review_log.save_actions(
        settings.dataset_folder(folder, a),
        pd.DataFrame([{"recommendation": "Add CIT", "owner": "Lt", "due": None, "status": ""}]),
    )
    assert len(review_log.load_actions(settings.dataset_folder(folder, a))) == 1
    assert review_log.load_actions(settings.dataset_folder(folder, b)).empty
    settings.copy_dataset_settings(folder, a, b)
    assert settings.load_settings(folder, b)["programme_start"] == "2025-01-01"
    store.delete(workspace.datasets_dir, a)  # deleted with its dataset
    assert settings.load_settings(folder, a)["programme_start"] is None


def test_each_user_keeps_their_own_last_choice(workspace):
    _, a = uploads.save_uploads(workspace, [("a.csv", export(1, 10))], {})
    _, b = uploads.save_uploads(workspace, [("b.csv", export(11, 20))], {})
    folder = workspace.datasets_dir
    store.remember_choice(folder, "ana@agency.gov", a)
    store.remember_choice(folder, "bob@agency.gov", b)
    assert store.last_choice(folder, "ana@agency.gov") == a
    assert store.last_choice(folder, "bob@agency.gov") == b
    assert store.last_choice(folder, "new@agency.gov") is None
    assert not list(folder.rglob("*agency*"))  # no e-mail in a file name
    store.delete(folder, a)
    assert store.last_choice(folder, "ana@agency.gov") is None


def test_workspace_files_are_private_under_the_apps_umask(workspace):
    files.restrict_new_files()
    uploads.save_uploads(workspace, [("a.csv", export(1, 10))], {})
    for path in workspace.datasets_dir.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_rules_reapplied_keep_the_datasets_name_and_settings(workspace):
    from pmhc.domain.rules import save_rule_table

    data = (HEADER + "A1,2025-03-01,10:00,HEARING VOICES,North,Transported to ED\n").encode()
    ds, ds_id = uploads.save_uploads(workspace, [("march.csv", data)], {})
    assert ds.mh.empty  # HEARING VOICES is no rule yet
    store.rename(workspace.datasets_dir, ds_id, "March")
    settings.save_settings(workspace.folder, ds_id, programme_start="2025-01-01")
    rules = workspace.rules()
    extra = pd.DataFrame([{"term": "HEARING VOICES", "kind": "include"}])
    save_rule_table(workspace.rules_dir, "mh_terms", pd.concat([rules.mh_terms, extra]))
    again, new_id = uploads.reapply_rules(workspace, ds_id)
    assert len(again.mh) == 1 and new_id != ds_id
    assert store.name_of(workspace.datasets_dir, new_id) == "March"
    assert settings.load_settings(workspace.folder, new_id)["programme_start"] == "2025-01-01"
    assert uploads.reapply_rules(workspace, None) is None  # the sample rebuilds by itself
