"""The review records: the action tracker (with the history of every change), the log of
review meetings, and the self-assessment answers."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pmhc.application import figures
from pmhc.application.actor import Actor
from pmhc.application.guard import audit, read, write
from pmhc.domain import checklist
from pmhc.domain.errors import InputError, StaleEdit
from pmhc.present import excel
from pmhc.storage import answers as answer_store
from pmhc.storage import review_log
from pmhc.storage.workspace import Workspace

# What the Review page's editors offer and check, as the records keep them.
EARLIEST_DUE = review_log.EARLIEST_DUE
MEETING_ROLES = review_log.ROLES
same_actions = review_log.same_actions


@read("view", "see the action tracker")
def actions(ws: Workspace, actor: Actor, ds_id: str | None) -> pd.DataFrame:
    return figures.actions(ws, ds_id)


@read("view", "see the review meetings")
def meetings(ws: Workspace, actor: Actor, ds_id: str | None) -> pd.DataFrame:
    folder = figures.records_folder(ws, ds_id)
    return review_log.meetings_frame(folder, review_log.load_actions(folder))


@read("view", "see the review meetings")
def meeting_records(ws: Workspace, actor: Actor, ds_id: str | None) -> list[dict]:
    """Each logged meeting as kept (id, version, date, attendees, decisions, action ids):
    what a correction starts from and passes back (`update_meeting`)."""
    return review_log.load_meetings(figures.records_folder(ws, ds_id))


@read("view", "export the action tracker")
def actions_workbook(ws: Workspace, actor: Actor, ds_id: str | None) -> bytes:
    folder = figures.records_folder(ws, ds_id)
    saved = figures.shown_actions(ws, ds_id)
    return excel.actions_workbook(
        saved, review_log.history(folder), review_log.meetings_frame(folder, saved)
    )


@write("edit", "change the action tracker")
def save_actions(
    ws: Workspace,
    actor: Actor,
    ds_id: str | None,
    table: pd.DataFrame,
    based_on: pd.DataFrame | None = None,
) -> list[dict]:
    """The edited tracker merged row by row into what is saved, each change in its history
    under the actor's name; the history entries. `based_on`: the tracker as the editor
    loaded it (`actions`), so rows it left alone keep what others saved since and a row it
    changed that someone else changed meanwhile raises StaleEdit (nothing saved); without
    it the table replaces the whole tracker. InputError with the first problem when a row
    cannot be saved."""
    problems = review_log.check_actions(table)
    if problems:
        raise InputError(problems[0])
    folder = figures.records_folder(ws, ds_id)
    before = len(review_log.load_actions(folder))
    entries = review_log.save_actions(folder, table, actor.who, base=based_on)
    after = len(review_log.load_actions(folder))
    audit(
        ws,
        actor,
        "actions-edit",
        before=before,
        after=after,
        changes=len(entries),
        dataset=ds_id,
    )
    return entries


@write("edit", "log a review meeting")
def add_meeting(
    ws: Workspace,
    actor: Actor,
    ds_id: str | None,
    when: date,
    roles: list[str],
    decisions: str,
    linked: list[str],
) -> list[str]:
    """Log a meeting; the problems instead when something is missing (nothing saved)."""
    folder = figures.records_folder(ws, ds_id)
    before = len(review_log.load_meetings(folder))
    problems = review_log.add_meeting(folder, when, roles, decisions, linked, by=actor.who)
    if not problems:
        audit(ws, actor, "meeting-add", before=before, after=before + 1, dataset=ds_id)
    return problems


@write("edit", "correct a review meeting")
def update_meeting(
    ws: Workspace,
    actor: Actor,
    ds_id: str | None,
    meeting_id: str,
    when: date,
    roles: list[str],
    decisions: str,
    linked: list[str],
    based_on: int,
) -> list[str]:
    """Correct a logged meeting read at version `based_on` (StaleEdit when someone changed
    it since); the problems instead when something is missing (nothing saved)."""
    folder = figures.records_folder(ws, ds_id)
    old = next((m for m in review_log.load_meetings(folder) if m["id"] == meeting_id), None)
    if old is None:
        raise InputError("That meeting is no longer in the log.")
    problems = review_log.update_meeting(
        folder, meeting_id, when, roles, decisions, linked, by=actor.who, expected_version=based_on
    )
    if not problems:
        after = {"date": when.isoformat(), "decisions": decisions.strip()}
        before = {"date": old["date"], "decisions": old["decisions"]}
        audit(ws, actor, "meeting-edit", before=before, after=after, dataset=ds_id)
    return problems


@read("view", "see the self-assessment")
def answers(ws: Workspace, actor: Actor) -> dict:
    return figures.answers(ws)


@read("view", "export the self-assessment")
def answers_workbook(ws: Workspace, actor: Actor) -> bytes:
    frame = checklist.answers_frame(figures.answers(ws))
    return excel.workbook_bytes({"Self-assessment": frame}, title="PMHC self-assessment")


@write("edit", "answer the self-assessment")
def save_answer(
    ws: Workspace,
    actor: Actor,
    item: str,
    answer: str,
    note: str = "",
    shared: bool = False,
    based_on: int | None = None,
) -> dict:
    """One item's answer; `based_on`: its version as the user read it (0: unanswered),
    StaleEdit when someone answered it since."""
    if item not in {i for q in checklist.QUESTIONS for i, _ in q.items}:
        raise InputError(f"{item!r} is not an item of the self-assessment.")
    before = answer_store.load(ws.folder).get(item, {}).get("answer")
    try:
        saved = answer_store.save(
            ws.folder, item, answer, note, shared, by=actor.who, expected_version=based_on
        )
    except StaleEdit:
        raise
    except ValueError as error:
        raise InputError(str(error)) from None
    audit(ws, actor, "answers-edit", before=before, after=answer, item=item, shared=shared)
    return saved[item]
