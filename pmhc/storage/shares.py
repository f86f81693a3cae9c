"""Partner links: a random token (256 bits, URL-safe) that opens the partner view with no
account. Only the token's SHA-256 is stored, with a label, an expiry and whether it was
revoked; the token itself is shown once, when the link is created.

Kept in the workspace's database (pmhc.storage.db), one row per link."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from pmhc.domain.errors import InputError
from pmhc.storage import db

TOKEN_BYTES = 32  # 256 random bits; the issue asks for at least 128
MAX_DAYS = 366


@dataclass(frozen=True)
class Share:
    id: str  # short public handle for list/revoke: never enough to open the link
    token_hash: str
    label: str
    created: str
    expires: str
    revoked: str | None = None

    def status(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        if self.revoked:
            return "revoked"
        return "expired" if datetime.fromisoformat(self.expires) <= now else "active"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load(folder: Path) -> list[Share]:
    t = db.shares
    with db.read(folder) as (conn, ws):
        rows = conn.execute(sa.select(t).where(t.c.ws == ws).order_by(t.c.created, t.c.id))
        return [Share(r.id, r.token_hash, r.label, r.created, r.expires, r.revoked) for r in rows]


def create(folder: Path, label: str, days: int = 90) -> tuple[str, Share]:
    """(token, share). The token is returned once and never stored."""
    label = " ".join(str(label).split())
    if not label:
        raise InputError("Give the link a label that says who it is for, e.g. 'County CIT'.")
    if not 1 <= days <= MAX_DAYS:
        raise InputError(f"A link lasts from 1 to {MAX_DAYS} days; got {days}.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = datetime.now(UTC)
    share = Share(
        id=secrets.token_hex(4),
        token_hash=_hash(token),
        label=label[:80],
        # to the microsecond: links made in the same second still list in the order made
        created=now.isoformat(timespec="microseconds"),
        expires=(now + timedelta(days=days)).isoformat(timespec="seconds"),
    )
    with db.write(folder) as (conn, ws):
        conn.execute(db.shares.insert().values(ws=ws, **asdict(share)))
    return token, share


def revoke(folder: Path, share_id: str) -> Share:
    t = db.shares
    with db.write(folder) as (conn, ws):
        where = (t.c.ws == ws) & (t.c.id == str(share_id))
        row = conn.execute(sa.select(t).where(where)).first()
        if row is None:
            raise InputError(f"No partner link has the id {share_id!r}; see 'share list'.")
        if not row.revoked:
            conn.execute(t.update().where(where).values(revoked=db.now()))
    return next(s for s in load(folder) if s.id == share_id)


def verify(folder: Path, token: str | None) -> Share | None:
    """The active share this token opens, else None (wrong, revoked or expired alike)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    digest = _hash(token)
    found = None
    for share in load(folder):
        if hmac.compare_digest(share.token_hash, digest):
            found = share
    return found if found and found.status() == "active" else None
