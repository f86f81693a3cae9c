"""Data: upload exports, check what was loaded, fix the mapping, edit rules and definitions
(laid out by `pmhc.ui.data`; every change is a use case of `pmhc.application`)."""

from pmhc.ui import data

data.page()
