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
import functools
import io
import re
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import fastexcel
import numpy as np
import pandas as pd

from pmhc.domain.errors import InputError
from pmhc.ingest import failures, isolation
from pmhc.ingest import limits as limits_mod
from pmhc.ingest.failures import UnreadableFile
from pmhc.ingest.limits import Limits, check_span, too_large
from pmhc.ingest.xlsx_peek import peek_sheets

PEEK_ROWS = 40
# A narrative cell can be longer than the csv module's default 128 KB field: allow 16 MB
# (the whole file is bounded by Limits.max_file_bytes anyway).
csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))
CSV_HEAD_BYTES = 1 << 18  # enough text for the first rows of any export
MAX_COLUMNS = 16384  # Excel's last column, XFD
WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
ACCEPTED_EXTENSIONS = WORKBOOK_EXTENSIONS | {".csv", ".txt", ".tsv", ".htm", ".html", ".xml"}


@dataclass
class Table:
    path: str
    sheet: str | None
    peek: list[list[str | None]]
    # load(header_row, columns) -> frame of the rows under the header (0-based header row,
    # column positions); columns keep their sheet position as their name.
    _load: Callable[[int, list[int]], pd.DataFrame] = field(repr=False)
    date1904: bool = False
    problem: str | None = None  # why this sheet cannot be read (the others still can)
    # A workbook sheet's column positions in the sheet (the reader skips blank ones).
    positions: Sequence[int] | None = field(default=None, repr=False)

    def load(self, header_row: int, columns: list[int]) -> pd.DataFrame:
        return self._load(header_row, columns)


def open_tables(
    source: str | Path | bytes, name: str | None = None, limits: Limits | None = None
) -> list[Table]:
    """Every table in a file. `source` is a path or the bytes of an upload named `name`.

    The file is opened, peeked at and later loaded in child processes (isolation.py): a
    reader that crashes, hangs or runs out of memory costs that child, not this process.
    Raises UnreadableFile (or another InputError) with one sentence naming the file."""
    limits = limits or Limits.from_env()
    described = _isolated(_describe_here, source, name, limits)
    return [
        Table(
            str(name or source),
            sheet,
            peek,
            _isolated_loader(source, name, limits, index, sheet, positions),
            date1904=date1904,
            problem=problem,
            positions=positions,
        )
        for index, (sheet, peek, date1904, problem, positions) in enumerate(described)
    ]


@functools.lru_cache(maxsize=8)
def packaged_tables(path: str) -> tuple[Table, ...]:
    """The tables of a file shipped with the package (the sample workbooks), opened in this
    process and kept with the rows they load: the files are ours and never change, so a
    reader child guards nothing, and a rule edit or a new workspace reads the same rows
    again with other rules (the rows are a second of the sample's two)."""
    return tuple(
        Table(t.path, t.sheet, t.peek, _kept(t._load), t.date1904, t.problem, t.positions)
        for t in open_tables_here(path)
    )


def _kept(load: Callable[[int, list[int]], pd.DataFrame]):
    loaded: dict[tuple[int, tuple[int, ...]], pd.DataFrame] = {}
    # One reader serves every session's thread, and fastexcel's reader cannot load two
    # sheets at once (a second load while one runs raises): one load at a time.
    lock = threading.Lock()

    def kept(header_row: int, columns: list[int]) -> pd.DataFrame:
        key = (header_row, tuple(columns))
        with lock:
            if key not in loaded:
                loaded[key] = load(header_row, columns)
        return loaded[key].copy(deep=False)  # copy-on-write: the kept rows stay as read

    return kept


def _isolated(fn: Callable, source: str | Path | bytes, name: str | None, limits: Limits, *rest):
    """`fn(source, name, limits, *rest)` in a reader child; an upload's bytes go by pipe."""
    label = Path(str(name or source)).name
    crashed = functools.partial(_why_it_died, source, label, limits)
    if isinstance(source, bytes):
        args: tuple = (name, limits, *rest)
        return isolation.run(fn, args, label, limits, payload=source, crashed=crashed)
    return isolation.run(fn, (source, name, limits, *rest), label, limits, crashed=crashed)


def _isolated_loader(
    source: str | Path | bytes,
    name: str | None,
    limits: Limits,
    index: int,
    sheet: str | None,
    positions: Sequence[int] | None,
) -> Callable[[int, list[int]], pd.DataFrame]:
    def load(header_row: int, columns: list[int]) -> pd.DataFrame:
        rest = (index, sheet, positions, header_row, columns)
        return _isolated(_load_here, source, name, limits, *rest)

    return load


def _describe_here(source: str | Path | bytes, name: str | None, limits: Limits) -> list[tuple]:
    """In the reader child: what the parent needs of each table to show and load it."""
    return [
        (t.sheet, t.peek, t.date1904, t.problem, t.positions)
        for t in open_tables_here(source, name, limits)
    ]


def _load_here(
    source: str | Path | bytes,
    name: str | None,
    limits: Limits,
    index: int,
    sheet: str | None,
    positions: Sequence[int] | None,
    header_row: int,
    columns: list[int],
) -> pd.DataFrame:
    """In the reader child: the rows of one table. A workbook sheet is read without
    peeking at the others again; text tables are opened again (cheap next to the load)."""
    if positions is None or sheet is None:
        return open_tables_here(source, name, limits)[index].load(header_row, columns)
    path = str(name or source)
    label = Path(path).name
    data = source if isinstance(source, bytes) else None
    raw = data if data is not None else _as_path(source).read_bytes()
    _check_workbook(raw, label, limits)
    with failures.reading(label):
        reader = fastexcel.read_excel(_reader_source(path, source, data, raw))
    return _sheet_loader(reader, sheet, positions, label)(header_row, columns)


def _why_it_died(source: str | Path | bytes, label: str, limits: Limits) -> InputError:
    """Why a reader child died: a sheet that spans more cells than it declared (found by the
    full scan, which only a file that killed its reader pays for), else a damaged file."""
    try:
        raw = source if isinstance(source, bytes) else _as_path(source).read_bytes()
        if raw.startswith(b"PK"):
            limits_mod.check_zip(raw, label, limits, thorough=True)
    except InputError as e:
        return e
    except OSError:
        pass
    return failures.damaged(label)


def open_tables_here(
    source: str | Path | bytes, name: str | None = None, limits: Limits | None = None
) -> list[Table]:
    """open_tables in this process, unprotected: what a reader child runs."""
    limits = limits or Limits.from_env()
    data = source if isinstance(source, bytes) else None
    path = str(name or source)
    label = Path(path).name
    ext = Path(path).suffix.lower()
    if ext and ext not in ACCEPTED_EXTENSIONS:
        raise UnreadableFile(
            f"{label} is a {ext} file; upload an Excel workbook (.xlsx, .xls) or a CSV file."
        )
    size = len(source) if isinstance(source, bytes) else _size(source)
    if size > limits.max_file_bytes:
        raise too_large(label, "it is {:,} bytes", size, limits.max_file_bytes)
    head = data[:2048] if data is not None else _head(_as_path(source))
    if not head.strip():
        raise UnreadableFile(f"{label} is empty; export the data again and upload it.")
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sniff.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in _all(
        source, data
    ):
        return _xml2003_tables(path, _all(source, data), limits)
    if sniff.startswith((b"<html", b"<!doctype html", b"<table", b"<meta", b"<head")) or (
        sniff.startswith(b"<") and b"<table" in _all(source, data).lower()
    ):
        return _html_tables(path, _all(source, data), limits)
    if head.startswith(failures.OLD_BIFF):
        raise failures.too_old(label)
    if head.startswith((b"PK", failures.OLE_MAGIC)):
        return _workbook_tables(path, source, data, limits)
    if not _looks_like_text(head):
        raise failures.not_a_spreadsheet(label)
    if ext in WORKBOOK_EXTENSIONS and not _delimited(head):
        raise failures.not_a_spreadsheet(label)  # text saved under a workbook's name
    return [_csv_table(path, _all(source, data))]


def _size(path: str | Path) -> int:
    try:
        return Path(path).stat().st_size
    except FileNotFoundError as e:
        raise UnreadableFile(f"{path} does not exist; check the path.") from e


def _looks_like_text(head: bytes) -> bool:
    """Text in one of the encodings exports use; binary data holds NUL bytes."""
    return head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in head


def _delimited(head: bytes) -> bool:
    """Two or more lines split into the same two or more columns: a CSV or TSV export,
    which some systems save with an .xls name."""
    text = head.decode(text_encoding(head), errors="ignore")
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if len(lines) < 2:
        return False
    try:
        delim = sniff_delimiter("\n".join(lines))
    except csv.Error:
        return False
    try:
        counts = [len(r) for r in csv.reader(lines, delimiter=delim)]
    except csv.Error:
        return False
    # Title lines above the header may be narrower: the commonest width decides.
    common = max(set(counts), key=counts.count)
    return common >= 2 and counts.count(common) >= 0.6 * len(counts)


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
    return _as_path(path).read_bytes()


def _as_path(source: str | Path | bytes) -> Path:
    """The path of a file given by name (an upload's bytes come with `data` instead)."""
    if isinstance(source, bytes):
        raise TypeError("Bytes were given where a path was expected.")
    return Path(source)


# --- workbooks -------------------------------------------------------------------------


def _workbook_tables(
    path: str, source: str | Path | bytes, data: bytes | None, limits: Limits
) -> list[Table]:
    label = Path(path).name
    raw = data if data is not None else _as_path(source).read_bytes()
    _check_workbook(raw, label, limits)
    try:
        with failures.reading(label):
            reader = fastexcel.read_excel(_reader_source(path, source, data, raw))
            names = list(reader.sheet_names)
    except UnreadableFile as e:
        raise failures.diagnose(label, raw, e.__cause__) from e.__cause__
    date1904 = _uses_1904_dates(raw)
    streamed = peek_sheets(raw, PEEK_ROWS, date1904) if raw.startswith(b"PK") else None
    tables: list[Table] = []
    problem: str | None = None
    absolute: Sequence[int]
    for sheet in names:
        if streamed is not None and sheet in streamed:
            peek, absolute = _trim_leading_columns(streamed[sheet])
        else:
            try:
                peek, absolute = _peek_sheet(reader, sheet, label)
            except UnreadableFile as e:  # one damaged sheet: the others may still load
                peek, absolute, problem = [], [], str(e)
        loader = _sheet_loader(reader, sheet, absolute, label)
        table = Table(path, sheet, peek, loader, date1904, problem, positions=absolute)
        tables.append(table)
        problem = None
    if tables and not any(t.peek for t in tables):
        broken = [t.problem for t in tables if t.problem]
        if broken:
            raise UnreadableFile(broken[0])
        if _no_cells(reader, names, label):
            raise failures.no_cells(label)
    return tables


def _check_workbook(raw: bytes, label: str, limits: Limits) -> None:
    """What the file declares, against the limits, before the reader parses it."""
    if raw.startswith(b"PK"):
        limits_mod.check_zip(raw, label, limits)
    elif failures.biff_encrypted(raw):
        raise failures.password_protected(label)
    elif raw.startswith(failures.OLE_MAGIC):
        limits_mod.check_biff(raw, label, limits)


def _reader_source(path: str, source, data: bytes | None, raw: bytes) -> str | bytes:
    """The path when its extension says what the content is (the reader then reads the
    file itself), else the bytes, which the reader recognises by their content."""
    ext = Path(path).suffix.lower()
    zipped = ext in (".xlsx", ".xlsm", ".xlsb", ".ods") and raw.startswith(b"PK")
    ole = ext == ".xls" and raw.startswith(failures.OLE_MAGIC)
    return str(source) if data is None and (zipped or ole) else raw


def _no_cells(reader: fastexcel.ExcelReader, names: list[str], label: str) -> bool:
    """Every sheet is empty (checked in full only when the first rows of all are)."""
    for sheet in names:
        with failures.reading(label, sheet):
            if reader.load_sheet(sheet, header_row=None, n_rows=1).width:
                return False
    return True


def _trim_leading_columns(
    grid: list[list[str | None]],
) -> tuple[list[list[str | None]], Sequence[int]]:
    """Drop blank columns left of the data, as the workbook reader does, and say where each
    remaining column sits in the sheet."""
    lead = min(
        (next(i for i, v in enumerate(row) if v is not None) for row in grid if any(row)), default=0
    )
    return [row[lead:] for row in grid], range(lead, MAX_COLUMNS)


def _peek_sheet(
    reader: fastexcel.ExcelReader, sheet: str, label: str
) -> tuple[list[list[str | None]], list]:
    """The first rows as text, and each peek column's absolute index in the sheet."""
    with failures.reading(label, sheet):
        sheet_ = reader.load_sheet(
            sheet, header_row=None, skip_rows=0, n_rows=PEEK_ROWS, dtypes="string"
        )
        return _grid(sheet_.to_pandas()), [c.absolute_index for c in sheet_.available_columns()]


def _sheet_loader(
    reader: fastexcel.ExcelReader, sheet: str, absolute: Sequence[int], label: str
) -> Callable[[int, list[int]], pd.DataFrame]:
    def load(header_row: int, columns: list[int]) -> pd.DataFrame:
        # Read every data row under the header; `schema_sample_rows=None` makes the
        # reader look at all rows before choosing a type, so a text cell far down a
        # date column turns the column to text instead of silently becoming null.
        # The reader skips leading blank columns, but `use_columns` counts them; a
        # column the reader does not have (styled but empty, right of the table) is blank.
        columns = sorted(columns)
        wanted = {absolute[c]: c for c in columns if c < len(absolute)}

        def read(dtypes: Literal["string"] | None = None) -> fastexcel.ExcelSheet:
            return reader.load_sheet(
                sheet,
                header_row=None,
                skip_rows=header_row + 1,
                use_columns=lambda info: info.absolute_index in wanted,
                schema_sample_rows=None,
                dtypes=dtypes,
            )

        with failures.reading(label, sheet):
            try:
                sheet_ = read()
            except fastexcel.UnsupportedColumnTypeCombinationError:
                # A column mixing kinds the reader cannot combine (durations and text):
                # every cell as the text shown; the value parsers read dates from text.
                sheet_ = read("string")
            got = [wanted[c.absolute_index] for c in sheet_.selected_columns]
            frame = sheet_.to_pandas()
        frame.columns = got
        for c in columns:
            if c not in frame:
                frame[c] = pd.Series(pd.NA, index=frame.index, dtype="object")
        return frame[columns]

    return load


def _uses_1904_dates(data: bytes) -> bool:
    """Workbooks from old Mac Excel count serial dates from 1904, not 1900."""
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z, z.open("xl/workbook.xml") as f:
            xml = f.read(1 << 16)
    except limits_mod.ZIP_READ_ERRORS:
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
    label = Path(path).name
    encoding = text_encoding(data)
    head = data[:CSV_HEAD_BYTES].decode(encoding, errors="ignore")  # may cut a last character
    try:
        delim = sniff_delimiter(head)
        lines = head.splitlines()[:PEEK_ROWS]
        head_rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
    except csv.Error as e:  # a NUL byte, a field longer than 128 KB
        raise failures.not_a_spreadsheet(label) from e
    width = max((len(r) for r in head_rows), default=0)
    if width == 0:
        raise UnreadableFile(f"{label} is empty; export the data again and upload it.")
    peek = [[v if v.strip() else None for v in r] + [None] * (width - len(r)) for r in head_rows]

    def load(header_row: int, columns: list[int]) -> pd.DataFrame:
        # A row with filled cells right of the header's last one is malformed (a comma in
        # an unquoted value): it is rejected with its reason (frame.attrs["row_reasons"])
        # while the rest loads. pandas refuses rows wider than `names`: read again as
        # wide as the widest row then.
        header = len(head_rows[header_row]) if header_row < len(head_rows) else width
        try:
            frame = _read_csv(data, encoding, delim, header_row, width)
        except pd.errors.ParserError:
            widest = _widest_row(data, encoding, delim, label)
            try:
                frame = _read_csv(data, encoding, delim, header_row, max(widest, width))
            except (pd.errors.ParserError, ValueError) as e:
                raise _csv_damaged(label, e) from e
        except ValueError as e:
            raise _csv_damaged(label, e) from e
        frame = _reject_wide_rows(frame, header)
        # Columns are picked after reading: with `usecols` pandas would silently drop the
        # cells of a row wider than the header instead of reporting it.
        out = frame.reindex(columns=sorted(columns)).reset_index(drop=True)
        out.attrs = frame.attrs
        return out

    return Table(path, None, peek, load)


def _read_csv(data: bytes, encoding: str, delim: str, header_row: int, width: int):
    return pd.read_csv(
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
        encoding_errors="replace",
    )


def _widest_row(data: bytes, encoding: str, delim: str, label: str) -> int:
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    try:
        return max((len(r) for r in csv.reader(text, delimiter=delim)), default=0)
    except csv.Error as e:
        raise _csv_damaged(label, e) from e


def _reject_wide_rows(frame: pd.DataFrame, width: int) -> pd.DataFrame:
    if frame.shape[1] <= width:
        return frame
    extra = frame.iloc[:, width:].notna().to_numpy()
    wide = extra.any(axis=1)
    cells = width + extra.shape[1] - extra[:, ::-1].argmax(axis=1)
    out = frame.iloc[:, :width].copy()
    if not wide.any():
        return out
    out.attrs["row_reasons"] = {
        int(pos): f"row has {int(cells[pos])} cells but the header has {width}"
        for pos in np.flatnonzero(wide)
    }
    return out


def _csv_damaged(label: str, error: Exception) -> UnreadableFile:
    # pandas says "EOF inside string starting at row 52": keep it, on one line.
    detail = " ".join(str(error).split()).removeprefix("Error tokenizing data. C error: ")
    return UnreadableFile(
        f"{label} could not be read as CSV ({detail}); export it again or save it as Excel."
    )


def _html_tables(path: str, data: bytes, limits: Limits) -> list[Table]:
    # Cells are kept as the text shown: pandas.read_html would take a <th> row as column
    # names (losing the header row) and turn '0012' into 12.
    import lxml.html

    label = Path(path).name
    try:
        # lxml refuses text that still declares its encoding (XHTML exports do).
        text = re.sub(r"^\s*<\?xml[^>]*\?>", "", decode_text(data))
        doc = lxml.html.fromstring(text)
    except (ValueError, lxml.etree.ParserError) as e:
        raise UnreadableFile(
            f"{label} looks like a web page but is damaged; export it again."
        ) from e
    grids = []
    for i, t in enumerate(doc.iter("table"), start=1):
        grid = _html_grid(t, f"Table {i} of {label}", limits)
        if grid:
            grids.append(grid)
    if not grids:
        raise UnreadableFile(
            f"{label} is a web page with no table in it; export the data as Excel or CSV."
        )
    return [
        _frame_table(path, f"Table {i}", pd.DataFrame(g, dtype=object))
        for i, g in enumerate(grids, start=1)
    ]


def _html_grid(table, where: str, limits: Limits) -> list[list[str | None]]:
    """The rows of one HTML table (not of tables nested in it); colspan leaves blanks.
    Spans are checked against the limits before any blank is added for them."""
    rows = []
    for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        row: list[str | None] = []
        for cell in tr.xpath("./td|./th"):
            text = " ".join(cell.text_content().split())
            row.append(text or None)
            span = _span(cell.get("colspan"))
            check_span(where, "a cell spans {:,} columns", span, limits.max_span)
            check_span(
                where,
                "a cell spans {:,} rows",
                _span(cell.get("rowspan")),
                limits.max_span,
            )
            row.extend([None] * (span - 1))
            check_span(where, "a row has {:,} columns", len(row), limits.max_columns)
        rows.append(row)
        check_span(where, "it has {:,} rows", len(rows), limits.max_rows)
    width = max((len(r) for r in rows), default=0)
    check_span(where, "it spans {:,} cells", width * len(rows), limits.max_sheet_cells)
    return [r + [None] * (width - len(r)) for r in rows] if width else []


def _span(value: str | None) -> int:
    """A colspan/rowspan as browsers read it: leading digits, 1 when absent or zero."""
    digits = re.match(r"\s*(\d{1,12})", value or "")
    return max(int(digits.group(1)), 1) if digits else 1


_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"


def _xml2003_tables(path: str, data: bytes, limits: Limits) -> list[Table]:
    """XML Spreadsheet 2003: Worksheet > Table > Row > Cell > Data, with ss:Index gaps."""
    # defusedxml refuses entity expansion ("billion laughs") and external entities.
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    label = Path(path).name
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException) as e:
        raise UnreadableFile(
            f"{label} looks like an XML spreadsheet but is damaged; export it again."
        ) from e
    tables = []
    for ws in root.iter(f"{_SS}Worksheet"):
        sheet = ws.get(f"{_SS}Name")
        where = f"Sheet {sheet!r} of {label}" if sheet else label
        rows = _xml2003_rows(ws, where, label, limits)
        width = max((len(r) for r in rows), default=0)
        check_span(where, "it spans {:,} cells", width * len(rows), limits.max_sheet_cells)
        grid = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
        tables.append(_frame_table(path, sheet, grid))
    return tables


def _xml2003_rows(ws, where: str, label: str, limits: Limits) -> list[list[str | None]]:
    rows: list[list[str | None]] = []
    for row in ws.iter(f"{_SS}Row"):
        index = _xml_int(row.get(f"{_SS}Index"), label)
        check_span(where, "a row is numbered {:,}", index or 0, limits.max_rows)
        while index and len(rows) < index - 1:
            rows.append([])
        values: list[str | None] = []
        for cell in row.iter(f"{_SS}Cell"):
            at = _xml_int(cell.get(f"{_SS}Index"), label)
            check_span(where, "a cell is in column {:,}", at or 0, limits.max_columns)
            while at and len(values) < at - 1:
                values.append(None)
            datum = cell.find(f"{_SS}Data")
            # Rich text nests <Font> inside <Data>; a merged cell spans MergeAcross more.
            values.append("".join(datum.itertext()) if datum is not None else None)
            across = _xml_int(cell.get(f"{_SS}MergeAcross"), label) or 0
            down = _xml_int(cell.get(f"{_SS}MergeDown"), label) or 0
            check_span(where, "a cell is merged across {:,} columns", across, limits.max_span)
            check_span(where, "a cell is merged down {:,} rows", down, limits.max_span)
            values.extend([None] * across)
            check_span(where, "a row has {:,} columns", len(values), limits.max_columns)
        rows.append(values)
    return rows


def _xml_int(value: str | None, label: str) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit():
        raise UnreadableFile(
            f"{label} looks like an XML spreadsheet but is damaged (a row or cell number is "
            "not a number); export it again."
        )
    return int(value)
