"""Editable rules: flag mental-health (MH) calls, group dispositions, classify training courses.

The rules are plain CSV files. Defaults ship in ``pmhc/domain/default_rules``; a
workspace may hold edited copies that override the defaults file by file
(:func:`load_rules`, :func:`save_rule_table`).

``mh_call_terms.csv`` -- columns ``term, kind, note``; ``kind`` is ``include`` or ``exclude``.
    A call type is an MH call when it matches at least one include term and no exclude term.
    Excludes veto the whole call type (``INVOLUNTARY MANSLAUGHTER`` is not a hold, ``DOA`` is a
    death investigation). ``WELFARE CHECK`` on its own is deliberately not MH: in the Vera
    five-city crosswalk Seattle's SERVICE - WELFARE CHECK (38,384 calls) and Charleston's welfare
    checks are labelled Statuses / Assisting the Public, not Behavioral Health. ``DETOX`` is not
    MH either (substance use without a crisis; Vera leaves it uncategorised). Bare ``MHA`` is not a
    term because US CADs use it for housing authorities; ``MHA APPREHENSION`` is.

``disposition_groups.csv`` -- columns ``pattern, group, note``; ``group`` is one of
    :data:`DISPOSITION_GROUPS` or ``ignore``. Text matching an ``ignore`` pattern is blanked out
    before the other patterns are tried, so negations such as ``NO ARREST`` in Seattle's
    ``REPORT WRITTEN (NO ARREST)`` do not count as an arrest. When patterns of several groups
    match, the most serious group wins, in the order of :data:`DISPOSITION_GROUPS`
    ("Subject Arrested - MH Agency Notified" is an arrest). Blank input is NA (unknown); text that
    matches nothing is ``other``. Groups mean:

    - ``arrest``: a custodial arrest or booking. Citations, summonses and tickets are not arrests;
      they are listed explicitly as ``other`` (also not ``resolved``, which would flatter the
      resolution rate). Dallas ``CBEA`` (cleared by exceptional means) is not an arrest.
    - ``involuntary``: an involuntary hold (5150, Baker Act, ECO/TDO, emergent detention/ITA,
      apprehension under a Mental Health Act). Canadian "apprehension" is a hold, not an arrest.
    - ``connection``: referral, treatment, transport to hospital/ED/crisis centre/detox/shelter,
      mobile crisis, co-responder, case manager notified, voluntary committal.
    - ``resolved``: handled on scene without any of the above: advised, counseled, warning given,
      report written, resources declined, no action possible or necessary, chronic complaint.
    - ``no_contact``: gone on arrival, unable to locate/contact, cancelled, unfounded.
    - ``other``: everything else, including citations and duplicates.

``course_types.csv`` -- columns ``pattern, course_type, note``; ``course_type`` is one of
    :data:`COURSE_TYPES`. When a name matches patterns of several types the first type in
    :data:`COURSE_PRECEDENCE` wins: in_service > dispatcher > cit_40 > de_escalation > other
    ("CIT In-Service Refresher" -> in_service, "CIT for Dispatchers" -> dispatcher,
    "Crisis Intervention Team (CIT) 40-Hour Basic" -> cit_40). Unmatched names are ``other``;
    Mental Health First Aid is ``other`` by an explicit row (an awareness course, neither CIT nor
    de-escalation training).

``transport_destinations.csv`` -- ``pattern, destination, note``; ``destination`` is
    ``custody`` or ``treatment`` (custody wins: "jail medical unit" is custody). A transport to
    treatment is one component of a connection to resources.

``responder_types.csv`` -- ``pattern, responder, note``; ``responder`` is one of
    :data:`RESPONDERS` (first match in that order wins). An incident's responders are the set of
    its units' types; a mobile-crisis or co-responder unit is a hand-off (a connection component).

``connection_components.csv`` -- ``pattern, component, note``; ``component`` is ``handoff``,
    ``transport`` or ``referral``. Read only on dispositions grouped as a connection (or a hold,
    for the transport of a hold). A connection disposition may match several components; one that
    matches none counts as a referral, so every connection is shown under some component.

``abbreviations.csv`` -- ``abbreviation, expansion, note``: what CADs print for the words the
    rules use (``TRANSP`` transported, ``CTR`` center, ``MH`` mental health, ``WELF CHK`` welfare
    check…). Abbreviations are spelled out, whole tokens only, before any call-type,
    disposition, destination or responder rule is tried (never on course names): ``CTR`` in
    ``CRISIS CTR`` becomes CENTER, ``MH`` never touches ``MHA``.

``service_types.csv`` -- columns ``pattern, service_group, note``; ``service_group`` is one of
    :data:`SERVICE_GROUPS`. The first group in that order with a matching pattern wins ("Crisis
    Stabilization Unit" is crisis stabilisation before it is anything else); blank or unmatched
    types are ``other``. The same table is the evidence that a sheet is a services list: most of
    its type values must match a row here (a row filed under ``other`` counts as known).

``roster_roles.csv`` -- columns ``pattern, role_group, note``; ``role_group`` is one of
    :data:`ROLE_GROUPS`, first in that order wins. Where a roster has a rank column, rank alone
    decides ``command`` and ``supervisor`` (a sergeant assigned to patrol supervises); role and
    rank together decide the others.

Matching, the same in every file:

- Case-insensitive, whole words: a term matches only where it is not preceded or followed by a
  letter or digit, so ``OD`` never matches ODOR or GOOD and ``EDP`` never matches EDPX.
- A term is a sequence of words (letters and digits). Spaces and punctuation between its words
  match any run of spaces and punctuation in the text (``_`` counts as punctuation), so
  ``SELF HARM`` matches Self-Harm, ``10-96`` matches 10 96, ``ECO/TDO`` matches ECO TDO, and
  Charleston's ``129C_Suspicious Person`` splits into 129C / Suspicious / Person. Punctuation
  before the first word or after the last one is ignored.
- A ``*`` right after a word lets the word continue: ``ARREST*`` matches ARREST, ARRESTED.
- ``A & B`` (an ampersand with spaces around it) needs every part to appear, in any order:
  ``CIT & IN SERVICE``.

Performance: every function works on the distinct values only (``pd.factorize``), with one
compiled regular expression per kind/group, and maps the results back to the rows.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from pmhc.domain.untrusted import defuse_formula

DISPOSITION_GROUPS = ("arrest", "involuntary", "connection", "resolved", "no_contact", "other")
GROUP_LABELS = {
    "arrest": "Arrest",
    "involuntary": "Involuntary hold",
    # Not "connection": the connection rate is built from components (referral, transport,
    # hand-off) over several columns; this is only what the disposition text says.
    "connection": "Referral or treatment",
    "resolved": "Resolved on scene",
    "no_contact": "No contact",
    "other": "Other",
}
COURSE_TYPES = ("cit_40", "in_service", "de_escalation", "dispatcher", "other")
COURSE_LABELS = {
    "cit_40": "40-hour CIT",
    "in_service": "CIT in-service",
    "de_escalation": "De-escalation",
    "dispatcher": "Dispatcher crisis training",
    "other": "Other",
}
COURSE_PRECEDENCE = ("in_service", "dispatcher", "cit_40", "de_escalation", "other")
SERVICE_GROUPS = (
    "crisis_line",
    "mobile_crisis",
    "crisis_stabilisation",
    "emergency_department",
    "detox",
    "peer",
    "housing",
    "outpatient",
    "other",
)
SERVICE_LABELS = {
    "crisis_line": "Crisis line",
    "mobile_crisis": "Mobile crisis",
    "crisis_stabilisation": "Crisis stabilisation",
    "emergency_department": "Emergency department",
    "detox": "Detox",
    "peer": "Peer support",
    "housing": "Housing",
    "outpatient": "Outpatient",
    "other": "Other",
}
ROLE_GROUPS = ("dispatcher", "command", "supervisor", "specialist", "civilian", "patrol", "other")
ROLE_LABELS = {
    "dispatcher": "Dispatcher",
    "command": "Command",
    "supervisor": "Supervisor",
    "specialist": "Specialist",
    "civilian": "Civilian",
    "patrol": "Patrol",
    "other": "Other",
}
RANKED_ROLES = ("command", "supervisor")  # decided by rank where there is a rank column
MH_KINDS = ("include", "exclude")
IGNORE = "ignore"  # disposition pseudo-group: matching text is removed before grouping
DEFAULT_DIR = Path(str(resources.files("pmhc.domain").joinpath("default_rules")))

RULE_FILES = {
    "mh_terms": "mh_call_terms.csv",
    "dispositions": "disposition_groups.csv",
    "courses": "course_types.csv",
    "services": "service_types.csv",
    "roles": "roster_roles.csv",
}
# Connection components, responder unit types, transport destinations and abbreviations
# (the module docstring says what they mean).
DESTINATIONS = ("custody", "treatment", "other")  # custody wins over treatment
RESPONDERS = ("mobile_crisis", "co_responder", "cit", "patrol", "other")
RESPONDER_LABELS = {
    "mobile_crisis": "Mobile crisis",
    "co_responder": "Co-responder",
    "cit": "CIT officer",
    "patrol": "Patrol",
    "other": "Other unit",
}
COMPONENTS = ("handoff", "transport", "shelter", "referral")
COMPONENT_LABELS = {
    "referral": "Referral or service notified",
    "transport": "Transport to treatment",
    # a transport, but not to treatment: a connection only under a setting (issue 20)
    "shelter": "Transport to a shelter",
    "handoff": "Hand-off to mobile crisis or co-responder",
}
RULE_FILES.update(
    destinations="transport_destinations.csv",
    responders="responder_types.csv",
    components="connection_components.csv",
)
ABBREVIATIONS_FILE = "abbreviations.csv"
# kind -> (pattern column, class column, allowed classes in file order, labels accepted on input)
_SPEC: dict[str, tuple[str, str, tuple[str, ...], dict[str, str]]] = {
    "mh_terms": ("term", "kind", MH_KINDS, {}),
    "dispositions": ("pattern", "group", (*DISPOSITION_GROUPS, IGNORE), GROUP_LABELS),
    "courses": ("pattern", "course_type", COURSE_PRECEDENCE, COURSE_LABELS),
    "destinations": ("pattern", "destination", DESTINATIONS, {}),
    "responders": ("pattern", "responder", RESPONDERS, RESPONDER_LABELS),
    "components": ("pattern", "component", COMPONENTS, COMPONENT_LABELS),
    "services": ("pattern", "service_group", SERVICE_GROUPS, SERVICE_LABELS),
    "roles": ("pattern", "role_group", ROLE_GROUPS, ROLE_LABELS),
}


def class_column(kind: str) -> tuple[str, tuple[str, ...], dict[str, str]] | None:
    """(column, allowed classes, their labels) of a rule table; None for abbreviations."""
    if kind not in _SPEC:
        return None
    _pattern, column, allowed, labels = _SPEC[kind]
    return column, allowed, labels


_TITLE = {
    "mh_terms": "MH call-type",
    "dispositions": "disposition",
    "courses": "course",
    "destinations": "transport destination",
    "responders": "responder type",
    "components": "connection",
    "services": "service type",
    "roles": "roster role",
}
_NOTE = "note"
_WORD = re.compile(r"([^\W_]+)(\*?)")
_AND = re.compile(r"(?:^|\s+)&(?:\s+|$)")
_SEP = r"[\W_]+"
_TOKEN = re.compile(r"[A-Za-z]+")
_VOWELS = set("AEIOU")
# Letters a token needs to be read: Vera's dispositions hold text cut short ("Tre" of
# Trespass), which a 3-letter prefix would read as TREATMENT.
MIN_TOKEN = 4


def skeleton(word: str) -> str:
    """The first letter and the consonants after it, a run of one letter written once:
    REFERRAL -> RFRL, TRANSPORTED -> TRNSPRTD."""
    out = word[:1]
    for c in word[1:]:
        if c not in _VOWELS and c != out[-1]:
            out += c
    return out


def _reading(token: str, words: set[str]) -> tuple[str, str] | None:
    """(word, evidence) when the token is a prefix or consonant skeleton of exactly one
    of the words; None when of none or of several (ambiguous)."""
    prefix = {w for w in words if len(w) > len(token) and w.startswith(token)}
    squeezed = skeleton(token)
    bones = {w for w in words if len(w) > len(token) and skeleton(w) == squeezed}
    matches = prefix | bones
    if len(matches) != 1:
        return None
    word = next(iter(matches))
    return word, ("prefix of " if word in prefix else "consonants of ") + word


# --------------------------------------------------------------------------- pattern compiling


def _words(part: str) -> list[tuple[str, str]]:
    return _WORD.findall(part)


def _part_regex(part: str) -> str:
    words = _words(part)
    body = _SEP.join(re.escape(w) + (r"[^\W_]*" if star else "") for w, star in words)
    return rf"(?<![^\W_]){body}(?![^\W_])"


def _pattern_regex(pattern: str) -> str:
    parts = _AND.split(pattern.strip())
    if len(parts) == 1:
        return _part_regex(parts[0])
    return "^" + "".join(f"(?=.*?{_part_regex(p)})" for p in parts)


def _specificity(pattern: str) -> tuple[int, int]:
    return (-len(_words(pattern)), -len(pattern))


@dataclass(frozen=True)
class _Matcher:
    """One compiled alternation; group i+1 of a match is ``patterns[i]``."""

    patterns: tuple[str, ...]
    regex: re.Pattern[str] | None

    @classmethod
    def build(cls, patterns: Sequence[str]) -> _Matcher:
        ordered = tuple(sorted(dict.fromkeys(patterns), key=_specificity))
        if not ordered:
            return cls((), None)
        rx = "|".join(f"({_pattern_regex(p)})" for p in ordered)
        return cls(ordered, re.compile(rx, re.IGNORECASE | re.DOTALL))

    def first(self, text: str) -> str | None:
        if self.regex is None:
            return None
        m = self.regex.search(text)
        return None if m is None or m.lastindex is None else self.patterns[m.lastindex - 1]

    def hits(self, text: str) -> bool:
        return self.regex is not None and self.regex.search(text) is not None

    def blank_out(self, text: str) -> str:
        return text if self.regex is None else self.regex.sub(" ", text)


# --------------------------------------------------------------------------- table validation


def _clean_cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a numeric code read as 5150.0 is the code 5150
    return " ".join(str(value).split())


def _clean_pattern(value: str) -> str:
    """Drop punctuation before the first word (it never matters, and '=' would be a formula)."""
    parts = [re.sub(r"^[\W_]+", "", p) for p in _AND.split(value)]
    return " & ".join(parts)


def _validate(kind: str, table: pd.DataFrame) -> pd.DataFrame:
    """The table cleaned (strings, class keys, blank rows dropped); ValueError if invalid."""
    if kind not in _SPEC:
        raise ValueError(f"Unknown rule table '{kind}'; use one of: {', '.join(_SPEC)}.")
    pcol, ccol, allowed, labels = _SPEC[kind]
    title = _TITLE[kind]
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"The {title} rules must be a table with columns and rows.")
    columns = {str(c).strip().lower(): c for c in table.columns}
    for need in (pcol, ccol):
        if need not in columns:
            raise ValueError(f"The {title} rules need a column named '{need}'.")
    extra = [str(c) for k, c in columns.items() if k not in (pcol, ccol, _NOTE)]
    if extra:
        raise ValueError(
            f"The {title} rules have an unexpected column '{extra[0]}'; "
            f"only {pcol}, {ccol} and {_NOTE} are allowed."
        )
    by_label = {v.lower(): k for k, v in labels.items()}
    rows: list[tuple[str, str, str]] = []
    seen: dict[str, str] = {}
    for n, rec in enumerate(table.itertuples(index=False), start=1):
        rec = dict(zip(table.columns, rec, strict=True))
        pattern = _clean_cell(rec[columns[pcol]])
        cls = _clean_cell(rec[columns[ccol]]).lower()
        note = _clean_cell(rec[columns[_NOTE]]) if _NOTE in columns else ""
        if not pattern and not cls and not note:
            continue  # an empty row left by an editor
        pattern = _clean_pattern(pattern)
        if any(not _words(p) for p in _AND.split(pattern)):
            raise ValueError(
                f"Row {n} of the {title} rules has an empty {pcol}; "
                f"a {pcol} needs at least one letter or digit."
            )
        cls = by_label.get(cls, cls).replace(" ", "_").replace("-", "_")
        if cls not in allowed:
            shown = _clean_cell(rec[columns[ccol]])
            problem = f"an unknown {ccol} '{shown}'" if shown else f"no {ccol}"
            raise ValueError(
                f"Row {n} of the {title} rules ({pattern}) has {problem}; "
                f"use one of: {', '.join(allowed)}."
            )
        key = " & ".join(
            " ".join(w.upper() + star for w, star in _words(p)) for p in _AND.split(pattern)
        )
        if key in seen and seen[key] != cls:
            raise ValueError(
                f"The {pcol} '{pattern}' is listed as both {seen[key]} and {cls}; keep one row."
            )
        seen[key] = cls
        note = str(defuse_formula(note))  # never let a spreadsheet run a note as a formula
        rows.append((pattern, cls, note))
    out = pd.DataFrame(rows, columns=[pcol, ccol, _NOTE], dtype="str")
    return out


def _sorted(kind: str, table: pd.DataFrame) -> pd.DataFrame:
    pcol, ccol, allowed, _ = _SPEC[kind]
    order = {c: i for i, c in enumerate(allowed)}
    keys = pd.DataFrame(
        {"c": table[ccol].map(order), "p": table[pcol].str.upper(), "q": table[pcol]}
    )
    idx = keys.sort_values(["c", "p", "q"], kind="stable").index
    return table.loc[idx].reset_index(drop=True)


def _read_table(path: Path, kind: str) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"The rules file {path.name} is not a readable CSV file.") from exc
    return _validate(kind, raw)


# --------------------------------------------------------------------------- mapping on uniques


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Codes into the distinct values, the distinct raw values, and each as cleaned text.

    The cleaned text is None for a blank value.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    raw = np.asarray(uniques, dtype=object)
    return codes, raw, [_clean_cell(u) or None for u in raw]


def _per_unique(values: pd.Series, func: Callable[[str], object], missing: object) -> np.ndarray:
    codes, _, texts = _factorize(values)
    results = [missing if t is None else func(t) for t in texts]
    table = np.empty(len(results) + 1, dtype=object)
    table[:-1] = results
    table[-1] = missing
    return table[codes]  # code -1 (NA) picks the trailing `missing`


def _as_series(values: pd.Series | Sequence[object]) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)


# --------------------------------------------------------------------------- abbreviations

_ABBR_COLUMNS = ("abbreviation", "expansion")


def _validate_abbreviations(table: pd.DataFrame) -> pd.DataFrame:
    """abbreviation, expansion, note; each abbreviation words only (no * or &), listed once."""
    if not isinstance(table, pd.DataFrame):
        raise ValueError("The abbreviations must be a table with columns and rows.")
    columns = {str(c).strip().lower(): c for c in table.columns}
    for need in _ABBR_COLUMNS:
        if need not in columns:
            raise ValueError(f"The abbreviations need a column named '{need}'.")
    rows, seen = [], set()
    for n, rec in enumerate(table.to_dict("records"), start=1):
        abbr = _clean_cell(rec[columns["abbreviation"]])
        expansion = _clean_cell(rec[columns["expansion"]])
        note = _clean_cell(rec[columns[_NOTE]]) if _NOTE in columns else ""
        if not abbr and not expansion and not note:
            continue
        words = _words(abbr)
        if not words or any(star for _, star in words) or _AND.search(abbr):
            raise ValueError(
                f"Row {n} of the abbreviations ({abbr or 'blank'}) needs letters or digits "
                "only, without * or &."
            )
        if not _words(expansion):
            raise ValueError(f"Row {n} of the abbreviations ({abbr}) has no expansion.")
        key = " ".join(w.upper() for w, _ in words)
        if key in seen:
            raise ValueError(f"The abbreviation '{abbr}' is listed twice; keep one row.")
        seen.add(key)
        expansion = " ".join(w for w, _ in _words(expansion))
        rows.append((abbr, expansion, defuse_formula(note)))
    out = pd.DataFrame(rows, columns=[*_ABBR_COLUMNS, _NOTE], dtype="str")
    return out.sort_values("abbreviation", key=lambda c: c.str.upper(), kind="stable").reset_index(
        drop=True
    )


def _read_abbreviations(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"The rules file {path.name} is not a readable CSV file.") from exc
    return _validate_abbreviations(raw)


@dataclass(frozen=True)
class _Expander:
    """Whole-token replacement of every abbreviation by its expansion, in one pass."""

    matcher: _Matcher
    expansions: dict[str, str]

    @classmethod
    def build(cls, table: pd.DataFrame) -> _Expander:
        expansions = dict(zip(table["abbreviation"], table["expansion"], strict=True))
        return cls(_Matcher.build(list(expansions)), expansions)

    def expand(self, text: str) -> str:
        rx = self.matcher.regex
        if rx is None:
            return text
        return rx.sub(
            lambda m: self.expansions[self.matcher.patterns[(m.lastindex or 1) - 1]], text
        )


def _classes(kind: str, table: pd.DataFrame, build) -> tuple:
    """(class, matcher) in precedence order; "other" is what matches nothing."""
    pcol, ccol, allowed, _ = _SPEC[kind]
    return tuple((c, build(table, pcol, ccol, c)) for c in allowed if c != "other")


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True, eq=False)
class Rules:
    """The three rule tables and the matchers compiled from them (build with :func:`load_rules`)."""

    mh_terms: pd.DataFrame
    dispositions: pd.DataFrame
    courses: pd.DataFrame
    # None: the shipped default table
    destinations: pd.DataFrame | None = None
    responders: pd.DataFrame | None = None
    components: pd.DataFrame | None = None
    abbreviations: pd.DataFrame | None = None
    # Service types and roster roles; None takes the shipped defaults.
    services: pd.DataFrame | None = None
    roles: pd.DataFrame | None = None
    # Readings inferred from the data (`infer_abbreviations`: token, word), applied only to
    # outcome values that no rule matches as written, never to call types.
    inferred: pd.DataFrame | None = None
    _mh_include: _Matcher = field(init=False, repr=False)
    _mh_exclude: _Matcher = field(init=False, repr=False)
    _ignore: _Matcher = field(init=False, repr=False)
    _groups: tuple[tuple[str, _Matcher], ...] = field(init=False, repr=False)
    _courses: tuple[tuple[str, _Matcher], ...] = field(init=False, repr=False)
    _destinations: tuple[tuple[str, _Matcher], ...] = field(init=False, repr=False)
    _responders: tuple[tuple[str, _Matcher], ...] = field(init=False, repr=False)
    _components: tuple[tuple[str, _Matcher], ...] = field(init=False, repr=False)
    _abbr: _Expander = field(init=False, repr=False)
    _guess: _Expander = field(init=False, repr=False)
    _services: tuple[tuple[str, _Matcher], ...] = field(init=False, repr=False)
    _roles: tuple[tuple[str, _Matcher], ...] = field(init=False, repr=False)

    def __repr__(self) -> str:
        return (
            f"Rules({len(self.mh_terms)} MH terms, {len(self.dispositions)} disposition patterns, "
            f"{len(self.courses)} course patterns)"
        )

    def __post_init__(self) -> None:
        mh = _validate("mh_terms", self.mh_terms)
        dispo = _validate("dispositions", self.dispositions)
        courses = _validate("courses", self.courses)
        for name, table in (("mh_terms", mh), ("dispositions", dispo), ("courses", courses)):
            object.__setattr__(self, name, table)

        def build(table: pd.DataFrame, pcol: str, ccol: str, cls: str) -> _Matcher:
            return _Matcher.build(table.loc[table[ccol] == cls, pcol].tolist())

        set_ = object.__setattr__
        set_(self, "_mh_include", build(mh, "term", "kind", "include"))
        set_(self, "_mh_exclude", build(mh, "term", "kind", "exclude"))
        set_(self, "_ignore", build(dispo, "pattern", "group", IGNORE))
        groups = tuple((g, build(dispo, "pattern", "group", g)) for g in DISPOSITION_GROUPS)
        set_(self, "_groups", groups)
        ctypes = tuple((c, build(courses, "pattern", "course_type", c)) for c in COURSE_PRECEDENCE)
        set_(self, "_courses", ctypes)
        self._init_extra(build)
        self._build_services_and_roles()

    def _init_extra(self, build) -> None:
        """The connection-component, responder, destination and abbreviation tables."""
        set_ = object.__setattr__
        for kind in ("destinations", "responders", "components"):
            table = getattr(self, kind)
            if table is None:
                table = _read_table(DEFAULT_DIR / RULE_FILES[kind], kind)
            set_(self, kind, _validate(kind, table))
        abbr = self.abbreviations
        if abbr is None:
            abbr = _read_abbreviations(DEFAULT_DIR / ABBREVIATIONS_FILE)
        set_(self, "abbreviations", _validate_abbreviations(abbr))
        for kind in ("destinations", "responders", "components"):
            set_(self, f"_{kind}", _classes(kind, getattr(self, kind), build))
        set_(self, "_abbr", _Expander.build(self.abbreviations))
        guesses = self.inferred
        table = (
            pd.DataFrame({"abbreviation": [], "expansion": []})
            if guesses is None or guesses.empty
            else pd.DataFrame({"abbreviation": guesses["token"], "expansion": guesses["word"]})
        )
        set_(self, "_guess", _Expander.build(table))

    def expand(self, text: str) -> str:
        """Abbreviations spelled out, whole tokens only ("TRANSP TO CRISIS CTR" ->
        "TRANSPORTED TO CRISIS CENTER"); applied before every call-type, disposition,
        destination and responder rule."""
        return self._abbr.expand(text)

    def expanded(self, values: pd.Series) -> pd.Series:
        """Each value with its abbreviations spelled out (NA stays NA), for display."""
        s = _as_series(values)
        return pd.Series(_per_unique(s, self.expand, None), index=s.index, dtype="str")

    # ---- destinations, responders, connection components
    def _first_class(self, matchers, text: str, guess: _Expander | None = None) -> str:
        plain = self.expand(text)
        found = next((c for c, m in matchers if m.hits(plain)), "other")
        guess = guess or self._guess
        if found != "other" or guess.matcher.regex is None:
            return found  # a value the rules read as written keeps its class
        guessed = guess.expand(plain)
        return next((c for c, m in matchers if m.hits(guessed)), "other")

    def destination_class(self, destinations: pd.Series) -> pd.Series:
        """custody / treatment / other per transport destination; NA for blank input."""
        s = _as_series(destinations)
        out = _per_unique(s, lambda t: self._first_class(self._destinations, t), None)
        return pd.Series(out, index=s.index, dtype="str", name="destination_class")

    def responder_class(self, responders: pd.Series) -> pd.Series:
        """mobile_crisis / co_responder / cit / patrol / other per unit; NA for blank input."""
        s = _as_series(responders)
        out = _per_unique(s, lambda t: self._first_class(self._responders, t), None)
        return pd.Series(out, index=s.index, dtype="str", name="responder_class")

    def component_hits(self, dispositions: pd.Series, component: str) -> pd.Series:
        """True where the disposition text matches a pattern of `component` (after the
        ignore patterns are removed); NA for blank input."""
        s = _as_series(dispositions)
        matcher = dict(self._components)[component]

        def hit(text: str) -> bool:
            return matcher.hits(self._disposition_text(text))

        return pd.Series(_per_unique(s, hit, None), index=s.index, dtype="boolean")

    def _build_services_and_roles(self) -> None:
        for kind, ccol, order in (
            ("services", "service_group", SERVICE_GROUPS),
            ("roles", "role_group", ROLE_GROUPS),
        ):
            given = getattr(self, kind)
            table = (
                _read_table(DEFAULT_DIR / RULE_FILES[kind], kind)
                if given is None
                else _validate(kind, given)
            )
            object.__setattr__(self, kind, table)
            matchers = tuple(
                (g, _Matcher.build(table.loc[table[ccol] == g, "pattern"].tolist())) for g in order
            )
            object.__setattr__(self, f"_{kind}", matchers)

    # ---- MH calls
    def _mh_match(self, text: str) -> str | None:
        text = self.expand(text)
        term = self._mh_include.first(text)
        if term is None or self._mh_exclude.hits(text):
            return None
        return term

    def mh_flag(self, call_types: pd.Series) -> pd.Series:
        """True where the call type is an MH call (an include term and no exclude term)."""
        s = _as_series(call_types)
        flags = _per_unique(s, lambda t: self._mh_match(t) is not None, False)
        return pd.Series(flags.astype(bool), index=s.index, name="mh_flag")

    def mh_term(self, call_types: pd.Series) -> pd.Series:
        """The include term behind each flag (NA where the call type is not flagged)."""
        s = _as_series(call_types)
        terms = _per_unique(s, self._mh_match, None)
        return pd.Series(terms, index=s.index, name="mh_term", dtype="str")

    # ---- dispositions
    def _disposition_text(self, text: str, guess: _Expander | None = None) -> str:
        """A disposition as the rules read it: abbreviations spelled out, ignored text
        removed; the inferred readings only where no group's rule matches it as written."""
        plain = self._ignore.blank_out(self.expand(text))
        guess = guess or self._guess
        if guess.matcher.regex is None or any(m.hits(plain) for _, m in self._groups):
            return plain
        return self._ignore.blank_out(guess.expand(self.expand(text)))

    def _group_of(self, text: str, guess: _Expander | None = None) -> tuple[str, bool]:
        """(group, matched a rule) for one cleaned disposition text."""
        text = self._disposition_text(text, guess)
        for group, matcher in self._groups:
            if matcher.hits(text):
                return group, True
        return "other", False

    def disposition_group(self, dispositions: pd.Series) -> pd.Series:
        """Ordered categorical, most serious first; NA for blank input, "other" if no rule matched.

        Being ordered most serious first, ``.min()`` over the rows of one incident gives the
        incident's most serious outcome.
        """
        s = _as_series(dispositions)
        index = {g: i for i, g in enumerate(DISPOSITION_GROUPS)}
        codes = _per_unique(s, lambda t: index[self._group_of(t)[0]], -1).astype(np.int64)
        cat = pd.Categorical.from_codes(codes, categories=list(DISPOSITION_GROUPS), ordered=True)
        return pd.Series(cat, index=s.index, name="disposition_group")

    # ---- courses
    def _course_of(self, text: str) -> tuple[str, bool]:
        for ctype, matcher in self._courses:
            if matcher.hits(text):
                return ctype, True
        return "other", False

    def course_type(self, course_names: pd.Series) -> pd.Series:
        """Categorical of COURSE_TYPES; NA for blank input, "other" if no rule matched."""
        s = _as_series(course_names)
        index = {c: i for i, c in enumerate(COURSE_TYPES)}
        codes = _per_unique(s, lambda t: index[self._course_of(t)[0]], -1).astype(np.int64)
        cat = pd.Categorical.from_codes(codes, categories=list(COURSE_TYPES))
        return pd.Series(cat, index=s.index, name="course_type")

    # ---- service types and roster roles
    @staticmethod
    def _first(matchers: tuple[tuple[str, _Matcher], ...], text: str) -> str | None:
        for group, matcher in matchers:
            if matcher.hits(text):
                return group
        return None

    def _matched(self, matchers: tuple[tuple[str, _Matcher], ...], text: str) -> tuple[str, bool]:
        """(group, matched a rule), like _group_of and _course_of."""
        group = self._first(matchers, text)
        return group or "other", group is not None

    def service_group(self, types: pd.Series) -> pd.Series:
        """SERVICE_GROUPS key per service type: the first group (in that order) with a
        matching pattern; "other" for blank or unmatched types."""
        s = _as_series(types)
        groups = _per_unique(s, lambda t: self._first(self._services, t) or "other", "other")
        return pd.Series(groups, index=s.index, name="service_group", dtype=object)

    def known_service(self, types: pd.Series) -> pd.Series:
        """True where a service type matches a row of the service-type rules (including
        rows that file a type under "other"): evidence that a column lists services."""
        s = _as_series(types)
        known = _per_unique(s, lambda t: self._first(self._services, t) is not None, False)
        return pd.Series(known.astype(bool), index=s.index, name="known_service")

    def role_group(self, role: pd.Series | None, rank: pd.Series | None) -> pd.Series | None:
        """ROLE_GROUPS key per officer from role and rank text; None without either.

        Rank decides for supervisors and command (a sergeant assigned to patrol supervises);
        role and rank together decide otherwise, the first group in ROLE_GROUPS order."""
        given = role if role is not None else rank
        if given is None:
            return None
        index = given.index
        texts = [t.astype("str").fillna("") for t in (role, rank) if t is not None]
        both = texts[0] if len(texts) == 1 else texts[0] + " | " + texts[1]
        ranked = rank.astype("str").fillna("") if rank is not None else None
        by_both = _per_unique(both, lambda t: self._role_of(t, skip_ranked=ranked is not None), "")
        result = pd.Series(by_both, index=index, dtype=object)
        if ranked is not None:
            by_rank = _per_unique(ranked, lambda t: self._role_of(t, only_ranked=True), "")
            # A rank-decided group wins only where it comes before the role's own group.
            order = {g: i for i, g in enumerate(ROLE_GROUPS)}
            use_rank = pd.Series(by_rank, index=index).map(order).fillna(99) < result.map(
                order
            ).fillna(99)
            result = result.where(~use_rank, pd.Series(by_rank, index=index))
        return result.replace("", "other").astype("category")

    def _role_of(self, text: str, skip_ranked: bool = False, only_ranked: bool = False) -> str:
        for group, matcher in self._roles:
            if (skip_ranked and group in RANKED_ROLES) or (
                only_ranked and group not in RANKED_ROLES
            ):
                continue
            if matcher.hits(text):
                return group
        return ""

    # ---- abbreviations the tables do not list
    def _abbreviation_table(self) -> pd.DataFrame:
        # __post_init__ fills the shipped table in when none was given
        return cast(pd.DataFrame, self.abbreviations)

    def outcome_words(self) -> set[str]:
        """The words the disposition, destination, responder and connection rules use
        (a starred word by its stem), and the abbreviation table's expansions."""
        words: set[str] = set()
        for kind in ("dispositions", "destinations", "responders", "components"):
            table = getattr(self, kind)
            for pattern in table[table.columns[0]]:
                words |= {w.upper() for w, _ in _words(str(pattern)) if w.isalpha()}
        for expansion in self._abbreviation_table()["expansion"]:
            words |= {w.upper() for w, _ in _words(expansion) if w.isalpha()}
        return words

    def infer_abbreviations(self, values: pd.Series, kind: str = "dispositions") -> pd.DataFrame:
        """Tokens of outcome values no rule matches that are read as one word the rules
        use: a prefix or the consonant skeleton of exactly one such word (`MIN_TOKEN`+
        letters).
        Columns: token, word, evidence, example (the most frequent value), calls, reads_as
        (the class the value gets with the reading; only readings that change it)."""
        words = self.outcome_words()
        listed = {a.upper() for a in self._abbreviation_table()["abbreviation"]}
        counts = _as_series(values).dropna().astype("str").value_counts()
        found: dict[str, list] = {}
        for value, n in counts.items():
            if self._class_of(kind, str(value)) != "other":
                continue
            for token in {t.upper() for t in _TOKEN.findall(str(value))}:
                if token in words or token in listed or len(token) < MIN_TOKEN:
                    continue
                reading = _reading(token, words)
                if reading is None:
                    continue
                entry = found.setdefault(token, [*reading, str(value), 0])
                entry[3] += int(n)
        rows = []
        for token, (word, evidence, example, n) in found.items():
            trial = _Expander.build(pd.DataFrame({"abbreviation": [token], "expansion": [word]}))
            reads_as = self._class_of(kind, example, trial)
            if reads_as != "other":
                rows.append((token, word, evidence, example, n, reads_as))
        columns = ["token", "word", "evidence", "example", "calls", "reads_as"]
        out = pd.DataFrame(rows, columns=columns)
        return out.sort_values(["calls", "token"], ascending=[False, True]).reset_index(drop=True)

    def reading(self, columns: dict[str, pd.Series]) -> Rules:
        """These rules with the readings inferred from outcome values (`columns`: rule
        table kind -> values); themselves when there is none."""
        found = [self.infer_abbreviations(v, k) for k, v in columns.items()]
        found = [f for f in found if not f.empty]
        if not found:
            return self
        table = pd.concat(found).drop_duplicates("token").reset_index(drop=True)
        return dataclasses.replace(self, inferred=table)

    def _class_of(self, kind: str, text: str, guess: _Expander | None = None) -> str:
        if kind == "dispositions":
            return self._group_of(text, guess)[0]
        return self._first_class(
            self._destinations if kind == "destinations" else self._responders, text, guess
        )

    # ---- rule maintenance
    def unmatched(self, values: pd.Series, kind: str) -> pd.DataFrame:
        """Raw values that matched no rule (so fell into "other"), with counts, most frequent first.

        ``kind`` is "disposition", "course", "service" or "role". Values deliberately mapped to
        ``other`` by a rule (citations, duplicates, firearms courses...) are not listed: they need
        no fixing.
        Columns: ``value`` (as written in the data) and ``count``.
        """
        key = kind.strip().lower().rstrip("s")
        matched: Callable[[str], tuple[str, bool]]
        if key == "disposition":
            matched = self._group_of
        elif key == "course":
            matched = self._course_of
        elif key in ("service", "role"):
            matched = functools.partial(
                self._matched, self._services if key == "service" else self._roles
            )
        else:
            raise ValueError(
                f"Unknown kind '{kind}'; use 'disposition', 'course', 'service' or 'role'."
            )
        codes, raw, texts = _factorize(_as_series(values))
        counts = np.bincount(codes[codes >= 0], minlength=len(texts))
        keep = [i for i, t in enumerate(texts) if t is not None and not matched(t)[1]]
        out = pd.DataFrame(
            {
                "value": pd.Series([str(raw[i]) for i in keep], dtype="str"),
                "count": pd.Series(counts[keep], dtype="int64"),
            }
        )
        out = out.sort_values(["count", "value"], ascending=[False, True], kind="stable")
        return out.reset_index(drop=True)


# --------------------------------------------------------------------------- loading and saving


def load_rules(folder: Path | None = None) -> Rules:
    """Rules from ``folder``; a file missing there falls back to the one in DEFAULT_DIR.

    Raises ValueError (one sentence) when a file is malformed.
    """
    tables = {}
    for kind, name in RULE_FILES.items():
        path = Path(folder) / name if folder is not None else None
        if path is None or not path.is_file():
            path = DEFAULT_DIR / name
        tables[kind] = _read_table(path, kind)
    abbr_path = Path(folder) / ABBREVIATIONS_FILE if folder is not None else None
    if abbr_path is None or not abbr_path.is_file():
        abbr_path = DEFAULT_DIR / ABBREVIATIONS_FILE
    return Rules(**tables, abbreviations=_read_abbreviations(abbr_path))


def save_rule_table(folder: Path, kind: str, table: pd.DataFrame) -> Path:
    """Validate ``table`` and write it as ``folder/<file>.csv`` (sorted by group); return the path.

    ``kind`` is "mh_terms", "dispositions" or "courses". Raises ValueError with one plain sentence
    on bad input (unknown kind, missing column, empty term, unknown group...); nothing is written
    then.
    """
    if kind == "abbreviations":
        clean, name = _validate_abbreviations(table), ABBREVIATIONS_FILE
    else:
        clean, name = _sorted(kind, _validate(kind, table)), RULE_FILES.get(kind, "")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fd, tmp = tempfile.mkstemp(prefix=".rules-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            clean.to_csv(fh, index=False, lineterminator="\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
