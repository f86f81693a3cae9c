"""`python -m pmhc load` and `publish`, and the release on disk: what an upload does, what
partners get, atomic replacement, and one path for `summarize --audience partner`."""

from __future__ import annotations

import json

from pmhc import cli
from pmhc.analysis import released
from pmhc.storage import datasets as store
from pmhc.storage import releases
from pmhc.storage.workspace import Workspace
from tests import partner_exports as exports


def test_load_makes_the_files_the_workspace_dataset(tmp_path, capsys):
    path = tmp_path / "calls.csv"
    path.write_bytes(exports.csv_bytes(exports.base_export()))
    ws = Workspace(tmp_path / "ws")
    assert cli.main(["load", str(path), "--data-dir", str(ws.folder)]) == 0
    assert "Loaded 1,248 rows from 1 file(s)" in capsys.readouterr().out
    ds = store.load(ws.datasets_dir, store.last_choice(ws.datasets_dir, "command-line"))
    assert len(ds.calls) == 1248 and len(ds.mh) == 1247
    assert not list(ws.folder.rglob("calls.csv"))  # the file itself is not kept


def test_load_refuses_a_file_it_cannot_use_in_one_line(tmp_path, capsys):
    path = tmp_path / "notes.csv"
    path.write_text("hello,world\n1,2\n")
    code = cli.main(["load", str(path), "--data-dir", str(tmp_path / "ws")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert store.last_choice(tmp_path / "ws" / "datasets", "command-line") is None
    # A workspace that had data keeps it.
    good = tmp_path / "calls.csv"
    good.write_bytes(exports.csv_bytes(exports.base_export()))
    assert cli.main(["load", str(good), "--data-dir", str(tmp_path / "ws")]) == 0
    before = store.last_choice(tmp_path / "ws" / "datasets", "command-line")
    assert cli.main(["load", str(path), "--data-dir", str(tmp_path / "ws")]) == 2
    assert store.last_choice(tmp_path / "ws" / "datasets", "command-line") == before
    missing = cli.main(["load", str(tmp_path / "nope.csv"), "--data-dir", str(tmp_path / "ws")])
    assert missing == 2


def test_publish_writes_the_release_atomically_and_summarize_uses_it(
    published_base, tmp_path, capsys
):
    # `pmhc load calls_export.csv` then `pmhc publish` (conftest.publish, made once per run)
    folder = published_base
    path = tmp_path / "calls.csv"
    path.write_bytes(exports.csv_bytes(exports.base_export()))
    first = releases.current_version(folder)
    rel = releases.load(folder)
    assert rel is not None and first == rel.fingerprint()
    record = json.loads((folder / "publish.json").read_text())
    assert record["version"] == first and record["dataset"]
    # What partners see holds no dataset id, file name or hash of the data.
    text = releases.to_bytes(rel).decode()
    assert record["dataset"] not in text and "calls_export" not in text
    # summarize --audience partner prints the figures of that same release.
    capsys.readouterr()
    assert (
        cli.main(
            ["summarize", str(path), "--json", "--audience", "partner", "--data-dir", str(folder)]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert {k: printed[k] for k in released.summary(rel)} == released.summary(rel)
    # Harbor 6 + Hill 8 = 14, hidden since issue 18: with the other districts' shown
    # months it would leave Harbor's and Hill's months a range under ±3
    assert printed["calls"]["by_district"]["Other districts"] == "suppressed"
    assert printed["calls"]["mh_calls"] == 1247
    # A new publish of other data replaces it; the version before stays readable.
    path.write_bytes(exports.csv_bytes(exports.base_export(seed=8)))
    assert cli.main(["load", str(path), "--data-dir", str(folder)]) == 0
    assert cli.main(["publish", "--data-dir", str(folder)]) == 0
    assert releases.current_version(folder) != first
    assert releases.load(folder, first) is not None
    assert not list((folder / "release").glob(".*tmp"))


def test_publish_without_a_dataset_publishes_the_sample(tmp_path, capsys):
    assert cli.main(["publish", "--data-dir", str(tmp_path / "ws")]) == 0
    assert "the sample data" in capsys.readouterr().out
    rel = released.Released(releases.load(tmp_path / "ws"))
    assert rel.districts() == ["Central", "East", "Harbor", "North", "South", "West"]
