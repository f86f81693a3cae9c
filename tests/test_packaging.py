"""The package installs on its own: `pip install .` ships the rule tables, the sample
workbooks and the `pmhc` command, so `pmhc summarize` runs outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# Built from a copy, so that nothing of an earlier build in the checkout (build/, egg-info)
# can slip into the wheel, and the checkout is left as it was. Coverage data is left out:
# parallel test workers write and remove .coverage.* files while the copy is made.
NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "*.egg-info",
    "data",
    "__pycache__",
    ".*cache*",
    "files",
    "out",
    ".coverage*",
)


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def wheel_path(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source") / "pmhc-dashboard"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    out = tmp_path_factory.mktemp("wheel")
    pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(source))
    (path,) = out.glob("pmhc_dashboard-*.whl")
    return path


def test_wheel_ships_rules_samples_and_the_command(wheel_path):
    with zipfile.ZipFile(wheel_path) as wheel:
        names = set(wheel.namelist())
        (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
        scripts = wheel.read(entry_points).decode()
    rules = {p.name for p in (ROOT / "pmhc" / "domain" / "default_rules").glob("*.csv")}
    samples = {p.name for p in (ROOT / "pmhc" / "sample_data").glob("*.xlsx")}
    assert {f"pmhc/domain/default_rules/{n}" for n in rules} <= names
    assert {f"pmhc/sample_data/{n}" for n in samples} <= names
    assert len(rules) >= 3 and len(samples) == 3
    # the database's migrations run from the installed package (no alembic.ini)
    migrations = {
        p.name for p in (ROOT / "pmhc" / "storage" / "migrations" / "versions").glob("0*.py")
    }
    assert migrations and {f"pmhc/storage/migrations/versions/{n}" for n in migrations} <= names
    assert "pmhc/storage/migrations/env.py" in names
    assert not any(n.startswith(("tests/", "tools/", "bench/", "app_pages/")) for n in names)
    assert "pmhc = pmhc.cli:main" in scripts


def test_pip_installed_command_summarizes_the_sample_from_elsewhere(wheel_path, tmp_path):
    """`pip install` the wheel into a folder (its dependencies are this environment's) and
    run the `pmhc` script pip wrote, from an unrelated folder."""
    target = tmp_path / "installed"
    pip("install", "--no-deps", "--target", str(target), str(wheel_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sample = target / "pmhc" / "sample_data" / "riverside_personnel.xlsx"
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("PMHC_DATA_DIR", None)
    result = subprocess.run(
        [str(target / "bin" / "pmhc"), "summarize", str(sample)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "riverside_personnel.xlsx" in result.stdout
    assert "Training" in result.stdout
    # The CLI's workspace is data/ in the folder it runs in, never inside the package.
    assert (elsewhere / "data" / "secret.key").exists()
    assert not (target / "data").exists()
    # The installed package makes its database: the migrations run from the wheel's files.
    shares = subprocess.run(
        [str(target / "bin" / "pmhc"), "share", "list"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shares.returncode == 0, shares.stderr
    assert (elsewhere / "data" / "pmhc.db").stat().st_size > 0
