"""The Streamlit-facing layer: the only package that imports Streamlit. It renders the views
of pmhc.present, holds the sidebar filters and session state, builds the acting user from
the verified sign-in (auth), and lays out the pages' bodies (data, review, admin,
overview), every change and read going through the use cases of pmhc.application.

May import: every other part of pmhc (the workspace's records only through
pmhc.application: pyproject.toml's contracts)."""
