"""The app's pages, run by Streamlit's navigation (app.py): layout only. A package so that
import-linter checks them: they import `pmhc.ui` and `pmhc.application`, nothing else
(pyproject.toml, "Pages are layout")."""
