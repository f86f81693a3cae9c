"""Partner links: a random token (256 bits, URL-safe) that opens the partner view with no
account. Only the token's SHA-256 is stored, with a label, an expiry and whether it was
revoked; the token itself is shown once, when the link is created.

`shares.json` in the workspace, 0600, rewritten atomically under the workspace lock."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pmhc.domain.errors import InputError
from pmhc.storage import files

FILE = "shares.json"
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
    try:
        rows = json.loads((Path(folder) / FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return []
    return [Share(**r) for r in rows]


def _save(folder: Path, shares: list[Share]) -> None:
    files.write_atomic(Path(folder) / FILE, json.dumps([asdict(s) for s in shares], indent=2))


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
        created=now.isoformat(timespec="seconds"),
        expires=(now + timedelta(days=days)).isoformat(timespec="seconds"),
    )
    with files.locked(folder):
        _save(folder, [*load(folder), share])
    return token, share


def revoke(folder: Path, share_id: str) -> Share:
    with files.locked(folder):
        shares = load(folder)
        match = [s for s in shares if s.id == share_id]
        if not match:
            raise InputError(f"No partner link has the id {share_id!r}; see 'share list'.")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        updated = [
            Share(**{**asdict(s), "revoked": s.revoked or now}) if s.id == share_id else s
            for s in shares
        ]
        _save(folder, updated)
    return next(s for s in updated if s.id == share_id)


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
