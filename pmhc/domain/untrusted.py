"""Text that came from a file or a user, made safe for where it goes next.

A spreadsheet runs a cell that starts with one of FORMULA_START as a formula (OWASP's
"CSV/formula injection"), so exported text and saved rule notes never start with one.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def defuse_formula(value: object) -> object:
    """'=HYPERLINK(...)' -> "'=HYPERLINK(...)": shown as text by every spreadsheet."""
    return "'" + value if isinstance(value, str) and looks_like_formula(value) else value


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~$:"})


def escape_markdown(value: object) -> str:
    """Text shown through Markdown as written: no link, image, emphasis or HTML from a cell."""
    return str(value).translate(_MARKDOWN)
