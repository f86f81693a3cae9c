"""Errors a use case raises for a surface to show: one plain sentence each."""

from pmhc.domain.errors import InputError


class Denied(InputError):
    """The acting user may not do this: nothing was changed."""
