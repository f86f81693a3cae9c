"""Calls exports for attacking the partner view: one base export and pairs of exports that
differ only inside small cells (tests/test_release.py, tests/test_partner_app.py and the
browser test use them).

The base: 24 months (2024-2025) of mental-health calls in two large districts (North 30 a
month, South 20), two districts just above the threshold over the whole period but small in
every year (Bayside 12, Ridge 14), two tiny ones (Harbor 6, Hill 8), rare dispositions ("Unable
to Contact" 4, "Miscellaneous" 3) and rare use of force."""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = [
    "Incident #",
    "Call Date",
    "Call Time",
    "Call Type",
    "District",
    "Disposition",
    "Use of Force",
    "Responder Type",
    "Person ID",
]
MH_TYPES = ["PERSON IN CRISIS", "SUICIDE THREAT", "OVERDOSE", "MENTAL HEALTH EVAL"]
COMMON = ["Subject Arrested", "Transported to ED", "Resolved on Scene", "Mobile Crisis Team"]
MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]
SMALL = {"Bayside": 12, "Ridge": 14, "Harbor": 6, "Hill": 8}


def base_export(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []

    def add(
        month: str,
        district: str,
        disposition: str | None = None,
        force: str = "N",
        responder: str | None = None,
    ):
        n = len(rows)
        rows.append(
            {
                "Incident #": f"INC-{n:05d}",
                "Call Date": f"{month}-{1 + int(rng.integers(0, 28)):02d}",
                "Call Time": f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}",
                "Call Type": MH_TYPES[int(rng.integers(0, len(MH_TYPES)))],
                "District": district,
                "Disposition": disposition or COMMON[int(rng.integers(0, len(COMMON)))],
                "Use of Force": force,
                "Responder Type": responder
                or ("CIT officer", "Patrol", "Co-responder")[int(rng.integers(0, 3))],
                "Person ID": f"MNI{int(rng.integers(0, 900)):05d}",
            }
        )

    for month in MONTHS:
        for district, per_month in (("North", 30), ("South", 20)):
            for _ in range(per_month):
                force = "Y" if rng.random() < 0.03 else "N"
                add(month, district, force=force)
    for district, n in SMALL.items():
        for i in range(n):
            # spread over both years, at most 7 a year (small in every year)
            add(MONTHS[(i * 5 + len(district)) % 24], district, "Resolved on Scene", "N", "Patrol")
    for i in range(4):
        add(MONTHS[3 + 5 * i], "North", "Unable to Contact", "N", "Patrol")
    for i in range(3):
        add(MONTHS[2 + 7 * i], "South", "Miscellaneous", "N", "Patrol")
    rows.append(  # one call that is not a mental-health call
        {**rows[0], "Incident #": "INC-99999", "Call Type": "NOISE COMPLAINT"}
    )
    return pd.DataFrame(rows, columns=COLUMNS)


def _swap_all_but_district(frame: pd.DataFrame, a: str, b: str, k: int = 3) -> pd.DataFrame:
    """Swap every field but the district between k incidents of `a` and k of `b`."""
    out = frame.copy()
    ia = out.index[out["District"] == a][:k]
    ib = out.index[out["District"] == b][-k:]
    others = [c for c in COLUMNS if c != "District"]
    left, right = out.loc[ia, others].to_numpy(), out.loc[ib, others].to_numpy()
    out.loc[ia, others], out.loc[ib, others] = right, left
    return out


def swap_tiny_districts(frame: pd.DataFrame) -> pd.DataFrame:
    """Harbor and Hill (6 and 8 calls) swap everything but their district."""
    return _swap_all_but_district(frame, "Harbor", "Hill")


def swap_small_districts(frame: pd.DataFrame) -> pd.DataFrame:
    """Bayside and Ridge (12 and 14 calls, at most 7 in a year) swap everything but their
    district, dates included."""
    return _swap_all_but_district(frame, "Bayside", "Ridge")


def trade_small_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """One "Unable to Contact" call becomes "Miscellaneous", and one call moves from Harbor
    to Hill: every total stays equal."""
    out = frame.copy()
    out.loc[out.index[out["Disposition"] == "Unable to Contact"][0], "Disposition"] = (
        "Miscellaneous"
    )
    out.loc[out.index[out["District"] == "Harbor"][0], "District"] = "Hill"
    return out


def trade_small_months(frame: pd.DataFrame) -> pd.DataFrame:
    """A Bayside call and a Ridge call of the same year trade months: the monthly totals,
    the yearly totals and the district totals all stay equal."""
    out = frame.copy()
    bay = out.index[out["District"] == "Bayside"]
    ridge = out.index[out["District"] == "Ridge"]
    for i in bay:
        for j in ridge:
            di, dj = out.at[i, "Call Date"], out.at[j, "Call Date"]
            if di[:4] == dj[:4] and di[:7] != dj[:7]:
                out.at[i, "Call Date"], out.at[j, "Call Date"] = dj, di
                return out
    raise AssertionError("no two calls to trade")


def early_call(frame: pd.DataFrame, month: str = "2023-11", district: str = "Harbor"):
    """One more call, alone in a month before the others."""
    extra = frame.iloc[[0]].assign(
        **{"Incident #": "EARLY-1", "Call Date": f"{month}-15", "District": district}
    )
    return pd.concat([frame, extra], ignore_index=True)


def move_early_call(frame: pd.DataFrame) -> pd.DataFrame:
    """The base with one early call, against the base with it a month later elsewhere
    (see `PAIR_BASES`): the months the release lists must not depend on it."""
    return early_call(frame, "2023-12", "Hill")


def one_call_in(district: str):
    """The base with one more call, in 2024-06, in `district`."""

    def build(frame: pd.DataFrame) -> pd.DataFrame:
        extra = frame[frame["District"] == "Hill"].iloc[[0]]
        extra = extra.assign(**{"Incident #": "ONE-1", "District": district})
        return pd.concat([frame, extra], ignore_index=True)

    return build


PAIRS = {
    "swap_tiny_districts": swap_tiny_districts,
    "swap_small_districts": swap_small_districts,
    "trade_small_categories": trade_small_categories,
    "trade_small_months": trade_small_months,
    "move_early_call": move_early_call,
    # A district with one call, against the same call in another small district: which
    # small districts exist must not show either.
    "empty_a_small_district": one_call_in("Hill"),
}
# What each pair's changed export is compared with (the base export unless named here).
PAIR_BASES = {"move_early_call": early_call, "empty_a_small_district": one_call_in("Cove")}


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()
