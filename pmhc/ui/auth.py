"""Who is using the app, checked before anything else is drawn.

First the settings: secrets.toml (and roles.toml in the workspace) must read and make
sense, or the app shows nothing and says why in the server log, once. A hosted server may
list the host names it answers to ([pmhc] allowed_hosts or PMHC_ALLOWED_HOSTS).

Then four ways in, tried in this order:
1. a partner server (PMHC_AUDIENCE=partner) or a partner link (`?share=TOKEN`): the
   partner view only, no account, never the Data page;
2. sign-in with an identity provider (Streamlit's `st.login`, OIDC: Microsoft Entra ID,
   Google, Okta, Keycloak...) when secrets.toml has an `[auth]` section; the role comes
   from `[pmhc.roles]` in secrets.toml or `roles.toml` in the workspace, keyed on the
   account (issuer and subject), groups, or e-mails the provider verified and the
   deployment trusts (access.role_for);
3. a passphrase, for an agency with no identity provider: `[pmhc.passphrases]` maps a
   role to a `hashlib.scrypt` hash (`python -m pmhc passphrase` makes one);
4. nothing configured: the local user is the admin, only when the server is bound to this
   computer and the connection itself is local (origin.local_only), unless
   PMHC_ALLOW_OPEN=1 says otherwise.

Guesses at a passphrase or a partner link are slowed per client and for everyone
(pmhc.domain.throttle). Anyone else sees a sign-in page and no data."""

from __future__ import annotations

import atexit
import logging
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit import runtime
from streamlit.runtime.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pmhc.application import actor as actors
from pmhc.application import partners, report
from pmhc.domain import access, origin
from pmhc.domain.throttle import Burst, Throttle
from pmhc.domain.untrusted import escape_markdown
from pmhc.storage.workspace import Workspace

LOCAL_ADDRESSES = ("127.0.0.1", "localhost", "::1")
OPEN_FLAG = "PMHC_ALLOW_OPEN"
HOSTS_VARIABLE = "PMHC_ALLOWED_HOSTS"
PROXIES_VARIABLE = "PMHC_TRUSTED_PROXIES"
log = logging.getLogger("pmhc")
# Guesses, counted in this process (a restart forgets them; see docs/deploy.md).
PASSPHRASE_TRIES = Throttle()
LINK_TRIES = Throttle()


class SettingsError(Exception):
    """secrets.toml or roles.toml cannot be read or makes no sense: one sentence."""


@dataclass(frozen=True)
class Visitor:
    who: str  # verified e-mail or ISSUER#SUB, "local", "passphrase:<role>", "partner-link:<id>"
    role: str | None  # admin, analyst, viewer; None for a partner link
    method: str  # oidc, passphrase, local, open, share
    share: partners.Share | None = None

    @property
    def partner(self) -> bool:
        return self.method in ("share", "partner-server")

    def can(self, ability: str) -> bool:
        return not self.partner and access.can(self.role, ability)

    @property
    def actor(self) -> actors.Actor:
        """The acting user every use case is given: a partner link, or a signed-in role."""
        if self.partner:
            return actors.partner_link(self.share.id if self.share else None)
        if self.role in access.ROLES:
            return actors.user(self.who, str(self.role))
        return actors.SIGNED_OUT_ACTOR


def _audit(ws: Workspace, who: str, role: str | None, action: str, **details) -> None:
    """Sign-in events, recorded before (or instead of) anyone acting."""
    report.record_event(ws, actors.Actor(who, role), action, **details)


def _workspace() -> Workspace:
    return Workspace.default()


def _secrets_files() -> list[Path]:
    return [Path(p) for p in (st.get_option("secrets.files") or [])]


def _read_secrets() -> dict:
    """All of secrets.toml, or SettingsError. A file that exists must be a readable,
    valid TOML file: Streamlit itself only logs a broken one and carries on without it."""
    present = [p for p in _secrets_files() if os.path.lexists(p)]
    for path in present:
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            reason = (e.strerror if isinstance(e, OSError) else None) or type(e).__name__
            raise SettingsError(f"The secrets file {path} cannot be read ({reason}).") from e
        except tomllib.TOMLDecodeError as e:
            raise SettingsError(f"The secrets file {path} is not valid TOML ({e}).") from e
    try:
        return st.secrets.to_dict()
    except FileNotFoundError:  # Streamlit's "no secrets file": nothing configured
        if present:
            raise SettingsError(f"The secrets file {present[0]} could not be loaded.") from None
        return {}


def settings() -> dict:
    """secrets.toml, checked; SettingsError when any part would be misread."""
    found = _read_secrets()
    for name in ("auth", "pmhc"):
        if name in found and not isinstance(found[name], dict):
            raise SettingsError(f"[{name}] in the secrets file must be a table.")
    section = found.get("pmhc", {})
    problems = [
        access.mapping_problem(section["roles"]) if "roles" in section else None,
        access.passphrase_problem(section["passphrases"]) if "passphrases" in section else None,
        *(_text_list(section, key) for key in ("allowed_hosts", "trusted_email_issuers")),
        *(_text_list(section, key) for key in ("trusted_proxies",)),
        _auth_problem(found.get("auth"), section.get("provider")),
    ]
    problem = next((p for p in problems if p), None)
    if problem:
        raise SettingsError(problem)
    return found


def _text_list(section: dict, key: str) -> str | None:
    value = section.get(key, [])
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return None
    return f'[pmhc] {key} must be a list of text, like ["pmhc.agency.example"].'


def _auth_problem(section: dict | None, wanted: object) -> str | None:
    if section is None:
        return None
    named = [k for k, v in section.items() if isinstance(v, dict) and "client_id" in v]
    if "client_id" not in section and not named:
        return "[auth] names no provider: give client_id, or a table such as [auth.microsoft]."
    for key in ("redirect_uri", "cookie_secret"):
        if not section.get(key):
            return f"[auth] needs {key} (see .streamlit/secrets.toml.example)."
    if wanted is not None and wanted not in named:
        return f"[pmhc] provider = {wanted!r} is not a provider table under [auth]."
    return None


def pmhc_secrets() -> dict:
    return settings().get("pmhc", {})


def oidc_provider() -> str | None:
    """'default' for a flat [auth] section, the name of its first provider section
    ([auth.microsoft]...), or None when no identity provider is configured."""
    section = settings().get("auth")
    if not section:
        return None
    if "client_id" in section:
        return "default"
    named = [k for k, v in section.items() if isinstance(v, dict) and "client_id" in v]
    wanted = pmhc_secrets().get("provider")
    return wanted if wanted in named else (named[0] if named else None)


def role_mapping(ws: Workspace) -> dict:
    mapping = pmhc_secrets().get("roles")
    if mapping:
        return dict(mapping)
    path = ws.folder / "roles.toml"
    try:
        mapping = tomllib.loads(path.read_text()).get("roles", {})
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise SettingsError(f"The roles file {path} cannot be read ({e}).") from e
    problem = access.mapping_problem(mapping)
    if problem:
        raise SettingsError(f"{path}: {problem}")
    return mapping


def request() -> origin.Request | None:
    """What the server saw of this session's connection; None when the script runs with no
    server at all (AppTest runs it in this process, with a stand-in runtime and no socket,
    so nobody can be connected from anywhere)."""
    if not runtime.exists() or type(runtime.get_instance()) is not Runtime:
        return None
    ctx = get_script_run_ctx()
    client = runtime.get_instance().get_client(ctx.session_id) if ctx else None
    context = getattr(client, "client_context", None)
    peer = getattr(context, "remote_ip", None)
    headers = {k.lower(): v for k, v in (st.context.headers or {}).items()}
    return origin.Request(peer if isinstance(peer, str) else None, headers)


def allowed_hosts() -> list[str]:
    listed = pmhc_secrets().get("allowed_hosts") or []
    env = [h.strip() for h in os.environ.get(HOSTS_VARIABLE, "").split(",") if h.strip()]
    return [*listed, *env]


_AT_EXIT: list[bool] = []


def client() -> str:
    """Who a guess counts against. A real server also writes the bursts still open when it
    stops (AppTest runs in-process: nothing to flush into whatever workspace is default)."""
    req = request()
    if req is None:
        return "in-process"
    if not _AT_EXIT:
        _AT_EXIT.append(True)
        atexit.register(_flush_at_exit)
    env = [p.strip() for p in os.environ.get(PROXIES_VARIABLE, "").split(",") if p.strip()]
    return origin.client_of(req, [*(pmhc_secrets().get("trusted_proxies") or []), *env])


_LOGGED: set[str] = set()


def _unavailable(sentence: str) -> None:
    """The fail-closed page: nothing but a title; the reason goes to the server log once."""
    if sentence not in _LOGGED:
        _LOGGED.add(sentence)
        log.error("Sign-in is switched off until this is fixed: %s", sentence)
    st.title("This dashboard is not available")
    st.write("Its sign-in settings could not be used. The server log says why.")
    st.stop()


def visitor() -> Visitor:
    """The visitor `gate()` let in on this run (local admin outside the app's frame)."""
    found = st.session_state.get("visitor")
    return found if isinstance(found, Visitor) else Visitor("local", "admin", "local")


def actor() -> actors.Actor:
    """The acting user for the use cases this run calls."""
    return visitor().actor


def gate() -> Visitor:
    """The visitor, or a sign-in page and st.stop() for anyone who may not see data."""
    ws = _workspace()
    try:
        settings()
        if oidc_provider():
            role_mapping(ws)  # a broken roles.toml stops everyone, not only who signs in
        hosts = allowed_hosts()
        req = request()
        if hosts and req is not None and not origin.host_allowed(req, hosts):
            _wrong_host()
        found = _partner_server() or _partner_link(ws) or _signed_in(ws)
    except SettingsError as e:
        _unavailable(str(e))
    st.session_state["visitor"] = found
    if not st.session_state.get("audited_sign_in"):
        st.session_state["audited_sign_in"] = True
        action = "share-use" if found.share else "sign-in"
        details = {"link": found.share.id} if found.share else {"method": found.method}
        _audit(ws, found.who, found.role, action, **details)
    return found


def _wrong_host() -> None:
    st.title("This address is not served here")
    st.write("Open the dashboard at the address your agency gave you.")
    st.stop()


def _partner_server() -> Visitor | None:
    """A server started for partners only (PMHC_AUDIENCE=partner): everyone gets the
    partner view, with no account, as with a partner link."""
    if os.environ.get("PMHC_AUDIENCE", "").lower() != "partner":
        return None
    return Visitor("partner-server", None, "partner-server")


def _partner_link(ws: Workspace) -> Visitor | None:
    token = st.query_params.get("share")
    share_id = st.session_state.get("share_id")
    if token is None and share_id is None:
        return None
    share = _try_token(ws, token) if token is not None else None
    if share is None and share_id:  # checked again on every run: revocation applies now
        share = partners.active_link(ws, share_id)
    if share is None:
        st.session_state.pop("share_id", None)
        st.title("This link does not open anything")
        st.write(
            "It may have expired or been withdrawn, or it was copied incompletely. "
            "Ask the agency that shared it for a new link."
        )
        st.stop()
    st.session_state["share_id"] = share.id
    return Visitor(f"partner-link:{share.id}", None, "share", share)


def _try_token(ws: Workspace, token: str) -> partners.Share | None:
    """The share this token opens, counted against the client's guesses. A token already
    accepted in this session is not checked (nor counted) again on each rerun."""
    if st.session_state.get("share_token_ok") == token:
        return partners.link_for_token(ws, token)
    who = client()
    wait = LINK_TRIES.wait(who)
    if wait > 0:
        _write(ws, LINK_TRIES.refused(who), "share-refused")
        _too_many(wait)
    share = partners.link_for_token(ws, token)
    if share is None:
        _write(ws, LINK_TRIES.failed(who), "share-refused")
        return None
    _write(ws, LINK_TRIES.succeeded(who), "share-refused")
    st.session_state["share_token_ok"] = token
    return share


def _too_many(wait: float) -> None:
    st.title("Too many tries")
    st.write(f"Wait {math.ceil(wait):d} seconds, then try again.")
    st.stop()


def _write(ws: Workspace, bursts: list[Burst], action: str, **details) -> None:
    """One audit line per burst of refused tries, with how many there were."""
    for burst in bursts:
        _audit(
            ws,
            "anonymous",
            None,
            action,
            client=burst.client,
            attempts=burst.failures + burst.refused,
            refused_unchecked=burst.refused,
            **details,
        )


def _flush_at_exit() -> None:  # bursts still open when the server stops
    try:
        folder = _workspace().folder
        for tries, action in ((PASSPHRASE_TRIES, "sign-in-refused"), (LINK_TRIES, "share-refused")):
            for burst in tries.close_all():
                _audit(
                    Workspace(folder),
                    "anonymous",
                    None,
                    action,
                    client=burst.client,
                    attempts=burst.failures + burst.refused,
                )
    except OSError:
        pass


def _signed_in(ws: Workspace) -> Visitor:
    provider = oidc_provider()
    if provider:
        return _oidc(ws, provider)
    phrases = pmhc_secrets().get("passphrases")
    if phrases:
        return _passphrase(ws, dict(phrases))
    return _local()


def identity() -> access.Identity:
    """The signed-in account from the ID token's claims (st.user)."""
    claim = pmhc_secrets().get("groups_claim", "groups")
    claimed: object = st.user.get(claim) or []
    groups: list = claimed if isinstance(claimed, list) else [claimed]
    return access.Identity(
        issuer=str(st.user.get("iss") or ""),
        subject=str(st.user.get("sub") or ""),
        email=str(st.user.get("email") or ""),
        email_verified=access.verified(st.user.get("email_verified")),
        groups=tuple(str(g) for g in groups),
    )


def _oidc(ws: Workspace, provider: str) -> Visitor:
    if not st.user.is_logged_in:
        st.title("PMHC Dashboard")
        st.write("Sign in with your agency account to see the dashboard.")
        if st.button("Sign in", type="primary", icon=":material/login:", key="sign-in"):
            st.login() if provider == "default" else st.login(provider)
        st.stop()
    who = identity()
    trusted = pmhc_secrets().get("trusted_email_issuers") or []
    role = access.role_for(who, role_mapping(ws), trusted)
    # The name kept in the audit log and for per-user datasets: the e-mail only when it
    # also counts for roles, else the account key no one else can claim.
    email_counts = who.email and who.email_verified and who.issuer in trusted
    name = who.email if email_counts else who.key
    if role is None:
        if not st.session_state.get("audited_refusal"):
            st.session_state["audited_refusal"] = True
            _audit(ws, name or "anonymous", None, "sign-in-refused")
        st.title("No access yet")
        st.write(
            f"You are signed in as {escape_markdown(who.label)}, but this account has no "
            "role on this dashboard. Ask the dashboard's administrator to add your account "
            "id, shown below, to [pmhc.roles]."
        )
        st.code(f"sub:{who.key}", language=None)
        if st.button("Sign out", key="sign-out-refused"):
            st.logout()
        st.stop()
    return Visitor(name, role, "oidc")


def _passphrase(ws: Workspace, phrases: dict) -> Visitor:
    role = st.session_state.get("passphrase_role")
    if role:
        return Visitor(f"passphrase:{role}", role, "passphrase")
    st.title("PMHC Dashboard")
    with st.form("passphrase"):
        typed = st.text_input("Passphrase", type="password")
        sent = st.form_submit_button("Enter", type="primary")
    if sent:
        who = client()
        wait = PASSPHRASE_TRIES.wait(who)
        if wait > 0:  # refused before any hashing: a flood costs the server nothing
            _write(ws, PASSPHRASE_TRIES.refused(who), "sign-in-refused", method="passphrase")
            st.error(f"Too many tries. Wait {math.ceil(wait):d} seconds, then try again.")
            st.stop()
        role = access.passphrase_role(typed, phrases)
        if role:
            _write(ws, PASSPHRASE_TRIES.succeeded(who), "sign-in-refused", method="passphrase")
            st.session_state["passphrase_role"] = role
            st.rerun()
        _write(ws, PASSPHRASE_TRIES.failed(who), "sign-in-refused", method="passphrase")
        st.error("That passphrase is not right.")
    st.stop()


def serving_locally() -> bool:
    address = (st.get_option("server.address") or "").strip("[]")
    return address in LOCAL_ADDRESSES


def _local() -> Visitor:
    req = request()
    if serving_locally() and (req is None or origin.local_only(req)):
        return Visitor("local", "admin", "local")
    if os.environ.get(OPEN_FLAG, "").lower() in ("1", "true", "yes"):
        return Visitor("open", "admin", "open")
    st.title("Sign-in is not set up")
    st.write(
        "No identity provider or passphrase is configured, so this server shows its data "
        "only to a browser on the computer it runs on, opened at localhost or 127.0.0.1 "
        "and not through a proxy. Configure sign-in in .streamlit/secrets.toml (see "
        "docs/deploy.md), or set PMHC\\_ALLOW\\_OPEN=1 to let anyone who reaches this address in "
        "as an administrator."
    )
    st.stop()


def sidebar_identity(v: Visitor) -> None:
    """Who is signed in, their role, and the way out."""
    if v.partner:
        return
    if v.method == "local":
        st.caption(
            ":material/person: **Local administrator.** No sign-in is configured, so this "
            "server only answers on this computer (127.0.0.1)."
        )
        return
    if v.method == "open":
        st.caption(
            ":material/warning: **Open server.** No sign-in is configured and PMHC\\_ALLOW\\_OPEN "
            "lets anyone who reaches it in as an administrator."
        )
        return
    st.caption(f":material/person: {escape_markdown(v.who)} · {escape_markdown(v.role)}")
    if st.button("Sign out", key="sign-out", icon=":material/logout:"):
        if v.method == "oidc":
            st.logout()
        for key in ("passphrase_role", "visitor", "audited_sign_in", "dataset_id"):
            st.session_state.pop(key, None)
        st.rerun()
