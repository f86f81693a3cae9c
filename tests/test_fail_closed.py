"""Sign-in that fails closed (issue 19): broken settings show nothing, the local
administrator needs a local connection, a hosted server answers only to its names, and
guesses at a passphrase or a partner link are slowed with one audit line per burst."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import streamlit
from streamlit import config
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1 import AppTest

from pmhc.domain import access
from pmhc.domain.origin import Request, client_of, host_name, local_only
from pmhc.domain.throttle import Throttle
from pmhc.storage import audit, shares
from pmhc.ui import auth

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PHRASE = "river delta 42x"
LOCAL = {"host": "localhost:8501"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def app(tmp_path, monkeypatch):
    """app(secrets_text=None, request=None, secrets=None, query=None) -> AppTest after one
    run, with secrets.toml holding `secrets_text` and the connection `request`."""
    monkeypatch.setenv("PMHC_DATA_DIR", str(tmp_path / "ws"))
    for name in ("PMHC_AUDIENCE", "PMHC_ALLOW_OPEN", auth.HOSTS_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    saved = {k: config.get_option(k) for k in ("server.address", "secrets.files")}
    monkeypatch.setattr(streamlit, "secrets", Secrets())  # no secrets cached by earlier tests
    clock = Clock()
    monkeypatch.setattr(auth, "PASSPHRASE_TRIES", Throttle(clock=clock))
    monkeypatch.setattr(auth, "LINK_TRIES", Throttle(clock=clock))

    def run(secrets_text=None, request=None, secrets=None, query=None) -> AppTest:
        path = tmp_path / "secrets.toml"
        if secrets_text is not None:
            path.write_text(secrets_text)
        config.set_option("secrets.files", [str(path)])
        config.set_option("server.address", "127.0.0.1")
        if request is not None:
            monkeypatch.setattr(auth, "request", lambda: request)
        at = AppTest.from_file(APP, default_timeout=120)
        for key, value in (secrets or {}).items():
            at.secrets[key] = value
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    run.clock = clock
    yield run
    for key, value in saved.items():
        config.set_option(key, value)


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def shows_no_data(at: AppTest) -> bool:
    return not at.metric and not at.get("vega_lite_chart") and not at.dataframe


# --- settings that cannot be read stop the app -----------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[pmhc.roles\nadmin = ["x"]\n', "is not valid TOML"),  # a one-character typo
        ('[pmhc.roles]\nsuperuser = ["x"]\n', "unknown role 'superuser'"),
        ('[pmhc.roles]\nadmin = "x"\nviewer = 3\n', "viewer must be a list"),
        ('[pmhc.passphrases]\nviewer = "letmein"\n', "is not a hash"),
        ('[auth]\nredirect_uri = "https://x/oauth2callback"\n', "names no provider"),
        ('[pmhc]\nallowed_hosts = "pmhc.agency.example"\n', "allowed_hosts must be a list"),
    ],
)
def test_broken_secrets_show_nothing_and_say_why_once_in_the_log(app, caplog, text, said):
    with caplog.at_level(logging.ERROR, logger="pmhc"):
        at = app(text)
        app(text)  # a second visit: the same sentence is not logged again
    assert titles(at) == ["This dashboard is not available"] and shows_no_data(at)
    assert not at.sidebar.markdown and not at.button and not at.text_input
    logged = [r.getMessage() for r in caplog.records if r.name == "pmhc"]
    assert len(logged) == 1 and said in logged[0] and "\n" not in logged[0]
    assert "Traceback" not in logged[0]


def test_an_unreadable_secrets_file_shows_nothing(app, tmp_path):
    (tmp_path / "secrets.toml").mkdir()  # exists, but cannot be read as a file
    at = app()
    assert titles(at) == ["This dashboard is not available"] and shows_no_data(at)


def test_a_broken_roles_file_in_the_workspace_shows_nothing(app, tmp_path):
    oidc = (
        '[auth]\nredirect_uri = "http://localhost/oauth2callback"\ncookie_secret = "x"\n'
        'client_id = "c"\nclient_secret = "s"\nserver_metadata_url = "http://localhost/m"\n'
    )
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "roles.toml").write_text("[roles\nadmin = 1")
    at = app(oidc)
    assert titles(at) == ["This dashboard is not available"] and shows_no_data(at)


def test_no_secrets_file_is_not_an_error(app):
    at = app(None, Request("127.0.0.1", LOCAL))
    assert titles(at)[0] == "Overview" and at.metric


# --- the local administrator needs a local connection -----------------------------------


@pytest.mark.parametrize(
    "request_",
    [
        Request("192.0.2.10", LOCAL),  # another computer, app bound to 0.0.0.0 behind NAT
        Request("127.0.0.1", {**LOCAL, "x-forwarded-for": "203.0.113.9"}),  # a local proxy
        Request("127.0.0.1", {**LOCAL, "forwarded": "for=203.0.113.9"}),
        Request("::1", {**LOCAL, "x-real-ip": "203.0.113.9"}),
        Request("127.0.0.1", {"host": "attacker.example"}),  # DNS rebinding
        Request("127.0.0.1", {"host": "attacker.example:8501"}),
        Request("127.0.0.1", {}),  # no Host at all
        Request(None, LOCAL),  # the server did not say who is connected
    ],
    ids=[
        "remote",
        "x-forwarded-for",
        "forwarded",
        "x-real-ip",
        "rebind",
        "rebind-port",
        "no-host",
        "no-peer",
    ],
)
def test_the_local_administrator_needs_a_local_connection(app, request_):
    at = app(None, request_)
    assert titles(at) == ["Sign-in is not set up"] and shows_no_data(at)


@pytest.mark.parametrize("host", ["localhost:8501", "127.0.0.1:8501", "[::1]:8501", "LOCALHOST"])
def test_a_browser_on_this_computer_is_the_local_administrator(app, tmp_path, host):
    at = app(None, Request("127.0.0.1", {"host": host}))
    assert titles(at)[0] == "Overview" and at.metric
    assert [(e["who"], e["role"]) for e in audit.read(tmp_path / "ws")] == [("local", "admin")]


def test_a_hosted_server_answers_only_to_its_names(app, monkeypatch):
    monkeypatch.setenv(auth.HOSTS_VARIABLE, "pmhc.agency.example")
    secrets = {"pmhc": {"passphrases": {"viewer": access.hash_passphrase(PHRASE)}}}
    rebound = app(None, Request("203.0.113.9", {"host": "attacker.example"}), secrets)
    assert titles(rebound) == ["This address is not served here"] and not rebound.text_input
    named = app(None, Request("203.0.113.9", {"host": "PMHC.agency.example:443"}), secrets)
    assert titles(named) == ["PMHC Dashboard"] and named.text_input


def test_connection_rules():
    assert host_name("[::1]:8501") == "::1" and host_name("Example.ORG.") == "example.org"
    assert local_only(Request("127.0.0.5", {"host": "localhost"}))
    assert not local_only(Request("127.0.0.1", {"host": "localhost", "via": "1.1 caddy"}))
    proxied = Request("10.0.0.2", {"x-forwarded-for": "198.51.100.1, 203.0.113.9"})
    assert client_of(proxied) == "10.0.0.2"  # an untrusted peer's header counts for nothing
    assert client_of(proxied, ["10.0.0.0/8"]) == "203.0.113.9"


# --- guesses are slowed ----------------------------------------------------------------


def test_backoff_per_client_and_for_everyone():
    clock = Clock()
    t = Throttle(free=3, global_free=10, clock=clock)
    for _ in range(3):
        assert t.wait("a") == 0
        t.failed("a")
    assert t.wait("a") == 1 and t.wait("b") == 0  # one client's guesses slow only it...
    t.failed("a")
    assert t.wait("a") == 2
    clock.now += 2
    assert t.wait("a") == 0
    for i in range(8):  # ...until everyone together fails too often
        t.failed(f"client-{i}")
    assert t.wait("someone-new") == 1
    clock.now += 1000  # after the window, all is forgotten
    assert t.wait("a") == 0 and t.wait("someone-new") == 0


def test_a_burst_is_reported_once_when_it_ends():
    clock = Clock()
    t = Throttle(free=2, quiet=60, clock=clock)
    ended = [*t.failed("a"), *t.failed("a"), *t.refused("a"), *t.failed("b")]
    assert ended == []
    clock.now += 61
    ended = t.failed("c")  # the next try after a quiet minute ends the others' bursts
    assert sorted((b.client, b.failures, b.refused) for b in ended) == [("a", 2, 1), ("b", 1, 0)]
    [c] = t.succeeded("c")
    assert (c.client, c.failures) == ("c", 1) and t.close_all() == []


def test_passphrase_guesses_are_slowed_with_constant_work(app, tmp_path, monkeypatch):
    checks = []
    real = access.check_passphrase
    monkeypatch.setattr(access, "check_passphrase", lambda t, s: checks.append(1) or real(t, s))
    secrets = {"pmhc": {"passphrases": {"viewer": access.hash_passphrase(PHRASE)}}}
    at = app(None, Request("203.0.113.9", LOCAL), secrets)
    for attempt in range(7):
        checks.clear()
        at.text_input[0].input(f"guess {attempt}")
        at.button[0].click().run()
        # Five free tries each check every role (same work right or wrong); then refused
        # without hashing at all.
        assert len(checks) == (len(access.ROLES) if attempt < 5 else 0)
    at.text_input[0].input(PHRASE)
    at.button[0].click().run()
    assert shows_no_data(at) and "Too many tries" in at.error[0].value
    app.clock.now += 5
    at.text_input[0].input(PHRASE)
    at.button[0].click().run()
    assert titles(at)[0] == "Overview" and at.metric
    lines = [e for e in audit.read(tmp_path / "ws") if e["action"] != "error"]
    assert [e["action"] for e in lines] == ["sign-in-refused", "sign-in"]  # one line a burst
    details = lines[0]["details"]
    assert (details["attempts"], details["refused_unchecked"]) == (8, 3)
    assert details["client"] == "203.0.113.9"


def test_partner_link_guesses_are_slowed(app, tmp_path):
    token, _ = shares.create(tmp_path / "ws", "County", days=30)
    wrong = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    where = Request("203.0.113.9", LOCAL)
    for _ in range(5):
        assert titles(app(None, where, query={"share": wrong})) == [
            "This link does not open anything"
        ]
    held = app(None, where, query={"share": token})  # right, but too soon
    assert titles(held) == ["Too many tries"] and shows_no_data(held)
    elsewhere = app(None, Request("198.51.100.20", LOCAL), query={"share": token})
    assert titles(elsewhere)[0] != "Too many tries"  # another client is not held back
    app.clock.now += 5
    assert titles(app(None, where, query={"share": token}))[0] != "Too many tries"
    refused = [e for e in audit.read(tmp_path / "ws") if e["action"] == "share-refused"]
    assert len(refused) == 1 and refused[0]["details"]["attempts"] == 6
