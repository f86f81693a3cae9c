"""Saved mapping profiles: a user's column choices for one export layout, applied
automatically when a file with the same columns arrives (next month's export).

A profile is a small JSON file in the workspace's `profiles/` folder."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pmhc.domain import schema
from pmhc.domain.errors import InputError


@dataclass
class Profile:
    name: str
    kind: str
    signature: str  # mapping.columns_signature of the headers
    headers: list[str]
    overrides: dict[str, str | None] = field(default_factory=dict)  # field -> column header
    all_mh: bool = False


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    if not slug:
        raise InputError("A profile needs a name with letters or digits; type one in.")
    return slug


def _check(profile: Profile) -> Profile:
    if profile.kind not in schema.KINDS:
        raise InputError(
            f"{profile.kind!r} is not a record kind; use one of {', '.join(schema.KINDS)}."
        )
    kind = schema.KINDS[profile.kind]
    unknown = [f for f in profile.overrides if f not in kind.names]
    if unknown:
        raise InputError(f"{unknown[0]!r} is not a field of {profile.kind}; check the profile.")
    return profile


def save_profile(folder: Path, profile: Profile) -> Path:
    _check(profile)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_slug(profile.name)}.json"
    path.write_text(json.dumps(asdict(profile), indent=2, ensure_ascii=False))
    return path


def load_profile(path: Path) -> Profile:
    try:
        data = json.loads(Path(path).read_text())
        # A hand-edited file is checked like a saved one: a bad kind would fail much later.
        return _check(Profile(**data))
    except FileNotFoundError as e:
        raise InputError(f"The mapping file {path} does not exist; check the path.") from e
    except (json.JSONDecodeError, TypeError) as e:
        raise InputError(
            f"The mapping file {path} is not a saved mapping profile; save one from the Data page."
        ) from e


def load_profiles(folder: Path) -> list[Profile]:
    if not folder.exists():
        return []
    return [load_profile(p) for p in sorted(folder.glob("*.json"))]
