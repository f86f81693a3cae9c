"""The vocabulary every other layer shares: the canonical schema of the four record kinds,
the editable rule tables (which call types are mental-health calls, how dispositions and
courses are grouped), the framework's six questions and self-assessment checklist, errors a
user can act on, and guards for untrusted text.

May import: the standard library, pandas and numpy. Nothing else of pmhc."""
