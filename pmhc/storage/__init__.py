"""What is kept: a dataset's canonical tables with incidents collapsed from call rows
(dataset), datasets saved as Parquet in the workspace (datasets), the workspace folder and
its secret (workspace), settings and review records (settings), and the Data page's upload
workflow (uploads).

May import: pmhc.ingest, pmhc.domain."""
