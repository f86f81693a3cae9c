"""Text that came from a file or a user, made safe for where it goes next.

A spreadsheet runs a cell that starts with one of FORMULA_START as a formula (OWASP's
"CSV/formula injection"), so exported text and saved rule notes never start with one.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def defuse_formula(value: object) -> object:
    """'=HYPERLINK(...)' -> "'=HYPERLINK(...)": shown as text by every spreadsheet."""
    return "'" + value if isinstance(value, str) and looks_like_formula(value) else value


# Every ASCII punctuation character may be backslash-escaped in CommonMark, and an escaped
# one is shown as itself. Escaped everywhere: what builds an inline element (emphasis,
# code, link and image brackets, HTML and autolinks, maths, strikethrough, a table's
# cells, an e-mail autolink). Then a ':' that touches the next character (Streamlit's
# ":material/icon:" and ":red[...]" directives; "Note: x" keeps its colon), with an
# invisible word joiner after it, and, at the
# start of the text, whatever would open a block there (heading, list, quote, rule). What
# is left ("2+ calls", "(%)", "Harbor-North.") can build nothing, so ordinary names and
# labels keep their look in the page source too.
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]<>$|~@")
_COLON_DIRECTIVE = re.compile(r":(?=\S)")
_BLOCK_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])")
# GitHub-flavoured markdown also links bare addresses ("http://...", "www..."),
# escaped or not: an invisible word joiner inside the scheme or "www." stops it.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|file|data|javascript)(?=:)|(www)(?=\.)")
WORD_JOINER = "\u2060"


def escape_markdown(value: object, max_chars: int = 2000) -> str:
    """Text from a file or a user, made literal for st.markdown, captions and widget labels.

    Line breaks become spaces (a label is one line; a newline could start a block), and
    very long text is cut so a cell cannot fill the page."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    text = _AUTOLINK.sub(lambda m: (m.group(0) or "") + WORD_JOINER, text)
    text = "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)
    # Streamlit finds ":material/icon:" in the text after escapes are read: only an
    # invisible joiner after the colon stops it.
    text = _COLON_DIRECTIVE.sub("\\\\:" + WORD_JOINER, text)
    return _BLOCK_START.sub(lambda m: m.group(1) + _escape_all(m.group(2)), text)


def _escape_all(text: str) -> str:
    return "".join(c if c.isalnum() else "\\" + c for c in text)
