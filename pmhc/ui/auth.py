"""Who is using the app, checked before anything else is drawn.

Four ways in, tried in this order:
1. a partner server (PMHC_AUDIENCE=partner) or a partner link (`?share=TOKEN`): the
   partner view only, no account, never the Data page;
2. sign-in with an identity provider (Streamlit's `st.login`, OIDC: Microsoft Entra ID,
   Google, Okta...) when secrets.toml has an `[auth]` section; the role comes from
   `[pmhc.roles]` in secrets.toml or `roles.toml` in the workspace;
3. a passphrase, for an agency with no identity provider: `[pmhc.passphrases]` maps a
   role to a `hashlib.scrypt` hash (`python -m pmhc passphrase` makes one);
4. nothing configured: the local user is the admin, and the app only serves a server
   bound to this computer (127.0.0.1) unless PMHC_ALLOW_OPEN=1 says otherwise.

Anyone else sees a sign-in page and no data."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass

import streamlit as st

from pmhc.domain import access
from pmhc.domain.untrusted import escape_markdown
from pmhc.storage import audit, shares
from pmhc.storage.workspace import Workspace

LOCAL_ADDRESSES = ("127.0.0.1", "localhost", "::1")
OPEN_FLAG = "PMHC_ALLOW_OPEN"


@dataclass(frozen=True)
class Visitor:
    who: str  # account e-mail or subject, "local", "passphrase:<role>", "partner-link:<id>"
    role: str | None  # admin, analyst, viewer; None for a partner link
    method: str  # oidc, passphrase, local, open, share
    share: shares.Share | None = None

    @property
    def partner(self) -> bool:
        return self.method in ("share", "partner-server")

    def can(self, ability: str) -> bool:
        return not self.partner and access.can(self.role, ability)


def _workspace() -> Workspace:
    return Workspace.default()


def _secrets_section(name: str) -> dict:
    try:
        value = st.secrets.get(name)
    except Exception:  # no secrets.toml, or one that does not parse
        return {}
    return dict(value) if value else {}


def pmhc_secrets() -> dict:
    return _secrets_section("pmhc")


def oidc_provider() -> str | None:
    """'default' for a flat [auth] section, the name of its first provider section
    ([auth.microsoft]...), or None when no identity provider is configured."""
    section = _secrets_section("auth")
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
        return tomllib.loads(path.read_text()).get("roles", {})
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return {}


def visitor() -> Visitor:
    """The visitor `gate()` let in on this run (local admin outside the app's frame)."""
    return st.session_state.get("visitor") or Visitor("local", "admin", "local")


def gate() -> Visitor:
    """The visitor, or a sign-in page and st.stop() for anyone who may not see data."""
    ws = _workspace()
    found = _partner_server() or _partner_link(ws) or _signed_in(ws)
    st.session_state["visitor"] = found
    if not st.session_state.get("audited_sign_in"):
        st.session_state["audited_sign_in"] = True
        action = "share-use" if found.share else "sign-in"
        details = {"link": found.share.id} if found.share else {"method": found.method}
        audit.record(ws.folder, found.who, found.role, action, **details)
    return found


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
    share = shares.verify(ws.folder, token) if token is not None else None
    if share is None and share_id:  # checked again on every run: revocation applies now
        share = next((s for s in shares.load(ws.folder) if s.id == share_id), None)
        share = share if share and share.status() == "active" else None
    if share is None:
        if not st.session_state.get("audited_refusal"):
            st.session_state["audited_refusal"] = True
            audit.record(ws.folder, "anonymous", None, "share-refused")
        st.session_state.pop("share_id", None)
        st.title("This link does not open anything")
        st.write(
            "It may have expired or been withdrawn, or it was copied incompletely. "
            "Ask the agency that shared it for a new link."
        )
        st.stop()
    st.session_state["share_id"] = share.id
    return Visitor(f"partner-link:{share.id}", None, "share", share)


def _signed_in(ws: Workspace) -> Visitor:
    provider = oidc_provider()
    if provider:
        return _oidc(ws, provider)
    phrases = pmhc_secrets().get("passphrases")
    if phrases:
        return _passphrase(ws, dict(phrases))
    return _local()


def _oidc(ws: Workspace, provider: str) -> Visitor:
    if not st.user.is_logged_in:
        st.title("PMHC Dashboard")
        st.write("Sign in with your agency account to see the dashboard.")
        if st.button("Sign in", type="primary", icon=":material/login:", key="sign-in"):
            st.login() if provider == "default" else st.login(provider)
        st.stop()
    email = str(st.user.get("email") or st.user.get("sub") or "")
    claim = pmhc_secrets().get("groups_claim", "groups")
    groups = st.user.get(claim) or []
    role = access.role_for(
        email, groups if isinstance(groups, list) else [groups], role_mapping(ws)
    )
    if role is None:
        if not st.session_state.get("audited_refusal"):
            st.session_state["audited_refusal"] = True
            audit.record(ws.folder, email, None, "sign-in-refused")
        st.title("No access yet")
        st.write(
            f"You are signed in as {escape_markdown(email)}, but this account has no role "
            "on this dashboard. Ask the dashboard's administrator to add you."
        )
        if st.button("Sign out", key="sign-out-refused"):
            st.logout()
        st.stop()
    return Visitor(email, role, "oidc")


def _passphrase(ws: Workspace, phrases: dict) -> Visitor:
    role = st.session_state.get("passphrase_role")
    if role:
        return Visitor(f"passphrase:{role}", role, "passphrase")
    st.title("PMHC Dashboard")
    with st.form("passphrase"):
        typed = st.text_input("Passphrase", type="password")
        sent = st.form_submit_button("Enter", type="primary")
    if sent:
        for candidate in reversed(access.ROLES):  # the most able role whose phrase fits
            stored = phrases.get(candidate)
            if stored and access.check_passphrase(typed, str(stored)):
                st.session_state["passphrase_role"] = candidate
                st.rerun()
        audit.record(ws.folder, "anonymous", None, "sign-in-refused", method="passphrase")
        st.error("That passphrase is not right.")
    st.stop()


def serving_locally() -> bool:
    address = (st.get_option("server.address") or "").strip("[]")
    return address in LOCAL_ADDRESSES


def _local() -> Visitor:
    if serving_locally():
        return Visitor("local", "admin", "local")
    if os.environ.get(OPEN_FLAG, "").lower() in ("1", "true", "yes"):
        return Visitor("open", "admin", "open")
    st.title("Sign-in is not set up")
    st.write(
        "This server answers on a network address, and no identity provider or passphrase "
        "is configured, so it shows nothing. Configure sign-in in .streamlit/secrets.toml "
        "(see docs/deploy.md), serve on 127.0.0.1 only, or set "
        f"{OPEN_FLAG}=1 to let anyone who reaches this address in as an administrator."
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
            f":material/warning: **Open server.** No sign-in is configured and {OPEN_FLAG} "
            "lets anyone who reaches it in as an administrator."
        )
        return
    st.caption(f":material/person: {escape_markdown(v.who)} · {v.role}")
    if st.button("Sign out", key="sign-out", icon=":material/logout:"):
        if v.method == "oidc":
            st.logout()
        for key in ("passphrase_role", "visitor", "audited_sign_in", "dataset_id"):
            st.session_state.pop(key, None)
        st.rerun()
