"""The partner server under AppTest: exports that differ only inside small cells, loaded
and published with the command line, give the same element tree — every title, caption,
metric with its help, dataframe, chart spec and chart dataset, byte for byte — on every
page and for every value of every filter a partner can choose. And a partner session never
reads the incident table."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import publish  # tests/ is on the path under pytest
from streamlit.testing.v1 import AppTest

from pmhc import cli
from pmhc.storage import releases
from tests import partner_exports as exports

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = ["overview", "leadership", "policies", "training", "services", "outcomes", "review"]


# Random per render, never from the data: a download's deferred file id (a UUID).
RANDOM_FIELDS = ("deferred_file_id",)


def walk(node) -> list[tuple[str, bytes]]:
    """Every element and block of the rendered tree with its full protobuf (random ids
    blanked)."""
    out = []
    proto = getattr(node, "proto", None)
    if proto is not None:
        proto = type(proto).FromString(proto.SerializeToString())
        for name in RANDOM_FIELDS:
            if name in type(proto).DESCRIPTOR.fields_by_name:
                proto.ClearField(name)
        out.append((type(node).__name__, proto.SerializeToString(deterministic=True)))
    for child in (getattr(node, "children", None) or {}).values():
        out.extend(walk(child))
    return out


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def partner_session(monkeypatch, workspace: Path) -> AppTest:
    monkeypatch.setenv("PMHC_DATA_DIR", str(workspace))
    monkeypatch.setenv("PMHC_AUDIENCE", "partner")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert_clean(at)
    return at


def every_view(monkeypatch, workspace: Path) -> dict[tuple, list]:
    """The rendered tree for every page, district and period (and control-chart outcome on
    the review page): everything a partner can choose."""
    at = partner_session(monkeypatch, workspace)
    seen = {}
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert_clean(at)
        for district in at.selectbox(key="partner_district").options:
            at.selectbox(key="partner_district").select(district).run()
            for period in at.selectbox(key="partner_period").options:
                at.selectbox(key="partner_period").select(period).run()
                outcomes = at.selectbox(key="p_control").options if page == "review" else [None]
                for outcome in outcomes:
                    if outcome is not None:
                        at.selectbox(key="p_control").select(outcome).run()
                    assert_clean(at)
                    seen[(page, district, period, outcome)] = walk(at._tree)
        at.selectbox(key="partner_district").select("All districts").run()
        at.selectbox(key="partner_period").select("Whole period").run()
    return seen


@pytest.fixture(scope="module")
def base_ws(published_base_cache) -> Path:
    """The base export loaded and published (shared by the run: only read here)."""
    return published_base_cache


@pytest.fixture(scope="module")
def base_views(base_ws):
    with pytest.MonkeyPatch.context() as mp:
        return every_view(mp, base_ws)


def test_the_comparison_sees_every_page_and_can_fail(base_views, tmp_path, monkeypatch):
    pages = {state[0] for state in base_views}
    assert pages == set(PAGES)
    assert len({state[1] for state in base_views}) == 6  # all, 4 named, "Other districts"
    assert len({state[2] for state in base_views}) == 3  # whole period, 2024, 2025
    # A change in a large cell must show: one more North call in March 2024.
    frame = exports.base_export()
    extra = frame[frame["District"] == "North"].iloc[[0]].assign(**{"Incident #": "NEW-1"})
    changed = publish(tmp_path / "changed", pd.concat([frame, extra], ignore_index=True))
    at = partner_session(monkeypatch, changed)
    assert walk(at._tree) != base_views[("overview", "All districts", "Whole period", None)]


# The pair whose partner views are compared in full here (tests/test_partner_browser.py
# compares swap_small_districts message by message in a browser).
DRAWN_PAIR = "trade_small_months"


def test_partners_receive_the_same_for_exports_differing_in_small_cells(
    base_ws, base_views, published_export, monkeypatch
):
    """Every view of a partner server on a pair's changed export, element by element, is
    the base's: its incidents, dataset and publish record differ, its release does not."""
    workspace = published_export(DRAWN_PAIR)  # loaded and published once per run (conftest.py)
    assert releases.to_bytes(releases.load(workspace)) == releases.to_bytes(releases.load(base_ws))
    views = every_view(monkeypatch, workspace)
    assert views.keys() == base_views.keys()
    for state, tree in views.items():
        assert [kind for kind, _ in tree] == [kind for kind, _ in base_views[state]], state
        for (kind, got), (_, want) in zip(tree, base_views[state], strict=True):
            assert got == want, f"{state}: a {kind} differs"


# Every pair's release is compared with its base's at the release layer, where a release is
# built without the command line around it (tests/test_release.py,
# test_pairs_differ_only_in_small_cells_and_release_the_same): what a partner server draws
# is its published release alone (the tests above and below), so through the command line
# one pair with its own base export stands for them here, beside the drawn pair above.
CLI_PAIR = "move_early_call"


def test_a_pair_publishes_the_same_release_through_the_command_line(tmp_path):
    """`load` then `publish` of both exports of a pair write the same release, the very
    files a partner server reads."""
    pair = CLI_PAIR
    first = publish(tmp_path / "first", exports.PAIR_BASES[pair](exports.base_export()))
    changed = exports.PAIRS[pair](exports.base_export())
    assert not changed.equals(exports.base_export())
    workspace = publish(tmp_path / pair, changed)
    assert releases.current_version(workspace) == releases.current_version(first)
    assert releases.to_bytes(releases.load(workspace)) == releases.to_bytes(releases.load(first))
    assert (releases.publish_record(workspace) or {}).get("dataset") != (
        releases.publish_record(first) or {}
    ).get("dataset")


def test_partner_filters_are_district_and_period_only(base_ws, base_views, monkeypatch):
    """A responder or call-type filter could isolate one incident: partners have none, and
    the internal filters' query parameters change nothing."""
    at = partner_session(monkeypatch, base_ws)
    assert [s.label for s in at.selectbox] == ["District", "Period"]
    assert not at.multiselect and not at.date_input and not at.toggle
    at.query_params["responder"] = "Co-responder"
    at.query_params["district"] = "Harbor"
    at.run()
    assert walk(at._tree) == base_views[("overview", "All districts", "Whole period", None)]


def test_partner_session_never_reads_incidents(monkeypatch, base_ws):
    workspace = base_ws

    def forbidden(*args, **kwargs):
        raise AssertionError("a partner session read incident-level data")

    from pmhc.ingest import pipeline
    from pmhc.storage import datasets
    from pmhc.ui import components

    monkeypatch.setattr(datasets, "load", forbidden)
    monkeypatch.setattr(pipeline, "ingest_file", forbidden)
    monkeypatch.setattr(components, "current_dataset", forbidden)
    at = partner_session(monkeypatch, workspace)
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert_clean(at)
        assert at.title


def test_nothing_published_shows_nothing(monkeypatch, tmp_path):
    at = partner_session(monkeypatch, tmp_path / "empty")
    assert "Nothing is published" in at.info[0].value
    assert not at.metric and not at.get("vega_lite_chart") and not at.dataframe


def test_analyst_previews_and_publishes(monkeypatch, tmp_path):
    """The preview draws the draft release; "Publish for partners" makes it what a partner
    server shows."""
    folder = tmp_path / "analyst"
    folder.mkdir()
    path = folder / "calls_export.csv"
    path.write_bytes(exports.csv_bytes(exports.base_export()))
    workspace = folder / "ws"
    assert cli.main(["load", str(path), "--data-dir", str(workspace)]) == 0
    monkeypatch.setenv("PMHC_DATA_DIR", str(workspace))
    monkeypatch.delenv("PMHC_AUDIENCE", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.toggle(key="partner_preview").set_value(True).run()
    assert_clean(at)
    preview = walk(at.main)
    assert "Nothing is published for partners yet." in [c.value for c in at.sidebar.caption]
    at.sidebar.button(key="publish-sidebar").click().run()
    assert_clean(at)
    partner = partner_session(monkeypatch, workspace)
    assert walk(partner.main) == preview


def test_only_what_the_analyst_shares_reaches_partners(monkeypatch, tmp_path):
    """Checklist notes and action-tracker rows are the analyst's free text: partners see an
    item only when it is marked shared, and only after publishing."""
    from pmhc.storage import review_log, settings

    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "calls_export.csv"
    path.write_bytes(exports.csv_bytes(exports.base_export()))
    workspace = folder / "ws"
    assert cli.main(["load", str(path), "--data-dir", str(workspace)]) == 0
    review_log.save_actions(
        settings.dataset_folder(workspace, None),
        pd.DataFrame(
            {
                "recommendation": ["Add the crisis line to cards", "Review Officer Doe's calls"],
                "owner": ["Coordinator", "Sgt. Roe"],
                "due": [None, None],
                "status": ["In progress", "Not started"],
                "shared": [True, False],
            }
        ),
    )
    monkeypatch.setenv("PMHC_DATA_DIR", str(workspace))
    monkeypatch.delenv("PMHC_AUDIENCE", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/review.py").run()
    for item, answer, note, share in (
        ("6.1", "Yes", "Partners sit on the review board", True),
        ("6.2", "No", "Case of J. Smith discussed", False),
    ):
        at.selectbox(key=f"answer-{item}").set_value(answer)
        at.text_input(key=f"note-{item}").set_value(note)
        at.checkbox(key=f"share-{item}").set_value(share)
        at.run()
    assert_clean(at)
    at.switch_page("app_pages/data.py").run()
    at.button(key="publish-data").click().run()
    assert_clean(at)

    partner = partner_session(monkeypatch, workspace)
    partner.switch_page("app_pages/review.py").run()
    assert_clean(partner)
    text = "\n".join(m.value for m in partner.markdown)
    assert "Partners sit on the review board" in text
    assert "Smith" not in text and "No" in text  # the answer shows, the note does not
    actions = partner.dataframe[-1].value
    assert actions["recommendation"].tolist() == ["Add the crisis line to cards"]
    assert "Doe" not in str(walk(partner._tree)) and "Roe" not in str(walk(partner._tree))


def test_a_release_published_from_the_command_line_is_the_preview(monkeypatch, tmp_path):
    workspace = tmp_path / "ws"
    assert cli.main(["publish", "--data-dir", str(workspace)]) == 0  # the sample
    monkeypatch.setenv("PMHC_DATA_DIR", str(workspace))
    monkeypatch.delenv("PMHC_AUDIENCE", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.toggle(key="partner_preview").set_value(True).run()
    assert_clean(at)
    (caption,) = [c.value for c in at.sidebar.caption if c.value.startswith("Partners see")]
    # the time in words, as on the Admin page: never an ISO stamp (read as the page shows
    # it: the escaping helper's backslash and word joiner keep "19:05" from being markup)
    caption = caption.replace("\\", "").replace("\u2060", "")
    assert re.fullmatch(
        r"Partners see this preview \(published \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC\)\.",
        caption,
    ), caption
