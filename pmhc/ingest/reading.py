"""Open what people upload and present every sheet or table the same way.

A `Table` is one sheet of a workbook, one CSV file, or one table of an HTML export. It
offers a cheap `peek` at its first rows (as text, for finding the header) and a `load`
that reads the rows under a chosen header, only the columns asked for.

Workbooks go through fastexcel (Rust, calamine): `.xlsx`, `.xlsm`, `.xlsb`, `.xls`,
`.ods`. "Excel" files that are really HTML tables or XML Spreadsheet 2003 documents are
recognised by their first bytes, whatever their extension says.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import pandas as pd

from pmhc.domain.errors import InputError
from pmhc.ingest.xlsx_peek import peek_sheets

PEEK_ROWS = 40
CSV_HEAD_BYTES = 1 << 18  # enough text for the first rows of any export
MAX_COLUMNS = 16384  # Excel's last column, XFD
WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
ACCEPTED_EXTENSIONS = WORKBOOK_EXTENSIONS | {".csv", ".txt", ".tsv", ".htm", ".html", ".xml"}


class UnreadableFile(InputError):
    """A file we cannot read; the message is one plain sentence for the user."""


@dataclass
class Table:
    path: str
    sheet: str | None
    peek: list[list[str | None]]
    # load(header_row, columns) -> frame of the rows under the header (0-based header row,
    # column positions); columns keep their sheet position as their name.
    _load: Callable[[int, list[int]], pd.DataFrame] = field(repr=False)
    date1904: bool = False

    def load(self, header_row: int, columns: list[int]) -> pd.DataFrame:
        return self._load(header_row, columns)


def open_tables(source: str | Path | bytes, name: str | None = None) -> list[Table]:
    """Every table in a file. `source` is a path or the bytes of an upload named `name`."""
    data = source if isinstance(source, bytes) else None
    path = str(name or source)
    ext = Path(path).suffix.lower()
    if ext and ext not in ACCEPTED_EXTENSIONS:
        raise UnreadableFile(
            f"{Path(path).name} is a {ext} file; "
            "upload an Excel workbook (.xlsx, .xls) or a CSV file."
        )
    head = data[:2048] if data is not None else _head(source)
    if not head.strip():
        raise UnreadableFile(f"{Path(path).name} is empty; export the data again and upload it.")
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sniff.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in _all(
        source, data
    ):
        return _xml2003_tables(path, _all(source, data))
    if sniff.startswith((b"<html", b"<!doctype html", b"<table", b"<meta", b"<head")) or (
        sniff.startswith(b"<") and b"<table" in _all(source, data).lower()
    ):
        return _html_tables(path, _all(source, data))
    if head.startswith(b"PK") or head.startswith(b"\xd0\xcf\x11\xe0") or ext in WORKBOOK_EXTENSIONS:
        return _workbook_tables(path, source, data)
    return [_csv_table(path, _all(source, data))]


def _head(path: str | Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(2048)
    except FileNotFoundError as e:
        raise UnreadableFile(f"{path} does not exist; check the path.") from e
    except IsADirectoryError as e:
        raise UnreadableFile(f"{path} is a folder; give the path of a file inside it.") from e


def _all(path: str | Path | bytes, data: bytes | None) -> bytes:
    if data is not None:
        return data
    return Path(path).read_bytes()


# --- workbooks -------------------------------------------------------------------------


def _workbook_tables(path: str, source: str | Path | bytes, data: bytes | None) -> list[Table]:
    try:
        reader = fastexcel.read_excel(data if data is not None else str(source))
    except Exception as e:  # calamine reports corrupt or encrypted files with many error types
        raise UnreadableFile(
            f"{Path(path).name} could not be opened as a workbook (it may be damaged or "
            "password-protected); save it again from Excel as .xlsx and upload that."
        ) from e
    raw = data if data is not None else Path(source).read_bytes()
    date1904 = _uses_1904_dates(raw)
    streamed = peek_sheets(raw, PEEK_ROWS, date1904) if raw.startswith(b"PK") else None
    tables = []
    for sheet in reader.sheet_names:
        if streamed is not None and sheet in streamed:
            peek, absolute = _trim_leading_columns(streamed[sheet])
        else:
            peek, absolute = _peek_sheet(reader, sheet)
        loader = _sheet_loader(reader, sheet, absolute)
        tables.append(Table(path, sheet, peek, loader, date1904=date1904))
    return tables


def _trim_leading_columns(grid: list[list[str | None]]) -> tuple[list[list[str | None]], range]:
    """Drop blank columns left of the data, as the workbook reader does, and say where each
    remaining column sits in the sheet."""
    lead = min(
        (next(i for i, v in enumerate(row) if v is not None) for row in grid if any(row)), default=0
    )
    return [row[lead:] for row in grid], range(lead, MAX_COLUMNS)


def _peek_sheet(reader: fastexcel.ExcelReader, sheet: str) -> tuple[list[list[str | None]], list]:
    """The first rows as text, and each peek column's absolute index in the sheet."""
    try:
        sheet_ = reader.load_sheet(
            sheet, header_row=None, skip_rows=0, n_rows=PEEK_ROWS, dtypes="string"
        )
    except Exception:  # an empty sheet has no columns to read
        return [], []
    return _grid(sheet_.to_pandas()), [c.absolute_index for c in sheet_.available_columns()]


def _sheet_loader(reader: fastexcel.ExcelReader, sheet: str, absolute: list[int]):
    def load(header_row: int, columns: list[int]) -> pd.DataFrame:
        # Read every data row under the header; `schema_sample_rows=None` makes the
        # reader look at all rows before choosing a type, so a text cell far down a
        # date column turns the column to text instead of silently becoming null.
        # The reader skips leading blank columns, but `use_columns` counts them.
        columns = sorted(columns)
        frame = reader.load_sheet(
            sheet,
            header_row=None,
            skip_rows=header_row + 1,
            use_columns=[absolute[c] for c in columns],
            schema_sample_rows=None,
        ).to_pandas()
        frame.columns = columns
        return frame

    return load


def _uses_1904_dates(data: bytes) -> bool:
    """Workbooks from old Mac Excel count serial dates from 1904, not 1900."""
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read("xl/workbook.xml")[:4096]
    except (KeyError, zipfile.BadZipFile):
        return False
    return re.search(rb'date1904="(1|true)"', xml) is not None


# --- frames already in memory (CSV, HTML, XML 2003) ------------------------------------


def _frame_table(path: str, sheet: str | None, grid: pd.DataFrame) -> Table:
    grid = grid.reset_index(drop=True)
    grid.columns = range(grid.shape[1])

    def load(header_row: int, columns: list[int]) -> pd.DataFrame:
        return grid.iloc[header_row + 1 :, columns].reset_index(drop=True)

    return Table(path, sheet, _grid(grid.head(PEEK_ROWS)), load)


def _grid(frame: pd.DataFrame) -> list[list[str | None]]:
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    return [[None if v is None else str(v) for v in row] for row in rows]


def text_encoding(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark) or UTF-16, else Windows-1252 as exported by
    Excel. Checked in chunks, so a large file is never held twice in memory."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(data[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_text(data: bytes) -> str:
    encoding = text_encoding(data)
    return data.decode(encoding, errors="replace")


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that splits the sample into the most consistent columns."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    best, best_score = ",", -1.0
    for delim in (",", ";", "\t", "|"):
        counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        if not counts or max(counts) < 2:
            continue
        widest = max(counts)
        score = widest * sum(c == widest for c in counts) / len(counts)
        if score > best_score:
            best, best_score = delim, score
    return best


def _csv_table(path: str, data: bytes) -> Table:
    encoding = text_encoding(data)
    head = data[:CSV_HEAD_BYTES].decode(encoding, errors="ignore")  # may cut a last character
    delim = sniff_delimiter(head)
    lines = head.splitlines()[:PEEK_ROWS]
    head_rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
    width = max((len(r) for r in head_rows), default=0)
    if width == 0:
        raise UnreadableFile(f"{Path(path).name} is empty; export the data again and upload it.")
    peek = [[v if v.strip() else None for v in r] + [None] * (width - len(r)) for r in head_rows]

    def load(header_row: int, columns: list[int]) -> pd.DataFrame:
        try:
            frame = pd.read_csv(
                io.BytesIO(data),
                encoding=encoding,
                sep=delim,
                header=None,
                names=range(width),
                skiprows=header_row + 1,
                dtype="str",
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=False,
            )
        except (pd.errors.ParserError, ValueError) as e:
            # pandas says "Expected 2 fields in line 52, saw 3\n": keep it on one line.
            detail = " ".join(str(e).split()).removeprefix("Error tokenizing data. C error: ")
            raise UnreadableFile(
                f"{Path(path).name} has rows with more columns than its header ({detail}); "
                "export it again or save it as Excel."
            ) from e
        # Columns are picked after reading: with `usecols` pandas would silently drop the
        # cells of a row wider than the header instead of reporting it.
        return frame[sorted(columns)].reset_index(drop=True)

    return Table(path, None, peek, load)


def _html_tables(path: str, data: bytes) -> list[Table]:
    # Cells are kept as the text shown: pandas.read_html would take a <th> row as column
    # names (losing the header row) and turn '0012' into 12.
    import lxml.html

    try:
        # lxml refuses text that still declares its encoding (XHTML exports do).
        text = re.sub(r"^\s*<\?xml[^>]*\?>", "", decode_text(data))
        doc = lxml.html.fromstring(text)
    except (ValueError, lxml.etree.ParserError) as e:
        raise UnreadableFile(
            f"{Path(path).name} looks like a web page but is damaged; export it again."
        ) from e
    grids = [g for g in (_html_grid(t) for t in doc.iter("table")) if g]
    if not grids:
        raise UnreadableFile(
            f"{Path(path).name} is a web page with no table in it; export the data as Excel or CSV."
        )
    return [
        _frame_table(path, f"Table {i}", pd.DataFrame(g, dtype=object))
        for i, g in enumerate(grids, start=1)
    ]


def _html_grid(table) -> list[list[str | None]]:
    """The rows of one HTML table (not of tables nested in it); colspan leaves blanks."""
    rows = []
    for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        row: list[str | None] = []
        for cell in tr.xpath("./td|./th"):
            text = " ".join(cell.text_content().split())
            row.append(text or None)
            span = cell.get("colspan", "1")
            row.extend([None] * (int(span) - 1 if span.isdigit() and int(span) > 1 else 0))
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    return [r + [None] * (width - len(r)) for r in rows] if width else []


_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"


def _xml2003_tables(path: str, data: bytes) -> list[Table]:
    """XML Spreadsheet 2003: Worksheet > Table > Row > Cell > Data, with ss:Index gaps."""
    # defusedxml refuses entity expansion ("billion laughs") and external entities.
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException) as e:
        raise UnreadableFile(
            f"{Path(path).name} looks like an XML spreadsheet but is damaged; export it again."
        ) from e
    tables = []
    for ws in root.iter(f"{_SS}Worksheet"):
        rows: list[list[str | None]] = []
        for row in ws.iter(f"{_SS}Row"):
            index = row.get(f"{_SS}Index")
            while index and len(rows) < int(index) - 1:
                rows.append([])
            values: list[str | None] = []
            for cell in row.iter(f"{_SS}Cell"):
                at = cell.get(f"{_SS}Index")
                while at and len(values) < int(at) - 1:
                    values.append(None)
                datum = cell.find(f"{_SS}Data")
                # Rich text nests <Font> inside <Data>; a merged cell spans MergeAcross more.
                values.append("".join(datum.itertext()) if datum is not None else None)
                values.extend([None] * int(cell.get(f"{_SS}MergeAcross", "0") or 0))
            rows.append(values)
        width = max((len(r) for r in rows), default=0)
        grid = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
        tables.append(_frame_table(path, ws.get(f"{_SS}Name"), grid))
    return tables
