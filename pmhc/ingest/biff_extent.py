"""How many cells each sheet of an old .xls spans, read from its cell records before the
workbook reader parses it.

An .xls is a Compound File (a small file system of sectors) holding a "Workbook" stream of
BIFF records. The workbook reader allocates every cell of the rectangle its cells span; a
single record claiming row 65,535 and column 65,535 makes that 4 billion cells and ends
the process. Here the stream is reassembled from its sectors and its cell records walked:
about 2 microseconds a cell record, so a second for 450,000 cells (the reader's own read of
them takes a third of that; safety first, an .xls holds at most 65,536 rows).
"""

from __future__ import annotations

import struct

END_OF_CHAIN = 0xFFFFFFFE
FREE = 0xFFFFFFFF
# Cell records: row at offset 0, column at 2 (MULRK/MULBLANK: last column in the last 2 bytes).
CELLS = {0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6, 0x00FD}
MULTI = {0x00BD, 0x00BE}
BOF, BOUNDSHEET, EOF, DIMENSIONS = 0x0809, 0x0085, 0x000A, 0x0200


class NotCompound(ValueError):
    """Not a readable Compound File: the workbook reader decides what it is."""


class Inconsistent(ValueError):
    """A record the workbook reader trusts says something impossible (a sheet whose
    first row comes after its last): the file is damaged."""


def sheet_extents(data: bytes) -> dict[str, int]:
    """Sheet name -> rows x columns its cells span (empty when there is no workbook stream)."""
    stream = workbook_stream(data)
    if stream is None:
        return {}
    return _walk(stream)


def _walk(stream: bytes) -> dict[str, int]:
    """Rows x columns per worksheet, counted from row 0 and column 0 (an upper bound of what
    the reader allocates, which starts at the first filled cell). One pass, no copies: a
    valid file of 65,536 rows has a record per cell."""
    names: list[str] = []
    extents: dict[str, int] = {}
    unpack, end = struct.unpack_from, len(stream) - 4
    at, sheet, rows, cols, inside = 0, -1, 0, 0, False
    while at <= end:
        kind, length = unpack("<HH", stream, at)
        if inside and length >= 4 and (kind in CELLS or kind in MULTI):
            row, col = unpack("<HH", stream, at + 4)
            if kind in MULTI and length >= 6:
                col = max(col, unpack("<H", stream, at + 2 + length)[0])
            rows, cols = max(rows, row + 1), max(cols, col + 1)
        elif inside and kind == DIMENSIONS and length in (10, 14):
            # The reader reserves room for the declared rows x columns before reading.
            fmt = "<IIHH" if length == 14 else "<HHHH"
            first_row, end_row, first_col, end_col = unpack(fmt, stream, at + 4)
            if first_row > end_row or first_col > end_col:
                raise Inconsistent("DIMENSIONS")
            rows, cols = max(rows, end_row), max(cols, end_col)
        elif kind == BOUNDSHEET and length >= 8:
            names.append(_boundsheet_name(stream[at + 4 : at + 4 + length]))
        elif kind == BOF and length >= 4:
            inside = unpack("<H", stream, at + 6)[0] == 0x0010  # a worksheet
            sheet, rows, cols = sheet + int(inside), 0, 0
        elif kind == EOF and inside:
            name = names[sheet] if 0 <= sheet < len(names) else f"Sheet{sheet + 1}"
            extents[name] = rows * cols
            inside = False
        at += 4 + length
    return extents


def _boundsheet_name(body: bytes) -> str:
    count, flags = body[6], body[7] if len(body) > 7 else 0
    raw = body[8 : 8 + count * (2 if flags & 1 else 1)]
    return raw.decode("utf-16-le" if flags & 1 else "latin-1", errors="replace")


# --- the Compound File -------------------------------------------------------------------


def plausible_header(data: bytes) -> bool:
    """The Compound File header's counts fit in the file. The workbook reader allocates
    what they say before reading: a count of 3 billion FAT sectors is 13 GB, and the end
    of the process."""
    if len(data) < 512:
        return False
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    if shift not in (9, 12):
        return False
    sectors = len(data) // (1 << shift) + 1
    directory, fat = struct.unpack_from("<II", data, 0x28)
    mini_fat, difat = (
        struct.unpack_from("<I", data, 0x40)[0],
        struct.unpack_from("<I", data, 0x48)[0],
    )
    return all(count <= sectors for count in (directory, fat, mini_fat, difat))


def workbook_stream(data: bytes) -> bytes | None:
    """The bytes of the Workbook (or Excel 5 Book) stream; None when there is none."""
    try:
        cfb = _Compound(data)
        for name in ("Workbook", "Book"):
            entry = cfb.entries.get(name)
            if entry is not None:
                return cfb.read(*entry)
    except (struct.error, IndexError, KeyError, NotCompound):
        return None
    return None


class _Compound:
    def __init__(self, data: bytes):
        self.data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if not 7 <= shift <= 16 or not 2 <= mini_shift < shift:
            raise NotCompound("sector size")
        self.size, self.mini_size = 1 << shift, 1 << mini_shift
        fat_count, first_dir = struct.unpack_from("<II", data, 0x2C)
        (self.cutoff, first_mini_fat, _, first_difat, difat_count) = struct.unpack_from(
            "<IIIII", data, 0x38
        )
        self.fat = self._fat(fat_count, first_difat, difat_count)
        directory = self._chain_bytes(first_dir, self.fat, self.size)
        self.entries, root = self._directory(directory)
        self.mini_stream = self._chain_bytes(root[0], self.fat, self.size)[: root[1]]
        self.mini_fat = self._table(self._chain_bytes(first_mini_fat, self.fat, self.size))

    def _sector(self, n: int) -> bytes:
        start = (n + 1) * self.size
        if start >= len(self.data):
            raise NotCompound("sector past the end")
        return self.data[start : start + self.size]

    def _fat(self, count: int, difat: int, difat_count: int) -> list[int]:
        sectors = [s for s in struct.unpack_from("<109I", self.data, 0x4C) if s < FREE - 1]
        for _ in range(min(difat_count, len(self.data) // self.size)):
            if difat >= FREE - 1:
                break
            block = self._table(self._sector(difat))
            sectors += [s for s in block[:-1] if s < FREE - 1]
            difat = block[-1]
        if len(sectors) > len(self.data) // self.size + 1:
            raise NotCompound("FAT larger than the file")
        return self._table(b"".join(self._sector(s) for s in sectors[: max(count, 1)]))

    @staticmethod
    def _table(raw: bytes) -> list[int]:
        return list(struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4]))

    def _chain(self, start: int, table: list[int]) -> list[int]:
        chain, seen = [], set()
        while start < FREE - 1 and start not in seen and start < len(table):
            seen.add(start)
            chain.append(start)
            start = table[start]
        return chain

    def _chain_bytes(self, start: int, table: list[int], size: int) -> bytes:
        if size == self.size:
            return b"".join(self._sector(s) for s in self._chain(start, table))
        stream = self.mini_stream
        return b"".join(stream[s * size : (s + 1) * size] for s in self._chain(start, table))

    def _directory(self, raw: bytes) -> tuple[dict[str, tuple[int, int]], tuple[int, int]]:
        entries, root = {}, (END_OF_CHAIN, 0)
        for at in range(0, len(raw) - 127, 128):
            length = struct.unpack_from("<H", raw, at + 64)[0]
            kind = raw[at + 66]
            start, size = struct.unpack_from("<IQ", raw, at + 116)
            if self.size == 512:  # version 3 files: the high half of the size is not used
                size &= 0xFFFFFFFF
            name = raw[at : at + max(length - 2, 0)].decode("utf-16-le", errors="replace")
            if kind == 5:
                root = (start, size)
            elif kind == 2:
                entries[name] = (start, size)
        return entries, root

    def read(self, start: int, size: int) -> bytes:
        if size < self.cutoff:
            return self._chain_bytes(start, self.mini_fat, self.mini_size)[:size]
        return self._chain_bytes(start, self.fat, self.size)[:size]
