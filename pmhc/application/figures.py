"""One path from a workspace to figures, used by the app, the command line, the meeting
pack and the partner release: the dataset opened as the app opens it (the sample read
under the workspace's MH routes), the settings kept with it (the sample's defaults
included), and the pages' scope built from every setting that changes a figure.

Nothing here checks who asks: these are the building blocks the guarded use cases
(`datasets`, `partners`, `report`) and the Streamlit caches call."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pmhc.analysis import indicators
from pmhc.analysis import release as builder
from pmhc.analysis.filters import Filters
from pmhc.analysis.history import Past
from pmhc.analysis.summary import summarize
from pmhc.domain.errors import InputError
from pmhc.ingest import pipeline as ingest
from pmhc.ingest import profiles
from pmhc.ingest.failures import UnreadableFile
from pmhc.ingest.reading import packaged_tables
from pmhc.storage import answers as answer_store
from pmhc.storage import dataset, releases, review_log, settings
from pmhc.storage import datasets as store
from pmhc.storage.workspace import Workspace, sample_files

if TYPE_CHECKING:  # the views pull in the charts' library, which `summarize` never needs
    from pmhc.present import views

SAMPLE_PREFIX = "sample:"


def routes(ws: Workspace) -> tuple[str, ...]:
    """How this workspace recognises a mental-health call (the Data page's setting)."""
    return settings.mh_routes(settings.load_settings(ws.folder))


def sample_id(ws: Workspace) -> str:
    """The sample's id names what it was read with: the rules' version and the routes."""
    return f"{SAMPLE_PREFIX}{ws.rules_version()}:{','.join(routes(ws))}"


def is_stored(ds_id: str | None) -> bool:
    return bool(ds_id) and not str(ds_id).startswith(SAMPLE_PREFIX) and ds_id != "sample"


def read_sample(ws: Workspace) -> dataset.Dataset:
    """The fictional agency's workbooks, read with the workspace's rules and MH routes."""
    ctx = ingest.Context(rules=ws.rules(), key=ws.key, mh_routes=routes(ws))
    loaded = [
        t for path in sample_files() for t in ingest.ingest_tables(packaged_tables(str(path)), ctx)
    ]
    return dataset.build(loaded, "Sample data", is_sample=True)


def read_dataset(ws: Workspace, ds_id: str | None) -> dataset.Dataset:
    """A saved dataset, or the sample for none (or a sample id)."""
    if is_stored(ds_id):
        return store.load(ws.datasets_dir, str(ds_id))
    return read_sample(ws)


def read_files(
    ws: Workspace,
    paths: list[str],
    mapping_files: list[str] | None = None,
    all_mh: bool = False,
) -> dataset.Dataset:
    """Exports read for `summarize` with the workspace's rules, profiles and MH routes (and
    saved mapping profiles given by name), never saved; UnreadableFile for a file with
    nothing to load."""
    saved = [profiles.load_profile(Path(p)) for p in mapping_files or []] + ws.profiles()
    ctx = ingest.Context(
        rules=ws.rules(), key=ws.key, profiles=saved, all_mh=all_mh, mh_routes=routes(ws)
    )
    loaded = []
    for path in paths:
        tables = ingest.ingest_file(path, ctx)
        if not any(t.report.kind for t in tables):
            raise UnreadableFile(nothing_loaded(Path(path).name, [t.report for t in tables]))
        loaded.extend(tables)
    return dataset.build(loaded, ", ".join(Path(p).name for p in paths))


GENERIC_NOTES = ("No header row with recognisable columns", "The sheet is empty.")


def nothing_loaded(name: str, reports: list) -> str:
    """Why no sheet of a file was loaded: the most specific reason a sheet gave."""
    for r in reports:
        note = (r.note or "").strip()
        if note and not note.startswith(GENERIC_NOTES):
            where = f"sheet {r.sheet!r}" if r.sheet else "the file"
            reason = note[0].lower() + note[1:].rstrip(".")
            return (
                f"{name} holds no calls, training, roster or services records that could be "
                f"loaded: in {where}, {reason}."
            )
    return (
        f"{name} holds no calls, training, roster or services records that could be "
        "recognised (no header row with known column names in its first 40 rows); "
        "check it is the export itself, or save a mapping profile for it in the app."
    )


def values(ws: Workspace, ds_id: str | None, is_sample: bool) -> dict:
    """The settings a dataset's figures are computed under: the workspace's, the
    dataset's own, and the sample agency's programme start for the sample."""
    own = settings.load_settings(ws.folder, ds_id if is_stored(ds_id) else None)
    return settings.with_sample_defaults(own, is_sample)


def answers(ws: Workspace) -> dict:
    """The self-assessment answers, each with its version and who saved it last."""
    return answer_store.load(ws.folder)


def records_folder(ws: Workspace, ds_id: str | None):
    """Where a dataset's actions, their history and its meeting log are kept."""
    return settings.dataset_folder(ws.folder, ds_id if is_stored(ds_id) else None)


# What the tracker keeps about each row for its editor (the version it read, who changed
# it last): never shown to partners nor in a figure, pack or release.
BOOKKEEPING = ["version", "changed_by", "changed_at"]


def actions(ws: Workspace, ds_id: str | None) -> pd.DataFrame:
    """The tracker as an editor starts from: with each row's id, version and who changed
    it (pass it back as the edit's base)."""
    return review_log.load_actions(records_folder(ws, ds_id))


def shown_actions(ws: Workspace, ds_id: str | None) -> pd.DataFrame:
    """The tracker as packs and releases show it: its id and content only."""
    return actions(ws, ds_id).drop(columns=BOOKKEEPING, errors="ignore")


def scope(
    ds: dataset.Dataset, values_: dict, f: Filters | None = None, answers_: dict | None = None
) -> views.Scope:
    """The pages' scope under every setting (the pack builds its own with the same call)."""
    # Imported here: the pack's module pulls in its writers' libraries, which the command
    # line's `summarize` never needs (tests/test_isolation.py).
    from pmhc.present import report

    return report.scope_for(ds, f or Filters(), values_, answers_ or {})


def page_view(
    ds: dataset.Dataset,
    page: str,
    values_: dict,
    f: Filters | None = None,
    answers_: dict | None = None,
    **options,
) -> views.View:
    from pmhc.present import views as pages  # see TYPE_CHECKING above

    return pages.PAGES[page](scope(ds, values_, f, answers_), **options)


def headline(ds: dataset.Dataset, values_: dict, exact: bool = False) -> dict:
    """The command line's summary, its rates under the connection's definition settings."""
    return summarize(ds, exact=exact, definitions=settings.definitions(values_))


def defined(ds: dataset.Dataset, values_: dict) -> dataset.Dataset:
    """The dataset as the release builder reads it under the connection's definition
    settings: its `is_connection` flag the chosen definition's (the builder counts the
    registry's default column), so partners' connection counts are the staff's."""
    chosen = indicators.with_definitions(
        indicators.get("connection"), *settings.definitions(values_)
    )
    if ds.calls is None or chosen.column == "is_connection":
        return ds
    flag = chosen.flag(ds.calls)
    if flag is None:
        return ds
    # A new Dataset (not a copy): its `mh` selection is made again from these calls.
    return dataclasses.replace(ds, calls=ds.calls.assign(is_connection=flag))


def draft_release(
    ws: Workspace, ds: dataset.Dataset, ds_id: str | None, revise: bool | None = None
) -> tuple[releases.Release, str]:
    """(release, why it must be a revision or ''): what publishing this dataset now gives
    partners, audited with every release they already have. `revise` None (the preview):
    a revision when these data cannot continue that history (other outcome columns);
    False: that refusal raised as InputError; True: a revision."""
    values_ = values(ws, ds_id, ds.is_sample)
    build = functools.partial(
        builder.build,
        defined(ds, values_),
        int(values_.get("threshold") or builder.DEFAULT_THRESHOLD),
        values_,
        answers(ws),
        shown_actions(ws, ds_id).drop(columns="id"),
    )
    history = releases.history(ws.folder)
    if revise is not None:
        return build(Past(history, revise=revise)), ""
    try:
        return build(Past(history)), ""
    except InputError as error:
        return build(Past(history, revise=True)), str(error)


def draft_key(ws: Workspace, ds_id: str) -> tuple[str, ...]:
    """What a draft release depends on beyond the dataset: for a cache's key."""
    return (
        repr(sorted(values(ws, ds_id, not is_stored(ds_id)).items())),
        repr(sorted(answers(ws).items())),
        shown_actions(ws, ds_id).to_json(orient="records", date_format="iso"),
        releases.history_key(ws.folder),
    )
