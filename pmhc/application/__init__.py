"""The application layer: one use case per thing a user can do or read, called by every
surface (the pages through `pmhc.ui`, the command line, the meeting pack, the partner
preview and publishing). Each takes the acting user (`actor.Actor`) explicitly; a write
checks the actor's role first (`guard.write`), then changes the workspace, then writes one
audit entry with who, what and before/after. Storage is called from here and nowhere above.

Layer order: pages (`app_pages`) -> `pmhc.ui` -> `pmhc.application` -> core (`present`,
`analysis`, `storage`, `ingest`, `domain`). A new use case goes in the module of its subject
below, decorated with `guard.write` (or `guard.read`), and gets a row in
tests/test_use_cases.py's matrix (the test fails until it has one)."""
