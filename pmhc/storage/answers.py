"""Self-assessment answers (pmhc.domain.checklist's questions), one record per item in the
workspace's database with its version, who and when: two people answering different
items both keep theirs, and an answer changed from a stale copy is refused (StaleEdit).

`load_answers(path)` and `save_answer(path, ...)` keep the file-path signatures of
pmhc.domain.checklist for their callers: `path` is `<workspace>/self_assessment.json`,
which names the workspace only."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from pmhc.domain.checklist import ANSWERS
from pmhc.domain.errors import StaleEdit
from pmhc.storage import db


def load(folder: Path) -> dict[str, dict]:
    """item id -> {"answer", "note", "shared", "updated", "version", "by"}."""
    t = db.answers
    with db.read(folder) as (conn, ws):
        rows = conn.execute(sa.select(t).where(t.c.ws == ws)).all()
    return {
        r.item: {
            "answer": r.answer,
            "note": r.note,
            "shared": bool(r.shared),
            "updated": r.changed_at,
            "version": r.version,
            "by": r.changed_by,
        }
        for r in rows
        if r.answer in ANSWERS
    }


def save(
    folder: Path,
    item: str,
    answer: str,
    note: str = "",
    shared: bool = False,
    *,
    by: str | None = None,
    expected_version: int | None = None,
) -> dict[str, dict]:
    """Save one item's answer (`shared`: partners may read the note); every answer after.
    `expected_version`: the item's version as read (0: unanswered then)."""
    if answer not in ANSWERS:
        raise ValueError(f"{answer!r} is not an answer; choose one of {', '.join(ANSWERS)}.")
    t = db.answers
    values = {"answer": answer, "note": note.strip(), "shared": bool(shared)}
    with db.write(folder) as (conn, ws):
        where = (t.c.ws == ws) & (t.c.item == item)
        row = conn.execute(sa.select(t).where(where)).first()
        if expected_version is not None and db.stamp_of(row).version != expected_version:
            raise StaleEdit(row.changed_by if row else None, row.changed_at if row else None)
        if row is None:
            conn.execute(t.insert().values(ws=ws, item=item, **values, **db.stamp_values(by, 1)))
        else:
            conn.execute(
                t.update().where(where).values(**values, **db.stamp_values(by, row.version + 1))
            )
    return load(folder)


def load_answers(path: Path) -> dict[str, dict]:
    """As checklist.load_answers(path), from the database of the workspace holding `path`."""
    return load(Path(path).parent)


def save_answer(
    path: Path, item: str, answer: str, note: str = "", shared: bool = False, **stamp
) -> dict[str, dict]:
    """As checklist.save_answer(path, ...); `by=` and `expected_version=` as for save."""
    return save(Path(path).parent, item, answer, note, shared, **stamp)
