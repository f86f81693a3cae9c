"""The sign-in gate under AppTest: local admin on 127.0.0.1, refusal on an open address
unless PMHC_ALLOW_OPEN is set, and the passphrase option."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from pmhc.domain import access
from pmhc.storage import audit, db, settings

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - the address the gate must refuse


@pytest.fixture
def app(tmp_path, monkeypatch):
    """app(address=..., secrets=None) -> AppTest after its first run."""
    monkeypatch.setenv("PMHC_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PMHC_AUDIENCE", raising=False)
    monkeypatch.delenv("PMHC_ALLOW_OPEN", raising=False)
    before = config.get_option("server.address")

    def run(address: str = "127.0.0.1", secrets: dict | None = None) -> AppTest:
        config.set_option("server.address", address)
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in (secrets or {}).items():
            at.secrets[key] = value
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    yield run
    config.set_option("server.address", before)


def text(at: AppTest) -> str:
    return "\n".join(
        [e.value for e in at.title] + [e.value for e in at.markdown] + [e.value for e in at.caption]
    )


def test_local_user_is_the_admin_and_is_told_so(app, tmp_path):
    at = app()
    assert at.title[0].value == "Overview" and at.metric
    assert "Local administrator" in text(at) and "127.0.0.1" in text(at)
    [entry] = audit.read(tmp_path)
    assert (entry["who"], entry["role"], entry["action"]) == ("local", "admin", "sign-in")


@pytest.mark.parametrize("address", [ALL_INTERFACES, "", "192.0.2.10"])
def test_an_open_address_without_sign_in_shows_nothing(app, address):
    at = app(address)
    assert [t.value for t in at.title] == ["Sign-in is not set up"]
    assert not at.metric and not at.get("vega_lite_chart") and not at.dataframe


def test_an_open_address_serves_when_told_explicitly(app, monkeypatch):
    monkeypatch.setenv("PMHC_ALLOW_OPEN", "1")
    at = app(ALL_INTERFACES)
    assert at.title[0].value == "Overview" and at.metric
    assert "Open server" in text(at)


def test_passphrase_lets_in_with_its_role(app, tmp_path):
    secrets = {"pmhc": {"passphrases": {"viewer": access.hash_passphrase("river delta 42x")}}}
    at = app(ALL_INTERFACES, secrets)
    assert not at.metric and at.text_input
    at.text_input[0].input("wrong phrase")
    at.button[0].click().run()
    assert not at.metric and at.error
    at.text_input[0].input("river delta 42x")
    at.button[0].click().run()
    assert at.title[0].value == "Overview" and at.metric
    at.switch_page("app_pages/data.py").run()
    assert not at.file_uploader, "a viewer must not be able to upload"
    actions = [(e["who"], e["action"]) for e in audit.read(tmp_path)]
    assert actions == [("anonymous", "sign-in-refused"), ("passphrase:viewer", "sign-in")]


def test_a_partner_server_needs_no_account_and_shows_the_partner_view_only(app, monkeypatch):
    monkeypatch.setenv("PMHC_AUDIENCE", "partner")
    at = app(ALL_INTERFACES)
    assert at.title[0].value == "Overview"  # nothing published yet: no figure, no sign-in
    assert not at.toggle and not at.file_uploader
    assert "Partner view" in text(at) and "Local administrator" not in text(at)


def test_saved_datasets_are_switched_renamed_and_deleted_per_session(app, tmp_path):
    from pmhc.storage import datasets as store
    from pmhc.storage import uploads
    from pmhc.storage.workspace import Workspace

    header = "Incident No,Call Date,Call Type,District\n"
    ws = Workspace(tmp_path)
    ids = {}
    for name, district in (("east.csv", "East"), ("west.csv", "West")):
        rows = "".join(
            f"{name[0]}{i},2025-01-0{1 + i},PERSON IN CRISIS,{district}\n" for i in range(5)
        )
        _, ids[name] = uploads.save_uploads(ws, [(name, (header + rows).encode())], {})
    at = app()
    assert "Sample data" in text(at)  # nobody chose anything yet: the sample
    at.switch_page("app_pages/data.py").run()
    at.selectbox(key="pick-dataset").set_value(ids["east.csv"]).run()
    assert "east.csv" in text(at).replace("\\", "")
    other = app()  # another session of the same user starts from their last choice...
    assert "east.csv" in text(other).replace("\\", "")
    other.switch_page("app_pages/data.py").run()
    other.selectbox(key="pick-dataset").set_value(ids["west.csv"]).run()
    at.run()  # ...and choosing in one session leaves the other as it was
    assert "east.csv" in text(at).replace("\\", "") and "west.csv" not in text(at)
    at.text_input(key=f"rename-{ids['east.csv']}").input("East side 2025").run()
    at.button(key="rename-dataset").click().run()
    assert store.name_of(ws.datasets_dir, ids["east.csv"]) == "East side 2025"
    assert "East side 2025" in text(at)
    at.button(key="delete-dataset").click().run()
    assert not store.exists(ws.datasets_dir, ids["east.csv"])
    assert "Sample data" in text(at)
    actions = [e["action"] for e in audit.read(tmp_path) if e["action"].startswith("dataset")]
    assert actions == ["dataset-switch", "dataset-switch", "dataset-rename", "dataset-delete"]


def test_edits_are_audited_and_kept_with_the_dataset_in_view(app, tmp_path):
    import datetime as dt

    at = app()
    at.switch_page("app_pages/review.py").run()
    at.date_input(key="programme_start_input").set_value(dt.date(2024, 9, 1)).run()
    assert not at.exception
    # Kept with the sample (the dataset in view), not workspace-wide, and saved by "local"
    assert settings.load_settings(tmp_path, None)["programme_start"] == "2024-09-01"
    assert settings.settings_stamps(tmp_path, None)["programme_start"].by == "local"
    with db.read(tmp_path) as (conn, ws):
        t = db.settings
        assert {r.scope for r in conn.execute(t.select().where(t.c.ws == ws))} == {"sample"}
    [edit] = [e for e in audit.read(tmp_path) if e["action"] == "settings-edit"]
    assert edit["who"] == "local" and edit["details"]["keys"] == ["programme_start"]


def test_a_viewer_cannot_edit_settings_or_answers(app):
    secrets = {"pmhc": {"passphrases": {"viewer": access.hash_passphrase("river delta 42x")}}}
    at = app(ALL_INTERFACES, secrets)
    at.text_input[0].input("river delta 42x")
    at.button[0].click().run()
    at.switch_page("app_pages/review.py").run()
    assert at.date_input(key="programme_start_input").disabled
    assert all(s.disabled for s in at.selectbox if s.key and s.key.startswith("answer-"))
    assert not [b for b in at.button if b.label in ("Save actions", "Save targets")]


def test_a_filter_that_does_not_fit_the_dataset_is_reset_and_said_so(app, monkeypatch, tmp_path):
    monkeypatch.setenv("PMHC_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["district"] = "Nowhere"
    at.run()
    assert not at.exception
    assert "Reset, not in this dataset: district." in text(at)
    assert at.multiselect(key="district").value == []
    assert "district" not in at.query_params


def test_the_data_page_lists_versions_undoes_the_last_and_makes_a_draft_the_agencys(app, tmp_path):
    from pmhc.storage import datasets as store
    from pmhc.storage import uploads
    from pmhc.storage.workspace import Workspace

    header = "Incident No,Call Date,Call Type,District\n"

    def export(first: int, last: int) -> bytes:
        rows = "".join(
            f"E{i},2025-01-0{1 + i % 9},PERSON IN CRISIS,East\n" for i in range(first, last)
        )
        return (header + rows).encode()

    ws = Workspace(tmp_path)
    march, march_id = uploads.save_uploads(ws, [("march.csv", export(0, 6))], {}, by="dana")
    april, april_id = uploads.ingest_uploads(ws, [("april.csv", export(4, 10))], {})
    _, newest, _ = uploads.append_to(ws, march, march_id, april, april_id, by="dana")
    at = app()  # the local administrator: sees Dana's draft
    at.switch_page("app_pages/data.py").run()
    picker = at.selectbox(key="pick-dataset")
    assert "draft of dana" in picker.format_func(newest)
    picker.set_value(newest).run()
    versions = next(d.value for d in at.dataframe if "what" in d.value)
    assert versions["what"].tolist() == [
        "Added 4 incidents, replaced 2.",
        "Uploaded 6 incidents.",
    ]
    at.button(key="undo-dataset").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    record = store.dataset_record(ws.datasets_dir, march_id)
    assert (record.version, record.incidents, record.status) == (1, 6, "draft")
    at.button(key="make-agency").click().run()
    assert store.dataset_record(ws.datasets_dir, march_id).status == "agency"
    actions = [e["action"] for e in audit.read(tmp_path) if e["action"].startswith("dataset")]
    assert actions == ["dataset-switch", "dataset-undo", "dataset-agency"]
