"""Errors a user can act on: the message is one plain sentence (what is wrong, what to do)."""


class InputError(ValueError):
    """Bad input from the user: a file, a mapping, an argument."""


class RowAccountingError(RuntimeError):
    """A bug, not bad input: rows in no longer equal rows loaded plus rows rejected."""
