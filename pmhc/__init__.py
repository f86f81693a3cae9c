"""PMHC Dashboard: analytics for police-mental health collaborations.

The package follows the data, one layer importing only the layers below it (the import
contracts in pyproject.toml enforce this):

    ui | cli      Streamlit pages' components; the command line
    present       what each page shows: key figures, aggregated frames, charts, exports
    analysis      indicators, intervals, filters, suppression (docs/indicators.md)
    storage       datasets, the workspace, settings
    ingest        files -> canonical records, every row accounted for
    domain        schema, rules, the framework's questions, errors
"""
