"""Who may do what: roles from a small mapping of e-mails, domains and groups, and the
passphrase hash for an agency with no identity provider.

Roles, from least to most: viewer (reads the internal pages), analyst (also uploads
data, edits rules, settings, answers and actions), admin (also reads the audit log and
manages partner links). A partner link is not a role: it opens the partner view only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

ROLES = ("viewer", "analyst", "admin")
ABILITIES = {
    "view": "viewer",
    "upload": "analyst",
    "edit": "analyst",
    "admin": "admin",
}

# scrypt cost: 2**15 x 8 x 1 takes ~0.1 s and 32 MiB, enough against offline guessing of
# a leaked hash, cheap enough for one check per sign-in.
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_MAXMEM = 64 * 1024 * 1024


def can(role: str | None, ability: str) -> bool:
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(ABILITIES[ability])


def role_for(email: str | None, groups: Iterable[str], mapping: Mapping) -> str | None:
    """The highest role the mapping gives to this e-mail or any of these groups.

    `mapping` is {role: [entries]} where an entry is an e-mail ("ana@agency.gov"), a
    domain ("@agency.gov"), a group ("group:pmhc-analysts") or "*" (any signed-in user);
    an optional "default" key names the role of a signed-in user no entry matches."""
    email = (email or "").strip().casefold()
    wanted = {f"group:{g}".casefold() for g in groups if isinstance(g, str)}
    if email:
        wanted |= {email, "@" + email.rpartition("@")[2], "*"}
    for role in reversed(ROLES):
        entries = mapping.get(role) or []
        if isinstance(entries, str):
            entries = [entries]
        if any(str(e).strip().casefold() in wanted for e in entries):
            return role
    default = mapping.get("default")
    return default if default in ROLES and email else None


def hash_passphrase(passphrase: str) -> str:
    """'scrypt$n$r$p$salt$hash' (base64): what goes into secrets.toml, never the phrase."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(passphrase.encode(), salt=salt, maxmem=_MAXMEM, **_SCRYPT)
    parts = [str(_SCRYPT[k]) for k in ("n", "r", "p")]
    return "$".join(["scrypt", *parts, _b64(salt), _b64(digest)])


def check_passphrase(passphrase: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            passphrase.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
