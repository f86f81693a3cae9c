"""PMHC Dashboard: analytics for police-mental health collaborations.

The package follows the data, one layer importing only the layers below it (the import
contracts in pyproject.toml enforce this):

    (app_pages)   the pages: layout only, over ui and application
    ui | cli      Streamlit pages' components; the command line
    application   use cases: who may do what, audited; one path from workspace to figures
    present       what each page shows: key figures, aggregated frames, charts, exports
    analysis      indicators, intervals, filters, the partner release (docs/indicators.md)
    storage       datasets, the workspace, settings
    ingest        files -> canonical records, every row accounted for
    domain        schema, rules, the framework's questions, errors
"""
