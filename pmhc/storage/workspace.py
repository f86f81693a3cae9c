"""The workspace: the folder holding a team's secret, saved datasets, mapping profiles,
edited rules and the database of its records (pmhc.storage.db). `PMHC_DATA_DIR` names
it; app.py sets it to `data/` beside itself, and the CLI falls back to `data/` in the
current folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from pmhc.domain import rules
from pmhc.domain.errors import StaleEdit
from pmhc.ingest import profiles, pseudonyms
from pmhc.storage import db

# The sample workbooks ship inside the package, so an installed (unpacked) copy finds them.
SAMPLE_DIR = Path(str(resources.files("pmhc").joinpath("sample_data")))


@dataclass(frozen=True)
class Workspace:
    folder: Path

    def __post_init__(self):
        object.__setattr__(self, "folder", Path(self.folder))

    @classmethod
    def default(cls) -> Workspace:
        return cls(Path(os.environ.get("PMHC_DATA_DIR", Path.cwd() / "data")))

    @cached_property
    def key(self) -> bytes:
        return pseudonyms.workspace_key(self.folder)

    @property
    def rules_dir(self) -> Path:
        return self.folder / "rules"

    @property
    def profiles_dir(self) -> Path:
        return self.folder / "profiles"

    @property
    def datasets_dir(self) -> Path:
        return self.folder / "datasets"

    def rules(self) -> rules.Rules:
        return rules.load_rules(self.rules_dir)

    def rules_version(self) -> str:
        """Changes whenever an edited rule file is saved: part of every cache key that
        depends on the rules."""
        files = sorted(self.rules_dir.glob("*.csv")) if self.rules_dir.exists() else []
        return "|".join(f"{p.name}:{p.stat().st_mtime_ns}" for p in files)

    def rules_stamps(self) -> dict[str, db.Stamp]:
        """kind -> (version, who, when) of each edited rule table: what an editor read, to
        pass back as `expected_version` (a table never edited has version 0)."""
        t = db.rules
        with db.read(self.folder) as (conn, ws):
            rows = conn.execute(sa.select(t).where(t.c.ws == ws)).all()
        return {r.kind: db.stamp_of(r) for r in rows}

    def save_rules(
        self,
        kind: str,
        table: pd.DataFrame,
        *,
        by: str | None = None,
        expected_version: int | None = None,
    ) -> Path:
        """Check and save one rule table (rules.save_rule_table: ValueError, one sentence,
        on bad input), recording who and when; StaleEdit when someone saved this table
        since `expected_version` was read. One transaction: two saves queue."""
        t = db.rules
        with db.write(self.folder) as (conn, ws):
            where = (t.c.ws == ws) & (t.c.kind == kind)
            row = conn.execute(sa.select(t).where(where)).first()
            if expected_version is not None and db.stamp_of(row).version != expected_version:
                raise StaleEdit(row.changed_by if row else None, row.changed_at if row else None)
            path = rules.save_rule_table(self.rules_dir, kind, table)
            body = path.read_text(encoding="utf-8")
            if row is None:
                conn.execute(
                    t.insert().values(ws=ws, kind=kind, body=body, **db.stamp_values(by, 1))
                )
            else:
                conn.execute(
                    t.update()
                    .where(where)
                    .values(body=body, **db.stamp_values(by, row.version + 1))
                )
        return path

    def profiles(self) -> list[profiles.Profile]:
        return profiles.load_profiles(self.profiles_dir)


def sample_files() -> list[Path]:
    return sorted(SAMPLE_DIR.glob("*.xlsx"))
