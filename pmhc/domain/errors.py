"""Errors a user can act on: the message is one plain sentence (what is wrong, what to do)."""


class InputError(ValueError):
    """Bad input from the user: a file, a mapping, an argument."""
