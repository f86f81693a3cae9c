"""The meeting pack, from the same views the pages draw (staff) or the published release
alone (partners), and the audit log for administrators."""

from __future__ import annotations

import pandas as pd

from pmhc.analysis.filters import Filters
from pmhc.analysis.released import Selection
from pmhc.application import figures
from pmhc.application.actor import Actor
from pmhc.application.guard import RELEASE, audit, read, write
from pmhc.present import excel
from pmhc.present import report as pack
from pmhc.storage import audit as audit_log
from pmhc.storage import dataset, releases, review_log
from pmhc.storage.workspace import Workspace


@read(RELEASE, "make a meeting pack")
def meeting_pack(
    ws: Workspace,
    actor: Actor,
    f: Filters,
    audience: str = "internal",
    ds_id: str | None = None,
    control: str | None = None,
    selection: Selection | None = None,
    ds: dataset.Dataset | None = None,
    release: releases.Release | None = None,
) -> pack.Pack:
    """Staff: the dataset (`ds` when the caller has it open) with its settings and review
    records. Partners (and anyone asking for the partner pack): `release`, or the
    published one; a partner link never gets the staff pack."""
    if actor.partner or audience == "partner":
        shown = release if release is not None else releases.load(ws.folder)
        values = figures.values(ws, ds_id, ds is None or ds.is_sample)
        return pack.build(
            None, f, values, {}, pd.DataFrame(), "partner", None, shown, selection, control
        )
    opened = ds if ds is not None else figures.read_dataset(ws, ds_id)
    values = figures.values(ws, ds_id, opened.is_sample)
    folder = figures.records_folder(ws, ds_id)
    saved = figures.shown_actions(ws, ds_id)
    meetings = review_log.meetings_frame(folder, saved)
    answers = figures.answers(ws)
    return pack.build(opened, f, values, answers, saved, "internal", meetings, control=control)


@read("admin", "read the audit log")
def audit_entries(ws: Workspace, actor: Actor) -> pd.DataFrame:
    return audit_log.frame(audit_log.read(ws.folder))


@write("admin", "export the audit log")
def export_audit(ws: Workspace, actor: Actor) -> bytes:
    log = audit_log.frame(audit_log.read(ws.folder))
    audit(ws, actor, "audit-export", entries=len(log))
    return excel.csv_bytes(log)


def record_event(ws: Workspace, actor: Actor, action: str, **details) -> None:
    """Sign-ins, refusals and errors shown: recorded for anyone, before any role check."""
    audit_log.record(ws.folder, actor.who, actor.role, action, **details)
