"""The command line writes the workspace private whatever the umask: folders 0700, files
0600 (releases, logs, Parquet, the audit log), as the app does (issue 19)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pmhc import cli

SAMPLE = Path(__file__).resolve().parent.parent / "pmhc" / "sample_data"


@pytest.fixture
def open_umask():
    before = os.umask(0o022)  # the usual default: files 0644, folders 0755
    yield
    os.umask(before)


def modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*")}


def test_load_and_publish_write_private_files_under_any_umask(tmp_path, open_umask):
    ws = tmp_path / "ws"
    calls = str(SAMPLE / "riverside_cad_mh_calls_2023_2025.xlsx")
    assert cli.main(["load", calls, "--data-dir", str(ws)]) == 0
    assert cli.main(["publish", "--data-dir", str(ws)]) == 0
    found = modes(ws)
    kinds = {Path(name).suffix for name in found}
    assert {".parquet", ".db", ".log"} <= kinds, kinds  # the data, the records, the log
    assert any("release" in name for name in found), found
    loose = {
        name: oct(mode)
        for name, mode in found.items()
        if mode != (0o700 if (ws / name).is_dir() else 0o600)
    }
    assert not loose, loose
    assert stat.S_IMODE(ws.stat().st_mode) == 0o700
    assert os.umask(0o022) == 0o022  # the command leaves the caller's umask as it was
