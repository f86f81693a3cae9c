"""The workspace: the folder holding a team's secret, saved datasets, mapping profiles,
edited rules and self-assessment answers. `PMHC_DATA_DIR` names it; app.py sets it to
`data/` beside itself, and the CLI falls back to `data/` in the current folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from pmhc.domain import rules
from pmhc.ingest import profiles, pseudonyms

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

    def profiles(self) -> list[profiles.Profile]:
        return profiles.load_profiles(self.profiles_dir)


def sample_files() -> list[Path]:
    return sorted(SAMPLE_DIR.glob("*.xlsx"))
