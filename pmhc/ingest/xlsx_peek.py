"""The first rows of each sheet of an .xlsx/.xlsm file, read by streaming its XML.

Finding the header needs only the first 40 rows, but the workbook reader parses a whole
sheet before it can return any of it (about 3 s for 250,000 rows). Here the sheet's XML is
read from the start and abandoned after the rows needed; shared strings are read only up
to the highest index those rows use. Cells come back as text the way a person would read
them (dates as ISO dates, whole numbers without '.0')."""

from __future__ import annotations

import io
import math
import re
import zipfile
from datetime import datetime, timedelta

from defusedxml.ElementTree import iterparse  # no entity expansion in uploaded XML

from pmhc.ingest.limits import ZIP_READ_ERRORS

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
BUILTIN_DATE_FORMATS = set(range(14, 23)) | set(range(27, 37)) | {45, 46, 47} | set(range(50, 59))
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_DATE_CODE = re.compile(r"[dmyhs]", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def peek_sheets(
    data: bytes, rows: int, date1904: bool = False
) -> dict[str, list[list[str | None]]] | None:
    """sheet name -> grid of the first `rows` rows (column 0 is column A), or None when
    the file is not a readable Open XML workbook (the caller falls back)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            paths = _sheet_paths(z)
            dates = _date_styles(z)
            raw = {name: _raw_rows(z, path, rows) for name, path in paths.items()}
            needed = {
                int(v)
                for grid in raw.values()
                for row in grid
                for (_, t, v, _) in row
                if t == "s" and v is not None
            }
            strings = _shared_strings(z, max(needed) if needed else -1)
        base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
        return {name: _grid(cells, rows, strings, dates, base) for name, cells in raw.items()}
    except (*ZIP_READ_ERRORS, SyntaxError, IndexError):
        return None  # the workbook reader reads it, or says it is damaged


def _sheet_paths(z: zipfile.ZipFile) -> dict[str, str]:
    targets = {}
    for _, el in iterparse(z.open("xl/_rels/workbook.xml.rels")):
        if el.tag == f"{PKG_NS}Relationship":
            target = el.get("Target", "")
            targets[el.get("Id")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    paths = {}
    for _, el in iterparse(z.open("xl/workbook.xml")):
        if el.tag == f"{NS}sheet":
            paths[el.get("name")] = targets[el.get(f"{REL_NS}id")]
    return paths


def _date_styles(z: zipfile.ZipFile) -> set[int]:
    """Indexes of cell styles whose number format shows a date or time."""
    try:
        source = z.open("xl/styles.xml")
    except KeyError:
        return set()
    custom, dated, index, in_xfs = {}, set(), 0, False
    for event, el in iterparse(source, events=("start", "end")):
        if el.tag == f"{NS}numFmt" and event == "end":
            code = _QUOTED.sub("", el.get("formatCode", ""))
            custom[int(el.get("numFmtId"))] = bool(_DATE_CODE.search(code))
        elif el.tag == f"{NS}cellXfs":
            in_xfs = event == "start"
        elif el.tag == f"{NS}xf" and in_xfs and event == "start":
            fmt = int(el.get("numFmtId", 0))
            if fmt in BUILTIN_DATE_FORMATS or custom.get(fmt):
                dated.add(index)
            index += 1
    return dated


def _raw_rows(z: zipfile.ZipFile, path: str, rows: int) -> list[list[tuple]]:
    """(column, type, value, style) per cell for rows 1..rows, stopping early."""
    grid: list[list[tuple]] = []
    for _, el in iterparse(z.open(path)):
        if el.tag != f"{NS}row":
            continue
        number = int(el.get("r", len(grid) + 1))
        if number > rows:
            break
        while len(grid) < number - 1:
            grid.append([])
        cells = []
        for pos, c in enumerate(el.iter(f"{NS}c")):
            ref = _CELL_REF.match(c.get("r", ""))
            column = _column_index(ref.group(1)) if ref else pos
            kind = c.get("t", "n")
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in c.iter(f"{NS}t"))
            else:
                v = c.find(f"{NS}v")
                value = v.text if v is not None else None
            cells.append((column, kind, value, int(c.get("s", 0))))
        grid.append(cells)
        el.clear()
    return grid


def _shared_strings(z: zipfile.ZipFile, last: int) -> list[str]:
    strings: list[str] = []
    if last < 0:
        return strings
    for _, el in iterparse(z.open("xl/sharedStrings.xml")):
        if el.tag == f"{NS}si":
            strings.append("".join(t.text or "" for t in el.iter(f"{NS}t")))
            el.clear()
            if len(strings) > last:
                break
    return strings


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _grid(
    raw: list[list[tuple]], rows: int, strings: list[str], dates: set[int], base: datetime
) -> list[list[str | None]]:
    width = max((c[0] + 1 for row in raw for c in row), default=0)
    grid = [[None] * width for _ in range(min(rows, len(raw)))]
    for r, row in enumerate(raw[:rows]):
        for column, kind, value, style in row:
            grid[r][column] = _text(kind, value, style, strings, dates, base)
    while grid and not any(grid[-1]):
        grid.pop()
    return grid


def _text(
    kind: str, value: str | None, style: int, strings: list[str], dates: set[int], base: datetime
) -> str | None:
    if value is None or value == "":
        return None
    if kind == "s":
        index = int(value)
        text = strings[index] if 0 <= index < len(strings) else ""
    elif kind == "b":
        text = "true" if value == "1" else "false"
    elif kind in ("str", "inlineStr", "e"):
        text = value
    elif kind == "d":  # a date stored as ISO 8601 text (Strict Open XML, some writers)
        text = value.replace("T", " ").removesuffix(" 00:00:00")
    else:
        number = float(value)
        if style in dates and math.isfinite(number):
            try:
                when = base + timedelta(days=number)
            except OverflowError:  # past year 9999: not a date anyone meant; keep the number
                return value
            return when.strftime("%Y-%m-%d" if number == int(number) else "%Y-%m-%d %H:%M:%S")
        text = str(int(number)) if number.is_integer() else value
    return text.strip() or None
