"""Files are parsed in a child process, so that no reader can take the server down.

The workbook readers are native code: a damaged file can make one abort the process (a
Rust panic that aborts, a failed allocation), loop, or allocate without bound, and on a
hosted server the process that reads serves everyone. Each read runs in a child with an
address-space limit (RLIMIT_AS), a CPU-time limit (RLIMIT_CPU) and no core dumps, and the
parent stops it after a wall-clock limit; whatever ends the child, the caller gets one
sentence (an InputError) and the server carries on.

The children come from a fork server (multiprocessing's "forkserver" start method): one
single-threaded process, started on the first read with the readers already imported,
that forks a child per read. Forking the threaded Streamlit server itself would be unsafe,
and starting a fresh interpreter per read would cost a second of imports each time.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import resource
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing import forkserver
from typing import Any

from pmhc.domain.errors import InputError
from pmhc.ingest import failures
from pmhc.ingest.limits import SHORTER, Limits

PRELOAD = ["pmhc.ingest._forkserver", "pmhc.ingest.reading"]

# Set by the benchmarks (to measure what the isolation costs) and by tests that patch a
# reader in this process: reads then run here, unprotected.
in_process = False
# The largest resident set a reader child reached, in KiB, and the processor time all of
# them used, in seconds (the benchmarks report both).
peak_child_kib = 0
child_cpu_seconds = 0.0

_context: Any = None
_lock = threading.Lock()


def context() -> Any:
    """The fork-server context, with its server started (once per process)."""
    global _context
    with _lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            forkserver.ensure_running()
            _context = ctx
    return _context


def warm_up(wait: bool = False) -> None:
    """Start the fork server now, so that its imports overlap the caller's own work
    (`wait`: until it has forked a first child)."""
    if in_process:
        return
    context()
    if wait:
        run(os.getpid, (), "a test read", Limits())


def run(
    fn: Callable[..., Any],
    args: tuple,
    label: str,
    limits: Limits,
    payload: bytes | None = None,
    crashed: Callable[[], InputError] | None = None,
) -> Any:
    """`fn(*args)` (`fn(payload, *args)` with a payload) in a child, its result returned
    here (pickled). An InputError raised in the child is raised here; a child that dies,
    runs out of memory or time becomes one sentence about `label`. `crashed` says why a
    child that died did (default: the file is damaged). `fn` must be importable by name."""
    if in_process or multiprocessing.current_process().daemon:
        # A daemonic process (a multiprocessing pool's worker) may not start children; it
        # is itself a disposable child, so a reader crashing there takes only it down.
        return fn(payload, *args) if payload is not None else fn(*args)
    ctx = context()
    ours, theirs = ctx.Pipe()
    budget = (limits.max_reader_memory, limits.max_reader_cpu_seconds)
    child = ctx.Process(
        target=_child,
        args=(theirs, fn, args, budget, payload is not None, label),
        name="pmhc-reader",
        daemon=True,
    )
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        child.kill()

    child.start()
    theirs.close()
    watchdog = threading.Timer(limits.max_reader_seconds, stop)
    watchdog.daemon = True
    watchdog.start()
    status, value, usage = "died", None, (0, 0.0)  # also when this thread is interrupted
    try:
        if payload is not None:
            ours.send_bytes(payload)
        status, value, usage = _receive(ours)
    except (EOFError, OSError):  # the child ended without answering
        pass
    finally:
        watchdog.cancel()
        if status == "died" and child.is_alive():
            child.kill()
        child.join(5)  # a child that has answered exits at once; never wait on one that hangs
        if child.is_alive():
            child.kill()
            child.join()
        ours.close()
    _note_usage(*usage)
    return _outcome(status, value, child.exitcode, stopped.is_set(), label, limits, crashed)


def _note_usage(kib: int, cpu_seconds: float) -> None:
    global peak_child_kib, child_cpu_seconds
    peak_child_kib = max(peak_child_kib, kib)
    child_cpu_seconds += cpu_seconds


def _outcome(status, value, exitcode, timed_out, label, limits, crashed) -> Any:
    if status == "ok":
        return value
    if status in ("input", "error"):
        raise value
    if status == "memory":
        raise out_of_memory(label, limits)
    if exitcode == -signal.SIGXCPU:
        raise InputError(
            f"{label} needed more than the {limits.max_reader_cpu_seconds:,} seconds of "
            f"processor time allowed for reading one file and was stopped; {SHORTER}."
        )
    if timed_out or exitcode == -signal.SIGKILL:  # the watchdog, or the hard CPU limit
        raise out_of_time(label, limits)
    raise crashed() if crashed else failures.damaged(label)


def out_of_memory(label: str, limits: Limits) -> InputError:
    gib = limits.max_reader_memory / (1 << 30)
    return InputError(
        f"{label} is too large to read in the memory allowed for one file ({gib:g} GB); {SHORTER}."
    )


def out_of_time(label: str, limits: Limits) -> InputError:
    return InputError(
        f"{label} took longer than the {limits.max_reader_seconds:,} seconds allowed for "
        f"reading one file and was stopped; {SHORTER}."
    )


def _child(conn, fn, args: tuple, budget: tuple[int, int], has_payload: bool, label: str) -> None:
    """Runs in the child: limits first, then the read; one message back, whatever happens."""
    _limit(*budget)
    try:
        if has_payload:
            args = (conn.recv_bytes(), *args)
        message: tuple = ("ok", fn(*args))
    except InputError as e:
        message = ("input", e)
    except MemoryError:
        message = ("memory", None)
    except Exception as e:  # a bug or an unforeseen reader error: raised in the parent
        message = ("error", RuntimeError(f"{type(e).__name__} while reading: {e}"))
    except BaseException as e:  # a Rust panic (KeyboardInterrupt and exit end the child)
        if not failures.is_reader_panic(e):
            raise
        message = ("input", failures.damaged(label))
    try:
        _send(conn, (*message, _usage()))
    except MemoryError:  # the result itself does not fit in what is left
        _send(conn, ("memory", None, _usage()))
    conn.close()


def _send(conn, message: tuple) -> None:
    """Pickle protocol 5 with the large buffers (a frame's columns) sent as they are, not
    copied into the pickle: a 200,000-row frame crosses in a few hundredths of a second."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    conn.send_bytes(len(buffers).to_bytes(4, "little") + head)
    for buffer in buffers:
        conn.send_bytes(buffer.raw())


def _receive(conn) -> tuple:
    head = conn.recv_bytes()
    count = int.from_bytes(head[:4], "little")
    # Writable copies: a frame's columns must not end up read-only.
    buffers = [bytearray(conn.recv_bytes()) for _ in range(count)]
    # From our own child, as multiprocessing's own recv() would unpickle it.
    return pickle.loads(memoryview(head)[4:], buffers=buffers)  # noqa: S301


def _limit(memory: int, cpu_seconds: int) -> None:
    for kind, soft, hard in (
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_AS, memory, memory),
        (resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 5),
    ):
        _, current = resource.getrlimit(kind)
        if current != resource.RLIM_INFINITY:  # never above what the system set
            soft, hard = min(soft, current), min(hard, current)
        resource.setrlimit(kind, (soft, hard))


def _usage() -> tuple[int, float]:
    """(peak resident set in KiB, processor seconds) of this child so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    peak = own.ru_maxrss // 1024 if sys.platform == "darwin" else own.ru_maxrss
    return peak, own.ru_utime + own.ru_stime
