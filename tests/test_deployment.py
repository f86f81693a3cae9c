"""The deployment keeps secrets out of the image and installs what the app needs the way CI
does (issue 19). No Docker daemon in CI: these read the files and ask git, and .ci/run
runs deploy/install-system-packages itself."""

from __future__ import annotations

import re
import shutil
import subprocess
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GIT = shutil.which("git") or "/usr/bin/git"
SH = shutil.which("sh") or "/bin/sh"
SECRET_PATHS = [
    "deploy/secrets.toml",  # where docs/deploy.md puts it
    ".streamlit/secrets.toml",
    "secrets.toml",
    "deploy/secrets/pmhc.toml",
    "deploy/prod.secrets.toml",
]


def dockerignored(path: str) -> bool:
    """Docker's rule, enough for these files: a pattern matches the path or a folder above
    it, '**/' at its start matches at any depth, and the last matching pattern wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    ignored = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate, pattern = pattern.startswith("!"), pattern.lstrip("!").rstrip("/")
        if pattern.startswith("**/"):
            tail = pattern.removeprefix("**/")
            hit = any(fnmatchcase(t, tail) for t in tails)
        else:
            hit = any(fnmatchcase(p, pattern) for p in prefixes)
        if hit:
            ignored = not negate
    return ignored


@pytest.mark.parametrize("path", SECRET_PATHS)
def test_secrets_are_neither_in_git_nor_in_the_build_context(path):
    checked = subprocess.run([GIT, "check-ignore", "--no-index", "-q", path], cwd=ROOT, check=False)
    assert checked.returncode == 0, f"git would track {path}"
    assert dockerignored(path), f"docker build would copy {path} into the image"


def test_the_build_context_keeps_the_code():
    for path in ("app.py", "pmhc/ui/auth.py", "requirements.txt", "deploy/system-packages.txt"):
        assert not dockerignored(path), path
    assert not dockerignored(".streamlit/config.toml")
    assert not dockerignored(".streamlit/secrets.toml.example")


def test_compose_gives_the_secrets_at_run_time_readable_by_the_app_user():
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    app = compose.split("\n  proxy:")[0]
    assert "secrets.toml:/app" not in app  # no bind mount of the file...
    assert re.search(
        r"secrets:\s*\n\s*- source: pmhc_secrets\s*\n\s*target: /app/\.streamlit/secrets\.toml", app
    )
    assert re.search(r"^secrets:\s*\n\s+pmhc_secrets:\s*\n\s+file: \./secrets\.toml", compose, re.M)
    assert "PMHC_ALLOWED_HOSTS: ${PMHC_HOST" in app  # the host allow-list is on
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "groupadd --gid 10001" in dockerfile and "--uid 10001 --gid 10001" in dockerfile
    guide = (ROOT / "docs" / "deploy.md").read_text()
    assert "chgrp 10001 deploy/secrets.toml" in guide and "chmod 640" in guide
    assert "chmod 600 deploy/secrets.toml" not in guide  # the container user could not read it


def test_one_package_list_for_the_image_and_ci():
    listed = [
        line.strip()
        for line in (ROOT / "deploy" / "system-packages.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "libpangoft2-1.0-0" in listed  # WeasyPrint's Pango, for the PDF pack
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^RUN /tmp/deploy/install-system-packages\b", dockerfile, re.M)
    assert "deploy/system-packages.txt deploy/install-system-packages" in dockerfile
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\s*deploy/install-system-packages \"\$\{packages\[@\]\}\"", ci, re.M)
    assert re.search(r"^packages=\(.*\bchromium\b.*\bcaddy\b.*\)", ci, re.M)
    assert "apt-get install" not in ci  # no second, different install path


def test_the_install_script_reads_the_list():
    script = (ROOT / "deploy" / "install-system-packages").read_text()
    assert "system-packages.txt" in script and "apt-get install" in script
    assert (ROOT / "deploy" / "install-system-packages").stat().st_mode & 0o111
    subprocess.run([SH, "-n", str(ROOT / "deploy" / "install-system-packages")], check=True)


def test_the_pdf_pack_finds_pango():
    """What the image's list installs is enough for WeasyPrint to draw a PDF."""
    from weasyprint import HTML

    pdf = HTML(string="<p>PMHC</p>").write_pdf()
    assert pdf.startswith(b"%PDF")
