"""How much a file may ask of the readers, checked before any of them parses it.

A workbook is a zip of XML: a 130 MB file can declare 30 GB of sheet XML, and one cell at
XFD1048576 makes the workbook reader allocate 17 billion cells. What a file declares (zip
entry sizes, sheet extents, HTML spans, XML 2003 indexes) is compared with these limits
first, and a file over one of them is refused with one sentence saying which.

Each limit is a setting: the defaults below, or an environment variable named
``PMHC_LIMIT_<FIELD>`` (``PMHC_LIMIT_MAX_SHEET_CELLS=50000000``) for a machine with more
memory.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, fields

from pmhc.domain.errors import InputError
from pmhc.ingest import biff_extent, failures

# What reading a damaged or unusual zip part can raise (bad data, bad CRC, truncation, an
# encrypted part, a compression method zipfile lacks).
ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    RuntimeError,
    NotImplementedError,
    ValueError,
)


class TooLarge(InputError):
    """A file declares more than a limit allows; the message says which limit."""


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 1 << 30  # 1 GiB on disk or uploaded
    max_zip_entries: int = 10_000  # parts of a workbook; real ones hold a few dozen
    max_unzipped_bytes: int = 2 << 30  # all parts together, as declared (2 GiB)
    max_zip_ratio: int = 1_000  # declared size / compressed size of one part
    ratio_floor_bytes: int = 1 << 20  # parts smaller than this are never refused on ratio
    # Rows x columns a sheet spans: the workbook reader allocates about 32 bytes for every
    # cell of that rectangle, filled or not (25 million: 1 million rows x 24 columns).
    max_sheet_cells: int = 25_000_000
    max_span: int = 1_000  # HTML colspan/rowspan, XML 2003 MergeAcross/MergeDown
    max_rows: int = 1_048_576  # Excel's own limits, for HTML and XML 2003 indexes
    max_columns: int = 16_384
    # What one reader child may use (see isolation.py): address space, CPU time and time
    # on the clock. Address space counts every library's reservations, not only the data:
    # reading 1,048,575 rows x 15 columns takes 2.8 GB of it (1.6 GB resident).
    max_reader_memory: int = 8 << 30
    max_reader_cpu_seconds: int = 600
    max_reader_seconds: int = 900

    @classmethod
    def from_env(cls) -> Limits:
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"PMHC_LIMIT_{f.name.upper()}")
            if raw and raw.strip().isdigit():
                values[f.name] = int(raw)
        return cls(**values)


SHORTER = "export a shorter period or fewer columns and upload that"


def too_large(where: str, what: str, declared: int, limit: int) -> TooLarge:
    """`what` says what the file declares, with a `{:,}` for the number."""
    return TooLarge(
        f"{where} is too large to read: {what.format(declared)} (the limit is {limit:,}); "
        f"{SHORTER}."
    )


def check_biff(data: bytes, name: str, limits: Limits) -> None:
    """Cells spanned by each sheet of an .xls, from its cell records (see biff_extent), once
    its Compound File header is known to be plausible (the reader trusts its counts)."""
    if not biff_extent.plausible_header(data):
        raise failures.damaged(name)
    try:
        extents = biff_extent.sheet_extents(data)
    except biff_extent.Inconsistent as e:
        raise failures.damaged(name) from e
    for sheet, cells in extents.items():
        if cells > limits.max_sheet_cells:
            where = f"Sheet {sheet!r} of {name}"
            raise too_large(where, "it spans {:,} cells", cells, limits.max_sheet_cells)


def check_zip(data: bytes, name: str, limits: Limits, thorough: bool = False) -> None:
    """Entry count and declared sizes of a zip-based workbook, from its directory, and each
    sheet's extent as its XML declares it (`thorough`: as its cells span, by reading all
    of it, which the caller does only once a reader has died on the file)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_READ_ERRORS:
        return  # not a readable zip: the reader says it is damaged
    with z:
        infos = z.infolist()
        if len(infos) > limits.max_zip_entries:
            raise too_large(name, "it holds {:,} parts", len(infos), limits.max_zip_entries)
        total = sum(i.file_size for i in infos)
        if total > limits.max_unzipped_bytes:
            raise too_large(name, "it unpacks to {:,} bytes", total, limits.max_unzipped_bytes)
        for i in infos:
            if i.file_size < limits.ratio_floor_bytes:
                continue
            ratio = i.file_size // max(i.compress_size, 1)
            if ratio > limits.max_zip_ratio:
                raise too_large(
                    name,
                    "a part unpacks to {:,} times its packed size",
                    ratio,
                    limits.max_zip_ratio,
                )
        try:
            if "content.xml" in z.NameToInfo and "xl/workbook.xml" not in z.NameToInfo:
                check_ods_repeats(data, z.getinfo("content.xml"), name, limits)
            extents = {
                sheet: sheet_extent(data, z.getinfo(path), name, limits, thorough)
                for sheet, path in _sheet_parts(z).items()
                if path in z.NameToInfo
            }
        except InputError:  # too large, or a forged size: already one sentence
            raise
        except ZIP_READ_ERRORS:
            return  # a damaged part: the reader says so, naming the file
        for sheet, cells in extents.items():
            if cells > limits.max_sheet_cells:
                where = f"Sheet {sheet!r} of {name}"
                raise too_large(where, "it spans {:,} cells", cells, limits.max_sheet_cells)


_SHEET = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_SHEET_REVERSED = re.compile(rb'<sheet\b[^>]*?\br:id="([^"]*)"[^>]*?\bname="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL_REVERSED = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part path, read with patterns (bounded reads, no XML parser)."""
    try:
        book = _read_head(z, "xl/workbook.xml", 1 << 22)
        rels = _read_head(z, "xl/_rels/workbook.xml.rels", 1 << 22)
    except KeyError:
        return {
            i.filename: i.filename for i in z.infolist() if i.filename.startswith("xl/worksheets/")
        }
    targets = {rid: t for rid, t in _REL.findall(rels)}
    targets.update({rid: t for t, rid in _REL_REVERSED.findall(rels)})
    pairs = _SHEET.findall(book) + [(n, r) for r, n in _SHEET_REVERSED.findall(book)]
    out = {}
    for sheet_name, rid in pairs:
        target = targets.get(rid, b"").decode("utf-8", "replace")
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[sheet_name.decode("utf-8", "replace")] = path
    return out


def _read_head(z: zipfile.ZipFile, path: str, size: int) -> bytes:
    with z.open(path) as f:
        return f.read(size)


_DIMENSION = re.compile(rb'<dimension\b[^>]*\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_ROW = re.compile(rb'<row (?:[^>]*? )?r="(\d+)"')
_WIDE_CELL = re.compile(rb' r="([A-Z]{2,3})\d')  # column AA or later; A..Z cannot be too wide


HEAD_BYTES = 1 << 16  # where a sheet's XML declares its dimension, before any cell


def sheet_extent(
    data: bytes, info: zipfile.ZipInfo, name: str, limits: Limits, thorough: bool = False
) -> int:
    """Rows x columns the sheet spans, as its `<dimension ref="A1:O200001"/>` declares it
    (read from the head of its XML only). A sheet that declares no range, or with
    `thorough`, is measured by streaming all of its XML (about a tenth of the reader's own
    time): the larger of the declared range and the cells it holds. A sheet that declares
    less than it holds passes here and is stopped by its reader child's memory limit."""
    if not thorough:
        head = next(inflated(data, info, name, limits.max_unzipped_bytes, HEAD_BYTES), b"")
        dim = _DIMENSION.search(head.split(b"<sheetData", 1)[0])
        if dim and dim.group(3):
            return _dimension_cells(*dim.groups())
    return _streamed_extent(data, info, name, limits)


def _streamed_extent(data: bytes, info: zipfile.ZipInfo, name: str, limits: Limits) -> int:
    declared, first_row, last_row, last_col = 0, None, 0, 1
    tail = b""
    for chunk in inflated(data, info, name, limits.max_unzipped_bytes):
        text = tail + chunk
        if first_row is None:
            dim = _DIMENSION.search(text)
            if dim:
                declared = _dimension_cells(*dim.groups())
        rows = _ROW.findall(text)
        if rows:
            first_row = first_row or int(rows[0])
            last_row = max(last_row, int(rows[-1]))
        wide = set(_WIDE_CELL.findall(text))
        if wide:
            last_col = max(last_col, max(column_number(w) for w in wide))
        tail = text[-64:]
    if first_row is None:
        return declared
    # Columns A..Z are not measured (that would cost as much as reading every cell): at
    # most 26 columns over Excel's row limit stay within memory; a row number past that
    # limit counts as a sheet of that many rows.
    held = (last_row - first_row + 1) * last_col
    return max(declared, held)


CHUNK = 1 << 22


def inflated(
    data: bytes, info: zipfile.ZipInfo, name: str, limit: int, size: int = CHUNK
) -> Iterator[bytes]:
    """A part's content as it really unpacks, in chunks of at most `size` bytes: TooLarge
    once it passes `limit` bytes, UnreadableFile (damaged) once it passes the size its
    header declares (a zip bomb may declare a small size)."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        with zipfile.ZipFile(io.BytesIO(data)) as z, z.open(info) as f:
            while chunk := f.read(size):  # bounded by the declared size
                yield chunk
        return
    at = info.header_offset
    if data[at : at + 4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
    start = at + 30 + name_len + extra_len
    packed = memoryview(data)[start : start + info.compress_size]
    total = 0
    if info.compress_type == zipfile.ZIP_STORED:
        for i in range(0, len(packed), size):
            yield bytes(packed[i : i + size])
        return
    inflate = zlib.decompressobj(-15)
    for i in range(0, len(packed), CHUNK):
        pending = bytes(packed[i : i + CHUNK])
        while pending:
            out = inflate.decompress(pending, size)
            pending = inflate.unconsumed_tail
            total += len(out)
            if total > limit:
                raise too_large(name, "a part unpacks to more than {:,} bytes", limit, limit)
            if total > info.file_size:  # more than the header declares: a forged header
                raise failures.damaged(name)
            if out:
                yield out
            if inflate.eof:
                return


_ODS_REPEAT = re.compile(
    rb"<table:table-(row|cell)\b[^>]*?number-(?:rows|columns)-repeated=\"(\d+)\""
)


def check_ods_repeats(data: bytes, info: zipfile.ZipInfo, name: str, limits: Limits) -> None:
    """OpenDocument repeats a row or cell by a count; the workbook reader caps counts at
    Excel's limits but fills every repeat of a cell that holds a value, so one filled cell
    repeated 16,384 times in a row repeated a million times is 17 billion cells. Repeats
    of empty cells (how LibreOffice pads a sheet) cost nothing and are allowed."""
    tail = b""
    for chunk in inflated(data, info, name, limits.max_unzipped_bytes):
        text = tail + chunk
        for m in _ODS_REPEAT.finditer(text):
            count = int(m.group(2))
            if count <= limits.max_span:
                continue
            row = m.group(1) == b"row"
            end = text.find(b"</table:table-row>" if row else b">", m.end())
            part = text[m.start() : end if end != -1 else len(text)]
            if b"value-type" not in part:
                continue  # empty padding
            if not row:
                raise too_large(
                    name, "a filled cell is repeated {:,} times", count, limits.max_span
                )
            cells = count * max(1, part.count(b"<table:table-cell"))
            if cells > limits.max_sheet_cells:
                raise too_large(name, "it spans {:,} cells", cells, limits.max_sheet_cells)
        tail = text[-(1 << 16) :]


def _dimension_cells(c1: bytes, r1: bytes, c2: bytes | None, r2: bytes | None) -> int:
    if c2 is None or r2 is None:
        return 1
    rows = abs(int(r2) - int(r1)) + 1
    cols = abs(column_number(c2) - column_number(c1)) + 1
    return rows * cols


def column_number(letters: bytes | str) -> int:
    """A -> 1, Z -> 26, AA -> 27, XFD -> 16384."""
    n = 0
    for ch in letters.decode() if isinstance(letters, bytes) else letters:
        n = n * 26 + ord(ch) - 64
    return n


def check_span(where: str, what: str, value: int, limit: int) -> None:
    if value > limit:
        raise too_large(where, what, value, limit)
