"""The review records: the action tracker (with the history of every change), the log of
review meetings, and the self-assessment answers."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pmhc.application import figures
from pmhc.application.actor import Actor
from pmhc.application.guard import audit, read, versioned, write
from pmhc.domain import checklist
from pmhc.domain.errors import InputError
from pmhc.present import excel
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


@read("view", "export the action tracker")
def actions_workbook(ws: Workspace, actor: Actor, ds_id: str | None) -> bytes:
    folder = figures.records_folder(ws, ds_id)
    saved = review_log.load_actions(folder)
    return excel.actions_workbook(
        saved, review_log.history(folder), review_log.meetings_frame(folder, saved)
    )


@write("edit", "change the action tracker")
def save_actions(
    ws: Workspace, actor: Actor, ds_id: str | None, table: pd.DataFrame, based_on: object = None
) -> list[dict]:
    """The tracker saved whole, each change in its history under the actor's name; the
    history entries. InputError with the first problem when a row cannot be saved."""
    problems = review_log.check_actions(table)
    if problems:
        raise InputError(problems[0])
    folder = figures.records_folder(ws, ds_id)
    before = len(review_log.load_actions(folder))
    entries = versioned(review_log.save_actions, based_on, folder, table, by=actor.who)
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
    problems = review_log.add_meeting(folder, when, roles, decisions, linked)
    if not problems:
        audit(ws, actor, "meeting-add", before=before, after=before + 1, dataset=ds_id)
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
    based_on: object = None,
) -> dict:
    if item not in {i for q in checklist.QUESTIONS for i, _ in q.items}:
        raise InputError(f"{item!r} is not an item of the self-assessment.")
    path = ws.folder / "self_assessment.json"
    before = checklist.load_answers(path).get(item, {}).get("answer")
    try:
        versioned(checklist.save_answer, based_on, path, item, answer, note, shared)
    except ValueError as error:
        raise InputError(str(error)) from None
    audit(ws, actor, "answers-edit", before=before, after=answer, item=item, shared=shared)
    return checklist.load_answers(path)[item]
