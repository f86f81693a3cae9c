import pandas as pd
import streamlit as st

from pmhc import mapping as mp
from pmhc import profiles, reports, rules, schema, store, ui, uploads
from pmhc.errors import InputError
from pmhc.reading import ACCEPTED_EXTENSIONS
from pmhc.rules import RULE_FILES

ws = ui.workspace()
st.title("Data")
ds, ds_id = ui.current_dataset()
st.caption(
    "Upload calls for service, training logs, rosters and service inventories as "
    "Excel or CSV exports. Each sheet is read, mapped onto the canonical fields and "
    "checked: every row is loaded or shown back with a reason. Names, dates of birth, "
    "addresses and narratives are never read; person identifiers are pseudonymised. "
    "The uploaded files themselves are not kept."
)

# --- upload ---------------------------------------------------------------------------

files = st.file_uploader(
    "Upload exports",
    accept_multiple_files=True,
    key="uploads",
    type=sorted(e.lstrip(".") for e in ACCEPTED_EXTENSIONS),
    help="Several files at once: e.g. a calls export, a training log and a roster.",
)
choices: dict = st.session_state.setdefault("choices", {})

if files:
    payload = [(f.name, f.getvalue()) for f in files]
    signature = (
        tuple(store.file_hash(d) for _, d in payload),
        tuple(sorted((k, v.key()) for k, v in choices.items())),
    )
    if st.session_state.get("loaded_signature") != signature:
        with st.status("Loading your files…", expanded=True) as status:
            try:
                new_ds, new_id = uploads.save_uploads(ws, payload, choices, progress=st.write)
            except InputError as e:
                status.update(label="That file could not be used", state="error")
                st.error(str(e), icon=":material/error:")
                st.stop()
            status.update(
                label=f"Loaded {new_ds.rows_in:,} rows from {len(payload)} "
                f"file{'s' if len(payload) > 1 else ''}",
                state="complete",
                expanded=False,
            )
        st.session_state["loaded_signature"] = signature
        st.session_state["payload"] = payload
        st.rerun()

if not ds.is_sample and st.button("Go back to the sample data", icon=":material/undo:"):
    store.forget_current(ws.datasets_dir)
    st.session_state.pop("loaded_signature", None)
    st.rerun()

# --- what was loaded ------------------------------------------------------------------

st.header("What was loaded" if not ds.is_sample else "What was loaded (sample data)")
summary = pd.DataFrame(
    [
        {
            "file": r.path.split("/")[-1],
            "sheet": r.sheet or "",
            "kind": r.kind or "not loaded",
            "header row": r.header_row,
            "rows in": r.rows_in,
            "loaded": r.rows_loaded,
            "rejected": r.rows_rejected,
            "profile": r.profile or "",
        }
        for r in ds.reports
    ]
)
st.dataframe(summary, hide_index=True)

payload = dict(st.session_state.get("payload", [])) if not ds.is_sample else {}
for index, report in enumerate(ds.reports):
    title = f"{report.path.split('/')[-1]}" + (f" · {report.sheet}" if report.sheet else "")
    if report.kind is None:
        with st.expander(f":material/block: {title} — not loaded"):
            st.write(report.note)
        continue
    with st.expander(
        f":material/table_view: {title} — {report.kind}: "
        f"{report.rows_loaded:,} loaded, {report.rows_rejected:,} rejected"
    ):
        cols = st.columns(4)
        cols[0].metric("Rows in", f"{report.rows_in:,}")
        cols[1].metric("Loaded", f"{report.rows_loaded:,}")
        cols[2].metric("Rejected", f"{report.rows_rejected:,}")
        cols[3].metric("Header row", report.header_row)
        if report.notes:
            st.markdown("**Load report**")
            for note in report.notes:
                st.markdown(f"- {note}")
        if report.personal_data_dropped:
            st.markdown(
                ":material/shield: **Personal data not read:** "
                + ", ".join(report.personal_data_dropped)
            )
        rejected = ds.rejected[index] if index < len(ds.rejected) else pd.DataFrame()
        if len(rejected):
            st.markdown("**Rejected rows** (row number in the sheet, reason, original values)")
            st.dataframe(rejected.head(200), hide_index=True)
            st.download_button(
                "Download all rejected rows (CSV)",
                reports.csv_bytes(rejected),
                file_name=f"rejected_{index}.csv",
                key=f"rej-{index}",
            )

        # Column mapping: auto-proposed, editable, savable as a profile.
        name = report.path.split("/")[-1]
        data = payload.get(name)
        kind = schema.KINDS[report.kind]
        rows = []
        for f in kind.fields:
            rows.append(
                {
                    "field": f.name,
                    "required": "yes" if f.required else "",
                    "column": report.mapping.get(f.name) or "",
                    "confidence": report.confidence.get(f.name),
                    "description": f.description,
                }
            )
        table = pd.DataFrame(rows)
        if data is None:
            st.markdown("**Column mapping**")
            st.dataframe(table, hide_index=True)
            continue
        from pmhc.reading import open_tables

        sheet_table = next(t for t in open_tables(data, name) if t.sheet == report.sheet)
        header_row = (report.header_row or 1) - 1
        headers = [h or "" for h in sheet_table.peek[header_row]] if sheet_table.peek else []
        headers = [str(h).strip() for h in headers]
        table["sample values"] = [
            "(hidden: person identifier)"
            if r["field"] == "person_id"
            else ", ".join(
                mp.sample_values(sheet_table.peek, header_row, headers.index(r["column"]))
            )
            if r["column"] in headers
            else ""
            for r in rows
        ]
        st.markdown("**Column mapping** — change any column, then the file is read again.")
        file_hash = store.file_hash(data)
        choice = choices.get((file_hash, report.sheet), uploads.SheetChoice())
        left, right = st.columns(2)
        all_mh = left.checkbox(
            "Every call in this file is a mental-health call",
            value=choice.all_mh,
            key=f"allmh-{index}",
            disabled=report.kind != "calls",
        )
        edited = st.data_editor(
            table,
            hide_index=True,
            key=f"map-{index}",
            disabled=["field", "required", "confidence", "description", "sample values"],
            column_config={
                "column": st.column_config.SelectboxColumn(
                    "Column in your file", options=[""] + [h for h in headers if h]
                ),
                "confidence": st.column_config.ProgressColumn(
                    "Confidence", min_value=0, max_value=1, format="percent"
                ),
            },
        )
        changed = {
            r["field"]: (r["column"] or None)
            for _, r in edited.iterrows()
            if (r["column"] or "") != (report.mapping.get(r["field"]) or "")
        }
        if changed or all_mh != choice.all_mh:
            fields = {**choice.fields, **changed}
            choices[(file_hash, report.sheet)] = uploads.SheetChoice(
                report.kind, header_row, fields, all_mh
            )
            st.rerun()
        with right.popover("Save as a mapping profile", icon=":material/bookmark_add:"):
            profile_name = st.text_input(
                "Profile name", key=f"pname-{index}", placeholder="e.g. CAD monthly export"
            )
            if st.button("Save profile", key=f"psave-{index}") and profile_name:
                proposal = mp.at_row(sheet_table.peek, header_row, report.kind)
                proposal = mp.apply_overrides(
                    proposal, {f: (report.mapping.get(f) or None) for f in kind.names}
                )
                try:
                    path = profiles.save_profile(
                        ws.profiles_dir, uploads.profile_from(profile_name, proposal, all_mh)
                    )
                    st.success(
                        f"Saved. Files with these columns will be mapped this way "
                        f"automatically (also from the CLI: --mapping {path})."
                    )
                except InputError as e:
                    st.error(str(e))

# --- rules ----------------------------------------------------------------------------

st.header("Rules")
st.caption(
    "Plain tables that decide which calls are mental-health calls, how free-text "
    "dispositions are grouped, and which courses count as CIT. Terms match whole words "
    "only: 'OD' never matches 'ODOR'. Edits apply to the next upload and to the sample."
)
current_rules = ws.rules()
tabs = st.tabs(["Mental-health call types", "Dispositions", "Course types"])
for tab, (kind, attr) in zip(
    tabs,
    (("mh_terms", "mh_terms"), ("dispositions", "dispositions"), ("courses", "courses")),
    strict=True,
):
    with tab:
        edited = st.data_editor(
            getattr(current_rules, attr), num_rows="dynamic", hide_index=True, key=f"rules-{kind}"
        )
        if st.button("Save these rules", key=f"save-{kind}", icon=":material/save:"):
            try:
                rules.save_rule_table(ws.rules_dir, kind, edited)
                st.success(f"Saved to {ws.rules_dir / RULE_FILES[kind]}.")
                st.session_state.pop("loaded_signature", None)
            except ValueError as e:
                st.error(str(e))
        rows = ds.calls
        if kind == "dispositions" and rows is not None and "disposition" in rows:
            other = current_rules.unmatched(rows["disposition"].astype("str"), "disposition")
            st.markdown(f"**Dispositions that matched no rule** ({len(other)})")
            st.dataframe(other, hide_index=True)
        if kind == "courses" and ds.training is not None:
            other = current_rules.unmatched(ds.training["course"].astype("str"), "course")
            st.markdown(f"**Course names that matched no rule** ({len(other)})")
            st.dataframe(other, hide_index=True)
        if kind == "mh_terms" and rows is not None and "call_type_final" in rows:
            types = rows["call_type_final"].astype("str")
            counts = types.value_counts().rename("calls").reset_index()
            counts.columns = ["call type", "calls"]
            counts["matched term"] = current_rules.mh_term(counts["call type"]).to_numpy()
            st.markdown(
                "**Call types and the term that flagged them** (blank: not a mental-health call)"
            )
            st.dataframe(counts, hide_index=True)

with st.expander("The canonical fields"):
    for kind in schema.KINDS.values():
        st.markdown(f"**{kind.label}** — {kind.description}")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "field": f.name,
                        "type": f.type,
                        "required": "yes" if f.required else "",
                        "description": f.description,
                    }
                    for f in kind.fields
                ]
            ),
            hide_index=True,
        )
