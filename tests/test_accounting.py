"""The row-accounting invariant is a real check: it raises under `python -O` as well."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pmhc.domain.errors import RowAccountingError
from pmhc.ingest.pipeline import SourceReport, _check_accounting


def report(rows_in: int, loaded: int, rejected: int) -> SourceReport:
    r = SourceReport("calls.xlsx", "Calls", "calls")
    r.rows_in, r.rows_loaded, r.rows_rejected = rows_in, loaded, rejected
    return r


def test_rows_that_add_up_pass():
    _check_accounting(report(10, 7, 3))


def test_a_lost_row_raises_with_the_numbers():
    with pytest.raises(RowAccountingError, match="10 rows in but 7 loaded and 2 rejected"):
        _check_accounting(report(10, 7, 2))


def test_the_check_survives_python_O():
    code = (
        "from pmhc.ingest.pipeline import SourceReport, _check_accounting\n"
        "r = SourceReport('a.csv', None, 'calls'); r.rows_in, r.rows_loaded = 5, 4\n"
        "_check_accounting(r)\n"
    )
    result = subprocess.run(
        [sys.executable, "-O", "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "RowAccountingError: 5 rows in but 4 loaded and 0 rejected." in result.stderr
