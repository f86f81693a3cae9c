"""Time the rule tables on a million call-type values (290 distinct plain types plus the
MH test cases): `python -m bench.rules_speed`. Prints seconds per rule kind."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from pmhc.domain.rules import load_rules

VOCAB = [f"CALL TYPE {i:03d} - SUBTYPE" for i in range(290)] + [
    "PERSON IN CRISIS",
    "SUICIDE ATTEMPT",
    "MENTAL SUBJECT",
    "WELFARE CHECK",
    "10-96",
]


def main() -> None:
    rules = load_rules()
    rng = np.random.default_rng(7)
    vocab = np.array(VOCAB)
    values = pd.Series(vocab[rng.integers(0, len(vocab), 1_000_000)], dtype="str")
    for name in ("mh_flag", "disposition_group", "course_type"):
        start = time.perf_counter()
        getattr(rules, name)(values)
        print(f"{name}: {time.perf_counter() - start:.3f} s for 1,000,000 rows")


if __name__ == "__main__":
    main()
