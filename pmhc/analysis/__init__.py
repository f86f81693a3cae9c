"""Indicators as pure functions of the canonical tables: the four key outcomes and other
rates (metrics), intervals and comparisons (stats), training and roster coverage
(workforce), the Crisis Now inventory (crisis_now), the shared filters (filters), the
partner release with its small-count rule (release) and the CLI's headline figures (summary).
Definitions are written down in docs/indicators.md.

May import: pmhc.storage, pmhc.ingest, pmhc.domain. Never Streamlit or pmhc.present."""
