"""Datasets: reading an upload for the user to check, confirming it, appending next
month's export, renaming, deleting and choosing the dataset in view, and re-applying
edited rules to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pmhc.analysis.filters import Filters
from pmhc.application import figures
from pmhc.application.actor import Actor
from pmhc.application.errors import Denied
from pmhc.application.guard import audit, read, require, write
from pmhc.domain.errors import InputError
from pmhc.ingest import profiles
from pmhc.storage import dataset, uploads
from pmhc.storage import datasets as store
from pmhc.storage.workspace import Workspace

if TYPE_CHECKING:  # the views pull in the charts' library, which `summarize` never needs
    from pmhc.present import views

Loader = Callable[[Workspace, str | None], dataset.Dataset]
Saved = store.Saved
Version = store.Version
AGENCY = store.AGENCY  # a dataset every role may list and open (else its owner's draft)
UNSEEN = "That dataset is another person's draft: its owner or an administrator can open it."


def _visible(ws: Workspace, actor: Actor, ds_id: str) -> store.Saved:
    """The dataset `ds_id` names (its id or any version's) if this actor may see it:
    viewers the agency's datasets, analysts those and their own drafts, admins all."""
    saved = store.dataset_record(ws.datasets_dir, ds_id)
    if saved is None:
        raise InputError("That dataset is no longer in the workspace.")
    if not store.can_see(saved, actor.who, actor.role):
        raise Denied(UNSEEN)
    return saved


# --- reads -------------------------------------------------------------------------------


@read("view", "see the saved datasets")
def list_datasets(ws: Workspace, actor: Actor) -> list[store.Saved]:
    """The datasets this user may list and open, newest first (drafts: their owner's)."""
    return store.list_datasets(ws.datasets_dir, user=actor.who, role=actor.role)


@read("view", "see a dataset")
def open_dataset(
    ws: Workspace, actor: Actor, ds_id: str | None, loader: Loader | None = None
) -> tuple[dataset.Dataset, str]:
    """(dataset, id): a saved dataset (the version `ds_id` names), or the sample (read under
    the workspace's MH routes) for none or one no longer saved. Denied for another
    person's draft. `loader` lets the app cache the reading."""
    load = loader or figures.read_dataset
    if figures.is_stored(ds_id) and store.exists(ws.datasets_dir, str(ds_id)):
        _visible(ws, actor, str(ds_id))
        return load(ws, ds_id), str(ds_id)
    return load(ws, None), figures.sample_id(ws)


@read("view", "see the figures")
def page_figures(
    ws: Workspace,
    actor: Actor,
    ds: dataset.Dataset,
    page: str,
    values: dict,
    f: Filters | None = None,
    answers: dict | None = None,
    builder: Callable[[], views.View] | None = None,
    **options,
) -> views.View:
    """A page's figures for the dataset in view under its settings (`figures.page_view`);
    `builder` lets the app serve the same computation from its cache."""
    if builder is not None:
        return builder()
    return figures.page_view(ds, page, values, f, answers, **options)


@read("view", "see a dataset")
def dataset_name(ws: Workspace, actor: Actor, ds_id: str) -> str:
    if not figures.is_stored(ds_id) or store.dataset_record(ws.datasets_dir, ds_id) is None:
        return ""
    return _visible(ws, actor, ds_id).name


@read("view", "see a dataset")
def dataset_record(ws: Workspace, actor: Actor, ds_id: str) -> store.Saved | None:
    """The dataset in view as listed (its owner, status and record version: what an
    edit of it passes back as `based_on`); None for the sample or one no longer saved."""
    if not figures.is_stored(ds_id) or store.dataset_record(ws.datasets_dir, ds_id) is None:
        return None
    return _visible(ws, actor, ds_id)


@read("view", "see a dataset")
def dataset_versions(ws: Workspace, actor: Actor, ds_id: str) -> list[store.Version]:
    """The dataset's versions, oldest first: what each added, who and when."""
    _visible(ws, actor, ds_id)
    return store.versions(ws.datasets_dir, ds_id)


@read("view", "see a dataset")
def last_choice(ws: Workspace, actor: Actor) -> str | None:
    """The dataset this user chose last, as it is now (None: the sample, or a dataset
    they may no longer see)."""
    chosen = store.last_choice(ws.datasets_dir, actor.who)
    saved = store.dataset_record(ws.datasets_dir, chosen) if chosen else None
    return chosen if saved and store.can_see(saved, actor.who, actor.role) else None


@read("upload", "upload data")
def preview_upload(
    ws: Workspace,
    actor: Actor,
    files: list[tuple[str, bytes]],
    choices: dict,
    progress: Callable[[str], None] | None = None,
) -> tuple[dataset.Dataset, str]:
    """Files read and checked, not saved: the user confirms before anything changes."""
    return uploads.ingest_uploads(ws, files, choices, progress)


# --- writes ------------------------------------------------------------------------------


def _loaded(ds: dataset.Dataset) -> dict:
    return {
        "rows_in": ds.rows_in,
        "rows_loaded": sum(r.rows_loaded for r in ds.reports),
        "kinds": sorted({r.kind for r in ds.reports if r.kind}),
    }


@write("upload", "upload data")
def confirm_upload(
    ws: Workspace, actor: Actor, new: dataset.Dataset, new_id: str, name: str | None = None
) -> str:
    """The checked upload saved as this user's draft and made their choice."""
    if not any(r.kind for r in new.reports):
        raise InputError("Nothing in these files could be loaded; pick how to read a sheet.")
    before = store.last_choice(ws.datasets_dir, actor.who)
    if store.dataset_record(ws.datasets_dir, new_id) is not None:
        _visible(ws, actor, new_id)  # the same files again: someone's dataset already
    store.save(ws.datasets_dir, new, new_id, name=name, by=actor.who)
    store.remember_choice(ws.datasets_dir, actor.who, new_id)
    audit(ws, actor, "upload", before=before, after=new_id, dataset=new_id, **_loaded(new))
    return new_id


@write("upload", "upload data")
def append_export(
    ws: Workspace,
    actor: Actor,
    base_id: str,
    new: dataset.Dataset,
    new_id: str,
    based_on: int | None = None,
) -> tuple[str, int, int, int]:
    """(tables id, incidents added, replaced, total): next month's export added to a saved
    dataset as its next version (same name, settings and actions), incidents already there
    replaced by the export's copy. `based_on`: the dataset's record version the user saw
    (StaleEdit, nothing saved, when someone changed the dataset since)."""
    if not figures.is_stored(base_id) or store.dataset_record(ws.datasets_dir, base_id) is None:
        raise InputError("Load or choose a saved dataset before adding an export to it.")
    saved = _visible(ws, actor, base_id)
    base = store.load(ws.datasets_dir, saved.id)  # its current version
    if base.calls is None or new.calls is None:
        raise InputError("Only a calls export can be added to a dataset with calls.")
    combined, combined_id, replaced = uploads.append_to(
        ws, base, saved.id, new, new_id, by=actor.who, expected_version=based_on
    )
    total = 0 if combined.calls is None else len(combined.calls)
    added = total - len(base.calls)
    store.remember_choice(ws.datasets_dir, actor.who, combined_id)
    audit(
        ws,
        actor,
        "dataset-append",
        before={"version": saved.version, "incidents": len(base.calls)},
        after={"version": saved.version + 1, "incidents": total},
        dataset=saved.dataset,
        replaced=replaced,
        **_loaded(new),
    )
    return combined_id, added, replaced, total


def appended(added: int, replaced: int) -> str:
    """The one sentence an append ends with."""
    return uploads.appended(added, replaced)


@write("upload", "upload data")
def load_files(
    ws: Workspace, actor: Actor, paths: list[str], agency: bool = False
) -> tuple[dataset.Dataset, store.Saved]:
    """The command line's `load`: files read as an upload is, refused whole when one of
    them holds nothing loadable (the workspace keeps what it had), then confirmed as the
    loader's draft, as an upload in the app is; `agency`: made the agency's at once (an
    analyst's decision, audited as `make_agency` is). The dataset as listed after."""
    figures.read_files(ws, paths)  # raises, with its reason, for a file with nothing to load
    payload = [(Path(p).name, Path(p).read_bytes()) for p in paths]
    ds, ds_id = uploads.ingest_uploads(ws, payload, {})
    before = store.last_choice(ws.datasets_dir, actor.who)
    store.save(ws.datasets_dir, ds, ds_id, by=actor.who)
    store.remember_choice(ws.datasets_dir, actor.who, ds_id)
    audit(
        ws,
        actor,
        "upload",
        before=before,
        after=ds_id,
        dataset=ds_id,
        files=len(payload),
        **_loaded(ds),
    )
    saved = _visible(ws, actor, ds_id)
    if agency and saved.status != store.AGENCY:
        require(actor, "edit", "make a dataset the agency's")
        store.make_agency(ws.datasets_dir, ds_id, by=actor.who)
        audit(ws, actor, "dataset-agency", before=saved.status, after=store.AGENCY, dataset=ds_id)
        saved = _visible(ws, actor, ds_id)
    return ds, saved


@write("edit", "rename a dataset")
def rename_dataset(
    ws: Workspace, actor: Actor, ds_id: str, name: str, based_on: int | None = None
) -> str:
    """`based_on`: the dataset's record version the user renamed from (StaleEdit when
    someone changed it since)."""
    before = _visible(ws, actor, ds_id).name
    store.rename(ws.datasets_dir, ds_id, name, by=actor.who, expected_version=based_on)
    after = store.name_of(ws.datasets_dir, ds_id)
    audit(ws, actor, "dataset-rename", before=before, after=after, dataset=ds_id)
    return after


@write("edit", "delete a dataset")
def delete_dataset(ws: Workspace, actor: Actor, ds_id: str) -> None:
    """The dataset with all its versions and records."""
    if store.dataset_record(ws.datasets_dir, ds_id) is None:
        raise InputError("That dataset is no longer in the workspace.")
    before = _visible(ws, actor, ds_id).name
    store.delete(ws.datasets_dir, ds_id, by=actor.who)
    if store.last_choice(ws.datasets_dir, actor.who) is None:
        store.remember_choice(ws.datasets_dir, actor.who, None)
    audit(ws, actor, "dataset-delete", before=before, after=None, dataset=ds_id)


@write("view", "choose a dataset")
def choose_dataset(ws: Workspace, actor: Actor, ds_id: str | None) -> str | None:
    """Show `ds_id` (None: the sample) to this user from now on; Denied for another
    person's draft."""
    if ds_id is not None and not store.exists(ws.datasets_dir, ds_id):
        raise InputError("That dataset is no longer in the workspace.")
    if ds_id is not None:
        _visible(ws, actor, ds_id)
    before = store.last_choice(ws.datasets_dir, actor.who)
    store.remember_choice(ws.datasets_dir, actor.who, ds_id)
    audit(ws, actor, "dataset-switch", before=before, after=ds_id, dataset=ds_id or "sample")
    return ds_id


@write("edit", "make a dataset the agency's")
def make_agency(ws: Workspace, actor: Actor, ds_id: str, based_on: int | None = None) -> None:
    """An owner's draft becomes the agency's: every role may list and open it."""
    saved = _visible(ws, actor, ds_id)
    store.make_agency(ws.datasets_dir, ds_id, by=actor.who, expected_version=based_on)
    audit(ws, actor, "dataset-agency", before=saved.status, after=store.AGENCY, dataset=ds_id)


@write("edit", "undo a dataset's last change")
def undo_last(ws: Workspace, actor: Actor, ds_id: str, based_on: int | None = None) -> str:
    """The dataset's last version (an appended export, rules applied again) removed: the
    one before is shown again; its tables id. InputError when there is one version only."""
    saved = _visible(ws, actor, ds_id)
    after = store.undo_last(ws.datasets_dir, ds_id, by=actor.who, expected_version=based_on)
    store.remember_choice(ws.datasets_dir, actor.who, after.id)
    audit(
        ws,
        actor,
        "dataset-undo",
        before={"version": saved.version, "incidents": saved.incidents},
        after={"version": after.version, "incidents": after.incidents},
        dataset=saved.dataset,
    )
    return after.id


@write("edit", "re-apply the rules")
def reapply_rules(ws: Workspace, actor: Actor, ds_id: str | None) -> str | None:
    """The workspace's rules and MH routes applied again to a saved dataset, saved as its
    next version; None for the sample (it re-reads itself)."""
    after = apply_rules(ws, actor, ds_id)
    audit(ws, actor, "rules-apply", before=ds_id, after=after or ds_id)
    return after


def apply_rules(ws: Workspace, actor: Actor, ds_id: str | None) -> str | None:
    """`reapply_rules` inside a use case that checked the actor and audits its edit: the
    new version's tables id (None: the sample, or a dataset this actor may not see)."""
    if not figures.is_stored(ds_id):
        return None
    saved = store.dataset_record(ws.datasets_dir, str(ds_id))
    if saved is None or not store.can_see(saved, actor.who, actor.role):
        return None  # the rules are the workspace's; another's draft keeps its version
    redone = uploads.reapply_rules(ws, saved.id, by=actor.who)
    if redone is None:
        return None
    store.remember_choice(ws.datasets_dir, actor.who, redone[1])
    return redone[1]


@write("upload", "save a mapping profile")
def save_profile(ws: Workspace, actor: Actor, name: str, proposal, all_mh: bool) -> str:
    path = profiles.save_profile(ws.profiles_dir, uploads.profile_from(name, proposal, all_mh))
    audit(ws, actor, "profile-save", kind=proposal.kind, before=None, after=name)
    return str(path)
