"""The check every use case starts with, and the audit entry every write ends with.

`@write(ability, what)` registers a use case in `WRITES` and refuses, before anything is
read or changed, an actor without the ability, with one sentence naming what they cannot
do ("Viewers cannot change the MH-call rules."). `@read` does the same for reads
(`READS`): signed out sees nothing, a partner link only the published release. The
registries let tests/test_use_cases.py enumerate every use case against every role."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pmhc.application.actor import Actor
from pmhc.application.errors import Denied
from pmhc.storage import audit as audit_log
from pmhc.storage.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])
# "release": what partners see (the published release), open to any signed-in user too.
RELEASE = "release"


@dataclass(frozen=True)
class UseCase:
    name: str
    ability: str  # upload, edit, admin, view or release
    what: str  # "change the MH-call rules": the denial sentence's verb phrase
    function: Callable[..., Any]


WRITES: dict[str, UseCase] = {}
READS: dict[str, UseCase] = {}


def allowed(actor: Actor, ability: str) -> bool:
    if ability == RELEASE:
        return actor.partner or actor.can("view")
    return actor.can(ability)


def sentence(actor: Actor, what: str) -> str:
    """Why `actor` may not do `what`, in one sentence."""
    if actor.partner:
        return f"A partner link cannot {what}: it opens the published partner release only."
    if not actor.signed_in:
        return f"Sign in to {what}."
    return f"{str(actor.role).capitalize()}s cannot {what}."


def require(actor: Actor, ability: str, what: str) -> None:
    if not isinstance(actor, Actor):  # a surface that forgot who acts gets no default
        raise TypeError("a use case needs the acting user (an Actor) as its second argument")
    if not allowed(actor, ability):
        raise Denied(sentence(actor, what))


def _registered(registry: dict[str, UseCase], ability: str, what: str) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        @functools.wraps(function)
        def checked(ws: Workspace, actor: Actor, *args, **kwargs):
            require(actor, ability, what)
            return function(ws, actor, *args, **kwargs)

        registry[function.__name__] = UseCase(function.__name__, ability, what, checked)
        return checked  # type: ignore[return-value]

    return decorate


def write(ability: str, what: str) -> Callable[[F], F]:
    return _registered(WRITES, ability, what)


def read(ability: str, what: str) -> Callable[[F], F]:
    return _registered(READS, ability, what)


def audit(
    ws: Workspace, actor: Actor, action: str, before: Any = None, after: Any = None, **details
) -> dict:
    """One audit entry: who (and their role), what, and the value before and after."""
    if before is not None or after is not None:
        details = {**details, "before": before, "after": after}
    return audit_log.record(ws.folder, actor.who, actor.role, action, **details)
