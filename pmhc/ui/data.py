"""The Data page: upload exports, check what was loaded and why rows were rejected, fix
the column mapping (and save it as a profile), edit the rules and the definitions. Every
change goes through a use case (`pmhc.application`), which checks the role; controls a
role cannot use are hidden here for tidiness only."""

from __future__ import annotations

import functools
import logging

import pandas as pd
import streamlit as st

from pmhc.application import datasets as use
from pmhc.application import rules as rule_use
from pmhc.application import settings as setting
from pmhc.domain import rules, schema
from pmhc.domain.errors import InputError
from pmhc.domain.untrusted import escape_markdown
from pmhc.ingest import failures
from pmhc.ingest.reading import ACCEPTED_EXTENSIONS
from pmhc.present import excel as reports
from pmhc.present.labels import moment_words, words
from pmhc.storage import settings, uploads
from pmhc.ui import components as ui
from pmhc.ui import partner, plain

KIND_OPTIONS = ["", *schema.KINDS]  # "" = leave the sheet out


def upload() -> None:
    """Files in, read and checked, kept aside for the user to check: nothing replaces
    what is loaded until they confirm."""
    round_ = st.session_state.setdefault("upload_round", 0)
    files = st.file_uploader(
        "Upload exports",
        accept_multiple_files=True,
        key="uploads" if round_ == 0 else f"uploads-{round_}",  # a new key empties it
        type=sorted(e.lstrip(".") for e in ACCEPTED_EXTENSIONS),
        help="Several files at once: e.g. a calls export, a training log and a roster.",
    )
    choices = st.session_state.setdefault("choices", {})
    if not files:
        return
    hashes = [ui.upload_hash(f) for f in files]
    signature = (tuple(hashes), tuple(sorted((k, v.key()) for k, v in choices.items())))
    if st.session_state.get("pending_signature") == signature:
        return
    payload = [(f.name, f.getvalue()) for f in files]
    with st.status("Reading your files…", expanded=True) as status:
        try:
            new, new_id = use.preview_upload(
                ui.workspace(),
                ui.actor(),
                payload,
                choices,
                progress=lambda m: st.write(ui.escape_markdown(m, 500)),
            )
        except InputError as e:
            status.update(label="That file could not be used", state="error")
            st.error(ui.escape_markdown(str(e), 1000), icon=":material/error:")
            st.stop()
        except Exception as e:  # a sentence, never a traceback, for a user
            fail_unexpectedly(status, e, payload)
        except BaseException as e:  # a Rust reader's panic only; never Ctrl-C or a rerun
            if not failures.is_reader_panic(e):
                raise
            fail_unexpectedly(status, e, payload)
        plural = "s" if len(payload) > 1 else ""
        status.update(
            label=f"Read {new.rows_in:,} rows from {len(payload)} file{plural}: check them below",
            state="complete",
            expanded=False,
        )
    st.session_state["pending"] = (new, new_id)
    st.session_state["pending_signature"] = signature
    st.session_state["payload"] = {
        name: (data, h) for (name, data), h in zip(payload, hashes, strict=True)
    }
    st.rerun()


def preview(current, current_id: str) -> None:
    """The upload as read, with its mapping editable, and the three ways on."""
    pending = st.session_state.get("pending")
    if not pending:
        return
    new, new_id = pending
    usable = any(r.kind for r in new.reports)
    st.header("Check before loading")
    st.caption(
        "Nothing you have loaded changes until you choose below. Fix the column mapping "
        "here if a column was read wrongly."
    )
    loaded(new, st.session_state.get("payload", {}), title=None)
    if not usable:
        st.warning(
            "Nothing in these files could be loaded: no sheet was recognised as calls, "
            "training, roster or services. Pick how to read a sheet above, or discard.",
            icon=":material/warning:",
        )
    name = st.text_input("Name for this dataset", value=new.label, key="pending-name")
    left, middle, right = st.columns(3)
    if left.button(
        "Use this data", key="confirm-upload", type="primary", disabled=not usable
    ) and ui.done(use.confirm_upload, new, new_id, name=name):
        finish(new_id)
    can_append = not current.is_sample and current.calls is not None and new.calls is not None
    if can_append and middle.button(
        "Add to the loaded dataset (next month's export)",
        key="append-upload",
        icon=":material/add:",
        help="Incidents already in the loaded dataset are replaced by this export's copy "
        "(matched on incident number).",
    ):
        based_on = dataset_base(current_id)
        appended = ui.attempt(use.append_export, current_id, new, new_id, based_on=based_on)
        if appended is not ui.FAILED:
            combined_id, added, replaced, total = appended
            st.session_state["appended"] = (added, replaced, total)
            finish(combined_id)
    if right.button("Discard", key="discard-upload", icon=":material/delete:"):
        release()
        st.rerun()


def finish(ds_id: str) -> None:
    """The saved dataset shown in this session (the use case made it the user's choice)."""
    ui.show_dataset(ds_id)
    release()
    st.rerun()


def release() -> None:
    """Drop the upload's bytes and the read dataset: only the saved tables remain."""
    for key in ("pending", "pending_signature", "payload", "choices", "upload_hashes"):
        st.session_state.pop(key, None)
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1


def switch_dataset() -> None:
    picked = st.session_state["pick-dataset"] or None  # "": the sample
    ui.choose_dataset(picked)


def dataset_base(ds_id: str) -> int | None:
    """The dataset's record version as this session first showed these tables: passed back
    with a change of the dataset, so one someone changed meanwhile is refused with who and
    when, never overwritten (None: the sample)."""
    seen = st.session_state.setdefault("dataset-seen", {})
    if ds_id not in seen:
        record = use.dataset_record(ui.workspace(), ui.actor(), ds_id)
        if record is None:
            return None
        seen[ds_id] = record.stamp.version
    return seen[ds_id]


def changed_dataset(ds_id: str | None = None) -> None:
    """After this session's own change: its next one starts from the dataset as it is."""
    st.session_state.pop("dataset-seen", None)
    if ds_id is not None:
        ui.show_dataset(ds_id)
    st.rerun()


def dataset_label(s: use.Saved) -> str:
    """'March exports · 1,288 incidents · saved 3 Dec 2026, 10:42 · your draft'."""
    if s.status == "agency":
        whose = ""
    elif s.owner == ui.actor().who:
        whose = " · your draft (only you see it)"
    else:
        whose = f" · draft of {s.owner}"
    saved = moment_words(s.created) or s.created[:10]
    return f"{s.name} · {s.incidents:,} incidents · saved {saved}{whose}"


def datasets(current_id: str) -> None:
    """Saved datasets this user may see: the one this session shows, its versions, and
    renaming, deleting, undoing its last change or making it the agency's."""
    saved = use.list_datasets(ui.workspace(), ui.actor())
    # The sample is "" rather than None: a selectbox showing None shows "Choose an option".
    options = ["", *(s.id for s in saved)]
    labels = {s.id: dataset_label(s) for s in saved}
    record = use.dataset_record(ui.workspace(), ui.actor(), current_id)
    if record is not None and record.id != current_id:  # an older version is in view
        options.insert(1, current_id)
        labels[current_id] = f"{record.name} · an earlier version"
        st.info(
            "Someone changed this dataset since you opened it: choose it again to see "
            "its latest version.",
            icon=":material/sync_problem:",
        )
    active = current_id if current_id in options else ""
    st.session_state["pick-dataset"] = active  # follows uploads and deletions too
    st.selectbox(
        "Dataset in view (yours only: others keep their own)",
        options,
        format_func=lambda i: labels.get(i, "Sample data (a fictional agency)"),
        key="pick-dataset",
        on_change=switch_dataset,
    )
    if not active or record is None:
        return
    based_on = dataset_base(active)
    versions(active, record, based_on)
    if not ui.can("edit"):
        return
    if record.status != "agency" and (
        st.button("Make it the agency's (every role sees it)", key="make-agency")
        and ui.done(use.make_agency, active, based_on=based_on)
    ):
        changed_dataset()
    with st.popover("Rename or delete", icon=":material/edit:"):
        name = st.text_input("Name", value=record.name, key=f"rename-{active}")
        if st.button("Rename", key="rename-dataset") and ui.done(
            use.rename_dataset, active, name, based_on=based_on
        ):
            changed_dataset()
        if st.button("Delete this dataset", key="delete-dataset", type="primary") and ui.done(
            use.delete_dataset, active
        ):
            changed_dataset(None)


def versions(active: str, record: use.Saved, based_on: int | None) -> None:
    """What each version of the dataset added, who and when; the last one undone."""
    listed = use.dataset_versions(ui.workspace(), ui.actor(), active)
    with st.expander(f"Versions ({len(listed):d})", icon=":material/history:"):
        ui.table_view(
            pd.DataFrame(
                [
                    {"version": v.n, "what": v.sentence(), "by": v.by, "when": v.at[:16]}
                    for v in reversed(listed)
                ]
            )
        )
        if len(listed) < 2 or not ui.can("edit"):
            return
        if st.button(
            f"Undo the last change ({listed[-1].sentence()})",
            key="undo-dataset",
            icon=":material/undo:",
        ):
            shown = ui.attempt(use.undo_last, active, based_on=based_on)
            if shown is not ui.FAILED:
                changed_dataset(shown)


def fail_unexpectedly(status, error: BaseException, payload: list) -> None:
    logging.getLogger("pmhc.data").error("Loading failed", exc_info=error)
    names = ", ".join(name for name, _ in payload)
    status.update(label="That file could not be used", state="error")
    st.error(
        f"An unexpected {ui.escape_markdown(type(error).__name__)} stopped loading "
        f"{ui.escape_markdown(names)}; save the file again "
        "from Excel as .xlsx and retry, and report it if it happens again.",
        icon=":material/error:",
    )
    st.stop()


def choose(key: tuple, choice: uploads.SheetChoice) -> None:
    st.session_state["choices"][key] = choice
    st.rerun()


def loaded(ds, payload: dict, title: str | None = "What was loaded") -> None:
    """Each sheet read: row accounting, rejected rows, and the mapping, editable while
    the upload's bytes are at hand (before it is confirmed)."""
    if title:
        st.header(ui.escape_markdown(f"{title} (sample data)" if ds.is_sample else title))
    ui.table_view(ui.kept_with(ds, "sources", lambda: uploads.sources_table(ds.reports)))
    prefix = "pending" if payload else "active"
    for index, report in enumerate(ds.reports):
        data, file_hash = payload.get(report.path.split("/")[-1], (None, None))
        source(ds, f"{prefix}-{index}", index, report, data, file_hash)


def source(ds, tag: str, index: int, report, data: bytes | None, file_hash: str | None) -> None:
    name = report.path.split("/")[-1]
    # file and sheet names, notes and headers come from the upload: shown as text, never
    # as Markdown (a link or an image in a sheet name must not render)
    title = ui.escape_markdown(name + (f" · {report.sheet}" if report.sheet else ""), 120)
    key = (file_hash, report.sheet) if data is not None else None
    if report.kind is None:
        with st.expander(f":material/block: {title} — not loaded"):
            st.text(report.note)
            if key:
                read_as(key, report)
        return
    with st.expander(
        f":material/table_view: {title} — {report.kind}: "
        f"{report.rows_loaded:,} loaded, {report.rows_rejected:,} rejected"
    ):
        accounting(ds, tag, index, report)
        mapping_checks(tag, report, key)
        if key and data is not None:
            read_as(key, report)
            mapping_editor(tag, report, name, data, key)
        else:
            st.markdown("**Column mapping**")
            ui.table_view(ui.kept_with(report, "mapping", lambda: mapping_table(report)))


def mapping_table(report) -> pd.DataFrame:
    return pd.DataFrame(
        [{"field": words(f), "column in your file": c} for f, c in report.mapping.items()]
    )


def accounting(ds, tag: str, index: int, report) -> None:
    cols = st.columns(4)
    cols[0].metric("Rows in", f"{report.rows_in:,}")
    cols[1].metric("Loaded", f"{report.rows_loaded:,}")
    cols[2].metric("Rejected", f"{report.rows_rejected:,}")
    cols[3].metric("Header row", report.header_row)
    shown = [n for n in report.notes if n not in report.misfits]  # those: by the mapping
    if shown:
        st.markdown(
            "**Load report**\n" + "\n".join(f"- {ui.escape_markdown(n, 1000)}" for n in shown)
        )
    if report.personal_data_dropped:
        st.markdown(
            ":material/shield: **Personal data not read:** "
            + ", ".join(ui.escape_markdown(h, 80) for h in report.personal_data_dropped)
        )
    rejected = ds.rejected[index] if index < len(ds.rejected) else pd.DataFrame()
    if len(rejected):
        st.markdown("**Rejected rows** (row number in the sheet, reason, original values)")
        ui.table_view(rejected, rows=200)
        st.download_button(
            "Download all rejected rows (CSV)",
            lambda: reports.csv_bytes(rejected),
            file_name=f"rejected_{index}.csv",
            key=f"rej-{tag}",
        )


def mapping_checks(tag: str, report, key: tuple | None) -> None:
    """Mapped columns whose values do not fit their field, and unmapped columns that look
    like a field, each in a plain sentence; a suggestion is mapped only when the user says so
    (possible while the upload is at hand)."""
    for sentence in report.misfits:
        st.warning(escape_markdown(sentence, 1000), icon=":material/warning:")
    choice = st.session_state.get("choices", {}).get(key, uploads.SheetChoice())
    for i, s in enumerate(report.suggestions):
        if s["field"] in choice.fields and choice.fields[s["field"]] is None:
            continue  # the user unmapped that field: not offered again
        text, button = st.columns([4, 1], vertical_alignment="center")
        text.info(escape_markdown(s["sentence"], 500), icon=":material/lightbulb:")
        if key and button.button("Map it", key=f"suggest-{tag}-{i}"):
            fields = {**choice.fields, s["field"]: s["column"]}
            row = (report.header_row or 1) - 1
            choose(key, uploads.SheetChoice(report.kind, row, fields, choice.all_mh))


def read_as(key: tuple, report) -> None:
    """Record kind and header row, when the automatic reading got them wrong."""
    choice = st.session_state["choices"].get(key, uploads.SheetChoice())
    left, right = st.columns(2)
    kind = left.selectbox(
        "Read this sheet as",
        KIND_OPTIONS,
        index=KIND_OPTIONS.index(report.kind or ""),
        format_func=lambda k: schema.KINDS[k].label if k else "Not loaded",
        key=f"kind-{key}",
    )
    row = right.number_input(
        "Header row", min_value=1, max_value=40, value=report.header_row or 1, key=f"row-{key}"
    )
    if kind != (report.kind or "") or (kind and row != report.header_row):
        choose(key, uploads.SheetChoice(kind or None, row - 1, {}, choice.all_mh, skip=not kind))


def mapping_editor(index: str, report, name: str, data: bytes, key: tuple) -> None:
    view = ui.mapping_view(report, name, data, file_hash=key[0])
    choice = st.session_state["choices"].get(key, uploads.SheetChoice())
    st.markdown("**Column mapping** — change any column and the file is read again.")
    if report.mh_title and not choice.all_mh:
        st.info(
            "The export's title or parameters name mental-health calls: "
            f"“{escape_markdown(report.mh_title)}”. If every call in this file is one, tick "
            "the box below.",
            icon=":material/lightbulb:",
        )
    all_mh = st.checkbox(
        "Every call in this file is a mental-health call",
        value=choice.all_mh,
        key=f"allmh-{index}",
        disabled=report.kind != "calls",
    )
    table = view.table.copy()
    table.insert(0, "name", table["field"].map(words))  # the field's code stays, hidden
    edited = st.data_editor(
        table,
        hide_index=True,
        key=f"map-{index}",
        disabled=["name", "field", "required", "confidence", "description", "sample values"],
        column_config={
            "name": st.column_config.TextColumn("Field"),
            "field": None,
            "column": st.column_config.SelectboxColumn(
                "Column in your file", options=["", *view.headers]
            ),
            "confidence": st.column_config.ProgressColumn(
                "Confidence", min_value=0, max_value=1, format="percent"
            ),
        },
    )
    changed = uploads.changed_fields(report, edited)
    if changed or all_mh != choice.all_mh:
        choose(
            key,
            uploads.SheetChoice(
                report.kind, (report.header_row or 1) - 1, {**choice.fields, **changed}, all_mh
            ),
        )
    mapping_form(index, report, view, key)
    with st.popover("Save as a mapping profile", icon=":material/bookmark_add:"):
        profile_name = st.text_input(
            "Profile name", key=f"pname-{index}", placeholder="e.g. CAD monthly export"
        )
        if st.button("Save profile", key=f"psave-{index}") and profile_name:
            path = ui.attempt(use.save_profile, profile_name, view.proposal, all_mh)
            if path is not ui.FAILED:
                st.success(
                    "Saved. Files with these columns will be mapped this way by "
                    f"themselves (from the command line: --mapping "
                    f"{ui.escape_markdown(path, 500)})."
                )


RULE_TABS = {
    "mh_terms": "Mental-health call types",
    "dispositions": "Dispositions",
    "components": "Connection components",
    "destinations": "Transport destinations",
    "responders": "Unit types",
    "abbreviations": "Abbreviations",
    "courses": "Course types",
    "services": "Service types",
    "roles": "Roster roles",
}
ASSIGN_CHOICES = {
    "mh_terms": ["", "include", "exclude"],
    "dispositions": ["", *rules.DISPOSITION_GROUPS],
    "destinations": ["", "treatment", "custody"],
    "responders": ["", *(r for r in rules.RESPONDERS if r != "other")],
}


def rule_tables(ds, ds_id: str) -> None:
    st.header("Rules")
    st.caption(
        "Plain tables that decide which calls are mental-health calls, how free-text "
        "dispositions are grouped, what counts as a connection to resources, which units are "
        "mobile crisis or co-responders, how abbreviations are read, which courses count "
        "as CIT, what kind of service each service type is (and so which sheets are services "
        "lists) and which roster roles are patrol, supervisors or command. Terms match whole "
        "words only: 'OD' never matches 'ODOR'. Saving a table applies it to the loaded data "
        "at once."
    )
    current = ui.rules()
    editable = ui.can("edit")
    # The tables' versions as this visit first drew them: a table saved by someone else
    # meanwhile is refused with who and when, not overwritten.
    base = rules_bases()
    # Only the open tab's forms and value lists are built (a tab change reruns the page):
    # all nine made the Data page the slowest page for twenty people at once. The grids
    # stay in every tab so an unsaved edit survives a look at another tab.
    tabs = st.tabs(list(RULE_TABS.values()), key="rules-tab", on_change="rerun")
    for tab, kind in zip(tabs, RULE_TABS, strict=True):
        with tab:
            unmatched(ds_id, kind, bool(tab.open))
            edited = st.data_editor(
                getattr(current, kind),
                num_rows="dynamic" if editable else "fixed",
                hide_index=True,
                key=f"rules-{kind}",
                disabled=not editable,
                column_config=rule_columns(getattr(current, kind), kind),
            )
            if editable and st.button(
                "Save these rules", key=f"save-{kind}", icon=":material/save:"
            ):
                with st.spinner("Applying the rules to the loaded data…"):
                    based_on = base.get(kind, 0)
                    applied(ui.attempt(rule_use.save_rules, kind, edited, ds_id, based_on))
            if tab.open:
                rules_form(getattr(current, kind), kind, ds_id, base.get(kind, 0), editable)
                rule_values(current, ds, kind)
            else:
                keep_choices(kind)


def keep_choices(kind: str) -> None:
    """The row a keyboard user picked in a closed tab's forms, kept for their return:
    Streamlit forgets a widget not drawn in a run, and set by the page it stays."""
    for key in (f"rules-plain-{kind}-pick", f"assign-plain-{kind}-pick"):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def use_rules_versions() -> dict[str, int]:
    return rule_use.rule_versions(ui.workspace(), ui.actor())


def rule_columns(table: pd.DataFrame, kind: str) -> dict:
    """Headings in words, and the class column as a choice shown in words (the file keeps
    its codes: "no_contact" reads "No contact")."""
    config = ui.column_config(table)
    spec = rules.class_column(kind)
    if spec:
        column, allowed, names = spec
        config[column] = st.column_config.SelectboxColumn(
            heading(column),  # "Group", as the other headings start with a capital
            options=list(allowed),
            format_func=lambda code: names.get(str(code)) or words(str(code)),
        )
    return config


def applied(new_id) -> None:
    """Edited rules (or MH routes) were applied to this session's dataset at once, saved as
    a new dataset with the same name and settings (None: the sample, re-read by itself):
    shown in this session."""
    if new_id is ui.FAILED:
        return
    st.session_state.pop("rules-base", None)
    st.session_state.pop("dataset-seen", None)
    if new_id is not None:
        ui.show_dataset(new_id)
    st.toast("Rules saved and applied to the loaded data")
    st.rerun()


def unmatched(ds_id: str, kind: str, shown: bool = True) -> None:
    """The most frequent values no rule recognised, each assignable in one click (and, on
    the tab in view (`shown`), with a form)."""
    if kind not in ASSIGN_CHOICES:
        return
    if shown:
        inferred_readings(kind)
    top = ui.unmatched_values(kind)
    if top is None or top.empty:
        return
    what = (
        "Call types that are not mental-health types"
        if kind == "mh_terms"
        else "Values no rule recognised"
    )
    if not ui.can("edit"):  # a viewer sees what is unmatched, and cannot add rules
        st.markdown(f"**{ui.escape_markdown(what)}** (most frequent first)")
        ui.table_view(top)
        return
    st.markdown(
        f"**{ui.escape_markdown(what)}** (most frequent first; pick a group and add them as rules)"
    )
    table = top.assign(assign="")
    edited = st.data_editor(
        table,
        hide_index=True,
        key=f"assign-{kind}",
        disabled=["value", "count", "read as"],
        column_config={
            "assign": st.column_config.SelectboxColumn("Assign to", options=ASSIGN_CHOICES[kind])
        },
    )
    chosen = {v: c for v, c in zip(edited["value"], edited["assign"], strict=True) if c}
    if shown:
        assign_form(top, kind, ds_id)
    if st.button(
        f"Add {len(chosen)} rule{'s' * (len(chosen) != 1)}" if chosen else "Add rules",
        key=f"assign-save-{kind}",
        disabled=not chosen,
        icon=":material/add:",
    ):
        with st.spinner("Applying the rules to the loaded data…"):
            applied(ui.attempt(rule_use.assign_values, kind, chosen, ds_id, rules_base(kind)))


def rules_base(kind: str) -> int:
    """The version of the `kind` rule table this visit listed its unmatched values under
    (`rule_tables` keeps it): adding rules from a list someone has since changed is
    refused with who changed it, not added twice or against their choice."""
    return rules_bases().get(kind, 0)


def rules_bases() -> dict[str, int]:
    """The rule tables' versions as this visit first drew them (read once, not on every
    run: `setdefault` would read them each time only to keep the first)."""
    if "rules-base" not in st.session_state:
        st.session_state["rules-base"] = use_rules_versions()
    return st.session_state["rules-base"]


def inferred_readings(kind: str) -> None:
    """Abbreviations no table lists, read from the data: what each was read as and why."""
    found = ui.inferred_readings(kind)
    if found is None or found.empty:
        return
    st.markdown(
        "**Abbreviations read from the data** (a token that is the prefix or the consonants "
        "of exactly one word the rules use; applied only to values no rule matches as "
        "written, never to call types; add a row to *Abbreviations* to make one permanent)"
    )
    ui.table_view(found)


def definitions(ds_id: str) -> None:
    """The settings that change what is counted, kept beside the rules."""
    values = ui.workspace_settings()
    st.header("Definitions")
    holds = st.checkbox(
        "Count an involuntary hold that ends in a transport to treatment as a connection",
        value=bool(values.get("holds_as_connection")),
        help="Off (the default): holds are counted apart, in their own figure. An arrest is "
        "never a connection.",
        disabled=not ui.can("edit"),
    )
    contact = st.checkbox(
        "A mobile-crisis or co-responder hand-off is a connection only when there was contact",
        value=bool(values.get("handoff_needs_contact", True)),
        help="On (the default): a crisis unit on a call that ended Resolved, No action, "
        "Resources declined or Unable to contact attended but connected nobody; attendance "
        "is its own figure (Crisis unit attended). See docs/indicators.md.",
        disabled=not ui.can("edit"),
    )
    shelter = st.checkbox(
        "Count a transport to a shelter as a connection",
        value=bool(values.get("shelter_as_treatment", False)),
        help="Off (the default): a shelter is not a treatment destination (crisis centre, "
        "emergency department, detox), so a shelter transport alone is not a connection.",
        disabled=not ui.can("edit"),
    )
    labels = {
        "final": "Final call type",
        "initial": "Initial call type",
        "flag": "The CAD's mental-health flag",
    }
    routes = st.multiselect(
        "A call is a mental-health call by",
        list(labels),
        default=list(settings.mh_routes(values)),
        format_func=lambda route: labels.get(route, route),
        help="Any of the chosen routes is enough; the load report counts calls by route.",
        disabled=not ui.can("edit"),
    )
    chosen = {
        "holds_as_connection": holds,
        "handoff_needs_contact": contact,
        "shelter_as_treatment": shelter,
    }
    changed = {k: v for k, v in chosen.items() if v != bool(values.get(k))}
    base = ui.setting_base(ds_id, "definitions", fresh=not changed)
    if changed and ui.done(setting.set_definitions, ds_id, based_on=base, **changed):
        ui.forget_base(ds_id, "definitions")
        st.rerun()
    data_end_setting(ds_id)
    new_routes = bool(routes) and tuple(routes) != settings.mh_routes(values)
    base = ui.setting_base(ds_id, "mh_routes", fresh=not new_routes)
    if new_routes:
        with st.spinner("Applying the rules to the loaded data…"):
            applied(ui.attempt(setting.set_mh_routes, ds_id, routes, based_on=base))


def data_end_setting(ds_id: str) -> None:
    """The last day the export covers, kept with the dataset: a last month that stops
    before its end is partial even when dates are known only to the month."""
    values = ui.workspace_settings()
    saved = settings.data_end(values)
    picked = st.date_input(
        "Data end date (optional: the last day this export covers)",
        value=saved,
        format="DD/MM/YYYY",
        help="When the export stops before the end of its last month, that month is partial: "
        "it is left out of the 12-month window, the trends and the control chart. Month-only "
        "dates are also checked by volume (a last month with under half the usual calls).",
        disabled=not ui.can("edit"),
        key="data_end_input",
    )
    chosen = None if picked is None else pd.Timestamp(picked)
    base = ui.setting_base(ds_id, "data_end", fresh=chosen == saved)
    if chosen != saved and ui.done(setting.set_data_end, ds_id, picked, based_on=base):
        ui.forget_base(ds_id, "data_end")
        st.rerun()


def rule_values(current, ds, kind: str) -> None:
    """The raw values the rules met in this data, to fix the rules in place."""
    if kind == "courses" and ds.training is not None:
        other = current.unmatched(ds.training["course"].astype("str"), "course")
        st.markdown(f"**Course names that matched no rule** ({len(other):d})")
        ui.table_view(other)
    elif kind == "services" and ds.services is not None and "type" in ds.services:
        other = current.unmatched(ds.services["type"].astype("str"), "service")
        st.markdown(f"**Service types that matched no rule** ({len(other):d})")
        ui.table_view(other)
    elif kind == "mh_terms" and (flagged := ui.call_types_flagged()) is not None:
        st.markdown(
            "**Call types and the term that flagged them** (blank: not a mental-health call)"
        )
        ui.table_view(flagged)


def for_partners() -> None:
    st.header("For partners")
    threshold = int(ui.workspace_settings()["threshold"])
    st.caption(
        "Community partners on a partner link see only the partner release: monthly and "
        f"yearly counts by district with every count of {threshold:d} or fewer hidden (and any "
        "figure it could be worked out from), never a record, a name or an unshared note. "
        "Turn on 'Partner view' in the sidebar to preview it; publish to make it what "
        "partners see."
    )
    partner.publish_control("data")


def page() -> None:
    """The whole Data page, in reading order."""
    st.set_page_config(page_title="Data · PMHC Dashboard")
    st.title("Data")
    st.caption(
        "Upload calls for service, training logs, rosters and service inventories as Excel "
        "or CSV exports. Each sheet is read, mapped onto the canonical fields and checked: "
        "every row is loaded or shown back with a reason. Names, dates of birth, addresses "
        "and narratives are never read; person identifiers are pseudonymised. The uploaded "
        "files themselves are not kept."
    )
    ds, ds_id = ui.current_dataset()
    datasets(ds_id)
    if ui.can("upload"):
        upload()
        preview(ds, ds_id)
        appended_note()
    else:
        st.info(
            "Your role lets you look at the data and switch datasets; uploading and editing "
            "rules need the analyst role.",
            icon=":material/visibility:",
        )
    loaded(ds, {})
    definitions(ds_id)
    for_partners()
    rule_tables(ds, ds_id)
    with st.expander("The canonical fields"):
        for kind in schema.KINDS.values():
            st.markdown(
                f"**{ui.escape_markdown(kind.label)}** — {ui.escape_markdown(kind.description)}"
            )
            ui.table_view(schema_table(kind.name))


# The canonical fields never change while the server runs: each table is made once.
schema_table = functools.cache(uploads.schema_table)


def appended_note() -> None:
    appended = st.session_state.pop("appended", None)
    if appended is not None:
        added, replaced, total = appended
        st.success(
            ui.escape_markdown(f"{use.appended(added, replaced)} {total:,} incidents now."),
            icon=":material/check:",
        )


# --- the grids as plain tables and forms (keyboard and screen reader) ---------------------

NOT_MAPPED = "(not mapped)"


def mapping_form(index: str, report, view, key: tuple) -> None:
    """The column mapping one field at a time: which column of the file holds it."""
    with st.expander("Column mapping as a plain table and a form (keyboard and screen reader)"):
        frame = view.table.assign(name=view.table["field"].map(heading))
        headings = {"name": "Field", "column": "Column in your file"}
        headings |= {"required": "Required", "sample values": "Sample values"}
        plain.table(
            frame.assign(column=frame["column"].replace("", NOT_MAPPED)), headings, "Mapping"
        )
        columns = ("", *view.headers)
        fields = [
            plain.Field(
                "column",
                "Column in your file",
                "choice",
                columns,
                show=lambda c: str(c) if c else NOT_MAPPED,
            )
        ]
        action = plain.row_form(
            f"map-plain-{index}",
            frame,
            fields,
            lambda r: str(r["name"]),
            "field",
            add=False,
            remove=False,
        )
        if action is None:
            return
        field_name = frame.iloc[action.row]["field"]
        choice = st.session_state["choices"].get(key, uploads.SheetChoice())
        fields_now = {**choice.fields, field_name: action.values["column"] or None}
        row = (report.header_row or 1) - 1
        choose(key, uploads.SheetChoice(report.kind, row, fields_now, choice.all_mh))


def rule_fields(table: pd.DataFrame, kind: str) -> list[plain.Field]:
    """A rule table's columns as form fields; the class column a choice in words."""
    spec = rules.class_column(kind)
    out = []
    for column in table.columns:
        if spec and column == spec[0]:
            out.append(
                plain.Field(
                    column,
                    heading(column),
                    "choice",
                    tuple(spec[1]),
                    show=lambda code: code_words(kind, code),
                )
            )
        else:
            out.append(plain.Field(column, heading(column)))
    return out


def rules_form(table: pd.DataFrame, kind: str, ds_id: str, based_on: int, editable: bool) -> None:
    """One rule at a time: add, change or remove it; the table is saved whole and applied,
    as the grid's save does."""
    noun = "rule"
    with st.expander(f"{RULE_TABS[kind]} as a plain table and a form (keyboard and screen reader)"):
        plain.said(f"rules-plain-{kind}")
        spec = rules.class_column(kind)
        shown = (
            table.assign(**{spec[0]: table[spec[0]].map(lambda c: code_words(kind, c))})
            if spec
            else table
        )
        plain.table(shown, {c: heading(c) for c in table.columns}, RULE_TABS[kind])
        if not editable:
            return
        first, second = table.columns[0], (table.columns[1] if table.shape[1] > 1 else None)
        action = plain.row_form(
            f"rules-plain-{kind}",
            table,
            rule_fields(table, kind),
            lambda r: f"{r[first]}" + (f" → {words(str(r[second]))}" if second is not None else ""),
            noun,
        )
        if action is None:
            return
        changed = plain.apply(table, action).fillna("")
        with st.spinner("Applying the rules to the loaded data…"):
            new_id = ui.attempt(rule_use.save_rules, kind, changed, ds_id, based_on)
        if new_id is not ui.FAILED:
            if action.verb == "remove":
                plain.forget(f"rules-plain-{kind}")
            plain.said(
                f"rules-plain-{kind}",
                f"Rule {'removed' if action.verb == 'remove' else 'saved'} and applied.",
            )
        applied(new_id)


def assign_form(top: pd.DataFrame, kind: str, ds_id: str) -> None:
    """One unmatched value at a time: pick it, pick its group, add it as a rule."""
    with st.expander("Assign a value with a form (keyboard and screen reader)"):
        plain.said(f"assign-plain-{kind}")
        plain.table(top, {c: words(c) for c in top.columns}, "Unmatched values")
        groups = tuple(c for c in ASSIGN_CHOICES[kind] if c)
        fields = [
            plain.Field("assign", "Assign to", "choice", groups, show=lambda c: code_words(kind, c))
        ]
        action = plain.row_form(
            f"assign-plain-{kind}",
            top.assign(assign=None),
            fields,
            lambda r: f"{r['value']} ({int(r['count']):,} calls)",
            "value",
            add=False,
            remove=False,
        )
        if action is None or not action.values["assign"]:
            return
        value = str(top.iloc[action.row]["value"])
        assign_one(kind, value, action.values["assign"], ds_id)


def assign_one(kind: str, value: str, group: str, ds_id: str) -> None:
    with st.spinner("Applying the rules to the loaded data…"):
        new_id = ui.attempt(rule_use.assign_values, kind, {value: group}, ds_id, rules_base(kind))
    if new_id is not ui.FAILED:
        plain.said(
            f"assign-plain-{kind}",
            f"{value} assigned to {code_words(kind, group)}; the rule is added.",
        )
    applied(new_id)


def code_words(kind: str, code) -> str:
    """A rule table's class code in words: 'no_contact' reads 'No contact', 'exclude'
    reads 'Exclude'."""
    spec = rules.class_column(kind)
    named = spec[2].get(str(code)) if spec else None
    text = named or words(str(code))
    return text[:1].upper() + text[1:]


def heading(column: str) -> str:
    text = words(column)
    return text[:1].upper() + text[1:]
