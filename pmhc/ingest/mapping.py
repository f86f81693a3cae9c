"""Find the header row of a table, decide what kind of records it holds, and map its
columns onto the canonical fields of `schema`.

Matching works on normalised header text: lower case, punctuation and `#` folded, and
the abbreviations CAD reports use expanded (Rcvd -> received, Ofc -> officer, Dt -> date).
A header equal to a synonym scores 1.0; the same words in another order 0.95; a header
that contains a synonym phrase scores by how much of it the phrase covers; a close
spelling scores lower still. Columns holding personal data (names, dates of birth,
addresses, narratives) are never candidates.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from pmhc.domain import schema
from pmhc.domain.errors import InputError
from pmhc.domain.rules import Rules, load_rules
from pmhc.ingest import value_kinds

ABBREVIATIONS = {
    "rcvd": "received",
    "recd": "received",
    "rec": "received",
    "rcv": "received",
    "ofc": "officer",
    "ofcr": "officer",
    "offr": "officer",
    "off": "officer",
    "subj": "subject",
    "sub": "subject",
    "inc": "incident",
    "incid": "incident",
    "dt": "date",
    "tm": "time",
    "dttm": "date time",
    "dtm": "date time",
    "datetime": "date time",
    "timestamp": "date time",
    "dist": "district",
    "typ": "type",
    "desc": "description",
    "descr": "description",
    "evt": "event",
    "loc": "location",
    "dest": "destination",
    "uof": "use of force",
    "orig": "original",
    "init": "initial",
    "cd": "code",
    "nbr": "number",
    "num": "number",
    "no": "number",
    "addr": "address",
    "arr": "arrived",
    "arrvd": "arrived",
    "arv": "arrived",
    "clr": "cleared",
    "clrd": "cleared",
    "hr": "hour",
    "hrs": "hours",
    "mo": "month",
    "yr": "year",
    "dte": "date",
    "pct": "precinct",
    "div": "division",
    "ofcs": "officers",
    "emp": "employee",
    "svc": "service",
    "dispo": "disposition",
    "onscene": "on scene",
    "fname": "first name",
    "lname": "last name",
    "birthdate": "date of birth",
    "eventid": "event id",
    "veh": "vehicle",
    "mhflag": "mh flag",
    # requested, dispatched, arrived as CAD reports shorten them ("CIT Req", "CIT Rqst")
    "req": "requested",
    "reqd": "requested",
    "rqst": "requested",
    "rqstd": "requested",
    "dispd": "dispatched",
    "dsptch": "dispatched",
    "dsptchd": "dispatched",
    "arrv": "arrived",
    "arvd": "arrived",
    "onscn": "on scene",
    "bkd": "booked",
    "emerg": "emergency",
    "invol": "involuntary",
    "commit": "commitment",
    "pri": "primary",
    "prim": "primary",
}
# "Disp" is dispatched next to a date, a time or a unit ("CIT Disp"), else disposition.
DISPATCH_CONTEXT = {"date", "time", "dt", "tm", "dttm", "cit", "mcit", "mct", "unit", "units"}

_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=65536)
def normalise_header(header: object) -> str:
    """'Rcvd Dt/Tm' -> 'received date time'; 'EVENT_ID' -> 'event id';
    'Inc #' -> 'incident number'."""
    text = str(header or "")
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)  # camelCase -> camel Case
    text = text.lower().replace("#", " number ").replace("n°", " number ")
    text = re.sub(r"\bno\.", " number ", text)
    words: list[str] = []
    tokens = _WORD.findall(text)
    for token in tokens:
        if token == "disp":  # noqa: S105 (a column-name token, not a password)
            words.append("dispatched" if DISPATCH_CONTEXT & set(tokens) else "disposition")
        else:
            words.append(ABBREVIATIONS.get(token, token))
    return " ".join(" ".join(words).split())


@lru_cache(maxsize=4096)
def is_personal_data(header: object) -> bool:
    """A header naming names, birth dates, addresses, phones or narratives."""
    norm = normalise_header(header)
    padded = f" {norm} "
    return any(f" {term} " in padded for term in schema.PII_HEADER_TERMS) and not any(
        norm == syn for k in schema.KINDS.values() for f in k.fields for syn in f.synonyms
    )


# A bare date or time word inside a longer header names some other moment ("Disp Time",
# "Arrived Date", "Date of Birth"): such synonyms match the whole header only.
BARE_MOMENTS = {"date", "time", "day", "hour", "month", "year"}
# Short words that name a field only as the whole header: "Unit Count" is no unit, the "y"
# of "Force Y/N" no latitude, the "ec" of "EC Number" no emergency commitment.
WHOLE_HEADER_ONLY = BARE_MOMENTS | {"unit", "units", "ec", "x", "y"}


@lru_cache(maxsize=65536)
def header_score(norm: str, synonym: str, fuzzy: bool = True) -> float:
    """1.0 equal; 0.95 same words; by coverage when the header contains the synonym;
    with `fuzzy`, 0.8 x similarity for a close spelling."""
    if not norm:
        return 0.0
    if norm == synonym:
        return 1.0
    words, syn_words = norm.split(), synonym.split()
    if sorted(words) == sorted(syn_words):
        return 0.95
    if f" {synonym} " in f" {norm} " and synonym not in WHOLE_HEADER_ONLY:
        # "cit officer requested flag" contains "cit officer requested": score by coverage.
        return 0.55 + 0.35 * len(syn_words) / len(words)
    if not fuzzy or 2 * min(len(norm), len(synonym)) / (len(norm) + len(synonym)) < 0.86:
        return 0.0  # lengths alone rule out a close spelling
    if _negated(words, syn_words):
        return 0.0  # "voluntary" is close to "involuntary" in spelling only
    matcher = difflib.SequenceMatcher(None, norm, synonym)
    if matcher.quick_ratio() < 0.86:
        return 0.0
    ratio = matcher.ratio()
    return round(0.8 * ratio, 3) if ratio >= 0.86 else 0.0


def _negated(words: list[str], syn_words: list[str]) -> bool:
    """A word of one is the other's word with a negating prefix (in-, un-, non-)."""
    a, b = set(words), set(syn_words)
    return any(p + w in b for w in a for p in ("in", "un", "non")) or any(
        p + w in a for w in b for p in ("in", "un", "non")
    )


@lru_cache(maxsize=8)
def _synonyms_by_word(kind_name: str) -> dict[str, list[tuple[str, str]]]:
    """word -> (field, synonym) pairs whose synonym contains the word."""
    index: dict[str, list[tuple[str, str]]] = {}
    for f in schema.KINDS[kind_name].fields:
        for syn in f.synonyms:
            for word in set(syn.split()):
                index.setdefault(word, []).append((f.name, syn))
    return index


# "Force Y/N", "CIT Rqst Y/N": a trailing yes/no marker says only that the column is a flag.
_YES_NO_MARK = re.compile(r" (?:y n|yn|y or n|yes no|yes or no)$")
MARKED_CAP = 0.95  # the rest of such a header is scored as a same-words match at best


@lru_cache(maxsize=65536)
def _header_scores(norm: str, kind_name: str, fuzzy: bool) -> tuple[tuple[str, float], ...]:
    """Best score per field for one normalised header, also read without a trailing
    yes/no marker."""
    best = dict(_scores_of(norm, kind_name, fuzzy))
    bare = _YES_NO_MARK.sub("", norm)
    if bare != norm and bare:
        for name, score in _scores_of(bare, kind_name, fuzzy):
            best[name] = max(best.get(name, 0.0), min(score, MARKED_CAP))
    return tuple(best.items())


def _scores_of(norm: str, kind_name: str, fuzzy: bool) -> tuple[tuple[str, float], ...]:
    """Best score per field. Without `fuzzy`, only synonyms sharing a word with the header
    are tried: cheap enough for every cell of 40 rows."""
    kind = schema.KINDS[kind_name]
    if fuzzy:
        pairs = [(f.name, syn) for f in kind.fields for syn in f.synonyms]
    else:
        index = _synonyms_by_word(kind_name)
        pairs = [pair for word in set(norm.split()) for pair in index.get(word, ())]
    best: dict[str, float] = {}
    for name, syn in pairs:
        score = header_score(norm, syn, fuzzy)
        if score > best.get(name, 0.0):
            best[name] = score
    return tuple(best.items())


@dataclass
class ColumnMatch:
    field: str
    column: int  # position in the sheet
    header: str
    confidence: float


@dataclass
class Mapping:
    """A proposed reading of one table: which kind, which row is the header, which columns."""

    kind: str | None
    header_row: int  # 0-based row in the sheet
    headers: list[str]
    matches: dict[str, ColumnMatch] = field(default_factory=dict)
    duplicates: dict[str, list[int]] = field(default_factory=dict)  # header -> positions
    score: float = 0.0

    def column_of(self, name: str) -> int | None:
        m = self.matches.get(name)
        return None if m is None else m.column

    def as_sources(self) -> dict[str, str]:
        """canonical field -> source column header (as the CLI reports it)."""
        return {name: m.header for name, m in self.matches.items()}

    @property
    def signature(self) -> str:
        return columns_signature(self.headers)


def columns_signature(headers: list[str]) -> str:
    """Identifies an export layout: the same columns next month give the same signature."""
    names = sorted(normalise_header(h) for h in headers if h and str(h).strip())
    return hashlib.sha256("|".join(names).encode()).hexdigest()[:16]


# Values that say how a call came in. Seattle's "Call Type" column holds these (911,
# ONVIEW, TELEPHONE OTHER, NOT 911…), while its call types are in Initial/Final Call Type.
_SOURCE_WHOLE = (
    r"e?911|9 1 1|on ?view|phone|telephone|radio|text|text message|e ?mail|online|web|"
    r"walk ?in|in person|self initiated|officer initiated|field initiated|proactive|alarm|"
    r"police varda alarm"
)
_SOURCE_LEADING = (
    r"telephone|alarm call|history call|in person|proactive|scheduled event|self initiated|"
    r"officer initiated"
)
CALL_SOURCE_VALUE = re.compile(rf"^(?:{_SOURCE_WHOLE}|(?:{_SOURCE_LEADING})\b.*)$")
CALL_TYPE_FIELDS = ("call_type_final", "call_type_initial")
SNIFF_SHARE = 0.8  # share of a column's sample values that must be call-source words
SNIFF_CONFIDENCE = 0.9


def holds_call_sources(samples: list[str] | None) -> bool:
    """Most of the sample values are call-source words, not call types."""
    words = [" ".join(_WORD.findall(str(v).lower())) for v in samples or []]
    words = [w for w in words if w]
    return bool(words) and sum(bool(CALL_SOURCE_VALUE.match(w)) for w in words) >= (
        SNIFF_SHARE * len(words)
    )


def column_samples(peek: list[list[str | None]], row: int) -> dict[int, list[str]]:
    """position -> the non-blank values under the header row in a table's first rows."""
    samples: dict[int, list[str]] = {}
    for values in peek[row + 1 :]:
        for pos, v in enumerate(values):
            if v is not None and str(v).strip():
                samples.setdefault(pos, []).append(str(v).strip())
    return samples


def _field_scores(
    norm: str, kind: schema.Kind, samples: list[str] | None, fuzzy: bool = True
) -> dict[str, float]:
    scores = {f.name: 0.0 for f in kind.fields}
    scores.update(_header_scores(norm, kind.name, fuzzy))
    # A column named like a call type whose values are call sources is the call source.
    typed = max((scores.get(n, 0.0) for n in CALL_TYPE_FIELDS), default=0.0)
    if typed >= 0.5 and "call_source" in scores and holds_call_sources(samples):
        for n in CALL_TYPE_FIELDS:
            scores[n] = 0.0
        scores["call_source"] = max(scores["call_source"], SNIFF_CONFIDENCE)
    return scores


def match_columns(
    headers: Sequence[str | None],
    kind: schema.Kind,
    samples: dict[int, list[str]] | None = None,
    fuzzy: bool = True,
) -> dict[str, ColumnMatch]:
    """Greedy one-to-one assignment of columns to fields, best scores first. `samples`
    (position -> values under the header) let values overrule a misleading header, and
    rule out a field whose kind of values they do not fit (Y/N is never a latitude)."""
    candidates = []
    for pos, header in enumerate(headers):
        if header is None or not str(header).strip() or is_personal_data(header):
            continue
        norm = normalise_header(header)
        values = (samples or {}).get(pos)
        scores = _field_scores(norm, kind, values, fuzzy)
        for f in kind.fields:
            best = scores[f.name]
            # A column whose values do not look like the field's is never given to it.
            if best >= 0.5 and value_kinds.fits(f.value_kind, values):
                # Earlier synonyms are the field's most typical names: break ties on them.
                candidates.append((best, -_synonym_rank(norm, f), -pos, f.name, pos, str(header)))
    candidates.sort(reverse=True)
    matches: dict[str, ColumnMatch] = {}
    used: set[int] = set()
    for score, _, _, name, pos, header in candidates:
        if name in matches or pos in used:
            continue
        matches[name] = ColumnMatch(name, pos, header, round(score, 2))
        used.add(pos)
    return matches


def _synonym_rank(norm: str, f: schema.Field) -> int:
    for i, syn in enumerate(f.synonyms):
        if norm == syn:
            return i
    return len(f.synonyms)


def _kind_score(kind: schema.Kind, matches: dict[str, ColumnMatch]) -> float:
    """How well a header row reads as this kind; 0 when its defining fields are missing."""
    have = set(matches)
    if kind.name == "calls":
        dated = {"received_at", "received_year"} & have
        about = have & {
            "incident_id",
            "call_type_final",
            "call_type_initial",
            "district",
            "disposition",
            "mh_flag",
            "cit_requested",
            "cit_dispatched",
            "cit_arrived",
            "involuntary_hold",
            "arrest",
            "use_of_force",
            "responder_type",
        }
        if not dated or len(about) < 2:
            return 0.0
    elif kind.name == "training":
        if not {"officer_id", "course", "completed_on"} <= have:
            return 0.0
    elif kind.name == "roster":
        if "officer_id" not in have or not {"rank", "role"} & have or "course" in have:
            return 0.0
    elif kind.name == "services" and not {"name", "type"} <= have:
        return 0.0
    required = sum(matches[n].confidence for n in kind.required if n in matches)
    optional = sum(m.confidence for n, m in matches.items() if n not in kind.required)
    return 2 * required + optional


def propose(
    peek: list[list[str | None]],
    kind: str | None = None,
    rules: Rules | None = None,
    refused: list[str] | None = None,
) -> Mapping | None:
    """The best (header row, kind, columns) reading of a table's first rows, or None.

    `kind` forces the record kind (a saved profile or the user's choice). Rows are first
    scored on whole words only; close spellings are tried when no row reads that way,
    and for the columns of the chosen row. Without a forced kind, a reading also needs
    evidence from the values (see `evidence_against`); `refused` collects why a reading
    that had the right columns was not taken."""
    best = _best_row(peek, kind, fuzzy=False, rules=rules, refused=refused)
    best = best or _best_row(peek, kind, fuzzy=True, rules=rules, refused=refused)
    if best is None or best.kind is None:
        return None
    return at_row(peek, best.header_row, best.kind)


def _best_row(
    peek: list[list[str | None]],
    kind: str | None,
    fuzzy: bool,
    rules: Rules | None = None,
    refused: list[str] | None = None,
) -> Mapping | None:
    kinds = [schema.KINDS[kind]] if kind else list(schema.KINDS.values())
    best: Mapping | None = None
    for row, values in enumerate(peek):
        texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
        if len(texts) < 2 or sum(_looks_like_data(t) for t in texts) > len(texts) / 2:
            continue
        headers = [None if v is None else str(v).strip() for v in values]
        samples = column_samples(peek, row)
        for k in kinds:
            matches = match_columns(headers, k, samples, fuzzy)
            if k.name == "calls" and "incident_id" not in matches and is_summary(headers):
                continue  # "Year | District | Calls": counts per group, not call records
            score = _kind_score(k, matches)
            if score <= 0 or (best is not None and score <= best.score):
                continue
            against = None if kind else evidence_against(k.name, matches, samples, rules)
            if against:
                if refused is not None and against not in refused:
                    refused.append(against)
                continue
            best = Mapping(k.name, row, [h or "" for h in headers], matches, score=score)
    return best


SERVICE_EVIDENCE = 0.6  # share of type values that must be known service categories


def evidence_against(
    kind: str,
    matches: dict[str, ColumnMatch],
    samples: dict[int, list[str]],
    rules: Rules | None = None,
) -> str | None:
    """Why the values under a header do not bear out its kind, or None when they do.

    Column names alone are weak evidence for a services list: statistics tables, pivot
    tests and timesheets have "Name" and "Type" columns too. The types must mostly be
    known service categories (the service-type rules)."""
    if kind != "services" or "type" not in matches:
        return None
    values = samples.get(matches["type"].column, [])
    if not values:
        return None  # no rows under the header: refused later, with that reason
    rules = rules or _default_rules()
    known = int(rules.known_service(pd.Series(values, dtype=object)).sum())
    if known >= SERVICE_EVIDENCE * len(values):
        return None
    return (
        f"it has columns named like a services list, but only {known} of the first "
        f"{len(values)} values of its type column are known service categories (crisis line, "
        "mobile crisis, crisis stabilisation…), so it was not read as one; if it is a services "
        "list, choose Services for it on the Data page or add its types to the service-type "
        "rules."
    )


@functools.cache
def _default_rules() -> Rules:
    return load_rules()


_COUNT_HEADER = re.compile(
    r"^(?:(?:number|count|total|sum) of )?(?:calls|incidents|events|records|cases)"
    r"(?: count| total)?$|^(?:count|counts|total|totals|grand total|sum|n|percent|percentage)$"
)


def is_summary(headers: list[str | None]) -> bool:
    """A header row with a count column ('Calls', 'Number of Calls', 'Total'): a pivot-style
    summary table."""
    return any(h and _COUNT_HEADER.match(normalise_header(h)) for h in headers)


_DATA_CELL = re.compile(r"^[\d\s.,:/\-+$%]+$|^\d{4}-\d{2}-\d{2}")


def _looks_like_data(text: str) -> bool:
    """Numbers and dates are values, not column names."""
    return bool(_DATA_CELL.match(text))


def duplicates(headers: list[str]) -> dict[str, list[int]]:
    """Header (as first written) -> positions, for names that appear more than once."""
    seen: dict[str, list[int]] = {}
    for pos, h in enumerate(headers):
        if h:
            seen.setdefault(normalise_header(h), []).append(pos)
    return {headers[p[0]]: p for p in seen.values() if len(p) > 1}


def apply_overrides(mapping: Mapping, overrides: dict[str, str | None]) -> Mapping:
    """Replace the proposed columns with the user's choice (field -> header, None to unmap)."""
    matches = dict(mapping.matches)
    for name, header in overrides.items():
        matches.pop(name, None)
        if header is None:
            continue
        if header not in mapping.headers:
            raise InputError(f"The file has no column named {header!r}; pick one of its columns.")
        if is_personal_data(header):  # names, birth dates, addresses, narratives: never read
            raise InputError(
                f"The column {header!r} holds personal data and is never read; pick another column."
            )
        pos = mapping.headers.index(header)  # a repeated name maps its first occurrence
        for other, m in list(matches.items()):
            if m.column == pos:
                del matches[other]
        matches[name] = ColumnMatch(name, pos, header, 1.0)
    return Mapping(
        mapping.kind,
        mapping.header_row,
        mapping.headers,
        matches,
        mapping.duplicates,
        mapping.score,
    )


def locate_header(peek: list[list[str | None]], headers: list[str]) -> int | None:
    """The row of a saved layout's header in a new file of the same export."""
    want = {normalise_header(h) for h in headers if h}
    for row, values in enumerate(peek):
        got = {normalise_header(v) for v in values if v}
        if want and want <= got:
            return row
    return None


def at_row(peek: list[list[str | None]], row: int, kind: str) -> Mapping:
    """The mapping of a table read with the header on `row`, as the given kind."""
    values = peek[row] if 0 <= row < len(peek) else []
    headers = ["" if v is None else str(v).strip() for v in values]
    k = schema.KINDS[kind]
    matches = match_columns(headers, k, column_samples(peek, row))
    return Mapping(kind, row, headers, matches, duplicates(headers), _kind_score(k, matches))


def sample_values(peek: list[list[str | None]], row: int, column: int, n: int = 3) -> list[str]:
    """A few distinct values under the header, for the user to recognise a column."""
    seen: list[str] = []
    for values in peek[row + 1 :]:
        value = values[column] if column < len(values) else None
        if value is not None and value != "" and value not in seen:
            seen.append(value)
        if len(seen) == n:
            break
    return seen


# Words too common in headers to say which field a column is ("Force Y/N" names force).
GENERIC_WORDS = WHOLE_HEADER_ONLY | {
    "n", "yn", "yes", "no", "or", "of", "the", "to", "a", "by", "in", "on", "at", "is",
    "flag", "indicator", "ind", "code", "number", "id", "type", "description", "call",
    "event", "incident", "cad", "status", "made", "data", "value", "count", "total", "first",
    "primary", "officer", "person", "subject", "report", "final", "initial", "received",
}  # fmt: skip


def misfit(f: schema.Field, header: str, samples: list[str]) -> str | None:
    """A sentence when most of a mapped column's sampled values do not fit its field."""
    bad = value_kinds.failing(f.value_kind, samples)
    if not samples or 2 * len(bad) <= len(samples):
        return None
    examples = ", ".join(f"'{v}'" for v in list(dict.fromkeys(bad))[:3])
    what = value_kinds.DESCRIPTIONS.get(f.value_kind, f.value_kind)
    return (
        f"The column '{header}' is mapped to {f.label}, but {len(bad):,} of the "
        f"{len(samples):,} values looked at are not {what} (e.g. {examples}): check that "
        "this is the right column."
    )


def suggestions(mapping: Mapping, samples: dict[int, list[str]]) -> list[dict[str, str]]:
    """Unmapped columns that look like a field still unmapped: a word of the header in
    the field's names, and values of the field's kind. Offered to the user, never mapped."""
    if mapping.kind is None:
        return []
    kind = schema.KINDS[mapping.kind]
    used = {m.column for m in mapping.matches.values()}
    open_fields = [f for f in kind.fields if f.name not in mapping.matches]
    found: list[dict[str, str]] = []
    for pos, header in enumerate(mapping.headers):
        if pos in used or not header or is_personal_data(header) or not samples.get(pos):
            continue
        f = _looks_like(normalise_header(header), open_fields, samples[pos])
        if f is None or any(s["field"] == f.name for s in found):
            continue
        what = value_kinds.DESCRIPTIONS.get(f.value_kind, f.value_kind)
        sentence = f"'{header}' looks like {f.label}: {what} — map it?"
        found.append({"column": header, "field": f.name, "sentence": sentence})
    return found


def _looks_like(norm: str, fields: list[schema.Field], samples: list[str]) -> schema.Field | None:
    """The one field sharing most distinctive header words with the column, its values
    fitting; None when two fields share as many."""
    words = set(norm.split()) - GENERIC_WORDS
    by_shared: dict[int, list[schema.Field]] = {}
    for f in fields:
        if f.value_kind == "text":
            continue  # anything fits free text: values say nothing
        names = {w for syn in f.synonyms for w in syn.split()} - GENERIC_WORDS
        n = len(words & names)
        if n and value_kinds.fits(f.value_kind, samples):
            by_shared.setdefault(n, []).append(f)
    if not by_shared:
        return None
    best = by_shared[max(by_shared)]
    return best[0] if len(best) == 1 else None  # "CIT Officer": requested, sent or there?
