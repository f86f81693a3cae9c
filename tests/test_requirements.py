"""pyproject.toml says which versions of each runtime dependency the code works with (a
range); requirements.txt pins the versions tested (the lock). The two must agree: every
dependency is pinned, every runtime pin is a dependency, and each pin lies in its range."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def pins(path: Path) -> dict[str, str]:
    """name -> pinned version of each `name==version` line (includes with -r are not read)."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"{line!r} in {path.name} is not an exact pin"
        out[canonicalize_name(req.name)] = spec.version
    return out


def ranges() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {canonicalize_name(r.name): r for r in map(Requirement, project["dependencies"])}


def test_every_dependency_is_a_range_and_its_pin_lies_in_it():
    declared, locked = ranges(), pins(ROOT / "requirements.txt")
    assert set(declared) == set(locked)
    for name, req in declared.items():
        assert not any(s.operator == "==" for s in req.specifier), f"{req} is a pin, not a range"
        assert req.specifier.contains(locked[name]), f"{name}=={locked[name]} is outside {req}"


def test_development_pins_are_exact_and_do_not_repeat_runtime_ones():
    runtime, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    assert len(dev) >= 5
    assert not set(dev) & set(runtime)


def test_a_pin_outside_its_range_is_found():
    # The check itself: a lock one major version past the range is refused.
    (req,) = [r for name, r in ranges().items() if name == "pandas"]
    assert not req.specifier.contains("4.0.0")
    assert req.specifier.contains(pins(ROOT / "requirements.txt")["pandas"])
