"""Opening what people upload: workbooks, CSV in any encoding and delimiter, and the
"Excel" files that are really HTML tables or XML Spreadsheet 2003 documents."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import VERA, VERA_SHEETS, real_file

from pmhc.ingest.reading import UnreadableFile, decode_text, open_tables, sniff_delimiter

HEADER = ["Inc #", "Rcvd Dt/Tm", "Call Type", "District"]
ROWS = [
    ["0012", "01/06/2024 13:04", "Suicide", "Café"],
    ["0013", "01/13/2024 08:30", "EDP", "North"],
]


# --- workbooks -------------------------------------------------------------------------


def test_every_sheet_is_a_table_in_workbook_order(write_xlsx):
    path = write_xlsx(
        "book.xlsx",
        {"Calls": [HEADER, *ROWS], "Notes": [["Exported by CAD v9"]], "Empty": []},
    )
    tables = open_tables(path)
    assert [t.sheet for t in tables] == ["Calls", "Notes", "Empty"]
    assert tables[0].peek[0] == HEADER
    assert tables[0].peek[1] == ROWS[0]
    assert tables[1].peek == [["Exported by CAD v9"]]
    assert tables[2].peek == []
    assert not tables[0].date1904


def test_load_reads_only_the_asked_columns_under_the_header(write_xlsx):
    path = write_xlsx("book.xlsx", {"Calls": [["Report title"], [], HEADER, *ROWS]})
    table = open_tables(path)[0]
    frame = table.load(2, [3, 0])
    assert list(frame.columns) == [0, 3]
    assert frame[0].tolist() == ["0012", "0013"]
    assert frame[3].tolist() == ["Café", "North"]


def test_sheet_starting_in_a_later_column_and_row_keeps_excel_positions(write_xlsx):
    # Data from C5: the reader skips the blank columns A:B, but loading must not be
    # thrown off by that (it used to fail with 'column at index 0 not found').
    blank = [None, None]
    path = write_xlsx(
        "offset.xlsx",
        {"CAD": [[], [], [*blank, "Calls report"], [], [*blank, *HEADER], [*blank, *ROWS[0]]]},
    )
    table = open_tables(path)[0]
    assert table.peek[4] == HEADER  # row 5 of the sheet is peek row 4
    frame = table.load(4, [0, 3])
    assert frame[0].tolist() == ["0012"]
    assert frame[3].tolist() == ["Café"]


def test_typed_cells_come_back_typed(write_xlsx):
    path = write_xlsx(
        "typed.xlsx",
        {"S": [["Date", "Hours"], [dt.datetime(2024, 1, 6, 13, 4), 8], [dt.date(2024, 2, 7), 40]]},
    )
    frame = open_tables(path)[0].load(0, [0, 1])
    assert frame[0].dtype.kind == "M"
    assert frame[0].tolist() == [pd.Timestamp("2024-01-06 13:04"), pd.Timestamp("2024-02-07")]
    assert frame[1].tolist() == [8, 40]


@pytest.mark.parametrize("date1904", [False, True])
def test_the_1904_date_system_is_detected(write_xlsx, date1904):
    path = write_xlsx("d.xlsx", {"S": [["Date"], [dt.datetime(2024, 1, 6)]]}, date1904=date1904)
    table = open_tables(path)[0]
    assert table.date1904 is date1904
    # calamine converts typed date cells with the workbook's own epoch
    assert table.load(0, [0])[0].tolist() == [pd.Timestamp("2024-01-06")]


def test_bytes_of_an_upload_read_like_the_file(write_xlsx):
    path = write_xlsx("book.xlsx", {"Calls": [HEADER, *ROWS]})
    tables = open_tables(path.read_bytes(), "upload.xlsx")
    assert tables[0].path == "upload.xlsx"
    assert tables[0].peek == open_tables(path)[0].peek


def test_real_vera_workbook_lists_all_six_sheets():
    tables = open_tables(real_file(VERA))
    assert [t.sheet for t in tables] == VERA_SHEETS
    calltypes = tables[1]
    assert calltypes.peek[0] == [
        "City",
        "Column_name",
        "Field 1",
        "Count",
        "Category",
        "Category - Alternate",
    ]
    assert len(calltypes.load(0, [2])) == 3227  # the README's raw call types


# --- CSV ------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", True), ("utf-8", False), ("cp1252", False)]
)
def test_csv_encodings_and_delimiters(write_text, delimiter, encoding, bom):
    rows = [[*HEADER, "Hours"], [*ROWS[0], "1,204"], [*ROWS[1], "3"]]
    path = write_text("calls.csv", rows, delimiter=delimiter, encoding=encoding, bom=bom)
    (table,) = open_tables(path)
    assert table.sheet is None
    assert table.peek[0] == [*HEADER, "Hours"]  # no BOM glued to 'Inc #'
    frame = table.load(0, [0, 3, 4])
    assert frame[0].tolist() == ["0012", "0013"]  # leading zeros kept: read as text
    assert frame[3].tolist() == ["Café", "North"]
    assert frame[4].tolist() == ["1,204", "3"]


def test_decode_text_variants():
    assert decode_text(b"\xef\xbb\xbfCaf\xc3\xa9") == "Café"
    assert decode_text("Café".encode("utf-16")) == "Café"
    assert decode_text(b"Caf\xe9") == "Café"  # cp1252
    assert decode_text(b"Caf\x81") == "Caf\ufffd"  # undefined in cp1252: replaced, not an error


def test_sniff_delimiter_prefers_the_consistent_split():
    # Commas inside the values must not win over the semicolons that split every line.
    text = "Inc;Date;Note\n1;2024-01-06;a, b, c\n2;2024-01-07;d\n"
    assert sniff_delimiter(text) == ";"
    assert sniff_delimiter("one column\nonly\n") == ","


def test_csv_with_title_lines_above_the_header(write_text):
    text = "Riverside PD calls report\nPrinted 2024-02-01\n\n" + "Inc #,Date\nA1,2024-01-06\n"
    (table,) = open_tables(write_text("t.csv", text))
    assert table.peek[0] == ["Riverside PD calls report", None]
    assert table.peek[2] == [None, None]
    assert table.peek[3] == ["Inc #", "Date"]
    assert table.load(3, [0, 1]).values.tolist() == [["A1", "2024-01-06"]]


def test_csv_row_wider_than_the_header_is_marked_and_the_rest_loads(write_text):
    lines = ["Inc #,Date"] + [f"A{i},2024-01-06" for i in range(50)] + ["Z,2024-01-07,extra"]
    (table,) = open_tables(write_text("wide.csv", "\n".join(lines) + "\n"))
    # The wide row is past the first 40 lines the reader peeks at; pandas used to drop
    # its extra cell silently because only some columns were asked for.
    frame = table.load(0, [0])
    assert len(frame) == 51
    assert frame[0].tolist()[-2:] == ["A49", "Z"]
    assert frame.attrs["row_reasons"] == {50: "row has 3 cells but the header has 2"}


def test_csv_with_an_unclosed_quote_is_one_sentence(write_text):
    lines = ["Inc #,Date", "A1,2024-01-06", 'A2,"2024-01-07', "A3,2024-01-08"]
    (table,) = open_tables(write_text("quote.csv", "\n".join(lines) + "\n" + "x," * 50000))
    with pytest.raises(UnreadableFile, match="could not be read as CSV") as err:
        table.load(0, [0, 1])
    assert "quote.csv" in str(err.value) and "\n" not in str(err.value)


# --- HTML and XML Spreadsheet 2003 saved as .xls ---------------------------------------

HTML_XLS = """<html><head><meta charset="utf-8"><title>Calls</title></head><body>
<table><tr><td colspan="4">Riverside PD - calls for service</td></tr></table>
<table border="1">
<thead><tr><th>Inc #</th><th>Rcvd Dt/Tm</th><th>Call Type</th><th>District</th></tr></thead>
<tbody>
<tr><td>0012</td><td>01/06/2024 13:04</td><td>Suicide</td><td>Café</td></tr>
<tr><td>0013</td><td>01/13/2024 08:30</td><td>EDP</td><td>North</td></tr>
<tr><td colspan="2">Total Records: 2</td><td></td><td></td></tr>
</tbody></table></body></html>"""


def test_html_table_saved_as_xls(write_text):
    tables = open_tables(write_text("export.xls", HTML_XLS))
    assert [t.sheet for t in tables] == ["Table 1", "Table 2"]
    assert tables[0].peek == [["Riverside PD - calls for service", None, None, None]]
    data = tables[1]
    # The <th> row stays a row (pandas.read_html would have made it column names) ...
    assert data.peek[0] == HEADER
    # ... and cells stay the text shown: '0012' is not turned into 12.
    assert data.peek[1] == ROWS[0]
    assert data.peek[3] == ["Total Records: 2", None, None, None, None][:4]
    assert data.load(0, [0]).iloc[:, 0].tolist() == ["0012", "0013", "Total Records: 2"]


def test_xhtml_with_an_xml_declaration(write_text):
    xhtml = '<?xml version="1.0" encoding="utf-8"?>\n' + HTML_XLS
    tables = open_tables(write_text("export.xls", xhtml))
    assert tables[1].peek[0] == HEADER


XML_2003 = """<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:html="http://www.w3.org/TR/REC-html40">
 <Worksheet ss:Name="Parameters"><Table>
  <Row><Cell><Data ss:Type="String">Start</Data></Cell>
   <Cell><Data ss:Type="String">2024-01-01</Data></Cell></Row>
 </Table></Worksheet>
 <Worksheet ss:Name="Calls"><Table>
  <Row><Cell ss:MergeAcross="3"><Data ss:Type="String">Calls for service</Data></Cell>
   <Cell><Data ss:Type="String">p. 1</Data></Cell></Row>
  <Row ss:Index="3">
   <Cell><Data ss:Type="String">Inc #</Data></Cell>
   <Cell><Data ss:Type="String">Rcvd Dt/Tm</Data></Cell>
   <Cell><Data ss:Type="String">Call Type</Data></Cell>
   <Cell><Data ss:Type="String">District</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">A1</Data></Cell>
   <Cell><Data ss:Type="DateTime">2024-01-06T13:04:00.000</Data></Cell>
   <Cell><ss:Data ss:Type="String"><html:B>Suicide</html:B> attempt</ss:Data></Cell>
   <Cell><Data ss:Type="String">North</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">A2</Data></Cell>
   <Cell><Data ss:Type="Number">45297.5</Data></Cell>
   <Cell ss:Index="4"><Data ss:Type="String">South</Data></Cell></Row>
  <Row ss:Index="7">
   <Cell ss:Index="2"><Data ss:Type="DateTime">2024-01-08T10:00:00.000</Data></Cell>
   <Cell><Data ss:Type="String">EDP</Data></Cell></Row>
 </Table></Worksheet>
</Workbook>"""


def test_xml_spreadsheet_2003_with_index_gaps(write_text):
    tables = open_tables(write_text("export.xls", XML_2003))
    assert [t.sheet for t in tables] == ["Parameters", "Calls"]
    peek = tables[1].peek
    assert len(peek) == 7  # rows 1..7, the gaps (rows 2, 6) blank
    assert peek[0] == ["Calls for service", None, None, None, "p. 1"]  # merged across A:D
    assert peek[1] == [None] * 5
    assert peek[2] == [*HEADER, None]
    assert peek[3] == ["A1", "2024-01-06T13:04:00.000", "Suicide attempt", "North", None]
    assert peek[4] == ["A2", "45297.5", None, "South", None]  # ss:Index skips column C
    assert peek[5] == [None] * 5
    assert peek[6] == [None, "2024-01-08T10:00:00.000", "EDP", None, None]


# --- files that cannot be used ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.xlsx", b"", "is empty"),
        ("blank.csv", b"  \r\n\r\n", "is empty"),
        ("report.pdf", b"%PDF-1.4 Jane Doe 1985-03-02", "is a .pdf file"),
        ("broken.xlsx", b"PK\x03\x04 Jane Doe 1985-03-02 not a zip", "is damaged"),
        ("legacy.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1Jane Doe", "is damaged"),
        ("page.xls", b"<html><body><p>Jane Doe</p></body></html>", "no table"),
        (
            "bad.xml",
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:'
            b'spreadsheet"><Row>Jane Doe',
            "damaged",
        ),
    ],
)
def test_unusable_files_raise_one_plain_sentence(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=message) as err:
        open_tables(path)
    text = str(err.value)
    assert name in text
    assert "Jane" not in text and "1985" not in text  # never a cell value
    assert "\n" not in text


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(UnreadableFile, match="does not exist"):
        open_tables(tmp_path / "nope.csv")
    with pytest.raises(UnreadableFile, match="is a folder"):
        open_tables(tmp_path)
