"""The databases the storage tests run against: the workspace's own SQLite file, and a
throwaway PostgreSQL cluster started once per test session (per xdist worker), on a unix
socket in a temporary folder. Without PostgreSQL's binaries the PostgreSQL cases skip,
unless PMHC_REQUIRE_POSTGRES=1 (CI installs them and sets it).

Use: take the `database` fixture (conftest.py imports it and `postgres_url`, so there is one
cluster per test process): each test runs once per database, with PMHC_DATABASE_URL set
for PostgreSQL (every test's workspace is a new one, so its rows are its own)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from pmhc.storage import db

PG_BIN = Path(os.environ.get("PMHC_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
REQUIRED = os.environ.get("PMHC_REQUIRE_POSTGRES") == "1"


def _unavailable() -> str | None:
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL's binaries are not in {PG_BIN}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the cluster as"
    return None


def _as_owner(args: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_url():
    why = _unavailable()
    if why:
        if REQUIRED:
            pytest.fail(f"PMHC_REQUIRE_POSTGRES=1 but {why}.")
        pytest.skip(why)
    root = Path(tempfile.mkdtemp(prefix="pmhc-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    run = dict(check=True, capture_output=True, timeout=120)
    subprocess.run(
        _as_owner(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        **run,
    )
    options = f"-k {root} -c listen_addresses='' -c fsync=off -c max_connections=60"
    pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log")]
    subprocess.run(_as_owner([*pg_ctl, "-o", options, "-w", "-t", "60", "start"]), **run)
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={root}"
    finally:
        subprocess.run(
            _as_owner([*pg_ctl, "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, monkeypatch) -> str:
    """The database name; PMHC_DATABASE_URL is set for PostgreSQL, unset for SQLite."""
    if request.param == "postgresql":
        monkeypatch.setenv(db.ENV_URL, request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv(db.ENV_URL, raising=False)
    return request.param


def workspace_state(folder: Path) -> dict[str, str]:
    """What a workspace holds, to compare before and after a call that must change
    nothing: each file's hash (the SQLite file and its journal left out: reading them
    changes their bytes) and each database table's rows of this workspace."""
    import hashlib

    import sqlalchemy as sa

    folder = Path(folder)
    state = {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(db.DB_FILE)
    }
    if not (folder / db.ID_FILE).exists() and not (folder / db.DB_FILE).exists():
        return state
    with db.read(folder) as (conn, ws):
        for table in db.metadata.sorted_tables:
            query = sa.select(table)
            if "ws" in table.c:
                query = query.where(table.c.ws == ws)
            rows = sorted(repr(tuple(r)) for r in conn.execute(query))
            state[f"db:{table.name}"] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return state
