"""Who may do what: roles from a small mapping of accounts (issuer and subject), groups and
verified e-mails, and the passphrase hash for an agency with no identity provider.

Roles, from least to most: viewer (reads the internal pages), analyst (also uploads
data, edits rules, settings, answers and actions), admin (also reads the audit log and
manages partner links). A partner link is not a role: it opens the partner view only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Identity:
    """Who the identity provider signed in, as its ID token says.

    `issuer` and `subject` (the `iss` and `sub` claims) name an account for good: `sub` is
    never reassigned and the user cannot change it. An e-mail address is only a label
    unless the provider says it verified it and the deployment trusts that provider's
    e-mails (an Entra ID user can put any address in `email`: the "nOAuth" pattern)."""

    issuer: str
    subject: str
    email: str = ""
    email_verified: bool = False
    groups: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """'ISSUER#SUB': the account's roles entry (an issuer has no '#', OIDC Core 2)."""
        return f"{self.issuer}#{self.subject}" if self.issuer and self.subject else ""

    @property
    def label(self) -> str:
        return self.email or self.key


def verified(value: object) -> bool:
    """The `email_verified` claim: JSON true (some providers send the string "true")."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def role_for(
    who: Identity, mapping: Mapping, trusted_email_issuers: Iterable[str] = ()
) -> str | None:
    """The highest role the mapping gives to this account, compared exactly (no case folding).

    `mapping` is {role: [entries]} where an entry is an account ("sub:ISSUER#SUB"), a group
    from the token ("group:pmhc-analysts"), "*" (anyone the provider signs in), or an e-mail
    ("ana@agency.gov") or domain ("@agency.gov") that counts only when the token says
    `email_verified` and the issuer is in `trusted_email_issuers`. An optional "default"
    key names the role of a signed-in account no entry matches."""
    if not who.key:
        return None
    wanted = {f"sub:{who.key}", "*"} | {f"group:{g}" for g in who.groups if isinstance(g, str)}
    if who.email and who.email_verified and who.issuer in set(trusted_email_issuers):
        wanted |= {who.email, "@" + who.email.rpartition("@")[2]}
    for role in reversed(ROLES):
        entries = mapping.get(role) or []
        if isinstance(entries, str):
            entries = [entries]
        if any(isinstance(e, str) and e.strip() in wanted for e in entries):
            return role
    default = mapping.get("default")
    return default if default in ROLES else None


def mapping_problem(mapping: object) -> str | None:
    """One sentence saying what is wrong with a roles mapping, or None when it is sound."""
    if not isinstance(mapping, Mapping):
        return "[pmhc.roles] must be a table of roles."
    for role, entries in mapping.items():
        if role == "default":
            if entries not in ROLES:
                return f"[pmhc.roles] default must be one of {', '.join(ROLES)}."
            continue
        if role not in ROLES:
            return f"[pmhc.roles] has an unknown role {role!r}; use {', '.join(ROLES)}."
        listed = [entries] if isinstance(entries, str) else entries
        if not isinstance(listed, list) or not all(isinstance(e, str) for e in listed):
            return f"[pmhc.roles] {role} must be a list of text entries."
    return None


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


def passphrase_role(typed: str, phrases: Mapping) -> str | None:
    """The most able role whose passphrase this is, with the same work whatever is typed:
    one scrypt run per role, the roles with no passphrase checked against a stand-in hash,
    and no early exit, so the time taken says nothing about which phrase came close."""
    found = None
    for role in ROLES:
        stored = phrases.get(role)
        fits = check_passphrase(typed, str(stored) if stored else _stand_in())
        if fits and stored:
            found = role  # ROLES runs from least to most able: the last fit wins
    return found


def passphrase_problem(phrases: object) -> str | None:
    """One sentence saying what is wrong with [pmhc.passphrases], or None."""
    if not isinstance(phrases, Mapping):
        return "[pmhc.passphrases] must be a table of roles."
    for role, stored in phrases.items():
        if role not in ROLES:
            return f"[pmhc.passphrases] has an unknown role {role!r}; use {', '.join(ROLES)}."
        parts = str(stored).split("$")
        if len(parts) != 6 or parts[0] != "scrypt" or not all(x.isdigit() for x in parts[1:4]):
            return f"[pmhc.passphrases] {role} is not a hash from 'python -m pmhc passphrase'."
    return None


_STAND_IN: list[str] = []


def _stand_in() -> str:
    if not _STAND_IN:
        _STAND_IN.append(hash_passphrase(secrets.token_urlsafe(16)))
    return _STAND_IN[0]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
