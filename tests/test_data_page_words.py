"""The Data page in people's words and within the role: the sample is named in the dataset
picker, a button never offers to add 0 rules, and a viewer gets no rule editor."""

from __future__ import annotations

from pathlib import Path

from streamlit import config
from streamlit.testing.v1 import AppTest

from pmhc.domain import access, rules
from pmhc.ui.data import RULE_TABS, rule_columns

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_data_page(monkeypatch, folder: Path, secrets: dict | None = None) -> AppTest:
    monkeypatch.setenv("PMHC_DATA_DIR", str(folder))
    monkeypatch.delenv("PMHC_AUDIENCE", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    return at


def test_the_sample_is_named_in_the_dataset_picker(monkeypatch, tmp_path):
    at = open_data_page(monkeypatch, tmp_path)
    at.switch_page("app_pages/data.py").run()
    picker = at.selectbox(key="pick-dataset")
    assert picker.index == 0
    assert picker.options[0] == "Sample data (a fictional agency)"
    # Nothing picked yet in the unmatched-values table: the button counts no rules.
    labels = [b.label for b in at.button if b.key and b.key.startswith("assign-save-")]
    assert labels and set(labels) == {"Add rules"}


def test_a_viewer_sees_unmatched_values_but_cannot_assign_them(monkeypatch, tmp_path):
    phrase = "river delta 42x"
    secrets = {"pmhc": {"passphrases": {"viewer": access.hash_passphrase(phrase)}}}
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")  # noqa: S104 - a hosted server
    monkeypatch.setenv("PMHC_ALLOW_OPEN", "")
    try:
        at = open_data_page(monkeypatch, tmp_path, secrets)
        at.text_input[0].input(phrase)
        at.button[0].click().run()
        at.switch_page("app_pages/data.py").run()
    finally:
        config.set_option("server.address", before)
    assert not at.exception, [e.value for e in at.exception]
    keys = [e.key for e in at.get("arrow_data_editor")] + [b.key for b in at.button]
    assert not [k for k in keys if k and k.startswith("assign")], keys
    # The unmatched call types are still listed, read-only.
    assert any("not mental-health types" in m.value for m in at.markdown)


def test_only_the_open_rules_tab_builds_its_forms_and_every_tab_keeps_its_grid(
    monkeypatch, tmp_path
):
    at = open_data_page(monkeypatch, tmp_path)
    at.switch_page("app_pages/data.py").run()
    forms = [e.label for e in at.expander if "as a plain table" in e.label]
    assert forms == [
        "Mental-health call types as a plain table and a form (keyboard and screen reader)"
    ]
    # every rule table's grid is there, whichever tab is open (an unsaved edit survives)
    assert all(f"rules-{kind}" in at.session_state for kind in RULE_TABS)
    flagged = [m.value for m in at.markdown if "the term that flagged them" in m.value]
    assert len(flagged) == 1

    at.session_state["rules-tab"] = "Abbreviations"
    at.run()
    forms = [e.label for e in at.expander if "as a plain table" in e.label]
    assert forms == ["Abbreviations as a plain table and a form (keyboard and screen reader)"]
    assert not [m.value for m in at.markdown if "the term that flagged them" in m.value]


def test_a_row_picked_in_a_rules_form_survives_a_look_at_another_tab(monkeypatch, tmp_path):
    at = open_data_page(monkeypatch, tmp_path)
    at.switch_page("app_pages/data.py").run()
    at.session_state["rules-tab"] = "Dispositions"
    at.run()
    picker = at.selectbox(key="rules-plain-dispositions-pick")
    assert picker.options[0] == "A new rule"
    chosen = picker.options[2]
    picker.select(chosen).run()
    at.session_state["rules-tab"] = "Abbreviations"
    at.run()
    assert not [s for s in at.selectbox if s.key == "rules-plain-dispositions-pick"]
    at.session_state["rules-tab"] = "Dispositions"
    at.run()
    assert at.selectbox(key="rules-plain-dispositions-pick").value == chosen


def test_the_rules_grids_headings_start_with_a_capital():
    table = rules.load_rules().dispositions  # the rules the app ships
    config = rule_columns(table, "dispositions")
    labels = [c["label"] if isinstance(c, dict) else c for c in config.values()]
    assert labels and all(label[:1].isupper() for label in labels), labels
    assert "Group" in labels
