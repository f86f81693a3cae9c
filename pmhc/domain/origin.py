"""Where a visitor's connection comes from, judged from what the server itself saw.

The app makes the local user an administrator only when nobody else can be on the other
end: the WebSocket's TCP peer is a loopback address, no proxy forwarded the request
(a reverse proxy on the same computer connects from 127.0.0.1 too, on behalf of anyone),
and the browser asked for a loopback name (a page on attacker.example whose name was made to
resolve to 127.0.0.1, "DNS rebinding", sends Host: attacker.example). A hosted server lists
the names it answers to; a request for any other name is refused."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# Headers a proxy adds for the client it speaks for. Any of them means the peer is not the
# person in front of the browser.
FORWARDING = (
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "fastly-client-ip",
    "x-cluster-client-ip",
    "via",
)


@dataclass(frozen=True)
class Request:
    peer: str | None  # the TCP peer of the WebSocket, None when the server did not say
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case

    @property
    def host(self) -> str:
        return host_name(self.headers.get("host", ""))


def host_name(value: str) -> str:
    """'LocalHost:8501' -> 'localhost', '[::1]:8501' -> '::1', 'a.example.' -> 'a.example'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else ""
    if value.count(":") == 1:
        value = value.split(":")[0]
    return value.rstrip(".")


def is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def forwarded(request: Request) -> bool:
    return any(request.headers.get(name) is not None for name in FORWARDING)


def local_only(request: Request) -> bool:
    """Nobody but the user at this computer can be on the other end of this connection."""
    return is_loopback(request.peer) and not forwarded(request) and request.host in LOOPBACK_NAMES


def host_allowed(request: Request, allowed: Iterable[str]) -> bool:
    names = {host_name(a) for a in allowed}
    return request.host in names


def client_of(request: Request, trusted_proxies: Iterable[str] = ()) -> str:
    """The address to count guesses by: the peer, or, when the peer is one of the
    deployment's own proxies, the last address that proxy put in X-Forwarded-For (the one
    it saw; earlier entries are whatever the client typed)."""
    peer = request.peer or "unknown"
    if request.peer and _in_any(request.peer, trusted_proxies):
        chain = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
        if chain and chain[-1]:
            return chain[-1]
    return peer


def _in_any(address: str, networks: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)
    except ValueError:
        return False
