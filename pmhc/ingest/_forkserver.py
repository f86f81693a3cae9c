"""Imported only by the readers' fork server (see isolation.py), never by the app itself.

A child of a fork server first runs the parent's main module again, as multiprocessing
does for every start method but fork. The parent's main is Streamlit's script runner
(under `streamlit run` and AppTest, the app script itself): each child would start the
whole app again. A reader child runs one function of pmhc.ingest, found by name, and
needs nothing from the parent's main, so this fork server's children skip that step."""

from __future__ import annotations

from collections.abc import Mapping
from multiprocessing import spawn
from typing import Any

_prepare = spawn.prepare
_MAIN_KEYS = ("init_main_from_path", "init_main_from_name")


def _prepare_without_main(data: Mapping[str, Any]) -> None:
    _prepare({k: v for k, v in data.items() if k not in _MAIN_KEYS})


spawn.prepare = _prepare_without_main
