"""The headline figures of a dataset as one plain dict: what `python -m pmhc summarize`
prints for staff. (What partners may see is the partner release's summary,
`analysis.released.summary`: the dataset's figures never reach them unsuppressed.)"""

from __future__ import annotations

from functools import partial

import pandas as pd

from pmhc.analysis import crisis_now, indicators, metrics, periods, workforce
from pmhc.analysis.stats import Rate
from pmhc.storage.dataset import Dataset


def summarize(
    ds: Dataset,
    exact: bool = False,
    definitions: tuple[bool, bool, bool] = (False, True, False),
) -> dict:
    """The headline figures. Rates are rounded to 4 decimals for JSON, or kept `exact` for
    text formatted afterwards by present.numbers (formatting a rounded rate rounds twice).
    `definitions`: what counts as a connection (holds, hand-off needs contact, shelter),
    as the workspace's settings say (`storage.settings.definitions`)."""
    rate = partial(_rate, digits=None if exact else 4)
    out: dict = {
        "dataset": ds.label,
        "audience": "internal",
        "sources": [_source(r) for r in ds.reports],
    }
    if ds.calls is not None:
        out["calls"] = _calls(ds, rate, definitions)
    if ds.training is not None:
        out["training"] = _training(ds, rate)
    if ds.roster is not None:
        out["roster"] = _roster(ds, rate)
    for section in ("calls", "training", "roster"):
        if section in out:
            out[section].update(_measures(ds, section))
    if ds.services is not None:
        out["services"] = _services(ds)
    return out


def _source(r) -> dict:
    entry = {
        "path": r.path,
        "sheet": r.sheet,
        "kind": r.kind,
        "header_row": r.header_row,
        "rows_in": r.rows_in,
        "rows_loaded": r.rows_loaded,
        "rows_rejected": r.rows_rejected,
        "mapping": r.mapping,
    }
    if r.note:
        entry["note"] = r.note
    if r.notes:  # notes quote example cell values: staff only
        entry["load_report"] = r.notes
    if r.personal_data_dropped:
        entry["personal_data_dropped"] = r.personal_data_dropped
    return entry


def _present(table: pd.DataFrame | None) -> pd.DataFrame:
    """A table the summary was asked for only because the dataset has it."""
    if table is None:
        raise ValueError("The summary of a record kind needs that kind's table.")
    return table


def _rate(rate: Rate | None, digits: int | None = 4):
    if rate is None or rate.value is None:
        return None
    return rate.value if digits is None else round(rate.value, digits)


def _calls(
    ds: Dataset,
    _rate=_rate,
    definitions: tuple[bool, bool, bool] = (False, True, False),
) -> dict:
    incidents = _present(ds.calls)
    mh = metrics.mh_incidents(incidents)
    span = metrics.period(incidents)
    by_district = metrics.counts_by(mh, "district")
    precision = periods.date_precision(ds.reports)
    if span is not None:  # dates known to the month (year) only end with that month (year)
        span = (span[0], periods.known_end(span[1], precision))
    result: dict[str, object] = {
        "total_calls": len(incidents),
        "mh_calls": len(mh),
        "rows": int(incidents["rows"].sum()),
        "period": None
        if span is None
        else {"start": span[0].date().isoformat(), "end": span[1].date().isoformat()},
        "by_year": metrics.calls_by_year(mh),
        "by_district": None
        if by_district is None
        else {
            str(k): int(v)
            for k, v in zip(by_district["district"], by_district["calls"], strict=True)
        },
    }
    for o in indicators.outcomes():  # every outcome of the registry, `<key>_rate`
        chosen = indicators.with_definitions(o, *definitions)
        result[f"{o.key}_rate"] = _rate(metrics.outcome_rate(mh, chosen))
    connection = indicators.with_definitions(indicators.get("connection"), *definitions)
    parts = metrics.connection_components(mh, connection)
    # what counted as a connection, beside the rate (an incident may have several)
    result["connection_components"] = (
        None
        if parts is None
        else {str(c): int(n) for c, n in zip(parts["component"], parts["calls"], strict=True)}
    )
    repeats = metrics.repeat_encounters(mh)
    result["persons"] = None if repeats is None else repeats.persons
    result["repeat_person_share"] = None if repeats is None else _rate(repeats.repeat_2)
    result["repeat_person_share_3plus"] = None if repeats is None else _rate(repeats.repeat_3)
    return result


def _measures(ds: Dataset, section: str) -> dict:
    """The registry's measures of a section over all the data (`measures`: label, text,
    value and base of each; None when the data lack it), and the keys of their own that
    the drawn measures add (`officer_minutes_median`...)."""
    mh = metrics.mh_incidents(ds.calls) if ds.calls is not None else None
    inputs = indicators.Inputs(mh, mh, ds, "all the data")
    shown: dict[str, object] = {}
    extra: dict[str, object] = {}
    for m in indicators.measures(section):
        r = m.result(inputs)
        if r is None:
            shown[m.key] = None
            continue
        shown[m.key] = {
            "label": m.card,
            "text": r.text,
            "value": None if r.value is None else round(r.value, 4),
            "n": r.n,
        }
        if m.drawn:
            extra.update(r.json)
    return {"measures": shown, **extra}


def _training(ds: Dataset, _rate=_rate) -> dict:
    t = _present(ds.training)
    as_of = workforce.reference_date(t, ds.calls)
    done = workforce.completed(t)
    certified = int((done["course_type"] == "cit_40").groupby(done["officer_id"]).any().sum())
    staff = None if ds.roster is None else workforce.with_certification(ds.roster, t, as_of)
    status = workforce.in_service(t, as_of, staff)
    hours = float(done["hours"].sum()) if "hours" in done else None
    return {
        "records": len(t),
        "officers": int(t["officer_id"].nunique()),
        "as_of": as_of.date().isoformat(),
        "cit_40_officers": certified,
        "in_service_overdue": status.overdue,
        # of the CIT-certified active sworn officers (of every certified officer without a
        # roster), and of all active sworn officers: the Training page's two figures
        "in_service_overdue_share": _rate(status.of_certified),
        "in_service_overdue_share_of_sworn": _rate(status.of_sworn),
        "in_service_pool": "active sworn officers in the roster"
        if staff is not None
        else "every CIT-certified officer in the training log (no roster)",
        "hours_total": None if hours is None else round(hours, 1),
        "by_course_type": {
            str(k): int(v) for k, v in done["course_type"].value_counts().items() if v
        },
    }


def _roster(ds: Dataset, _rate=_rate) -> dict:
    r = _present(ds.roster)
    active = r[r["active"].astype(bool)]
    result: dict[str, object] = {"staff": len(r), "active": len(active)}
    if "role_group" in r:
        result["by_role"] = {
            str(k): int(v) for k, v in active["role_group"].value_counts().items() if v
        }
    if ds.training is not None:
        as_of = workforce.reference_date(ds.training, ds.calls)
        staff = workforce.with_certification(r, ds.training, as_of)
        result["patrol_cit_40_share"] = _rate(workforce.coverage(staff))
        result["supervisor_cit_40_share"] = _rate(workforce.coverage(staff, ("supervisor",)))
        result["command_cit_40_share"] = _rate(workforce.coverage(staff, ("command",)))
        for column in ("district", "shift"):
            by = workforce.coverage_by(staff, column)
            if by is not None:
                result[f"patrol_cit_40_share_by_{column}"] = {
                    str(row[column]): _rate(Rate(int(row["numerator"]), int(row["denominator"])))
                    for _, row in by.iterrows()
                }
    else:
        result["patrol_cit_40_share"] = None
    return result


def _services(ds: Dataset) -> dict:
    s = _present(ds.services)
    elements = crisis_now.core_elements(s)
    return {
        "services": len(s),
        "by_type": {str(k): int(v) for k, v in s["service_group"].value_counts().items()},
        "crisis_now": {row["element"]: row["status"] for _, row in elements.iterrows()},
    }
