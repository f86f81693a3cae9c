"""The workspace's records in a database: the dataset registry and its versions, settings,
rules, actions and their history, the meeting log, self-assessment answers, partner links,
release records and the audit log. The calls tables stay Parquet beside it (datasets).

SQLite by default: one file in the workspace (`pmhc.db`, 0600, WAL so readers never wait
for a writer, a busy timeout so writers queue instead of failing). PostgreSQL when
`PMHC_DATABASE_URL` is set; several workspaces may share one database, each row carries
its workspace's key (`ws`, a random id kept in the workspace folder), so none sees
another's rows.

The schema is made and upgraded by the Alembic migrations in `pmhc.storage.migrations`,
run on the first open in each process; a workspace kept as JSON files by an earlier
version is imported once, in the same transaction (pmhc.storage.legacy).

Every change is one transaction (`write`): SQLite's BEGIN IMMEDIATE and PostgreSQL's
per-workspace advisory lock make a read-check-write race-free, which the version checks
(StaleEdit) rely on."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from pmhc.storage import files

ENV_URL = "PMHC_DATABASE_URL"
DB_FILE = "pmhc.db"
ID_FILE = "workspace-id"
BUSY_TIMEOUT_MS = 30_000
MIGRATION_LOCK = 0x504D4843  # "PMHC": the advisory lock held while PostgreSQL is migrated

metadata = sa.MetaData()


def _key() -> list[sa.Column]:
    return [sa.Column("ws", sa.String(32), primary_key=True)]


def _stamp() -> list[sa.Column]:
    """Who changed a record last, when, and its version (1 on creation, +1 per change)."""
    return [
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.String(32), nullable=False),
    ]


workspaces = sa.Table(
    "workspaces",
    metadata,
    *_key(),
    sa.Column("folder", sa.Text, nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("imported", sa.Text, nullable=False),  # what the JSON import found (counts)
)
datasets = sa.Table(
    "datasets",
    metadata,
    *_key(),
    sa.Column("id", sa.String(16), primary_key=True),  # its first version's tables
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # draft | agency
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("current", sa.String(16), nullable=False),  # the tables shown
    *_stamp(),
)
dataset_versions = sa.Table(
    "dataset_versions",
    metadata,
    *_key(),
    sa.Column("dataset", sa.String(16), primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("tables", sa.String(16), nullable=False),  # folder datasets/<tables>
    sa.Column("kind", sa.String(16), nullable=False),  # upload | append | rules | import
    sa.Column("added", sa.Integer, nullable=False),
    sa.Column("replaced", sa.Integer, nullable=False),
    sa.Column("rows_in", sa.Integer, nullable=False),
    sa.Column("incidents", sa.Integer, nullable=False),
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.Column("changed_at", sa.String(32), nullable=False),
)
choices = sa.Table(
    "choices",
    metadata,
    *_key(),
    sa.Column("user_key", sa.String(64), primary_key=True),  # a hash: no e-mail stored
    sa.Column("dataset", sa.String(16), nullable=True),
)
settings = sa.Table(
    "settings",
    metadata,
    *_key(),
    sa.Column("scope", sa.String(16), primary_key=True),  # "" workspace, dataset id, "sample"
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.JSON, nullable=True),
    *_stamp(),
)
rules = sa.Table(
    "rules",
    metadata,
    *_key(),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),  # the rule table as CSV
    *_stamp(),
)
actions = sa.Table(
    "actions",
    metadata,
    *_key(),
    sa.Column("scope", sa.String(16), primary_key=True),
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("recommendation", sa.Text, nullable=True),
    sa.Column("owner", sa.Text, nullable=True),
    sa.Column("due", sa.String(10), nullable=True),
    sa.Column("status", sa.Text, nullable=True),  # checked by review_log, not here
    sa.Column("shared", sa.Boolean, nullable=False),
    *_stamp(),
)
action_history = sa.Table(
    "action_history",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ws", sa.String(32), nullable=False, index=True),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("entry", sa.JSON, nullable=False),  # at, by, action, change, from, to, ...
)
meetings = sa.Table(
    "meetings",
    metadata,
    *_key(),
    sa.Column("scope", sa.String(16), primary_key=True),
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("date", sa.String(10), nullable=False),
    sa.Column("attendees", sa.JSON, nullable=False),
    sa.Column("decisions", sa.Text, nullable=False),
    sa.Column("actions", sa.JSON, nullable=False),
    *_stamp(),
)
answers = sa.Table(
    "answers",
    metadata,
    *_key(),
    sa.Column("item", sa.String(64), primary_key=True),
    sa.Column("answer", sa.String(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("shared", sa.Boolean, nullable=False),
    *_stamp(),
)
shares = sa.Table(
    "shares",
    metadata,
    *_key(),
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("expires", sa.String(32), nullable=False),
    sa.Column("revoked", sa.String(32), nullable=True),
)
publications = sa.Table(
    "publications",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ws", sa.String(32), nullable=False, index=True),
    sa.Column("record", sa.JSON, nullable=False),  # version, published_at, dataset, who
)
audit = sa.Table(
    "audit",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ws", sa.String(32), nullable=False, index=True),
    sa.Column("entry", sa.JSON, nullable=False),  # at, who, role, action, details
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- engines ----------------------------------------------------------------------------

_engines: dict[str, Engine] = {}
_migrated: set[str] = set()
_opened: set[tuple[str, str]] = set()
_ids: dict[Path, str] = {}
_lock = threading.RLock()


def database_url(folder: Path) -> str:
    """PMHC_DATABASE_URL (a postgresql:// URL is read with psycopg 3), else the workspace's
    own SQLite file."""
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        return f"sqlite:///{Path(folder).resolve() / DB_FILE}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def _sqlite_engine(url: str, path: Path) -> Engine:
    files.private_dir(path.parent)
    # Made 0600 before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, files.FILE_MODE))
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi, _record):
        dbapi.isolation_level = None  # SQLAlchemy's begin event below issues BEGIN itself
        cursor = dbapi.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # A writer takes the write lock at once: two read-then-write transactions would
        # otherwise both read, and one fail on upgrading its lock (no busy wait there).
        immediate = conn.get_execution_options().get("pmhc_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def engine_for(folder: Path) -> Engine:
    url = database_url(folder)
    with _lock:
        if url not in _engines:
            if url.startswith("sqlite:///"):
                _engines[url] = _sqlite_engine(url, Path(url[len("sqlite:///") :]))
            else:
                _engines[url] = sa.create_engine(url, pool_pre_ping=True)
        return _engines[url]


def _forget_engines() -> None:
    """In a forked child: the parent's pooled connections are not ours to use."""
    for engine in _engines.values():
        engine.dispose(close=False)
    _engines.clear()


os.register_at_fork(after_in_child=_forget_engines)


def workspace_key(folder: Path) -> str:
    """The workspace's random id, made on first use and kept in its folder."""
    folder = Path(folder).resolve()
    with _lock:
        if folder not in _ids:
            path = files.private_dir(folder) / ID_FILE
            if not path.exists():
                # Written whole under a private name, then linked into place: a second
                # process starting at the same moment sees no file or the whole id, never
                # an empty one, and link() refuses to replace the id that won.
                draft = path.with_name(f".{ID_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
                fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, files.FILE_MODE)
                with os.fdopen(fd, "w") as out:
                    out.write(secrets.token_hex(8))
                try:
                    os.link(draft, path)
                except FileExistsError:
                    pass
                finally:
                    draft.unlink()
            key = path.read_text().strip()
            _ids[folder] = key
        return _ids[folder]


# --- migrations and the one-time import ---------------------------------------------------


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration (no alembic.ini: the scripts ship in the
    package)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "pmhc.storage:migrations")
    with engine.connect() as conn:
        conn = conn.execution_options(pmhc_write=True)
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        try:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                conn.commit()


def _open(folder: Path) -> tuple[Engine, str]:
    folder = Path(folder)
    engine = engine_for(folder)
    ws = workspace_key(folder)
    url = str(engine.url)
    with _lock:
        if url not in _migrated:
            migrate(engine)
            _migrated.add(url)
        if (url, ws) not in _opened:
            _first_open(engine, folder, ws)
            _opened.add((url, ws))
    return engine, ws


def _first_open(engine: Engine, folder: Path, ws: str) -> None:
    from pmhc.storage import legacy

    with _transaction(engine, ws, write=True) as conn:
        if conn.execute(sa.select(workspaces.c.ws).where(workspaces.c.ws == ws)).first():
            return
        found = legacy.import_workspace(conn, ws, Path(folder))
        conn.execute(
            workspaces.insert().values(
                ws=ws, folder=str(Path(folder).resolve()), created=now(), imported=repr(found)
            )
        )


# --- transactions -----------------------------------------------------------------------


def _lock_key(ws: str) -> int:
    return int.from_bytes(hashlib.sha256(ws.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def _transaction(engine: Engine, ws: str, write: bool) -> Iterator[Connection]:
    with engine.connect() as conn:
        conn = conn.execution_options(pmhc_write=write)
        with conn.begin():
            if write and conn.dialect.name == "postgresql":
                # One writer per workspace at a time, as SQLite's file lock gives
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(ws)})
            yield conn


@contextlib.contextmanager
def write(folder: Path) -> Iterator[tuple[Connection, str]]:
    """(connection, workspace key) inside one transaction that holds the workspace's write
    lock: committed when the block ends, rolled back if it raises."""
    engine, ws = _open(folder)
    with _transaction(engine, ws, write=True) as conn:
        yield conn, ws


@contextlib.contextmanager
def read(folder: Path) -> Iterator[tuple[Connection, str]]:
    """(connection, workspace key) in a read transaction: one consistent snapshot."""
    engine, ws = _open(folder)
    with _transaction(engine, ws, write=False) as conn:
        yield conn, ws


@dataclass(frozen=True)
class Stamp:
    """A record's version, who changed it last and when (ISO, UTC)."""

    version: int = 0
    by: str = ""
    at: str = ""


def stamp_of(row) -> Stamp:
    return Stamp(int(row.version), row.changed_by, row.changed_at) if row else Stamp()


def stamp_values(by: str | None, version: int) -> dict:
    return {"version": version, "changed_by": (by or "unknown")[:200], "changed_at": now()}
