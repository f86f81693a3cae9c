"""What partners see: the published release, the draft an analyst previews and publishes,
and the partner links that open the published release with no account."""

from __future__ import annotations

from collections.abc import Callable

from pmhc.application import figures
from pmhc.application.actor import Actor
from pmhc.application.guard import RELEASE, audit, read, write
from pmhc.storage import dataset, releases, shares
from pmhc.storage.workspace import Workspace

Share = shares.Share
MAX_DAYS = shares.MAX_DAYS  # the longest a partner link lasts
Draft = tuple[releases.Release, str]
DraftBuilder = Callable[[Workspace, dataset.Dataset, str], Draft]


@read(RELEASE, "see the partner release")
def published(ws: Workspace, actor: Actor) -> releases.Release | None:
    """The release partners see now; None when nothing is published."""
    return releases.load(ws.folder)


@read(RELEASE, "see the partner release")
def published_version(ws: Workspace, actor: Actor) -> tuple[str | None, dict | None]:
    """(version partners see, when and from what it was published)."""
    return releases.current_version(ws.folder), releases.publish_record(ws.folder)


@read("view", "preview the partner release")
def draft(
    ws: Workspace,
    actor: Actor,
    ds: dataset.Dataset,
    ds_id: str,
    builder: DraftBuilder | None = None,
) -> Draft:
    """(release, why it must be a revision or ''): what publishing the dataset in view
    would give partners. `builder` lets the app cache the build."""
    return (builder or figures.draft_release)(ws, ds, ds_id)


@write("edit", "publish for partners")
def publish(
    ws: Workspace,
    actor: Actor,
    ds_id: str | None,
    revise: bool = False,
    ds: dataset.Dataset | None = None,
) -> tuple[releases.Release, str]:
    """Publish the dataset's release (`ds`, when the caller has it open); the release
    and where it was written. InputError when these data cannot continue the history
    partners have and `revise` was not asked for."""
    opened = ds if ds is not None else figures.read_dataset(ws, ds_id)
    release, _ = figures.draft_release(ws, opened, ds_id or "sample", revise)
    before = releases.current_version(ws.folder)
    source = ds_id if figures.is_stored(ds_id) else "sample"
    target = releases.publish(ws.folder, release, {"dataset": source})
    version = release.fingerprint()[:16]
    audit(ws, actor, "publish", before=before and before[:16], after=version, dataset=source)
    return release, str(target)


@read("admin", "see the partner links")
def links(ws: Workspace, actor: Actor) -> list[shares.Share]:
    return shares.load(ws.folder)


@write("admin", "create partner links")
def create_link(
    ws: Workspace, actor: Actor, label: str, days: int = 90
) -> tuple[str, shares.Share]:
    """(token, link): the token is shown once and never stored."""
    token, share = shares.create(ws.folder, label, int(days))
    audit(ws, actor, "share-create", before=None, after=share.id, link=share.id, days=int(days))
    return token, share


@write("admin", "revoke partner links")
def revoke_link(ws: Workspace, actor: Actor, share_id: str) -> shares.Share:
    share = shares.revoke(ws.folder, share_id)
    audit(ws, actor, "share-revoke", before="active", after="revoked", link=share.id)
    return share


# --- before anyone acts: what a link opens (the sign-in gate, pmhc.ui.auth) --------------


def link_for_token(ws: Workspace, token: str | None) -> shares.Share | None:
    """The active link this token opens (None: wrong, revoked or expired alike)."""
    return shares.verify(ws.folder, token)


def active_link(ws: Workspace, share_id: str) -> shares.Share | None:
    """The link still active under this id (revocation applies at the next run)."""
    found = next((s for s in shares.load(ws.folder) if s.id == share_id), None)
    return found if found and found.status() == "active" else None
