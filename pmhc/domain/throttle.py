"""Backoff for guesses at a secret (a passphrase, a partner-link token), per client and for
everyone together, with one summary per burst of failures for the audit log.

A client may fail `free` times; after that each try must wait 1, 2, 4... seconds (at most
`client_cap`) after its last failure. When all clients together fail more than
`global_free` times within `window` seconds, every try waits too (at most `global_cap`):
many addresses guessing slowly are held back as one fast guesser is. A success clears the
client's count. A try made while waiting is refused without checking the secret at all, so
an attacker's rate costs no work and cannot slow the sign-in page for everyone.

A burst is a client's run of failures and refused tries with no gap longer than `quiet`
seconds; it is reported once, when it ends (a success, a later call after the gap, or
`close_all`), as a `Burst` the caller writes to the audit log.

State lives in this process's memory: a restart forgets it, and each server process of a
deployment counts on its own (docs/deploy.md)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Burst:
    client: str
    failures: int = 0
    refused: int = 0  # tries made while waiting: refused without checking the secret
    last: float = 0.0


@dataclass
class _Client:
    failures: int = 0  # since the last success or the last quiet `window`
    last_failure: float = 0.0
    burst: Burst | None = None


@dataclass
class Throttle:
    free: int = 5
    client_cap: float = 300.0
    global_free: int = 50
    global_cap: float = 30.0
    window: float = 900.0
    quiet: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _clients: dict[str, _Client] = field(default_factory=dict)
    _recent: deque = field(default_factory=deque)  # times of failures, all clients
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, client: str) -> float:
        """Seconds before this client may try again (0: now)."""
        with self._lock:
            now = self.clock()
            self._forget(now)
            state = self._clients.get(client)
            mine = 0.0
            if state and state.failures >= self.free:
                delay = min(self.client_cap, 2.0 ** (state.failures - self.free))
                mine = state.last_failure + delay - now
            everyone = 0.0
            over = len(self._recent) - self.global_free
            if over >= 0:
                everyone = self._recent[-1] + min(self.global_cap, 2.0 ** (over // 10)) - now
            return max(0.0, mine, everyone)

    def refused(self, client: str) -> list[Burst]:
        """A try made while waiting: counted in the burst, nothing else."""
        with self._lock:
            ended = self._sweep(self.clock())
            self._burst(client).refused += 1
            return ended

    def failed(self, client: str) -> list[Burst]:
        with self._lock:
            now = self.clock()
            ended = self._sweep(now)
            state = self._clients.setdefault(client, _Client())
            state.failures += 1
            state.last_failure = now
            self._recent.append(now)
            self._burst(client).failures += 1
            return ended

    def succeeded(self, client: str) -> list[Burst]:
        with self._lock:
            ended = self._sweep(self.clock())
            state = self._clients.pop(client, None)
            if state and state.burst:
                ended.append(state.burst)
            return ended

    def close_all(self) -> list[Burst]:
        with self._lock:
            ended = [s.burst for s in self._clients.values() if s.burst]
            for state in self._clients.values():
                state.burst = None
            return ended

    def _burst(self, client: str) -> Burst:
        state = self._clients.setdefault(client, _Client())
        if state.burst is None:
            state.burst = Burst(client)
        state.burst.last = self.clock()
        return state.burst

    def _sweep(self, now: float) -> list[Burst]:
        """Bursts with no try for `quiet` seconds end now."""
        self._forget(now)
        ended = []
        for state in self._clients.values():
            if state.burst and now - state.burst.last > self.quiet:
                ended.append(state.burst)
                state.burst = None
        return ended

    def _forget(self, now: float) -> None:
        while self._recent and now - self._recent[0] > self.window:
            self._recent.popleft()
        for client in [c for c, s in self._clients.items() if now - s.last_failure > self.window]:
            if self._clients[client].burst is None:
                del self._clients[client]
            else:
                self._clients[client].failures = 0
