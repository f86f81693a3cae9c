"""The package installs on its own: `pip install .` ships the rule tables, the sample
workbooks and the `pmhc` command, so `pmhc summarize` runs outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("pmhc_dashboard-*.whl")
    return zipfile.ZipFile(path)


@pytest.mark.slow
def test_wheel_ships_rules_samples_and_the_command(wheel):
    names = set(wheel.namelist())
    rules = {p.name for p in (ROOT / "pmhc" / "domain" / "default_rules").glob("*.csv")}
    samples = {p.name for p in (ROOT / "pmhc" / "sample_data").glob("*.xlsx")}
    assert {f"pmhc/domain/default_rules/{n}" for n in rules} <= names
    assert {f"pmhc/sample_data/{n}" for n in samples} <= names
    assert len(rules) >= 3 and len(samples) == 3
    assert not any(n.startswith(("tests/", "tools/", "bench/", "app_pages/")) for n in names)
    (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
    assert "pmhc = pmhc.cli:main" in wheel.read(entry_points).decode()


@pytest.mark.slow
def test_installed_package_summarizes_the_sample_from_elsewhere(wheel, tmp_path):
    """Unpack the wheel into an empty folder and run the CLI from another one: rule tables
    and samples are found through importlib.resources, not the checkout."""
    site = tmp_path / "site"
    wheel.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sample = site / "pmhc" / "sample_data" / "riverside_personnel.xlsx"
    code = (
        "import sys; sys.path[:0] = [sys.argv[1]]; sys.argv = sys.argv[1:];"
        "from pmhc.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(site),
            "summarize",
            str(sample),
            "--data-dir",
            str(tmp_path / "ws"),
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "riverside_personnel.xlsx" in result.stdout
    assert "Training" in result.stdout
