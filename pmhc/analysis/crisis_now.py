"""The services inventory against the Crisis Now core elements (question 4): a regional
crisis call centre, 24/7 mobile crisis teams, and crisis receiving and stabilisation
facilities that accept police drop-offs."""

from __future__ import annotations

import pandas as pd

ELEMENTS = (
    ("crisis_line", "Regional crisis call centre, 24/7", True, False),
    ("mobile_crisis", "Mobile crisis team, 24/7", True, False),
    (
        "crisis_stabilisation",
        "Crisis receiving and stabilisation, accepts police drop-off",
        False,
        True,
    ),
)


def core_elements(services: pd.DataFrame) -> pd.DataFrame:
    """One row per core element: whether the inventory has it, and what falls short."""
    rows = []
    for group, label, needs_24_7, needs_dropoff in ELEMENTS:
        found = services[services["service_group"] == group]
        full = found
        if needs_24_7 and "always_open" in found:
            full = full[full["always_open"].astype(bool)]
        if needs_dropoff and "police_dropoff" in found:
            full = full[full["police_dropoff"].fillna(False).astype(bool)]
        if len(full):
            status, detail = "Yes", ", ".join(full["name"].astype(str))
        elif len(found):
            missing = "not open 24/7" if needs_24_7 else "no police drop-off"
            status = "Partly"
            detail = f"{', '.join(found['name'].astype(str))} ({missing})"
        else:
            status, detail = "No", "none listed"
        rows.append({"element": label, "status": status, "services": detail})
    return pd.DataFrame(rows)
