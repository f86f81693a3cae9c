"""Streamlit runs a download button's callable in a thread of its own, outside any
session: `st.session_state` there is one mock state shared by every session of the
process (streamlit/runtime/state/session_state_proxy.py), and the user is nobody. A pack
built from it showed another session's dataset (seen in the new-user walk). So every
callable given to a download button binds the session's values (workspace, user,
dataset, filters) when the page runs: none may read the session when clicked."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SESSION_NAMES = {"st", "ui", "workspace", "actor", "current_dataset", "session_state"}


def session_reads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & SESSION_NAMES


def late_callables(path: Path) -> list[str]:
    """Download buttons whose data is a lambda that reads the session when clicked, or a
    partial of a function of this module that does."""
    tree = ast.parse(path.read_text())
    reads = {f.name: session_reads(f) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    found = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "download_button"):
            continue
        data = call.args[1] if len(call.args) > 1 else None
        data = next((k.value for k in call.keywords if k.arg == "data"), data)
        if isinstance(data, ast.Lambda) and session_reads(data.body):
            found.append(f"{path.name}:{call.lineno}")
        bound = isinstance(data, ast.Call) and data.args and isinstance(data.args[0], ast.Name)
        if bound and reads.get(data.args[0].id):  # functools.partial(f, ...): f itself
            found.append(f"{path.name}:{call.lineno}")
    return found


def test_no_download_reads_the_session_when_clicked():
    found = [
        hit for path in sorted((ROOT / "pmhc" / "ui").glob("*.py")) for hit in late_callables(path)
    ]
    assert found == []


def test_the_check_catches_a_late_read(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import functools\n"
        "def make():\n    return ui.actor()\n"
        "st.download_button('a', lambda: report.export_audit(ui.workspace(), ui.actor()))\n"
        "st.download_button('b', functools.partial(make))\n"
        "st.download_button('c', functools.partial(report.export_audit, ws, who))\n"
    )
    assert late_callables(bad) == ["bad.py:4", "bad.py:5"]


def test_the_pack_binds_its_session_values_when_the_page_runs():
    """`_pack` returns the bound builder; `_build` reads nothing of the session."""
    from pmhc.ui import pack

    tree = ast.parse(Path(pack.__file__).read_text())
    build = next(f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "_build")
    assert session_reads(build) == set()
