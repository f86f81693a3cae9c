"""Readers that fail the way a native reader can, for tests/test_isolation.py. They run in
the reader child in place of pmhc.ingest.reading's own functions (the child finds them by
name, so they live in a module of their own)."""

from __future__ import annotations

import os
import time

from pmhc.ingest import reading


def aborts_mid_parse(source, name, limits, *rest):
    """Opens the file as the reader does, then aborts the process (as a Rust panic that
    aborts, or a failed allocation, does): no exception, no message, the process is gone."""
    reading.open_tables_here(source, name, limits)
    os.abort()


def hangs(*args):
    time.sleep(3600)


def spins(*args):
    while True:
        pass


def allocates_without_bound(*args):
    blocks = []
    while True:
        blocks.append(bytearray(64 << 20))


def address_space(*args) -> int:
    """How much address space the child holds before it reads anything, in bytes."""
    with open("/proc/self/status") as f:
        size = next(line for line in f if line.startswith("VmSize:"))
    return int(size.split()[1]) * 1024
