"""Plain tables and forms beside the grid editors: the grids (`st.data_editor`) are drawn on
a canvas a screen reader cannot read and a keyboard works only cell by cell. Each editor
gets an HTML table of its rows and a form of labelled fields with the same actions (add,
change, remove), reached with Tab and read out like any other control. The caller turns
the chosen action into the same use case the grid's save calls (`pmhc.application`), so
the role check and the audit are the same whichever way the change is made."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import streamlit as st

from pmhc.domain.untrusted import escape_markdown
from pmhc.present import labels

NEW = -1  # the row picker's choice for a new row


@dataclass(frozen=True)
class Field:
    """One column of a row form: `kind` is text, long (several lines), date, choice, many
    (several choices), flag (a tick box) or number."""

    column: str
    label: str
    kind: str = "text"
    options: tuple = ()
    show: Callable[[object], str] = str  # how a choice reads
    help: str | None = None
    limits: dict = field(default_factory=dict)  # min_value, max_value, step, max_chars


@dataclass(frozen=True)
class Action:
    """What the user asked for: "save" (row None: a new row) or "remove", with the values."""

    verb: str
    row: int | None
    values: dict


def table(frame: pd.DataFrame, columns: dict[str, str], alt: str) -> None:
    """The rows as an HTML table (headings `columns`: column -> heading), every cell in
    words and escaped (st.table reads Markdown in cells)."""
    if frame.empty:
        st.markdown(f"*{escape_markdown(alt)}: none yet.*")
        return
    shown = pd.DataFrame(
        {
            heading[:1].upper() + heading[1:]: frame[column].map(_cell)
            for column, heading in columns.items()
        }
    ).reset_index(drop=True)
    st.table(shown, hide_index=True, alt=alt)


def _cell(value) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return escape_markdown(", ".join(str(v) for v in value), 500)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, pd.Timestamp | date):
        day = pd.Timestamp(value)
        return f"{day.day} {day:%b %Y}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return _cell(pd.Timestamp(value))
    return escape_markdown(labels.words(str(value)), 500)


def row_form(
    key: str,
    frame: pd.DataFrame,
    fields: list[Field],
    describe: Callable[[dict], str],
    noun: str,
    add: bool = True,
    remove: bool = True,
) -> Action | None:
    """A picker of the row to change (or a new one), then a form of its fields with Save
    and Remove buttons; the action asked for, once submitted. The picker sits outside the
    form so the fields fill in with the chosen row's values."""
    # The choices are the rows' descriptions, not their positions: a table saved in another
    # order (rules are kept sorted) keeps the row chosen instead of naming another.
    names: dict[str, int] = {}
    # Each row as a dict (a Series per row made this loop a tenth of a page run).
    for i, record in enumerate(frame.to_dict(orient="records")):
        name = describe(record)
        names[name if name not in names else f"{name} (row {i + 1})"] = i
    new_row = f"A new {noun}"
    choices = ([new_row] if add else []) + list(names)
    if not choices:
        return None
    label = st.selectbox(
        f"Which {noun} to {'add or ' if add else ''}change", choices, key=f"{key}-pick"
    )
    picked = names.get(label, NEW)
    row = None if picked == NEW else frame.iloc[picked]
    slot = NEW if row is None else f"r{zlib.crc32(label.encode())}"  # the row's, wherever it is
    with st.form(f"{key}-form-{slot}"):
        values = {f.column: _widget(f, row, f"{key}-{slot}-{f.column}") for f in fields}
        save = st.form_submit_button(
            f"Add this {noun}" if row is None else f"Save this {noun}", icon=":material/save:"
        )
        gone = (
            st.form_submit_button(f"Remove this {noun}", icon=":material/delete:")
            if remove and row is not None
            else False
        )
    if save or gone:  # the last confirmation no longer describes what is on screen
        st.session_state.pop(f"{key}-said", None)
    if gone:
        return Action("remove", int(picked), {})
    if save:
        return Action("save", None if row is None else int(picked), values)
    return None


def _widget(f: Field, row: pd.Series | None, key: str):
    value = None if row is None else row.get(f.column)
    empty = value is None or (not isinstance(value, list | str) and pd.isna(value))
    if f.kind == "date":
        day = None if empty else pd.Timestamp(value).date()
        return st.date_input(
            f.label, value=day, format="DD/MM/YYYY", key=key, help=f.help, **f.limits
        )
    if f.kind == "choice":
        options = list(f.options)
        # A new row starts on the first choice, never on a "Choose an option" placeholder.
        index = options.index(value) if not empty and value in options else 0
        return st.selectbox(f.label, options, index=index, format_func=f.show, key=key, help=f.help)
    if f.kind == "many":
        chosen = [v for v in (value or []) if v in f.options]
        return st.multiselect(f.label, list(f.options), default=chosen, format_func=f.show, key=key)
    if f.kind == "flag":
        return st.checkbox(f.label, value=bool(value) if not empty else False, key=key, help=f.help)
    if f.kind == "number":
        number = None if empty or value is None else float(value)
        return st.number_input(f.label, value=number, key=key, help=f.help, **f.limits)
    text = "" if empty else str(value)
    if f.kind == "long":
        return st.text_area(f.label, value=text, key=key, help=f.help, **f.limits)
    return st.text_input(f.label, value=text, key=key, help=f.help, **f.limits)


def apply(frame: pd.DataFrame, action: Action) -> pd.DataFrame:
    """The frame with the action done: a row changed, added at the end or removed."""
    if action.verb == "remove":
        return frame.drop(index=frame.index[action.row]).reset_index(drop=True)
    if action.row is None:
        new = pd.DataFrame([{c: action.values.get(c) for c in frame.columns}])
        new = new.astype({c: object for c in new.columns})
        return pd.concat([frame.astype(object), new], ignore_index=True)
    out = frame.copy().astype(object)
    for column, value in action.values.items():
        out.iat[action.row, out.columns.get_loc(column)] = value
    return out


def said(key: str, text: str | None = None) -> None:
    """A confirmation kept over the reruns that follow a save (a toast may be gone before a
    screen reader reaches it), shown where the form is until the form is used again."""
    if text is not None:
        st.session_state[f"{key}-said"] = text
        # A row just added: the new-row form starts empty again (no second add by mistake).
        for name in [k for k in st.session_state if str(k).startswith(f"{key}-{NEW}-")]:
            del st.session_state[name]
        return
    message = st.session_state.get(f"{key}-said")
    if message:
        st.success(escape_markdown(message, 500), icon=":material/check:")


def forget(key: str) -> None:
    """After a row was removed the picker's choice would name another row: start afresh."""
    st.session_state.pop(f"{key}-pick", None)
