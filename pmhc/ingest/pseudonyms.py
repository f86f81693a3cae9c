"""Pseudonyms for person identifiers, made on ingest (docs/privacy.md).

Pseudonyms are a keyed hash (BLAKE2b in keyed mode) with a secret kept per workspace, so the same
person gets the same pseudonym across uploads, yet nobody without the secret can test a
guessed identifier against it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

from pmhc.ingest.values import as_text


def workspace_key(data_dir: Path) -> bytes:
    """The workspace's secret, created on first use and readable only by its owner.

    Written whole under a temporary name, then linked into place: two processes starting
    at once agree on one key, and none ever reads a half-written (empty) one."""
    path = Path(data_dir) / "secret.key"
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".secret.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):  # another process got there first
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


def pseudonymise(ids: pd.Series, key: bytes) -> pd.Series:
    """'MNI0004512' -> 'P-3f9a1c0b7d2e4a61': stable per workspace; blank stays blank.

    Identifiers are trimmed and upper-cased first so ' mni0004512' and 'MNI0004512' are
    the same person. Hashing runs once per distinct identifier, and the result is a
    categorical (one string per person, not per row)."""
    # One factorisation of the column; trimming and upper-casing run on the distinct
    # values, then ids that become equal ('mni1' and ' MNI1') are merged.
    raw_codes, raw_uniques = pd.factorize(ids, use_na_sentinel=True)
    # as_text writes a numeric id 12345.0 as '12345', as a text export of it would read.
    text = as_text(pd.Series(raw_uniques)).str.upper()
    merged, uniques = pd.factorize(text, use_na_sentinel=True)
    codes = np.where(raw_codes >= 0, merged[np.maximum(raw_codes, 0)], -1)
    # Keyed BLAKE2b is a MAC in one pass, about 4x faster than HMAC-SHA256: this loop runs
    # once per person, up to a million times.
    blake, mac_key = hashlib.blake2b, key[:64]
    digests = [
        "P-" + blake(u.encode(), key=mac_key, digest_size=8).hexdigest()
        for u in uniques.to_numpy(dtype=object)
    ]
    if len(set(digests)) < len(digests):  # 64-bit collision: astronomically unlikely
        raise ValueError("Two identifiers share a pseudonym; use a new workspace key.")
    return pd.Series(pd.Categorical.from_codes(codes, categories=digests), index=ids.index)
