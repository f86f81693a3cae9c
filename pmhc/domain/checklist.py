"""The self-assessment: what only the agency knows, per framework question.

Each item is answered Yes / Partly / No / Not sure with a note. A question's score is
the share of points over the items answered Yes, Partly or No (Yes 1, Partly 0.5, No 0);
"Not sure" and unanswered items do not count, and the page says how many are answered.
Answers are kept in the workspace as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from pmhc.domain import questions as framework

ANSWERS = ("Yes", "Partly", "No", "Not sure")
POINTS = {"Yes": 1.0, "Partly": 0.5, "No": 0.0}


@dataclass(frozen=True)
class Question:
    number: int
    short: str
    text: str
    items: tuple[tuple[str, str], ...]  # (id, item)


QUESTIONS = (
    Question(
        1,
        framework.SHORT_NAMES[1],
        framework.QUESTIONS[1],
        (
            ("1.1", "A named PMHC coordinator leads the collaboration."),
            (
                "1.2",
                "An executive planning group meets, including mental-health providers and "
                "people with lived experience.",
            ),
            ("1.3", "The agency's mission statement and policies name the PMHC as a priority."),
            ("1.4", "Arrests are not used as a measure of success in officer evaluations."),
            ("1.5", "Supervisors and command staff have taken crisis intervention training."),
            ("1.6", "Dedicated budget and staff time support the PMHC."),
        ),
    ),
    Question(
        2,
        framework.SHORT_NAMES[2],
        framework.QUESTIONS[2],
        (
            ("2.1", "A written policy sets out the response to people with mental health needs."),
            ("2.2", "Dispatchers follow a question protocol to identify mental-health calls."),
            ("2.3", "A diversion protocol guides officers to alternatives to arrest."),
            ("2.4", "An MOU and an information-sharing agreement exist with the crisis provider."),
            (
                "2.5",
                "CIT officers or co-responders can be requested and dispatched on every shift.",
            ),
            (
                "2.6",
                "Transport and custody-transfer procedures keep officer wait times short at "
                "crisis facilities.",
            ),
        ),
    ),
    Question(
        3,
        framework.SHORT_NAMES[3],
        framework.QUESTIONS[3],
        (
            ("3.1", "The 40-hour CIT course is offered, with volunteers selected for it."),
            ("3.2", "Dispatchers and call-takers receive crisis training."),
            ("3.3", "CIT officers take in-service training at least every two years."),
            (
                "3.4",
                "All patrol officers receive basic mental-health awareness and de-escalation "
                "training.",
            ),
            ("3.5", "People with lived experience and local providers help deliver the training."),
        ),
    ),
    Question(
        4,
        framework.SHORT_NAMES[4],
        framework.QUESTIONS[4],
        (
            ("4.1", "A regional crisis call centre (988) answers 24/7."),
            ("4.2", "Mobile crisis teams respond 24/7."),
            (
                "4.3",
                "A crisis receiving and stabilisation facility accepts police drop-offs with no "
                "refusals.",
            ),
            (
                "4.4",
                "Services for substance use, housing and peer support are reachable after hours.",
            ),
            ("4.5", "Officers know the services and how to refer to them."),
        ),
    ),
    Question(
        5,
        framework.SHORT_NAMES[5],
        framework.QUESTIONS[5],
        (
            ("5.1", "Mental-health calls are flagged in CAD or records."),
            ("5.2", "A baseline was measured before the programme started."),
            (
                "5.3",
                "Measures are defined from the PMHC's goals (connections, repeat encounters, "
                "arrests, use of force).",
            ),
            ("5.4", "Dispositions are recorded for every mental-health call."),
            ("5.5", "Data are shared with partners under an agreement, without personal details."),
        ),
    ),
    Question(
        6,
        framework.SHORT_NAMES[6],
        framework.QUESTIONS[6],
        (
            ("6.1", "Regular review meetings look at the data with partners."),
            ("6.2", "Individual cases (repeat encounters, use of force) are reviewed together."),
            ("6.3", "Findings lead to written changes in policy, training or services."),
            ("6.4", "Targets are set for the key outcomes and tracked."),
            ("6.5", "Results are reported to the community."),
        ),
    ),
)
QUESTION_BY_NUMBER = {q.number: q for q in QUESTIONS}


def load_answers(path: Path) -> dict[str, dict]:
    """item id -> {"answer": ..., "note": ..., "updated": ...}."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError:
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict) and v.get("answer") in ANSWERS}


def save_answer(
    path: Path, item: str, answer: str, note: str = "", shared: bool = False
) -> dict[str, dict]:
    """Save one item's answer; `shared` lets partners read the note (never by default)."""
    if answer not in ANSWERS:
        raise ValueError(f"{answer!r} is not an answer; choose one of {', '.join(ANSWERS)}.")
    answers = load_answers(path)
    answers[item] = {
        "answer": answer,
        "note": note.strip(),
        "shared": bool(shared),
        "updated": datetime.now().isoformat(timespec="seconds"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(answers, indent=2, ensure_ascii=False))
    tmp.replace(path)  # atomic: a crash never leaves half a file
    return answers


def score(question: Question, answers: dict[str, dict]) -> tuple[float | None, int]:
    """(score 0..1 or None when nothing is answered, items answered Yes/Partly/No)."""
    points = [
        POINTS[answers[i]["answer"]]
        for i, _ in question.items
        if i in answers and answers[i]["answer"] in POINTS
    ]
    return (sum(points) / len(points) if points else None), len(points)


def scores_frame(answers: dict[str, dict]) -> pd.DataFrame:
    rows = []
    for q in QUESTIONS:
        s, n = score(q, answers)
        rows.append(
            {
                "number": q.number,
                "question": f"{q.number}. {q.short}",
                "score": s,
                "answered": n,
                "items": len(q.items),
            }
        )
    return pd.DataFrame(rows)


def answers_frame(answers: dict[str, dict]) -> pd.DataFrame:
    rows = []
    for q in QUESTIONS:
        for item_id, text in q.items:
            a = answers.get(item_id, {})
            rows.append(
                {
                    "question": f"{q.number}. {q.text}",
                    "item": item_id,
                    "text": text,
                    "answer": a.get("answer", ""),
                    "note": a.get("note", ""),
                    "updated": a.get("updated", ""),
                }
            )
    return pd.DataFrame(rows)
