"""Time and peak memory of the command line on hostile files that declare far more than they
hold: `python -m bench.hostile`. Each file runs in its own process (`summarize`), and the
bound of the issue is 60 s and 1.5 GB each. Prints one line per file.

- bomb_30gb.xlsx: about 130 MB on disk whose sheet XML declares 30 GB (built from one
  compressed block repeated, so it takes seconds to write);
- far_cell.xlsx: a cell at XFD1048576 (17 billion cells for the workbook reader);
- parts.xlsx: 20,000 zip entries; colspan.html / merge.xml: spans of a billion;
- repeat.ods: a filled cell repeated across every column of a row repeated to every row.
- the extent scan on a real 1M-row export (bench/files/calls_1m.xlsx, when generated) shows
  what the check costs a legitimate file.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import corpus  # noqa: E402 - the test corpus' writers

ROW = (
    '<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>24-0001</t></is></c>'
    '<c r="B{r}" t="inlineStr"><is><t>2024-01-06 13:04</t></is></c></row>'
)


def bomb(path: Path, declared: int = 30 * 10**9) -> None:
    """A workbook whose sheet XML declares `declared` bytes: one block of rows compressed
    with a full flush (so the block's bytes can repeat), repeated until the declared size."""
    block = "".join(ROW.format(r=1) for _ in range(8000)).encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    repeats = declared // len(block)
    src = zipfile.ZipFile(__import__("io").BytesIO(corpus.calls_xlsx()))
    sheet = "xl/worksheets/sheet1.xml"
    with path.open("wb") as out:
        central = []
        for info in src.infolist():
            if info.filename == sheet:
                continue
            data = src.read(info.filename)
            central.append(_stored(out, info.filename, data))
        central.append(_big(out, sheet, body, repeats, tail, repeats * len(block)))
        start = out.tell()
        for entry in central:
            out.write(entry)
        size = out.tell() - start
        out.write(
            struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0)
        )


def _stored(out, name: str, data: bytes) -> bytes:
    offset, raw = out.tell(), name.encode()
    crc = zlib.crc32(data)
    out.write(
        struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(data), len(data), len(raw), 0
        )
        + raw
        + data
    )
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            0,
            0,
            0,
            crc,
            len(data),
            len(data),
            len(raw),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        + raw
    )


def _big(out, name: str, body: bytes, repeats: int, tail: bytes, size: int) -> bytes:
    """A deflated entry past 4 GB: sizes in a zip64 extra field (CRC left 0: the file is
    refused before anything would check it)."""
    offset, raw = out.tell(), name.encode()
    compressed = len(body) * repeats + len(tail)
    extra = struct.pack("<HHQQ", 1, 16, size, compressed)
    out.write(
        struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            45,
            0,
            8,
            0,
            0,
            0,
            0xFFFFFFFF,
            0xFFFFFFFF,
            len(raw),
            len(extra),
        )
        + raw
        + extra
    )
    for _ in range(repeats):
        out.write(body)
    out.write(tail)
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            45,
            45,
            0,
            8,
            0,
            0,
            0,
            0xFFFFFFFF,
            0xFFFFFFFF,
            len(raw),
            len(extra),
            0,
            0,
            0,
            0,
            offset,
        )
        + raw
        + extra
    )


CHILD = (
    "import resource, sys\n"
    "from pmhc import cli\n"
    "code = cli.main(['summarize', sys.argv[1], '--data-dir', sys.argv[2]])\n"
    "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code)\n"
)


def run(path: Path, workspace: Path) -> tuple[float, float, int, str]:
    """(seconds, peak MB, exit code, stderr) of the command line in a process of its own."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(workspace)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    seconds = time.perf_counter() - start
    last = proc.stdout.strip().splitlines()[-1].split()
    return seconds, int(last[1]) / 1024, int(last[2]), proc.stderr.strip()


def extent_cost(path: Path) -> str:
    from pmhc.ingest.limits import Limits, sheet_extent

    data = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = time.perf_counter()
    cells = sheet_extent(data, info, path.name, Limits())
    return f"extent scan of {path.name}: {time.perf_counter() - start:.2f} s ({cells:,} cells)"


def liar(path: Path) -> None:
    """A workbook whose sheet unpacks to 3 GB while its headers declare 1 MB."""
    bomb(path, declared=3 * 10**9)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    at = data.find(b"PK\x01\x02" + bytes(data[data.find(b"PK\x01\x02") + 4 :])[:0])
    while at != -1:
        n = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + n]) == name:
            struct.pack_into(
                "<HHQQ",
                data,
                at + 46 + n,
                1,
                16,
                10**6,
                struct.unpack_from("<Q", data, at + 46 + n + 12)[0],
            )
            break
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {
            "bomb_30gb.xlsx": None,
            "liar_3gb.xlsx": None,
            "far_cell.xlsx": corpus.far_cell(),
            "parts.xlsx": corpus.many_parts(20_000),
            "colspan.html": corpus.html_span("colspan", 10**9),
            "repeat.ods": corpus.ods(
                corpus.ods_row(corpus.CALLS_HEADER)
                + corpus.ods_row(corpus.CALLS_ROWS[0], 1_048_575, 16_384)
            ),
            "merge.xml": corpus.xml2003(
                '<Row><Cell ss:MergeAcross="1000000000"><Data ss:Type="String">a</Data></Cell>'
                "</Row>"
            ),
        }
        for name, data in files.items():
            path = folder / name
            if name.startswith("liar"):
                liar(path)
            elif data is None:
                bomb(path)
            else:
                path.write_bytes(data)
            seconds, peak, code, err = run(path, folder / "ws")
            mb = path.stat().st_size / 1e6
            print(
                f"{name} ({mb:,.1f} MB): exit {code} in {seconds:.2f} s, peak {peak:.0f} MB; {err}"
            )
    big = ROOT / "bench" / "files" / "calls_1m.xlsx"
    if big.exists():
        print(extent_cost(big))


if __name__ == "__main__":
    main()
