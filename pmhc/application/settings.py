"""Settings: what counts as a connection, how a call is recognised as a mental-health
call, the data's end date, the programme start, targets and milestones. Workspace-wide
keys apply to every dataset; the others are kept with the dataset in view."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pmhc.application import figures
from pmhc.application.actor import Actor
from pmhc.application.datasets import apply_rules
from pmhc.application.guard import audit, read, write
from pmhc.domain.errors import InputError
from pmhc.ingest.pipeline import MH_ROUTES
from pmhc.storage import settings
from pmhc.storage.workspace import Workspace

DEFINITIONS = ("holds_as_connection", "handoff_needs_contact", "shelter_as_treatment")


@read("view", "see the settings")
def current(ws: Workspace, actor: Actor, ds_id: str | None, is_sample: bool) -> dict:
    """The settings figures of this dataset are computed under."""
    return figures.values(ws, ds_id, is_sample)


@read("view", "see the settings")
def setting_versions(ws: Workspace, actor: Actor, ds_id: str | None) -> dict[str, int]:
    """key -> version of each saved setting of this dataset (and the workspace's): what an
    editor read, to pass back as `based_on` (a key never saved is version 0)."""
    own = ds_id if figures.is_stored(ds_id) else None
    return {k: stamp.version for k, stamp in settings.settings_stamps(ws.folder, own).items()}


def _save(
    ws: Workspace, actor: Actor, ds_id: str | None, based_on: dict | None, **changes
) -> tuple[dict, dict]:
    """(before, after) of the keys changed, saved and audited as one settings edit.
    `based_on`: key -> version as the editor read them (`setting_versions`); a key changed
    by someone since raises StaleEdit and nothing is saved."""
    own = ds_id if figures.is_stored(ds_id) else None
    old = settings.load_settings(ws.folder, own)
    expected = None if based_on is None else {k: int(based_on.get(k, 0)) for k in changes}
    settings.save_changes(ws.folder, own, changes, by=actor.who, expected_versions=expected)
    new = settings.load_settings(ws.folder, own)
    before = {k: old.get(k) for k in changes}
    after = {k: new.get(k) for k in changes}
    audit(
        ws, actor, "settings-edit", before=before, after=after, keys=sorted(changes), dataset=ds_id
    )
    return before, after


@write("edit", "change what counts as a connection")
def set_definitions(
    ws: Workspace, actor: Actor, ds_id: str | None, based_on: dict | None = None, **flags: bool
) -> dict:
    unknown = set(flags) - set(DEFINITIONS)
    if unknown:
        raise InputError(f"{sorted(unknown)[0]} is not a setting of what counts.")
    return _save(ws, actor, ds_id, based_on, **{k: bool(v) for k, v in flags.items()})[1]


@write("edit", "change how mental-health calls are recognised")
def set_mh_routes(
    ws: Workspace, actor: Actor, ds_id: str | None, routes: list[str], based_on: dict | None = None
) -> str | None:
    """Save the routes and read the dataset in view again with them; its new id."""
    chosen = [r for r in MH_ROUTES if r in routes]
    if not chosen:
        raise InputError("Choose at least one way a call is a mental-health call.")
    _save(ws, actor, ds_id, based_on, mh_routes=chosen)
    return apply_rules(ws, actor, ds_id)


def _day(value: date | pd.Timestamp | None) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


@write("edit", "change the data end date")
def set_data_end(
    ws: Workspace, actor: Actor, ds_id: str | None, day: date | None, based_on: dict | None = None
) -> dict:
    return _save(ws, actor, ds_id, based_on, data_end=_day(day))[1]


@write("edit", "change the programme start")
def set_programme_start(
    ws: Workspace, actor: Actor, ds_id: str | None, day: date | None, based_on: dict | None = None
) -> dict:
    return _save(ws, actor, ds_id, based_on, programme_start=_day(day))[1]


@write("edit", "change the targets")
def set_targets(
    ws: Workspace,
    actor: Actor,
    ds_id: str | None,
    targets: dict[str, float],
    based_on: dict | None = None,
) -> dict:
    """Targets as rates from 0 to 1, one per outcome key."""
    clean = {}
    for key, value in targets.items():
        if value is None or pd.isna(value):
            continue
        if not 0 <= float(value) <= 1:
            raise InputError(f"A target is a percentage from 0 to 100; {key} is not.")
        clean[str(key)] = float(value)
    return _save(ws, actor, ds_id, based_on, targets=clean)[1]


@write("edit", "change the milestones")
def set_milestones(
    ws: Workspace,
    actor: Actor,
    ds_id: str | None,
    table: pd.DataFrame,
    based_on: dict | None = None,
) -> list[str]:
    """The milestones table saved whole; the problems instead when a row is incomplete
    (nothing saved then)."""
    rows, problems = settings.check_milestones(table)
    if problems:
        return problems
    _save(ws, actor, ds_id, based_on, milestones=rows)
    return []
