"""The grid editors' plain alternatives, used with the keyboard alone in Chromium: every
control is reached with Tab (never clicked), filled by typing, chosen with the arrow keys
and Enter, and submitted with Enter or Space; what was saved is read back from the plain
HTML table a screen reader reads. The pages with the forms open stay free of serious
axe-core violations. (The file chooser of an upload is the only step not done by keys: a
browser's file dialog is outside the page.)"""

from __future__ import annotations

import re
import warnings

import pytest
from browsing import FIRST_LOAD, STEP, ScriptRuns, expect, small_workbook

from tests.test_accessibility_browser import report, serious
from tests.test_chart_layout import settle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(own_server):
    """This module's own app: its forms save actions, targets, rules and mappings,
    which the shared server's readers must not see."""
    return own_server


TABS = 600  # at most this many Tab presses to reach a control


def focused_in(page, locator) -> bool:
    return locator.evaluate(
        "e => e === document.activeElement || e.contains(document.activeElement)"
    )


def tab_to(page, locator) -> None:
    """Press Tab until `locator` has the focus: the control is in the keyboard's order."""
    locator.wait_for(state="attached")
    for _ in range(TABS):
        if focused_in(page, locator):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} not reached with {TABS} presses of Tab")


def press(page, runs: ScriptRuns, key: str) -> None:
    """A key that makes the app run its script, and the wait for that run."""
    before = runs.finished
    page.keyboard.press(key)
    runs.wait(before)


def grown(details) -> None:
    """An expander grows for about half a second with an inline height and overflow,
    removed once it has grown; a select box inside it chosen before then is not taken (a
    fixed 300 ms wait was too short even unloaded)."""
    expect(details).not_to_have_attribute("style", re.compile(".+"))


def open_section(page, runs: ScriptRuns, title: str) -> None:
    """An expander opened with Enter on its heading."""
    summary = page.locator("summary").filter(has_text=title).first
    tab_to(page, summary)
    details = summary.locator("xpath=..")
    if details.get_attribute("open") is None:
        page.keyboard.press("Enter")
        expect(details).to_have_attribute("open", re.compile(".*"))
        grown(details)


def choose(page, runs: ScriptRuns | None, label: str, text: str, scope=None) -> None:
    """A select box reached with Tab, its option found by typing and taken with Enter."""
    box = (scope or page).get_by_role("combobox", name=label).first
    tab_to(page, box)
    if runs is not None and text in (box.input_value() or ""):
        return  # already chosen: choosing it again would not run the app
    _type_until_listed(page, box, text)
    if runs is None:  # inside a form: nothing runs until it is submitted
        page.keyboard.press("Enter")
    else:
        press(page, runs, "Enter")
    expect(box).to_have_value(re.compile(re.escape(text)))


def _type_until_listed(page, box, text: str) -> None:
    """Type `text` into a focused select box and wait until its list is filtered to it (its
    first option matches): under load, Enter pressed before the filter took the first
    option as it was. On a loaded machine the typed keys were twice lost altogether (no list
    opened in 30 s); what the box then held is said, and the keys are typed once more."""
    page.keyboard.type(text)
    first = page.get_by_role("option").first
    try:
        expect(first).to_contain_text(text, timeout=STEP / 3)
        return
    except AssertionError:
        held = box.evaluate(
            "e => [e.value, e.getAttribute('aria-expanded'), document.activeElement?.outerHTML"
            ".slice(0, 120)]"
        )
        # Said where a passing run shows it (pytest's warnings summary), not swallowed.
        warnings.warn(f"typed {text!r}, no list: the box held {held}; typing again", stacklevel=2)
    tab_to(page, box)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    expect(first).to_contain_text(text)


def fill(page, label: str, text: str, scope=None) -> None:
    box = (scope or page).get_by_label(label, exact=True).first
    tab_to(page, box)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def type_date(page, label: str, ddmmyyyy: str, scope=None) -> None:
    """A date typed into the date field's day, month and year (each moves on to the next
    when full)."""
    day = (scope or page).get_by_role("spinbutton", name=f"day, {label}").first
    tab_to(page, day)
    page.keyboard.type(ddmmyyyy.replace("/", ""))
    group = (scope or page).get_by_role("group", name=label).first
    expect(group).to_have_text(ddmmyyyy)


def submit(page, runs: ScriptRuns, name: str) -> None:
    """A form's button reached with Tab and pressed with Space."""
    button = page.get_by_role("button", name=name).first
    tab_to(page, button)
    press(page, runs, "Space")


def table_text(page, caption: str) -> str:
    """The text of the plain table that follows `caption`'s section."""
    return page.get_by_test_id("stTable").filter(has_text=caption).first.inner_text()


@pytest.fixture
def review(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(STEP)
    page = context.new_page()
    settle(page, f"{server}/review")
    yield page, page.script_runs
    context.close()


def test_actions_are_added_changed_and_removed_by_keyboard(review):
    page, runs = review
    open_section(page, runs, "Actions as a plain table")
    form = page.get_by_test_id("stExpander").filter(has_text="Actions as a plain table")
    fill(page, "Recommendation", "Share the crisis line number with dispatch", form)
    fill(page, "Owner", "CIT coordinator", form)
    type_date(page, "Due", "15/01/2027", form)
    choose(page, None, "Status", "In progress", form)
    submit(page, runs, "Add this action")
    expect(page.get_by_text("Action added.")).to_be_visible()
    rows = form.get_by_test_id("stTable")
    expect(rows).to_contain_text("Share the crisis line number with dispatch")
    expect(rows).to_contain_text("15 Jan 2027")
    expect(rows).to_contain_text("In progress")
    # The grid reads the tracker again: the same row is there.
    expect(
        page.get_by_test_id("stDataFrame").filter(has_text="Recommendation").first
    ).to_be_visible()

    choose(page, runs, "Which action to add or change", "Share the crisis line", form)
    choose(page, None, "Status", "Done", form)
    submit(page, runs, "Save this action")
    expect(page.get_by_text("Action saved.")).to_be_visible()
    expect(form.get_by_test_id("stTable")).to_contain_text("Done")

    choose(page, runs, "Which action to add or change", "Share the crisis line", form)
    submit(page, runs, "Remove this action")
    expect(page.get_by_text("Action removed.")).to_be_visible()
    expect(form).to_contain_text("Actions: none yet.")


def test_targets_and_milestones_by_keyboard(review):
    page, runs = review
    open_section(page, runs, "Targets for the key outcomes")
    targets = page.get_by_test_id("stExpander").filter(has_text="Targets for the key outcomes")
    choose(page, runs, "Which target to change", "Arrest", targets)
    fill(page, "Target (%)", "4.5", targets)
    submit(page, runs, "Save this target")
    expect(page.get_by_text("Target saved.")).to_be_visible()
    expect(
        targets.get_by_test_id("stTable").locator("tr").filter(has_text="Arrest")
    ).to_contain_text("4.5")
    submit(page, runs, "Remove this target")
    expect(page.get_by_text("Target cleared.")).to_be_visible()
    expect(
        targets.get_by_test_id("stTable").locator("tr").filter(has_text="Arrest")
    ).to_contain_text("–")

    open_section(page, runs, "Milestones (drawn on every time chart)")
    box = page.get_by_test_id("stExpander").filter(has_text="Milestones (drawn on")
    type_date(page, "Date", "01/07/2024", box)
    fill(page, "What happened", "Mobile crisis team launched", box)
    submit(page, runs, "Add this milestone")
    expect(page.get_by_text("Milestone saved.")).to_be_visible()
    expect(box.get_by_test_id("stTable")).to_contain_text("1 Jul 2024")
    # The before/after split offers it at once.
    choose(page, runs, "Which milestone to add or change", "Mobile crisis team", box)
    fill(page, "What happened", "Mobile crisis team on every shift", box)
    submit(page, runs, "Save this milestone")
    expect(box.get_by_test_id("stTable")).to_contain_text("Mobile crisis team on every shift")
    choose(page, runs, "Which milestone to add or change", "on every shift", box)
    submit(page, runs, "Remove this milestone")
    expect(page.get_by_text("Milestone removed.")).to_be_visible()
    expect(box).to_contain_text("Milestones: none yet.")


def test_a_meeting_is_logged_and_corrected_by_keyboard(review):
    page, runs = review
    open_section(page, runs, "Log a review meeting")
    form = page.get_by_test_id("stExpander").filter(has_text="Log a review meeting")
    type_date(page, "Meeting date", "02/11/2026", form)
    roles = form.get_by_role("combobox", name="Who attended (by role)")
    tab_to(page, roles)
    page.keyboard.type("Dispatch")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    fill(page, "Decisions (one a line)", "Route crisis calls to the co-responder", form)
    submit(page, runs, "Log the meeting")
    section = "Meetings as a plain table, and corrections"
    open_section(page, runs, section)
    fix = page.get_by_test_id("stExpander").filter(has_text=section)
    expect(fix.get_by_test_id("stTable")).to_contain_text("2 Nov 2026")
    choose(page, runs, "Which meeting to change", "02 Nov 2026", fix)
    type_date(page, "Meeting date", "03/11/2026", fix)
    fill(page, "Decisions (one a line)", "Route every crisis call to the co-responder", fix)
    submit(page, runs, "Save this meeting")
    expect(page.get_by_text("Meeting corrected.")).to_be_visible()
    table = fix.get_by_test_id("stTable")
    expect(table).to_contain_text("3 Nov 2026")
    expect(table).to_contain_text("Route every crisis call to the co-responder")
    expect(table).not_to_contain_text("2 Nov 2026")


@pytest.fixture
def data_page(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(STEP)
    page = context.new_page()
    runs = ScriptRuns(page)
    before = runs.finished
    page.goto(f"{server}/data")
    runs.wait(before, timeout=FIRST_LOAD / 1000)
    yield page, runs
    context.close()


def rule_tab(page, name: str) -> None:
    """A rules tab chosen with the arrow keys from the first one."""
    tab_to(page, page.get_by_role("tab", selected=True).first)
    target = page.get_by_role("tab", name=name)
    for _ in range(12):
        if focused_in(page, target):
            break
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(target).to_have_attribute("aria-selected", "true")


def test_unmatched_values_and_rules_by_keyboard(data_page):
    page, runs = data_page
    open_section(page, runs, "Assign a value with a form")
    assign = page.get_by_test_id("stExpander").filter(has_text="Assign a value with a form")
    expect(assign.get_by_test_id("stTable")).to_contain_text("TRESPASS")
    choose(page, runs, "Which value to change", "TRESPASS", assign)
    choose(page, None, "Assign to", "Exclude", assign)
    submit(page, runs, "Save this value")
    expect(page.get_by_text("TRESPASS assigned to Exclude; the rule is added.")).to_be_visible()
    open_section(page, runs, "Mental-health call types as a plain table")
    terms = page.get_by_test_id("stExpander").filter(has_text="Mental-health call types as a")
    expect(
        terms.get_by_test_id("stTable").locator("tr").filter(has_text="TRESPASS")
    ).to_contain_text("Exclude")

    rule_tab(page, "Abbreviations")
    title = "Abbreviations as a plain table"
    open_section(page, runs, title)
    box = page.get_by_test_id("stExpander").filter(has_text=title)
    fill(page, "Abbreviation", "QZX", box)
    fill(page, "Expansion", "crisis", box)
    submit(page, runs, "Add this rule")
    expect(page.get_by_text("Rule saved and applied.")).to_be_visible()
    row = box.get_by_test_id("stTable").locator("tr").filter(has_text="QZX")
    expect(row).to_contain_text("crisis")
    choose(page, runs, "Which rule to add or change", "QZX", box)
    fill(page, "Expansion", "crisis team", box)
    submit(page, runs, "Save this rule")
    expect(row).to_contain_text("crisis team")
    choose(page, runs, "Which rule to add or change", "QZX", box)
    submit(page, runs, "Remove this rule")
    expect(page.get_by_text("Rule removed and applied.")).to_be_visible()
    expect(box.get_by_test_id("stTable")).not_to_contain_text("QZX")


def test_column_mapping_by_keyboard(data_page, tmp_path):
    page, runs = data_page
    before = runs.finished
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        str(small_workbook(tmp_path / "metro_january.xlsx"))
    )
    runs.wait(before, timeout=FIRST_LOAD / 1000)
    open_section(page, runs, "metro_january.xlsx")  # the file's own section holds its mapping
    title = "Column mapping as a plain table"
    open_section(page, runs, title)
    box = page.get_by_test_id("stExpander").filter(has_text=title)
    row = box.get_by_test_id("stTable").locator("tr").filter(has_text="Disposition")
    expect(row.first).to_contain_text("Disposition")
    choose(page, runs, "Which field to change", "Disposition", box)
    choose(page, None, "Column in your file", "(not mapped)", box)
    submit(page, runs, "Save this field")
    expect(row.first).to_contain_text("(not mapped)")


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["1280", "390"])
def test_pages_with_the_forms_open_pass_axe(server, browser, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(STEP)
    page = context.new_page()
    found = {}
    try:
        for name in ("review", "data"):
            settle(page, f"{server}/{name}")
            for summary in page.locator("summary").filter(has_text="keyboard and screen").all():
                if summary.is_visible():  # (those of other rule tabs are hidden)
                    summary.click()  # opened to be checked; the tests above open them by keys
                    grown(summary.locator("xpath=.."))
            violations = serious(page)
            if violations:
                found[f"{name} at {size[0]}"] = violations
    finally:
        context.close()
    assert not found, report(found)
