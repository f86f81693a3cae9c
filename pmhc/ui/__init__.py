"""The Streamlit-facing layer: the only package that imports Streamlit. It renders the views
of pmhc.present, holds the sidebar filters and session state, and runs the Data page's
upload workflow from pmhc.storage.

May import: every other part of pmhc."""
