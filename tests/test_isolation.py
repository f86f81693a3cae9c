"""Files are parsed in a child process (pmhc.ingest.isolation): a reader that aborts, hangs,
spins or allocates without bound costs its child, and the user reads one sentence on the
Data page or in the command line while this process carries on. The failing readers come
from tests/faulty_readers.py, put in place of the real ones for the child to run."""

from __future__ import annotations

import multiprocessing
import re
import subprocess
import sys
from pathlib import Path

import faulty_readers
import pytest
from test_app import open_app

from pmhc.domain.errors import InputError
from pmhc.ingest import isolation, reading
from pmhc.ingest.limits import Limits
from pmhc.storage.workspace import sample_files

ROOT = Path(__file__).resolve().parents[1]
CALLS = next(p for p in sample_files() if "cad" in p.name)


def calls_rows(path: Path) -> int:
    """Rows under the first row of the file's largest sheet, read in a child."""
    return max(len(t.load(0, [0])) for t in reading.open_tables(path))


def test_a_reader_aborting_mid_parse_is_one_sentence_and_the_next_read_works(monkeypatch):
    before = calls_rows(CALLS)
    monkeypatch.setattr(reading, "_load_here", faulty_readers.aborts_mid_parse)
    table = reading.open_tables(CALLS)[0]  # the open still runs the real reader
    with pytest.raises(InputError) as caught:
        table.load(0, [0, 1])
    assert str(caught.value) == (
        f"{CALLS.name} could not be read: the file is damaged; open it in Excel, save it "
        "again as .xlsx and upload that."
    )
    monkeypatch.undo()
    assert calls_rows(CALLS) == before > 1000


@pytest.mark.parametrize(
    ("reader", "limit", "sentence"),
    [
        (
            faulty_readers.hangs,
            ("MAX_READER_SECONDS", "2"),
            "took longer than the 2 seconds allowed for reading one file and was stopped",
        ),
        (
            faulty_readers.spins,
            ("MAX_READER_CPU_SECONDS", "1"),
            "needed more than the 1 seconds of processor time allowed for reading one file "
            "and was stopped",
        ),
        (
            faulty_readers.allocates_without_bound,
            ("MAX_READER_MEMORY", str(1 << 30)),
            "is too large to read in the memory allowed for one file (1 GB)",
        ),
    ],
    ids=["hangs", "spins", "allocates"],
)
def test_a_runaway_reader_is_stopped_with_one_sentence(monkeypatch, reader, limit, sentence):
    monkeypatch.setenv(f"PMHC_LIMIT_{limit[0]}", limit[1])
    monkeypatch.setattr(reading, "_describe_here", reader)
    with pytest.raises(InputError) as caught:
        reading.open_tables(CALLS)
    message = str(caught.value)
    assert message.startswith(f"{CALLS.name} {sentence}"), message
    assert message.endswith("export a shorter period or fewer columns and upload that.")
    monkeypatch.undo()
    assert calls_rows(CALLS) > 1000


def test_the_child_starts_far_below_its_memory_limit():
    # The limit is on address space, which counts every library's reservations: a child
    # holds a few hundred MB before it reads anything, well under the 8 GB default.
    held = isolation.run(faulty_readers.address_space, (), "a test", Limits())
    assert 100 << 20 < held < Limits().max_reader_memory // 8


def test_an_aborting_reader_on_the_data_page_is_one_error_and_the_page_still_works(
    monkeypatch, tmp_path
):
    at = open_app(monkeypatch, tmp_path / "ws", "data")
    real = reading._load_here
    monkeypatch.setattr(reading, "_load_here", faulty_readers.aborts_mid_parse)
    upload = [(CALLS.name, CALLS.read_bytes(), "application/octet-stream")]
    at.file_uploader(key="uploads").set_value(upload)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # file names in the sentence are escaped for Markdown: compare the text as shown
    assert [re.sub(r"\\(.)", r"\1", e.value) for e in at.error] == [
        f"{CALLS.name} could not be read: the file is damaged; open it in Excel, save it "
        "again as .xlsx and upload that."
    ]
    monkeypatch.setattr(reading, "_load_here", real)
    at.file_uploader(key="uploads").set_value(upload).run()
    assert not at.exception and not at.error
    accounted = at.dataframe[0].value.set_index("kind")
    assert accounted.loc["calls", "loaded"] > 1000


def test_an_aborting_reader_in_the_cli_is_one_error_line(monkeypatch, run_cli):
    monkeypatch.setattr(reading, "_load_here", faulty_readers.aborts_mid_parse)
    code, out, err = run_cli(CALLS)
    assert (code, out) == (2, "")
    assert err == (
        f"error: {CALLS.name} could not be read: the file is damaged; open it in Excel, save "
        "it again as .xlsx and upload that.\n"
    )


def test_summarize_reads_without_importing_the_meeting_packs_libraries(tmp_path):
    code = (
        "import sys\n"
        "from pmhc import cli\n"
        f"assert cli.main(['summarize', {str(CALLS)!r}, '--data-dir', {str(tmp_path)!r}]) == 0\n"
        "print(sorted(m for m in ('altair', 'openpyxl', 'weasyprint', 'vl_convert', "
        "'pmhc.present.report') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_a_reader_child_dying_in_the_cli_leaves_one_line_on_stderr(tmp_path):
    # A sheet that declares A1:E4 but holds a cell at XFD1048576: its reader child fails to
    # allocate 17 billion cells and aborts; what the reader prints goes to the workspace's
    # log, and the full extent scan then says why in one line.
    from corpus import far_cell

    path = tmp_path / "far.xlsx"
    path.write_bytes(far_cell())
    proc = subprocess.run(
        [sys.executable, "-m", "pmhc", "summarize", str(path), "--data-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        "error: Sheet 'Calls' of far.xlsx is too large to read: it spans 17,179,869,184 cells "
        "(the limit is 25,000,000); export a shorter period or fewer columns and upload that.\n"
    )
    assert "memory allocation" in (tmp_path / "logs" / "pmhc.log").read_text()


def test_an_interrupt_while_waiting_stops_the_child_and_is_not_swallowed(monkeypatch):
    def interrupted(conn):
        raise KeyboardInterrupt

    monkeypatch.setattr(isolation, "_receive", interrupted)
    with pytest.raises(KeyboardInterrupt):
        isolation.run(faulty_readers.hangs, (), "a test", Limits())
    assert not [p for p in multiprocessing.active_children() if p.name == "pmhc-reader"]
