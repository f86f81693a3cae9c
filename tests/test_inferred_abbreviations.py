"""Abbreviations the tables do not list (issue 20 part 4): a token that is a prefix or the
consonants of exactly one word the rules use is read as that word, only for outcome values
no rule matches as written, never for call types; the MH-call flag is unchanged on the
Vera crosswalk and on Toronto."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import KEY, NOW, TORONTO, VERA, real_file  # tests/ is on the path under pytest

from pmhc.analysis import metrics as M
from pmhc.analysis.stats import Rate
from pmhc.domain import rules as R
from pmhc.ingest import pipeline as ingest
from pmhc.storage import dataset, uploads


def test_a_token_is_read_when_it_names_one_word():
    words = {"REFERRAL", "REFERRED", "MOBILE", "CLINIC", "TRANSPORT"}
    assert R.skeleton("REFERRAL") == "RFRL"
    assert R._reading("REFRL", words) == ("REFERRAL", "consonants of REFERRAL")
    assert R._reading("MOBI", words) == ("MOBILE", "prefix of MOBILE")
    assert R._reading("MOBL", words) == ("MOBILE", "consonants of MOBILE")
    assert R._reading("REFER", words) is None  # a prefix of REFERRAL and REFERRED
    assert R._reading("XFER", words) is None  # of nothing


def test_readings_apply_only_where_no_rule_matches_as_written(rules):
    values = pd.Series(
        ["REFRL TO CRISIS CLNC", "XFER TO MOBL CRIS TM", "ARR", "RESOLVED", "UNABLE TO LOC"]
    )
    found = rules.infer_abbreviations(values)
    assert found[["token", "word", "evidence"]].values.tolist() == [
        ["CLNC", "CLINIC", "consonants of CLINIC"],
        ["MOBL", "MOBILE", "consonants of MOBILE"],
        ["REFRL", "REFERRAL", "consonants of REFERRAL"],
    ]
    read = rules.reading({"dispositions": values})
    assert rules.disposition_group(values).tolist()[:2] == ["other", "other"]
    assert read.disposition_group(values).tolist() == [
        "connection",
        "connection",
        "arrest",
        "resolved",
        "other",
    ]
    # "MOBL" beside a full word that decides: an arrest stays an arrest
    arrest = pd.Series(["ARREST MOBL SCENE"])
    assert read.disposition_group(arrest).tolist() == ["arrest"]
    # call types are never read this way: the MH flag is the full words'
    types = pd.Series(["MOBL CRIS", "WELFARE CHECK"])
    assert read.mh_flag(types).tolist() == rules.mh_flag(types).tolist()


CONNECTION = ["TRANSP TO CRISIS CTR", "REFRL TO CRISIS CLNC", "XFER TO MOBL CRIS TM"]
OTHER = ["ARR", "ADV", "RESOLVED", "GOA"]


def _export(seed: int = 5, n: int = 600) -> tuple[list[list], Rate]:
    """Dispositions two thirds of whose connections use abbreviations no table lists."""
    rng = np.random.default_rng(seed)
    rows = [["Incident #", "Rcvd Dt/Tm", "Call Type", "Disposition"]]
    hits = 0
    for i in range(n):
        connected = rng.random() < 0.4
        dispo = str(rng.choice(CONNECTION if connected else OTHER))
        hits += connected
        when = pd.Timestamp("2025-01-01") + pd.Timedelta(hours=int(rng.integers(0, 24 * 300)))
        rows.append([f"I{i}", when.isoformat(sep=" "), "MENTAL HEALTH CRISIS", dispo])
    return rows, Rate(int(hits), n)


def test_an_export_of_unlisted_abbreviations_gets_its_true_connection_rate(
    write_text, ingest_file, monkeypatch
):
    rows, truth = _export()
    path = write_text("abbrev.csv", rows)
    (loaded,) = ingest_file(path)
    ds = dataset.build([loaded], "abbrev")
    assert M.outcome_rate(ds.mh, "connection") == truth
    # without the readings the two unlisted connections fall to "other"
    monkeypatch.setattr(R.Rules, "reading", lambda self, columns: self)
    (plain,) = ingest_file(path)
    before = M.outcome_rate(dataset.build([plain], "plain").mh, "connection")
    assert before.numerator < truth.numerator / 2 and before.denominator == truth.denominator
    assert len(dataset.build([plain], "plain").mh) == len(ds.mh)  # same MH calls


def test_the_data_page_lists_the_readings_with_their_evidence(write_text, ingest_file, rules):
    rows, _ = _export()
    (loaded,) = ingest_file(write_text("abbrev.csv", rows))
    ds = dataset.build([loaded], "abbrev")
    found = uploads.inferred_readings(rules, ds.calls, "dispositions")
    assert set(found["token"]) == {"REFRL", "CLNC", "MOBL"}
    refrl = found.set_index("token").loc["REFRL"]
    assert refrl["evidence"] == "consonants of REFERRAL"
    assert refrl["calls"] == int((ds.calls["disposition"] == "REFRL TO CRISIS CLNC").sum())
    assert uploads.inferred_readings(rules, ds.calls, "mh_terms") is None


def test_vera_dispositions_keep_every_group_a_rule_decides_and_call_types_keep_the_flag(rules):
    """The 390 dispositions of five cities: 3-letter cut-offs ("Tre" of Trespass, which
    would read as TREATMENT, a connection) are not read, so nothing is; whatever is read
    changes only values no rule matched."""
    dispo = pd.read_excel(real_file(VERA), sheet_name="Disposition")
    values = dispo["Field1"].dropna().astype(str)
    found = rules.infer_abbreviations(values)
    assert found.empty  # 3 tokens were candidates at 3 letters: TRE, TAK, SET
    read = rules.reading({"dispositions": values})
    before, after = rules.disposition_group(values), read.disposition_group(values)
    decided = (before != "other").to_numpy()
    assert decided.sum() == 154 and (before[decided] == after[decided]).all()
    assert int((after != before).sum()) <= 2 and "connection" not in set(after[~decided])
    calls = pd.read_excel(real_file(VERA), sheet_name="CallTypes")
    types = calls[calls.columns[0]].dropna().astype(str)
    flagged = int(rules.mh_flag(types).sum())
    assert int(read.mh_flag(types).sum()) == flagged  # the false-positive rate is kept


def test_toronto_flags_the_same_calls_with_the_readings(rules, monkeypatch):
    ctx = ingest.Context(rules=rules, key=KEY, now=NOW)
    (loaded,) = ingest.ingest_file(real_file(TORONTO), ctx)
    with_readings = len(dataset.build([loaded], "t").mh)
    monkeypatch.setattr(R.Rules, "reading", lambda self, columns: self)
    (plain,) = ingest.ingest_file(real_file(TORONTO), ctx)
    assert len(dataset.build([plain], "t").mh) == with_readings
    assert with_readings > 30_000


@pytest.fixture(scope="module")
def rules():
    return R.load_rules()
