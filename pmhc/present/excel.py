"""Styled Excel exports (openpyxl). Every text cell that a spreadsheet would run as a
formula (starting with = + - @, tab or carriage return) is written as plain text, so an
export cannot carry a formula injection (OWASP ASVS)."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pmhc.domain.untrusted import defuse_formula

HEADER_FILL = PatternFill("solid", fgColor="0072B2")


def safe_cell(value):
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    return defuse_formula(value)


def workbook_bytes(sheets: dict[str, pd.DataFrame], title: str | None = None) -> bytes:
    """One styled sheet per frame: bold white header on blue, frozen header, sized columns."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name[:31])
        start = 1
        if title:
            ws.cell(1, 1, safe_cell(title)).font = Font(bold=True, size=13)
            start = 3
        for j, col in enumerate(frame.columns, start=1):
            cell = ws.cell(start, j, safe_cell(str(col)))
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for i, row in enumerate(frame.itertuples(index=False), start=start + 1):
            for j, value in enumerate(row, start=1):
                ws.cell(i, j, safe_cell(value))
        for j, col in enumerate(frame.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)])
            ws.column_dimensions[get_column_letter(j)].width = min(60, max(10, width + 2))
        ws.freeze_panes = ws.cell(start + 1, 1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV for download, with the same guard against formulas in text cells."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or str(safe[col].dtype) in ("str", "string"):
            safe[col] = safe[col].map(defuse_formula)
    return safe.to_csv(index=False).encode("utf-8-sig")


def blocks_workbook(
    sheets: dict[str, list[tuple[str, pd.DataFrame]]], title: str | None = None
) -> bytes:
    """Sheets of several captioned tables each, one under another (the meeting pack: one
    sheet per question, a table per chart)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, blocks in sheets.items():
        ws = wb.create_sheet(_sheet_name(name))
        row = 1
        if title:
            ws.cell(row, 1, safe_cell(title)).font = Font(bold=True, size=13)
            row += 2
        widths: dict[int, int] = {}
        for caption, frame in blocks:
            ws.cell(row, 1, safe_cell(caption)).font = Font(bold=True, size=12)
            row += 1
            if frame is None or frame.empty:
                ws.cell(row, 1, "None.")
                row += 2
                continue
            for j, col in enumerate(frame.columns, start=1):
                cell = ws.cell(row, j, safe_cell(str(col)))
                cell.font = Font(bold=True, color="FFFFFF")
                cell.fill = HEADER_FILL
                widths[j] = max(widths.get(j, 10), min(60, len(str(col)) + 2))
            for values in frame.itertuples(index=False):
                row += 1
                for j, value in enumerate(values, start=1):
                    ws.cell(row, j, safe_cell(_plain(value)))
            row += 2
        for j, width in widths.items():
            ws.column_dimensions[get_column_letter(j)].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    """Excel forbids []:*?/\\ in sheet names and allows 31 characters."""
    return "".join(c for c in name if c not in "[]:*?/\\")[:31] or "Sheet"


def _plain(value):
    """Timestamps as dates or datetimes openpyxl can write; categories as text."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    return value


def actions_workbook(actions: pd.DataFrame, history: pd.DataFrame, meetings: pd.DataFrame) -> bytes:
    """The action tracker's export: the actions, every change to them, the review meetings."""
    return workbook_bytes(
        {
            "Actions": actions.drop(columns=["id"], errors="ignore"),
            "History": history,
            "Review meetings": meetings,
        },
        title="PMHC action tracker",
    )
