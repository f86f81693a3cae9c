"""A corpus of odd and hostile files, generated (no binaries in the repository).

Each `Case` is a file name, a function that returns its bytes, and what the command line
must do with it: exit 2 with exactly `error` on stderr, or exit 0 having loaded `loaded`
rows (and rejected `rejected`). The cases cover what other programs write (ISO-date cells,
serials past year 9999, styled empty columns, text saved as .xls), damaged and protected
files, files that declare more than the limits allow, and sheets that look like records
without being any.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl
import xlsxwriter
import xlwt
from openpyxl.styles import Font

CALLS_HEADER = ["Incident #", "Received Date", "Call Type", "District", "Disposition"]
CALLS_ROWS = [
    ["24-0001", "2024-01-06 13:04", "SUICIDE THREAT", "North", "Transported to hospital"],
    ["24-0002", "2024-01-13 08:30", "PERSON IN CRISIS", "South", "Resolved"],
    ["24-0003", "2024-02-02 22:15", "WELFARE CHECK", "East", "Gone on arrival"],
]
SECRET = "Jane Doe 1985-03-02"  # a cell value that must never appear in an error


@dataclass
class Case:
    name: str
    build: Callable[[], bytes]
    # The exact sentence after "error: ", or a function of the file's bytes giving it.
    error: str | Callable[[bytes], str] | None = None
    loaded: int | None = None
    rejected: int = 0


# --- writers ---------------------------------------------------------------------------


def xlsx(sheets: dict[str, list[list]], epoch1904: bool = False) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if epoch1904:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        wb.epoch = CALENDAR_MAC_1904
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def calls_xlsx(**kw) -> bytes:
    return xlsx({"Calls": [CALLS_HEADER, *CALLS_ROWS]}, **kw)


def xls(rows: list[list], formula_at: tuple[int, int] | None = None) -> bytes:
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Calls")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    if formula_at:
        ws.write(*formula_at, xlwt.Formula("A2&B2"))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(data: bytes, edit: Callable[[str, bytes], bytes | None], extra=()) -> bytes:
    """The workbook with each part passed through `edit` (None drops it), plus `extra`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            part = edit(info.filename, src.read(info.filename))
            if part is not None:
                z.writestr(info.filename, part)
        for name, part in extra:
            z.writestr(name, part)
    return out.getvalue()


def sheet_xml(data: bytes, change: Callable[[bytes], bytes], part="xl/worksheets/sheet1.xml"):
    return rezip(data, lambda n, b: change(b) if n == part else b)


def declare_size(data: bytes, part: str, size: int) -> bytes:
    """Rewrite the uncompressed size a zip's central directory declares for `part` (what
    a zip bomb lies about); the compressed data stay as they are."""
    buf = bytearray(data)
    pos = buf.find(b"PK\x01\x02" + b"\x00" * 0)  # first central directory header
    name = part.encode()
    while pos != -1:
        n = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46 : pos + 46 + n]) == name:
            struct.pack_into("<I", buf, pos + 24, size)
            return bytes(buf)
        pos = buf.find(b"PK\x01\x02", pos + 4)
    raise KeyError(part)


def many_parts(count: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        src = zipfile.ZipFile(io.BytesIO(calls_xlsx()))
        for info in src.infolist():
            z.writestr(info.filename, src.read(info.filename))
        for i in range(count):
            z.writestr(f"xl/media/x{i}.bin", b"")
    return out.getvalue()


def far_cell() -> bytes:
    far = b'<row r="1048576"><c r="XFD1048576" t="n"><v>5</v></c></row></sheetData>'
    return sheet_xml(calls_xlsx(), lambda x: x.replace(b"</sheetData>", far))


def iso_date_cells() -> bytes:
    """Cells typed t="d" (an ISO date as text), as Strict Open XML writers store them."""

    def change(x: bytes) -> bytes:
        for i, row in enumerate(CALLS_ROWS, start=2):
            old = f'<c r="B{i}" t="inlineStr"><is><t>{row[1]}</t></is></c>'.encode()
            iso = row[1].replace(" ", "T") + ":00"
            x = x.replace(old, f'<c r="B{i}" t="d"><v>{iso}</v></c>'.encode())
        assert b't="d"' in x
        return x

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Calls"
    for r, row in enumerate([CALLS_HEADER, *CALLS_ROWS], start=1):
        for c, v in enumerate(row, start=1):
            ws.cell(r, c).value = v
    out = io.BytesIO()
    wb.save(out)
    return sheet_xml(out.getvalue(), change)


def serial_past_9999() -> bytes:
    """A 'report parameters' side sheet holding a date-formatted serial past year 9999."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Calls"
    for row in [CALLS_HEADER, *CALLS_ROWS]:
        ws.append(row)
    side = wb.create_sheet("Report parameters")
    side.append(["Parameter", "Value"])
    side.append(["Run until", 3_000_000])
    side["B2"].number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def styled_empty_columns() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Calls"
    for row in [CALLS_HEADER, *CALLS_ROWS]:
        ws.append(row)
    for r in range(1, 5):
        for c in range(7, 10):  # G:I styled, never filled
            ws.cell(r, c).font = Font(bold=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def mixed_kinds() -> bytes:
    """A column mixing a duration and text, which the reader cannot give one type."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Calls"
    ws.append(CALLS_HEADER)
    for row in CALLS_ROWS:
        ws.append(row)
    ws["D3"] = dt.timedelta(hours=5)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsxwriter_book(rows: list[list] | None) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("Calls")
    for r, row in enumerate(rows or []):
        ws.write_row(r, 0, row)
    wb.close()
    return out.getvalue()


def truncated_formula_xls() -> bytes:
    """A FORMULA record whose token length runs past the record: the workbook reader
    panics (PanicException) on it."""
    data = bytearray(xls([["a", "b"], ["x", "y"]], formula_at=(1, 2)))
    for i in range(len(data) - 30):
        if data[i : i + 2] == b"\x06\x00" and struct.unpack_from("<HH", data, i + 4) == (1, 2):
            struct.pack_into("<H", data, i + 24, 0xFFF0)
            return bytes(data)
    raise AssertionError("no FORMULA record")


def far_cell_xls() -> bytes:
    """An .xls whose last text cell claims row 65,535 and column 65,535 (past BIFF8's 256
    columns): 4 billion cells for the workbook reader, which ends the process."""
    data = bytearray(xls([CALLS_HEADER, *CALLS_ROWS]))
    at = data.rfind(b"\xfd\x00\x0a\x00")  # the last LABELSST record
    struct.pack_into("<HH", data, at + 4, 0xFFFF, 0xFFFF)
    return bytes(data)


def fat_count_xls() -> bytes:
    """An .xls whose Compound File header claims 3 billion FAT sectors: the workbook reader
    would allocate 13 GB for them and end the process."""
    data = bytearray(xls([CALLS_HEADER, *CALLS_ROWS]))
    struct.pack_into("<I", data, 0x2C, 3_439_329_281)
    return bytes(data)


def dimensions_xls() -> bytes:
    """An .xls whose DIMENSIONS record puts the first row after the last: the workbook
    reader reserves room for the (wrapped-around) difference, 800 GB, and ends."""
    data = bytearray(xls([CALLS_HEADER, *CALLS_ROWS]))
    at = data.find(b"\x00\x02\x0e\x00")  # DIMENSIONS, 14 bytes
    struct.pack_into("<I", data, at + 4, 0xD7)
    return bytes(data)


def encrypted_ooxml() -> bytes:
    """An OLE container holding EncryptedPackage, as Excel writes a password-protected
    .xlsx: made by renaming the stream of a real .xls."""
    data = bytearray(xls([["a"]]))
    old = "Workbook".encode("utf-16-le") + b"\x00\x00"
    at = data.find(old)
    name = "EncryptedPackage".encode("utf-16-le") + b"\x00\x00"
    data[at : at + 64] = name + b"\x00" * (64 - len(name))
    struct.pack_into("<H", data, at + 64, len(name))
    return bytes(data)


def filepass_xls() -> bytes:
    """An .xls whose workbook globals begin with FILEPASS (encrypted with a password to
    open): xlwt's INTERFACEHDR and MMS records after the BOF replaced by one of 12 bytes."""
    data = bytearray(xls([CALLS_HEADER, *CALLS_ROWS]))
    at = data.find(b"\xe1\x00\x02\x00")  # INTERFACEHDR, right after the BOF
    assert data[at + 6 : at + 8] == b"\xc1\x00"  # MMS follows
    data[at : at + 12] = b"\x2f\x00\x08\x00" + b"\x00\x00" + b"\x12\x34\x56\x78\x00\x00"
    return bytes(data)


def biff(version: int) -> bytes:
    """The BOF record an Excel 2.x/3.0/4.0 file starts with, then a little padding."""
    record = {2: 0x0009, 3: 0x0209, 4: 0x0409}[version]
    return struct.pack("<HHHH", record, 4, 0, 0x10) + b"\x00" * 64


ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def ods(rows_xml: str) -> bytes:
    """An OpenDocument spreadsheet with one sheet, 'Calls', of the given rows."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} '
        'office:version="1.2"><office:body><office:spreadsheet><table:table '
        f'table:name="Calls">{rows_xml}</table:table></office:spreadsheet></office:body>'
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
        '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def ods_row(cells: list[str], rows: int = 1, columns: int = 1) -> str:
    """A row of string cells; `rows` repeats the row, `columns` repeats its last cell."""
    repeat = f' table:number-rows-repeated="{rows}"' if rows > 1 else ""
    out = []
    for i, c in enumerate(cells):
        wide = (
            f' table:number-columns-repeated="{columns}"'
            if columns > 1 and i == len(cells) - 1
            else ""
        )
        out.append(
            f'<table:table-cell{wide} office:value-type="string"><text:p>{c}</text:p>'
            "</table:table-cell>"
        )
    return f"<table:table-row{repeat}>{''.join(out)}</table:table-row>"


LIBREOFFICE_PADDING = (
    '<table:table-row table:number-rows-repeated="1048572"><table:table-cell '
    'table:number-columns-repeated="1024"/></table:table-row>'
)


def html_span(attribute: str, value: int) -> bytes:
    return (
        "<html><body><table><tr><th>Incident #</th><th>Received Date</th></tr>"
        f'<tr><td {attribute}="{value}">x</td><td>2024-01-06</td></tr></table></body></html>'
    ).encode()


def xml2003(body: str) -> bytes:
    return (
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        f'<Worksheet ss:Name="Calls"><Table>{body}</Table></Worksheet></Workbook>'
    ).encode()


def xml2003_row(cells: list[str], attrs: str = "") -> str:
    inner = "".join(f'<Cell><Data ss:Type="String">{c}</Data></Cell>' for c in cells)
    return f"<Row{attrs}>{inner}</Row>"


def csv_bytes(rows: list[list], delimiter=",", encoding="utf-8") -> bytes:
    return "".join(delimiter.join(map(str, r)) + "\r\n" for r in rows).encode(encoding)


def random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)  # noqa: S311 - reproducible noise, not a secret


SERVICES = [
    ["Provider / Program", "Service Type", "Hours"],
    ["Regional 988 Line", "Crisis Line", "24/7"],
    ["County Mobile Team", "Mobile Crisis", "Daily"],
    ["Stabilization Unit", "Crisis Stabilization", "24/7"],
    ["General Hospital", "Emergency Department", "24/7"],
]
STATISTICS = [["Name", "Type of variable", "Mean", "SD"]] + [
    [f"v{i}", t, i * 1.5, 0.3] for i, t in enumerate(["numeric", "string", "factor"] * 4)
]
PIVOT_TEST = [["Name", "Type", "Value"]] + [
    [f"Field {i}", t, i] for i, t in enumerate(["Row", "Column", "Data", "Page"] * 5)
]
TIMESHEET = [["Name", "Type", "Date", "Hours"]] + [
    [SECRET, t, dt.date(2024, 1, d), 8] for d, t in enumerate(["Regular", "Overtime"] * 3, 1)
]


def _nothing(name: str, reason: str) -> str:
    return (
        f"{name} holds no calls, training, roster or services records that could be loaded: "
        f"{reason}."
    )


def _services_refused(name: str, sheet: str, known: int, n: int) -> str:
    return _nothing(
        name,
        f"in sheet {sheet!r}, it has columns named like a services list, but only {known} of "
        f"the first {n} values of its type column are known service categories (crisis line, "
        "mobile crisis, crisis stabilisation…), so it was not read as one; if it is a services "
        "list, choose Services for it on the Data page or add its types to the service-type "
        "rules",
    )


def _too_large(where: str, what: str, declared: int, limit: int) -> str:
    return (
        f"{where} is too large to read: {what.format(declared)} (the limit is {limit:,}); "
        "export a shorter period or fewer columns and upload that."
    )


def _damaged(name: str, sheet: str | None = None) -> str:
    where = f"Sheet {sheet!r} of {name}" if sheet else name
    return (
        f"{where} could not be read: the file is damaged; open it in Excel, save it again as "
        ".xlsx and upload that."
    )


def _not_spreadsheet(name: str) -> str:
    return (
        f"{name} is not a spreadsheet (it is neither a workbook nor a table of text); export "
        "the data again as .xlsx or CSV and upload that."
    )


def _too_old(name: str) -> str:
    return (
        f"{name} is in the Excel 4.0 (or earlier) format, which cannot be read; open it in "
        "Excel, save as .xlsx and upload that."
    )


def _header_only(name: str, sheet: str | None) -> str:
    where = f"sheet {sheet!r}" if sheet else "the file"
    return _nothing(
        name,
        f"in {where}, it has a header row (row 1, read as calls) but no rows under it, so "
        "there is nothing to load; export the data again with its rows",
    )


GIB2 = 2 << 30


def _infos(data: bytes) -> list[zipfile.ZipInfo]:
    return zipfile.ZipFile(io.BytesIO(data)).infolist()


def _unpacked(data: bytes) -> int:
    return sum(i.file_size for i in _infos(data))


def _ratio(data: bytes) -> int:
    return max(i.file_size // max(i.compress_size, 1) for i in _infos(data))


def _parts(data: bytes) -> int:
    return len(_infos(data))


def cases() -> list[Case]:
    text68 = b"This is not a workbook. It is a short note saved with an .xls name.\n"
    assert len(text68) == 68
    header_only = [CALLS_HEADER]
    return [
        # --- not spreadsheets, empty, old, protected, damaged
        Case("note.xls", lambda: text68, _not_spreadsheet("note.xls")),
        Case("noise.xlsx", lambda: random_bytes(4096, 1), _not_spreadsheet("noise.xlsx")),
        Case(
            "picture.csv",
            lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random_bytes(512, 2),
            _not_spreadsheet("picture.csv"),
        ),
        Case("zero.xlsx", lambda: b"", "zero.xlsx is empty; export the data again and upload it."),
        Case(
            "blank.csv",
            lambda: b" \r\n\r\n\t\r\n",
            "blank.csv is empty; export the data again and upload it.",
        ),
        Case(
            "nocells.xlsx",
            lambda: xlsx({"Sheet1": []}),
            "nocells.xlsx is empty: it has no cells; export the data again.",
        ),
        Case(
            "nocells_xw.xlsx",
            lambda: xlsxwriter_book(None),
            "nocells_xw.xlsx is empty: it has no cells; export the data again.",
        ),
        Case("excel4.xls", lambda: biff(4), _too_old("excel4.xls")),
        Case("excel3.xls", lambda: biff(3), _too_old("excel3.xls")),
        Case("excel2.xls", lambda: biff(2), _too_old("excel2.xls")),
        Case(
            "protected.xlsx",
            encrypted_ooxml,
            "protected.xlsx is password-protected; remove the password in Excel and upload again.",
        ),
        Case(
            "protected.xls",
            encrypted_ooxml,
            "protected.xls is password-protected; remove the password in Excel and upload again.",
        ),
        Case(
            "filepass.xls",
            filepass_xls,
            "filepass.xls is password-protected; remove the password in Excel and upload again.",
        ),
        Case("formula.xls", truncated_formula_xls, _damaged("formula.xls")),
        Case("fatcount.xls", fat_count_xls, _damaged("fatcount.xls")),
        Case("dimensions.xls", dimensions_xls, _damaged("dimensions.xls")),
        Case("cut.xlsx", lambda: calls_xlsx()[:1500], _damaged("cut.xlsx")),
        Case(
            "ole.xls",
            lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random_bytes(2048, 3),
            _damaged("ole.xls"),
        ),
        Case(
            "badxml.xlsx",
            lambda: sheet_xml(calls_xlsx(), lambda x: x[: len(x) // 2]),
            _damaged("badxml.xlsx", "Calls"),
        ),
        Case(
            "nosheet.xlsx",
            lambda: rezip(calls_xlsx(), lambda n, b: None if "worksheets/" in n else b),
            _damaged("nosheet.xlsx", "Calls"),
        ),
        Case(
            "scan.pdf",
            lambda: b"%PDF-1.4 " + SECRET.encode(),
            "scan.pdf is a .pdf file; upload an Excel workbook (.xlsx, .xls) or a CSV file.",
        ),
        Case(
            "page.xls",
            lambda: b"<html><body><p>" + SECRET.encode() + b"</p></body></html>",
            "page.xls is a web page with no table in it; export the data as Excel or CSV.",
        ),
        Case(
            "broken.xml",
            lambda: xml2003(xml2003_row(["a"]))[:-30],
            "broken.xml looks like an XML spreadsheet but is damaged; export it again.",
        ),
        Case(
            "index.xml",
            lambda: xml2003(xml2003_row(["a", "b"], ' ss:Index="x1"')),
            "index.xml looks like an XML spreadsheet but is damaged (a row or cell number is "
            "not a number); export it again.",
        ),
        # --- over the limits, refused before any reader parses them
        Case(
            "far.xlsx",
            far_cell,
            _too_large(
                "Sheet 'Calls' of far.xlsx", "it spans {:,} cells", 17_179_869_184, 25_000_000
            ),
        ),
        Case(
            "dimension.xlsx",
            lambda: sheet_xml(
                calls_xlsx(),
                lambda x: x.replace(
                    b'<dimension ref="A1:E4"/>', b'<dimension ref="A1:XFD1048576"/>'
                ),
            ),
            _too_large(
                "Sheet 'Calls' of dimension.xlsx", "it spans {:,} cells", 17_179_869_184, 25_000_000
            ),
        ),
        Case(
            "rownumber.xlsx",
            lambda: sheet_xml(
                calls_xlsx(),
                lambda x: x.replace(
                    b"</sheetData>",
                    b'<row r="4000000000"><c r="A4000000000"><v>1</v></c></row></sheetData>',
                ),
            ),
            _too_large(
                "Sheet 'Calls' of rownumber.xlsx", "it spans {:,} cells", 4_000_000_000, 25_000_000
            ),
        ),
        Case(
            "bomb.xlsx",
            lambda: declare_size(calls_xlsx(), "xl/worksheets/sheet1.xml", 0xF000_0000),
            lambda d: _too_large("bomb.xlsx", "it unpacks to {:,} bytes", _unpacked(d), GIB2),
        ),
        Case(
            "ratio.xlsx",
            lambda: declare_size(calls_xlsx(), "xl/worksheets/sheet1.xml", 1_500_000_000),
            lambda d: _too_large(
                "ratio.xlsx", "a part unpacks to {:,} times its packed size", _ratio(d), 1_000
            ),
        ),
        Case(
            "parts.xlsx",
            lambda: many_parts(10_001),
            lambda d: _too_large("parts.xlsx", "it holds {:,} parts", _parts(d), 10_000),
        ),
        Case(
            "colspan.xls",
            lambda: html_span("colspan", 100_000),
            _too_large("Table 1 of colspan.xls", "a cell spans {:,} columns", 100_000, 1_000),
        ),
        Case(
            "rowspan.html",
            lambda: html_span("rowspan", 10**9),
            _too_large("Table 1 of rowspan.html", "a cell spans {:,} rows", 10**9, 1_000),
        ),
        Case(
            "rowindex.xml",
            lambda: xml2003(xml2003_row(["a", "b"], ' ss:Index="2000000000"')),
            _too_large(
                "Sheet 'Calls' of rowindex.xml", "a row is numbered {:,}", 2_000_000_000, 1_048_576
            ),
        ),
        Case(
            "cellindex.xml",
            lambda: xml2003(
                '<Row><Cell ss:Index="100000"><Data ss:Type="String">a</Data></Cell></Row>'
            ),
            _too_large(
                "Sheet 'Calls' of cellindex.xml", "a cell is in column {:,}", 100_000, 16_384
            ),
        ),
        Case(
            "merge.xml",
            lambda: xml2003(
                '<Row><Cell ss:MergeAcross="16000"><Data ss:Type="String">a</Data></Cell></Row>'
            ),
            _too_large(
                "Sheet 'Calls' of merge.xml",
                "a cell is merged across {:,} columns",
                16_000,
                1_000,
            ),
        ),
        # --- sheets that look like records but are not
        Case(
            "header.xlsx",
            lambda: xlsx({"Calls": header_only}),
            _header_only("header.xlsx", "Calls"),
        ),
        Case("header.csv", lambda: csv_bytes(header_only), _header_only("header.csv", None)),
        Case(
            "statistics.xlsx",
            lambda: xlsx({"Variables": STATISTICS}),
            _services_refused("statistics.xlsx", "Variables", 0, 12),
        ),
        Case(
            "pivot.xlsx",
            lambda: xlsx({"PivotTest": PIVOT_TEST}),
            _services_refused("pivot.xlsx", "PivotTest", 0, 20),
        ),
        Case(
            "timesheet.xlsx",
            lambda: xlsx({"Timesheet": TIMESHEET}),
            _services_refused("timesheet.xlsx", "Timesheet", 0, 6),
        ),
        Case(
            "notes.xlsx",
            lambda: xlsx({"Notes": [["About this export"], [SECRET]]}),
            "notes.xlsx holds no calls, training, roster or services records that could be "
            "recognised (no header row with known column names in its first 40 rows); check "
            "it is the export itself, or save a mapping profile for it in the app.",
        ),
        # --- odd but good: every row loaded or rejected with a reason
        Case("isodate.xlsx", iso_date_cells, loaded=3),
        Case("serial.xlsx", serial_past_9999, loaded=3),
        Case("styled.xlsx", styled_empty_columns, loaded=3),
        Case("durations.xlsx", mixed_kinds, loaded=3),
        Case(
            "wide.csv",
            lambda: csv_bytes([CALLS_HEADER, *CALLS_ROWS[:2], [*CALLS_ROWS[2], "x", "y"]]),
            loaded=2,
            rejected=1,
        ),
        Case("services.xlsx", lambda: xlsx({"Services": SERVICES}), loaded=4),
        Case(
            "calls.ods",
            lambda: ods(
                "".join(ods_row(r) for r in [CALLS_HEADER, *CALLS_ROWS]) + LIBREOFFICE_PADDING
            ),
            loaded=3,
        ),
        Case(
            "repeatcell.ods",
            lambda: ods(ods_row(CALLS_HEADER) + ods_row(CALLS_ROWS[0], 1_000_000, 16_384)),
            _too_large("repeatcell.ods", "a filled cell is repeated {:,} times", 16_384, 1_000),
        ),
        Case(
            "repeatrow.ods",
            lambda: ods(ods_row(CALLS_HEADER) + ods_row(CALLS_ROWS[0] * 6, 1_000_000)),
            _too_large("repeatrow.ods", "it spans {:,} cells", 30_000_000, 25_000_000),
        ),
        Case(
            "narrative.csv",
            lambda: csv_bytes(
                [[*CALLS_HEADER, "Narrative"], *[[*r, "x" * 200_000] for r in CALLS_ROWS]]
            ),
            loaded=3,
        ),
        Case("tabs.xls", lambda: csv_bytes([CALLS_HEADER, *CALLS_ROWS], "\t"), loaded=3),
        Case(
            "titled.xls",
            lambda: csv_bytes([["Calls report"], [], CALLS_HEADER, *CALLS_ROWS], "\t"),
            loaded=3,
        ),
        Case(
            "utf16.csv",
            lambda: b"\xff\xfe" + csv_bytes([CALLS_HEADER, *CALLS_ROWS], ",", "utf-16-le"),
            loaded=3,
        ),
        Case("biff8.xls", lambda: xls([CALLS_HEADER, *CALLS_ROWS]), loaded=3),
        Case("xlsxwriter.xlsx", lambda: xlsxwriter_book([CALLS_HEADER, *CALLS_ROWS]), loaded=3),
        Case("mac.xlsx", lambda: calls_xlsx(epoch1904=True), loaded=3),
        Case(
            "calls.html",
            lambda: (
                "<table>"
                + "".join(
                    "<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>"
                    for r in [CALLS_HEADER, *CALLS_ROWS]
                )
                + "</table>"
            ).encode(),
            loaded=3,
        ),
        Case(
            "calls.xml",
            lambda: xml2003("".join(xml2003_row(r) for r in [CALLS_HEADER, *CALLS_ROWS])),
            loaded=3,
        ),
        Case(
            "offset.xlsx",
            lambda: xlsx(
                {
                    "Calls": [
                        [],
                        [],
                        [None, None, *CALLS_HEADER],
                        *[[None, None, *r] for r in CALLS_ROWS],
                    ]
                }
            ),
            loaded=3,
        ),
    ]
