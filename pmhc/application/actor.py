"""Who is acting: a small frozen value built once per request from the verified identity
(`pmhc.ui.auth`) or, on the command line, the local operator. Use cases decide from it and
never from what a page chose to draw."""

from __future__ import annotations

from dataclasses import dataclass

from pmhc.domain import access

USER, PARTNER, SIGNED_OUT = "user", "partner", "signed-out"


@dataclass(frozen=True)
class Actor:
    who: str  # what the audit log names: an e-mail, ISSUER#SUB, "local", "partner-link:<id>"
    role: str | None = None  # admin, analyst or viewer for a user; None otherwise
    kind: str = USER  # user, partner (a link or a partner server) or signed-out
    share_id: str | None = None  # the partner link's id

    @property
    def signed_in(self) -> bool:
        return self.kind == USER and self.role in access.ROLES

    @property
    def partner(self) -> bool:
        return self.kind == PARTNER

    def can(self, ability: str) -> bool:
        return self.signed_in and access.can(self.role, ability)


def user(who: str, role: str) -> Actor:
    return Actor(who, role, USER)


def partner_link(share_id: str | None) -> Actor:
    """A partner link (or, with no id, a server started for partners only)."""
    who = f"partner-link:{share_id}" if share_id else "partner-server"
    return Actor(who, None, PARTNER, share_id)


SIGNED_OUT_ACTOR = Actor("anonymous", None, SIGNED_OUT)
# The command line runs as the person at the terminal, who owns the workspace's files.
OPERATOR = Actor("command-line", "admin", USER)
