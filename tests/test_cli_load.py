"""`pmhc load` follows the datasets' life as the app does: the files become a dataset of
the person at the terminal, their draft (only they and administrators see it) unless
`--agency` makes it the agency's, and the command says which it became."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmhc import cli
from pmhc.application import actor as actors
from pmhc.application import datasets
from pmhc.application.actor import OPERATOR
from pmhc.application.errors import Denied
from pmhc.storage import audit
from pmhc.storage.workspace import Workspace
from tests.test_datasets import export

VIEWER = actors.user("vic@agency.example", "viewer")
ANALYST = actors.user("ann@agency.example", "analyst")
ADMIN = actors.user("ada@agency.example", "admin")


@pytest.fixture
def march(tmp_path) -> Path:
    path = tmp_path / "march.csv"
    path.write_bytes(export(1, 40))
    return path


def load(folder: Path, path: Path, capsys, *flags: str) -> str:
    assert cli.main(["load", str(path), "--data-dir", str(folder), *flags]) == 0
    return capsys.readouterr().out


def names(ws: Workspace, who: actors.Actor) -> list[str]:
    return [s.name for s in datasets.list_datasets(ws, who)]


def test_a_load_is_the_operators_draft_and_says_so(tmp_path, march, capsys):
    folder = tmp_path / "ws"
    out = load(folder, march, capsys)
    ws = Workspace(folder)
    [saved] = datasets.list_datasets(ws, ADMIN)
    assert (saved.name, saved.incidents, saved.status, saved.owner) == (
        "march.csv",
        40,
        "draft",
        OPERATOR.who,
    )
    assert out.startswith(f'Loaded 40 rows from 1 file(s) into {folder} as the dataset "march.csv"')
    assert "It is a draft: only its owner (command-line) and administrators see it" in out
    assert names(ws, VIEWER) == [] and names(ws, ANALYST) == []
    with pytest.raises(Denied, match="another person's draft"):
        datasets.open_dataset(ws, VIEWER, saved.id)
    # What the operator loaded is what the other commands use.
    assert datasets.last_choice(ws, OPERATOR) == saved.id
    actions = [(e["who"], e["action"]) for e in audit.read(folder)]
    assert actions == [(OPERATOR.who, "upload")]


def test_agency_makes_it_every_roles_and_is_audited(tmp_path, march, capsys):
    folder = tmp_path / "ws"
    out = load(folder, march, capsys, "--agency")
    ws = Workspace(folder)
    assert "It is the agency's: every signed-in role can open it." in out
    assert names(ws, VIEWER) == names(ws, ANALYST) == ["march.csv"]
    [saved] = datasets.list_datasets(ws, VIEWER)
    ds, opened = datasets.open_dataset(ws, VIEWER, saved.id)
    assert (opened, saved.status, len(ds.mh)) == (saved.id, "agency", 40)
    entries = audit.read(folder)
    assert [(e["who"], e["action"]) for e in entries] == [
        (OPERATOR.who, "upload"),
        (OPERATOR.who, "dataset-agency"),
    ]
    details = entries[-1]["details"]
    assert (details["before"], details["after"]) == ("draft", "agency")


def test_a_draft_loaded_again_with_agency_becomes_the_agencys(tmp_path, march, capsys):
    folder = tmp_path / "ws"
    load(folder, march, capsys)
    out = load(folder, march, capsys, "--agency")
    ws = Workspace(folder)
    assert "It is the agency's" in out
    assert names(ws, VIEWER) == ["march.csv"]  # one dataset: the same files, the same id
