"""Private, atomic files in the workspace: folders 0700, files 0600, every write to a
temporary name then `os.replace`, and a lock file for changes that read then write.

A reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def restrict_new_files() -> None:
    """New files and folders of this process are the owner's only (umask 077), so even
    what a library writes (Parquet, caches) is not readable by other accounts."""
    os.umask(0o077)


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """umask 077 while the block runs, then the caller's again: the command line writes its
    workspace private whatever the shell's umask, and leaves the umask as it found it."""
    before = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(before)


def private_dir(path: Path) -> Path:
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def write_atomic(path: Path, data: bytes | str) -> None:
    path = Path(path)
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    payload = data.encode() if isinstance(data, str) else data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def locked(folder: Path, name: str = ".lock") -> Iterator[None]:
    """An exclusive lock on `folder/name`, held across processes (the app's server, the
    command line) until the block ends."""
    lock = private_dir(folder) / name
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def append_line(path: Path, line: str) -> None:
    """One line appended with O_APPEND: concurrent writers never interleave a line."""
    private_dir(Path(path).parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode())
    finally:
        os.close(fd)
