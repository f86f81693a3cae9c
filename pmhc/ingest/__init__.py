"""From an uploaded file to canonical records: read every sheet or table (reading,
xlsx_peek) in a child process with memory and time limits (isolation), find the header
and map columns to canonical fields (mapping, profiles), parse cell values (values), and
normalise and validate rows so that every row is loaded or rejected with a reason
(pipeline). Person identifiers are pseudonymised here (pseudonyms).

May import: pmhc.domain."""
