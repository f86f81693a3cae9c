"""Errors a user can act on: the message is one plain sentence (what is wrong, what to do)."""


class InputError(ValueError):
    """Bad input from the user: a file, a mapping, an argument."""


class RowAccountingError(RuntimeError):
    """A bug, not bad input: rows in no longer equal rows loaded plus rows rejected."""


class StaleEdit(InputError):
    """A save built on a copy someone else changed since it was read: nothing was saved.

    `by` and `at` name the change that won, for the one sentence the user reads."""

    def __init__(self, by: str | None, at: str | None, what: str = ""):
        self.by, self.at, self.what = by or "someone", at or "", what
        when = f" at {self.at[11:16]}" if len(self.at) >= 16 else ""
        super().__init__(f"Changed by {self.by}{when} — reload to see it.")
