"""Uploads as the Data page handles them: the user's choices per sheet (record kind,
header row, column mapping, "every call is a mental-health call") applied on top of the
automatic reading, and the resulting dataset saved to the workspace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd

from pmhc.domain import schema
from pmhc.domain.errors import InputError
from pmhc.domain.rules import Rules
from pmhc.ingest import mapping as mp
from pmhc.ingest import pipeline as ingest
from pmhc.ingest.profiles import Profile
from pmhc.ingest.reading import open_tables
from pmhc.storage import dataset, settings
from pmhc.storage import datasets as store
from pmhc.storage.workspace import Workspace


@dataclass
class SheetChoice:
    kind: str | None = None  # None: as detected
    header_row: int | None = None  # 0-based; None: as detected
    fields: dict[str, str | None] = field(default_factory=dict)  # field -> header (None: unmap)
    all_mh: bool = False
    skip: bool = False  # the user chose not to load this sheet

    def key(self) -> tuple:
        return (
            self.kind,
            self.header_row,
            tuple(sorted(self.fields.items())),
            self.all_mh,
            self.skip,
        )


def ingest_upload(
    name: str,
    data: bytes,
    ctx: ingest.Context,
    choices: dict[str | None, SheetChoice],
    progress: Callable[[str], None] | None = None,
) -> list[ingest.Loaded]:
    loaded = []
    tables = open_tables(data, name)
    for table in tables:
        choice = choices.get(table.sheet, SheetChoice())
        if progress:
            progress(f"Reading {name}" + (f" [{table.sheet}]" if table.sheet else ""))
        if choice.skip:
            report = ingest.SourceReport(
                name, table.sheet, None, note="Not loaded: you chose to leave this sheet out."
            )
            loaded.append(ingest.Loaded(report))
            continue
        proposal = None
        if choice.kind or choice.header_row is not None or choice.fields:
            auto = mp.propose(table.peek, choice.kind, rules=ctx.rules)
            kind = choice.kind or (auto.kind if auto else None)
            row = (
                choice.header_row
                if choice.header_row is not None
                else (auto.header_row if auto else 0)
            )
            if kind:
                proposal = mp.apply_overrides(mp.at_row(table.peek, row, kind), choice.fields)
        local = replace(ctx, all_mh=choice.all_mh)
        loaded.append(ingest.ingest_table(table, local, proposal))
    undeclared = [
        (t, x)
        for t, x in zip(tables, loaded, strict=True)
        if not choices.get(t.sheet, SheetChoice()).all_mh
    ]
    if undeclared:
        ingest.offer_all_mh([t for t, _ in undeclared], [x for _, x in undeclared], ctx)
    for item in loaded:
        item.report.path = name
    return loaded


def ingest_uploads(
    ws: Workspace,
    files: list[tuple[str, bytes]],
    choices: dict[tuple[str, str | None], SheetChoice],
    progress: Callable[[str], None] | None = None,
) -> tuple[dataset.Dataset, str]:
    """Ingest every file and build the dataset, not yet saved: the Data page shows it for
    the user to confirm before it replaces what they have loaded."""
    routes = settings.mh_routes(settings.load_settings(ws.folder))
    ctx = ingest.Context(rules=ws.rules(), key=ws.key, profiles=ws.profiles(), mh_routes=routes)
    loaded, hashes = [], []
    for name, data in files:
        file_hash = store.file_hash(data)
        hashes.append(file_hash)
        mine = {sheet: c for (h, sheet), c in choices.items() if h == file_hash}
        loaded.extend(ingest_upload(name, data, ctx, mine, progress))
    label = ", ".join(name for name, _ in files)
    if progress:
        progress("Counting incidents and joining training to calls")
    ds = dataset.build(loaded, label)
    options = repr(sorted((k, v.key()) for k, v in choices.items())) + repr(routes)
    return ds, store.dataset_id(hashes, options + ws.rules_version())


def save_uploads(
    ws: Workspace,
    files: list[tuple[str, bytes]],
    choices: dict[tuple[str, str | None], SheetChoice],
    progress: Callable[[str], None] | None = None,
    *,
    by: str | None = None,
) -> tuple[dataset.Dataset, str]:
    """Ingest every file, build the dataset and save it to the workspace (`by`'s draft)."""
    ds, ds_id = ingest_uploads(ws, files, choices, progress)
    if progress:
        progress("Saving the cleaned tables")
    store.save(ws.datasets_dir, ds, ds_id, by=by)
    return ds, ds_id


def append_to(
    ws: Workspace,
    base: dataset.Dataset,
    base_id: str,
    new: dataset.Dataset,
    new_id: str,
    *,
    by: str | None = None,
    expected_version: int | None = None,
) -> tuple[dataset.Dataset, str, int]:
    """(combined, its tables' id, incidents replaced): next month's export added to a
    dataset as its next version (same name, settings and actions; `appended` says what it
    added). Raises StaleEdit when the dataset changed since `expected_version`."""
    label = base.label if new.label in base.label else f"{base.label} + {new.label}"
    combined, replaced = dataset.append(base, new, label)
    combined_id = store.dataset_id([base_id, new_id], "append")
    before = 0 if base.calls is None else len(base.calls)
    added = (0 if combined.calls is None else len(combined.calls)) - before
    store.add_version(
        ws.datasets_dir,
        base_id,
        combined,
        combined_id,
        by=by,
        kind="append",
        added=added,
        replaced=replaced,
        expected_version=expected_version,
    )
    return combined, combined_id, replaced


def appended(added: int, replaced: int) -> str:
    """The one sentence an append ends with."""
    return (
        f"Added {added:,} incident{'s' * (added != 1)}, "
        f"replaced {replaced:,} already loaded (matched on incident number)."
    )


def reapply_rules(
    ws: Workspace, ds_id: str | None, *, by: str | None = None
) -> tuple[dataset.Dataset, str] | None:
    """Edited rules applied at once to a saved dataset: MH calls, disposition groups,
    connection components and course types derived again from the stored rows, and the
    incidents rebuilt; saved as the dataset's next version (its tables' id returned for
    the caller to show). None when there is nothing to redo (the sample rebuilds by itself:
    its cache key holds the rules' version)."""
    if ds_id is None or not store.exists(ws.datasets_dir, ds_id):
        return None
    ds = store.load(ws.datasets_dir, ds_id)
    rows = store.load_call_rows(ws.datasets_dir, ds_id)
    rules = ws.rules()
    routes = settings.mh_routes(settings.load_settings(ws.folder))
    if ds.training is not None and "course" in ds.training:
        # from the course names (a course-type column of the export is not kept)
        ds.training["course_type"] = rules.course_type(ds.training["course"].astype("str"))
    if rows is not None:
        declared = (rows["mh_route"] == "declared").fillna(False) if "mh_route" in rows else False
        ingest.derive_call_fields(rows, rules, declared, None, routes)
        ds.call_rows = rows
        dataset.rebuild_calls(ds)
    new_id = store.dataset_id([ds_id], ws.rules_version() + repr(routes))
    if new_id != ds_id:
        store.add_version(ws.datasets_dir, ds_id, ds, new_id, by=by, kind="rules")
    return ds, new_id


def profile_from(name: str, proposal: mp.Mapping, all_mh: bool) -> Profile:
    """A profile that reproduces this mapping for files with the same columns."""
    if proposal.kind is None:
        raise InputError("This sheet holds no records to save a mapping for.")
    fields: dict[str, str | None] = {f: m.header for f, m in proposal.matches.items()}
    return Profile(name, proposal.kind, proposal.signature, proposal.headers, fields, all_mh)


@dataclass
class MappingView:
    """What the Data page shows to let the user check and change one sheet's mapping."""

    table: pd.DataFrame  # field, required, column, confidence, sample values, description
    headers: list[str]  # the sheet's column names, for the choice of column
    proposal: mp.Mapping  # the mapping as loaded, for saving a profile


def mapping_view(report: ingest.SourceReport, name: str, data: bytes) -> MappingView:
    if report.kind is None:
        raise InputError(f"{name} holds no records to map; check the file and upload it again.")
    table = next(t for t in open_tables(data, name) if t.sheet == report.sheet)
    row = (report.header_row or 1) - 1
    headers = [str(h or "").strip() for h in (table.peek[row] if table.peek else [])]
    kind = schema.KINDS[report.kind]
    rows = []
    for f in kind.fields:
        column = report.mapping.get(f.name) or ""
        if f.name == "person_id":
            samples = "(hidden: person identifier)"
        elif column in headers:
            samples = ", ".join(mp.sample_values(table.peek, row, headers.index(column)))
        else:
            samples = ""
        rows.append(
            {
                "field": f.name,
                "required": "yes" if f.required else "",
                "column": column,
                "confidence": report.confidence.get(f.name),
                "sample values": samples,
                "description": f.description,
            }
        )
    proposal = mp.apply_overrides(
        mp.at_row(table.peek, row, report.kind),
        {f: report.mapping.get(f) or None for f in kind.names},
    )
    mappable = [h for h in headers if h and not mp.is_personal_data(h)]
    return MappingView(pd.DataFrame(rows), mappable, proposal)


def sources_table(reports: list[ingest.SourceReport]) -> pd.DataFrame:
    """One line per sheet read: its kind, header row and row accounting."""
    return pd.DataFrame(
        [
            {
                "file": r.path.split("/")[-1],
                "sheet": r.sheet or "",
                "kind": r.kind or "not loaded",
                # a sheet with no header found reads so, never "None"
                "header row": "none found" if r.header_row is None else str(r.header_row),
                "rows in": r.rows_in,
                "loaded": r.rows_loaded,
                "rejected": r.rows_rejected,
                "profile": r.profile or "",
            }
            for r in reports
        ]
    )


def changed_fields(report: ingest.SourceReport, edited: pd.DataFrame) -> dict[str, str | None]:
    """field -> column for each row of the edited mapping table that differs."""
    return {
        r["field"]: (r["column"] or None)
        for _, r in edited.iterrows()
        if (r["column"] or "") != (report.mapping.get(r["field"]) or "")
    }


def schema_table(kind: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "field": f.name,
                "type": f.type,
                "required": "yes" if f.required else "",
                "description": f.description,
            }
            for f in schema.KINDS[kind].fields
        ]
    )


def call_types_flagged(rules: Rules, calls: pd.DataFrame) -> pd.DataFrame:
    """Each final call type with its count and the rule term that made it an MH call."""
    counts = calls["call_type_final"].astype("str").value_counts().rename("calls")
    out = counts.rename_axis("call type").reset_index()
    out["matched term"] = rules.mh_term(out["call type"]).to_numpy()
    return out


# What the Data page lists as values no rule recognised, per rule table: the incident column
# holding the raw text, and the class a value falls into when nothing matched.
UNMATCHED_SOURCES = {
    "mh_terms": ("call_type_final", "call_type_initial"),
    "dispositions": ("disposition",),
    "destinations": ("transport_destination",),
    "responders": ("responder_type",),
}


def unmatched_values(rules: Rules, calls: pd.DataFrame | None, kind: str, top: int = 25):
    """The most frequent values of the loaded calls that no rule of `kind` recognised, with
    their count of incidents and the text as the rules read it (abbreviations spelled out).
    For call types: the types that are not mental-health types. None when nothing applies."""
    if calls is None:
        return None
    columns = [c for c in UNMATCHED_SOURCES.get(kind, ()) if c in calls]
    if not columns:
        return None
    values = pd.concat([calls[c].astype("str") for c in columns], ignore_index=True).dropna()
    if kind == "dispositions":
        out = rules.unmatched(values, "disposition")
    else:
        counts = values.value_counts()
        texts = pd.Series(counts.index, dtype="str")
        if kind == "mh_terms":
            keep = ~rules.mh_flag(texts).to_numpy(bool)
        elif kind == "destinations":
            keep = (rules.destination_class(texts) == "other").to_numpy(bool)
        else:
            keep = (rules.responder_class(texts) == "other").to_numpy(bool)
        out = pd.DataFrame({"value": texts[keep].to_numpy(), "count": counts.to_numpy()[keep]})
    out = out.head(top).reset_index(drop=True)
    out["read as"] = rules.expanded(out["value"]).to_numpy()
    return out


def inferred_readings(rules: Rules, calls: pd.DataFrame | None, kind: str) -> pd.DataFrame | None:
    """Abbreviations the tables do not list that loading read from the outcome values of
    `kind` (dispositions, destinations, responders), with their evidence: suggestions for
    the abbreviations table. None for call types (never read this way) or no values."""
    source = {"dispositions": "disposition", "destinations": "transport_destination"}
    column = source.get(kind, "responder_type" if kind == "responders" else None)
    if calls is None or column is None or column not in calls:
        return None
    return rules.infer_abbreviations(calls[column], kind)


def pattern_for(value: str) -> str:
    """A rule pattern matching exactly this value's words (no '*' or '&' from the data)."""
    return " ".join(str(value).replace("*", " ").replace("&", " ").split())


def assign_values(
    ws: Workspace,
    kind: str,
    assignments: dict[str, str],
    *,
    by: str | None = None,
    expected_version: int | None = None,
) -> int:
    """Add one rule row per value (value -> class) to the workspace's `kind` table and save
    it; returns the number of rows added. Raises ValueError (one sentence) on a bad class,
    StaleEdit when the table is no longer at `expected_version` (the values were picked
    from an older copy of the rules)."""
    rules = ws.rules()
    table = getattr(rules, kind)
    pcol, ccol = table.columns[0], table.columns[1]
    rows = [
        {pcol: pattern_for(v), ccol: c, "note": "Assigned on the Data page"}
        for v, c in assignments.items()
        if c and pattern_for(v)
    ]
    if rows:
        table = pd.concat([table, pd.DataFrame(rows)])
        ws.save_rules(kind, table, by=by, expected_version=expected_version)
    return len(rows)
