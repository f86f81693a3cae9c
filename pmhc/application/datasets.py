"""Datasets: reading an upload for the user to check, confirming it, appending next
month's export, renaming, deleting and choosing the dataset in view, and re-applying
edited rules to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pmhc.analysis.filters import Filters
from pmhc.application import figures
from pmhc.application.actor import Actor
from pmhc.application.guard import audit, read, versioned, write
from pmhc.domain.errors import InputError
from pmhc.ingest import profiles
from pmhc.present import views
from pmhc.storage import dataset, uploads
from pmhc.storage import datasets as store
from pmhc.storage.workspace import Workspace

Loader = Callable[[Workspace, str | None], dataset.Dataset]


# --- reads -------------------------------------------------------------------------------


@read("view", "see the saved datasets")
def list_datasets(ws: Workspace, actor: Actor) -> list[store.Saved]:
    return store.list_saved(ws.datasets_dir)


@read("view", "see a dataset")
def open_dataset(
    ws: Workspace, actor: Actor, ds_id: str | None, loader: Loader | None = None
) -> tuple[dataset.Dataset, str]:
    """(dataset, id): a saved dataset, or the sample (read under the workspace's MH routes)
    for none or one no longer saved. `loader` lets the app cache the reading."""
    load = loader or figures.read_dataset
    if figures.is_stored(ds_id) and store.exists(ws.datasets_dir, str(ds_id)):
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
    return store.name_of(ws.datasets_dir, ds_id) if figures.is_stored(ds_id) else ""


@read("view", "see a dataset")
def last_choice(ws: Workspace, actor: Actor) -> str | None:
    """The dataset this user chose last (None: the sample)."""
    return store.last_choice(ws.datasets_dir, actor.who)


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
    """The checked upload saved as a dataset and made this user's choice."""
    if not any(r.kind for r in new.reports):
        raise InputError("Nothing in these files could be loaded; pick how to read a sheet.")
    before = store.last_choice(ws.datasets_dir, actor.who)
    store.save(ws.datasets_dir, new, new_id, name=name)
    store.remember_choice(ws.datasets_dir, actor.who, new_id)
    audit(ws, actor, "upload", before=before, after=new_id, dataset=new_id, **_loaded(new))
    return new_id


@write("upload", "upload data")
def append_export(
    ws: Workspace, actor: Actor, base_id: str, new: dataset.Dataset, new_id: str
) -> tuple[str, int, int, int]:
    """(dataset id, incidents added, replaced, total): next month's export added to a saved
    dataset, incidents already there replaced by the export's copy."""
    if not store.exists(ws.datasets_dir, base_id):
        raise InputError("Load or choose a saved dataset before adding an export to it.")
    base = store.load(ws.datasets_dir, base_id)
    if base.calls is None or new.calls is None:
        raise InputError("Only a calls export can be added to a dataset with calls.")
    combined, combined_id, replaced = uploads.append_to(ws, base, base_id, new, new_id)
    total = 0 if combined.calls is None else len(combined.calls)
    added = total - len(base.calls)
    store.remember_choice(ws.datasets_dir, actor.who, combined_id)
    audit(
        ws,
        actor,
        "dataset-append",
        before={"dataset": base_id, "incidents": len(base.calls)},
        after={"dataset": combined_id, "incidents": total},
        replaced=replaced,
        **_loaded(new),
    )
    return combined_id, added, replaced, total


@write("upload", "upload data")
def load_files(ws: Workspace, actor: Actor, paths: list[str]) -> tuple[dataset.Dataset, str]:
    """The command line's `load`: files read as an upload is, refused whole when one of
    them holds nothing loadable (the workspace keeps what it had), then confirmed."""
    figures.read_files(ws, paths)  # raises, with its reason, for a file with nothing to load
    payload = [(Path(p).name, Path(p).read_bytes()) for p in paths]
    ds, ds_id = uploads.ingest_uploads(ws, payload, {})
    before = store.last_choice(ws.datasets_dir, actor.who)
    store.save(ws.datasets_dir, ds, ds_id)
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
    return ds, ds_id


@write("edit", "rename a dataset")
def rename_dataset(
    ws: Workspace, actor: Actor, ds_id: str, name: str, based_on: object = None
) -> str:
    before = store.name_of(ws.datasets_dir, ds_id)
    versioned(store.rename, based_on, ws.datasets_dir, ds_id, name)
    after = store.name_of(ws.datasets_dir, ds_id)
    audit(ws, actor, "dataset-rename", before=before, after=after, dataset=ds_id)
    return after


@write("edit", "delete a dataset")
def delete_dataset(ws: Workspace, actor: Actor, ds_id: str) -> None:
    if not store.exists(ws.datasets_dir, ds_id):
        raise InputError("That dataset is no longer in the workspace.")
    before = store.name_of(ws.datasets_dir, ds_id)
    store.delete(ws.datasets_dir, ds_id)
    if store.last_choice(ws.datasets_dir, actor.who) is None:
        store.remember_choice(ws.datasets_dir, actor.who, None)
    audit(ws, actor, "dataset-delete", before=before, after=None, dataset=ds_id)


@write("view", "choose a dataset")
def choose_dataset(ws: Workspace, actor: Actor, ds_id: str | None) -> str | None:
    """Show `ds_id` (None: the sample) to this user from now on."""
    if ds_id is not None and not store.exists(ws.datasets_dir, ds_id):
        raise InputError("That dataset is no longer in the workspace.")
    before = store.last_choice(ws.datasets_dir, actor.who)
    store.remember_choice(ws.datasets_dir, actor.who, ds_id)
    audit(ws, actor, "dataset-switch", before=before, after=ds_id, dataset=ds_id or "sample")
    return ds_id


@write("edit", "re-apply the rules")
def reapply_rules(ws: Workspace, actor: Actor, ds_id: str | None) -> str | None:
    """The workspace's rules and MH routes applied again to a saved dataset, saved as a
    new dataset with its name and settings; None for the sample (it re-reads itself)."""
    after = apply_rules(ws, actor, ds_id)
    audit(ws, actor, "rules-apply", before=ds_id, after=after or ds_id)
    return after


def apply_rules(ws: Workspace, actor: Actor, ds_id: str | None) -> str | None:
    """`reapply_rules` inside a use case that checked the actor and audits its edit."""
    redone = uploads.reapply_rules(ws, ds_id if figures.is_stored(ds_id) else None)
    if redone is None:
        return None
    store.remember_choice(ws.datasets_dir, actor.who, redone[1])
    return redone[1]


@write("upload", "save a mapping profile")
def save_profile(ws: Workspace, actor: Actor, name: str, proposal, all_mh: bool) -> str:
    path = profiles.save_profile(ws.profiles_dir, uploads.profile_from(name, proposal, all_mh))
    audit(ws, actor, "profile-save", kind=proposal.kind, before=None, after=name)
    return str(path)
