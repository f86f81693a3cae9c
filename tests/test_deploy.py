"""The deployment files say what docs/deploy.md promises (no Docker daemon in CI: read)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_streamlit_config_hides_errors_and_the_deploy_button_and_binds_locally():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["server"]["address"] == "127.0.0.1"


def test_dockerfile_runs_unprivileged_with_a_health_check():
    text = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/_stcore/health", text, flags=re.M)
    assert "PMHC_DATA_DIR=/data" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".streamlit/secrets.toml" in ignored and "data" in ignored


def test_proxy_sends_security_headers():
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    for header in (
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        'Referrer-Policy "no-referrer"',
        "Content-Security-Policy",
        "frame-ancestors 'none'",
    ):
        assert header in caddy, header
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    app = compose.split("proxy:")[0]
    assert "ports:" not in app  # only the proxy is published
    assert "target: /app/.streamlit/secrets.toml" in compose  # a compose secret, not the image


def test_secrets_example_parses_and_is_not_committed_for_real():
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text())
    assert example["auth"]["redirect_uri"].endswith("/oauth2callback")
    assert set(example["pmhc"]["roles"]) == {"admin", "analyst", "viewer"}
    assert ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text().split()
