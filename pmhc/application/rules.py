"""The rules that decide what is counted: a rule table saved whole, values no rule
recognised assigned to a group, each applied at once to the dataset in view."""

from __future__ import annotations

import pandas as pd

from pmhc.application.actor import Actor
from pmhc.application.datasets import apply_rules
from pmhc.application.guard import audit, read, write
from pmhc.domain import rules
from pmhc.domain.errors import InputError, StaleEdit
from pmhc.storage import uploads
from pmhc.storage.workspace import Workspace


def _table(ws: Workspace, kind: str) -> pd.DataFrame:
    if kind not in rules.RULE_FILES and kind != "abbreviations":
        raise InputError(f"There is no rule table called {kind!r}.")
    return getattr(ws.rules(), kind)


@read("view", "see the rules")
def rule_versions(ws: Workspace, actor: Actor) -> dict[str, int]:
    """kind -> version of each edited rule table: what an editor read, to pass back as
    `based_on` (a table never edited is version 0)."""
    return {kind: stamp.version for kind, stamp in ws.rules_stamps().items()}


@write("edit", "change the rules")
def save_rules(
    ws: Workspace,
    actor: Actor,
    kind: str,
    table: pd.DataFrame,
    ds_id: str | None = None,
    based_on: int | None = None,
) -> str | None:
    """Save one rule table (checked whole: one sentence when a row is wrong) and apply it
    to the dataset in view; the id of the version the rules made (None: the sample).
    `based_on`: the table's version as the editor read it (`rule_versions`): StaleEdit,
    nothing saved, when someone saved it since."""
    before = len(_table(ws, kind))
    try:
        ws.save_rules(kind, table, by=actor.who, expected_version=based_on)
    except StaleEdit:
        raise
    except ValueError as error:  # the table's checks: one sentence
        raise InputError(str(error)) from None
    new_id = apply_rules(ws, actor, ds_id)
    after = len(_table(ws, kind))
    audit(ws, actor, "rules-edit", before=before, after=after, table=kind, dataset=new_id)
    return new_id


@write("edit", "change the rules")
def assign_values(
    ws: Workspace,
    actor: Actor,
    kind: str,
    assignments: dict[str, str],
    ds_id: str | None = None,
    based_on: int | None = None,
) -> str | None:
    """Values no rule recognised added as rules (value -> group), then applied.
    `based_on`: the table's version the unmatched values were listed under
    (`rule_versions`): StaleEdit, nothing saved, when someone saved the table since (the
    list may already be out of date: a value assigned twice, or to another group)."""
    before = len(_table(ws, kind))
    try:
        added = uploads.assign_values(
            ws, kind, assignments, by=actor.who, expected_version=based_on
        )
    except StaleEdit:
        raise
    except ValueError as error:
        raise InputError(str(error)) from None
    if not added:
        raise InputError("Pick a group for at least one value before adding rules.")
    new_id = apply_rules(ws, actor, ds_id)
    audit(ws, actor, "rules-edit", before=before, after=before + added, table=kind, dataset=new_id)
    return new_id
