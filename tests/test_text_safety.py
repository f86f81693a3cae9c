"""Text safety by construction: no text from a file or a user reaches Streamlit's markdown.

Streamlit renders markdown in st.markdown, st.header, st.subheader, st.caption, st.title,
st.write, st.error, st.warning, st.info, st.success, st.toast and st.metric labels: a
district named "![x](http://198.51.100.7/d.png)" would become an image that every browser
opening the dataset fetches. This test reads the source of app.py, app_pages/ and pmhc/ui/
and fails when one of those calls (on `st`, `st.sidebar` or any container or column), or
the `title=` of a chart, is given text that is not safe by its form.

The rule, kept simple so it can be checked by reading: the text must be
- a string literal, or
- a call to `escape_markdown(...)` (pmhc.domain.untrusted, also `ui.escape_markdown`): the
  one helper for text from a file, a user or anywhere else not written right there, or
- an f-string, a `+`, an `a if c else b` or a `"sep".join(... for ...)` of these, where
  an f-string's `{...}` parts are themselves safe or values formatted as numbers (`{n:,}`,
  `{share:.0%}`, `{count:d}`): Python refuses to format a string with a numeric format,
  so such a part can only ever be a number.

Anything else (a variable, an attribute, `str(title)`, a join) fails, even when today it
only ever holds the app's own sentences: tomorrow it may not. Text that must stay
unformatted goes to `st.text` or `st.code`, which render no markdown and are not checked."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py"), *(ROOT / "pmhc" / "ui").glob("*.py")]
)
MARKDOWN_CALLS = {
    "markdown", "header", "subheader", "caption", "title", "write",
    "error", "warning", "info", "success", "toast", "metric",
}  # fmt: skip
CHART_CALLS = {"properties", "Title", "TitleParams", "Chart", "altair_chart", "vega_lite_chart"}
LOGGERS = {"log", "logger", "logging", "warnings"}  # .error/.warning/.info of a logger
HELPER = "escape_markdown"
NUMBER_FORMATS = tuple("dfFeEgGn%xXob")


def safe(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        return name == HELPER or _safe_join(node)
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(part, ast.Constant) or safe(part.value) or _number(part)
            for part in node.values
            if isinstance(part, ast.Constant | ast.FormattedValue)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return safe(node.left) and safe(node.right)
    if isinstance(node, ast.IfExp):
        return safe(node.body) and safe(node.orelse)
    return _safe_join(node)


def _safe_join(node: ast.expr) -> bool:
    """'SEP'.join(<safe text> for ... in ...)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and isinstance(node.func.value, ast.Constant)
        and len(node.args) == 1
        and isinstance(node.args[0], ast.GeneratorExp | ast.ListComp)
        and safe(node.args[0].elt)
    )


def _number(part: ast.expr) -> bool:
    spec = getattr(part, "format_spec", None)
    if not isinstance(spec, ast.JoinedStr) or not all(
        isinstance(s, ast.Constant) for s in spec.values
    ):
        return False
    text = "".join(str(s.value) for s in spec.values)
    return bool(text) and (text.endswith(NUMBER_FORMATS) or "," in text)


def checked_texts(call: ast.Call) -> list[ast.expr]:
    """The arguments of this call that Streamlit renders as markdown (or as a title)."""
    func = call.func
    if not isinstance(func, ast.Attribute | ast.Name):
        return []
    name = func.attr if isinstance(func, ast.Attribute) else func.id
    receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
    if name in MARKDOWN_CALLS and receiver.split(".")[0] not in LOGGERS:
        texts = list(call.args if name == "write" else call.args[:1])
        return texts + [k.value for k in call.keywords if k.arg in ("body", "label")]
    if name in CHART_CALLS:
        return [k.value for k in call.keywords if k.arg == "title"]
    return []


def unsafe_calls(source: str, filename: str = "<text>") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            for text in checked_texts(node):
                if not safe(text):
                    found.append(f"{filename}:{node.lineno}: {ast.unparse(node)[:100]}")
    return found


def test_every_markdown_call_gets_safe_text():
    found = [
        line
        for path in SOURCES
        for line in unsafe_calls(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert not found, "text that did not pass through escape_markdown:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("code", "flagged"),
    [
        ('st.header("Calls by district")', False),
        ("st.header(str(title))", True),  # a district name as a header: the finding
        ("st.header(escape_markdown(title))", False),
        ("left.header(ui.escape_markdown(title))", False),
        ('st.markdown(f"**{fig.alt}**")', True),
        ('st.markdown(f"**{escape_markdown(fig.alt)}**")', False),
        ('st.caption(f"{n:,} calls, {share:.0%} with a clinician")', False),
        ('st.caption(f"{n} calls")', True),  # no numeric format: could be any text
        ('st.sidebar.caption("Reset: " + ", ".join(unfit))', True),
        ('st.caption(", ".join(escape_markdown(u) for u in unfit))', False),
        ('st.header(f"{escape_markdown(t)} (sample)" if sample else escape_markdown(t))', False),
        ('st.header(f"{t} (sample)" if sample else escape_markdown(t))', True),
        ("st.metric(fig.label, fig.value)", True),
        ('st.write("a", name)', True),
        ("st.toast(message)", True),
        ('log.error("x: %s", text)', False),  # a log line, not the page
        ("chart.properties(title=name)", True),
        ('chart.properties(title="Calls per month")', False),
        ("st.text(name)", False),  # never markdown
    ],
)
def test_the_rule_flags_what_it_should(code, flagged):
    assert bool(unsafe_calls(code)) == flagged
