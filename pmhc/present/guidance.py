"""Page titles and the short 'what good looks like' notes, drawn from the framework's sources
(CSG Justice Center / BJA PMHC framework and toolkit, CIT International, Crisis Now)."""

from __future__ import annotations

from dataclasses import dataclass

from pmhc.domain.questions import QUESTIONS


@dataclass(frozen=True)
class PageText:
    key: str
    nav: str  # label in the navigation
    icon: str
    title: str
    question: int | None
    good: str  # markdown


PAGES = (
    PageText(
        "overview",
        "Overview",
        ":material/dashboard:",
        "Overview",
        None,
        "A PMHC should show, month by month, more people connected to services and fewer "
        "arrests, injuries and uses of force among mental-health calls, with fewer people "
        "coming back again and again.",
    ),
    PageText(
        "leadership",
        "1 · Leadership",
        ":material/flag:",
        QUESTIONS[1],
        1,
        "A named coordinator and an executive group that includes providers and people with "
        "lived experience; supervisors and command staff trained alongside patrol; arrests "
        "never used as a measure of success.",
    ),
    PageText(
        "policies",
        "2 · Policies",
        ":material/gavel:",
        QUESTIONS[2],
        2,
        "Dispatchers recognise mental-health calls at intake and send a CIT officer, "
        "co-responder or mobile crisis team; requests for CIT turn into CIT officers on "
        "scene; response times hold up.",
    ),
    PageText(
        "training",
        "3 · Training",
        ":material/school:",
        QUESTIONS[3],
        3,
        "The 40-hour CIT course for volunteers, about 20–25% of patrol in large agencies "
        "(more in small ones) and CIT officers on every shift; in-service at least every "
        "two years, ideally yearly; dispatchers trained too.",
    ),
    PageText(
        "services",
        "4 · Services",
        ":material/health_and_safety:",
        QUESTIONS[4],
        4,
        "A 24/7 crisis line, 24/7 mobile crisis teams and a crisis stabilisation facility "
        "that takes police drop-offs (the Crisis Now core elements), so that calls at night "
        "and at weekends end in a connection as often as in office hours.",
    ),
    PageText(
        "outcomes",
        "5 · Data & outcomes",
        ":material/monitoring:",
        QUESTIONS[5],
        5,
        "The four key outcomes tracked from a baseline: more connections to resources, "
        "fewer repeat encounters, fewer arrests, less use of force. Mental-health calls "
        "flagged in CAD and dispositions recorded on every call.",
    ),
    PageText(
        "review",
        "6 · Review",
        ":material/autorenew:",
        QUESTIONS[6],
        6,
        "Regular reviews with partners that compare results with targets and with the "
        "baseline before the programme, look at months that fall outside the usual range, "
        "and turn findings into tracked actions.",
    ),
)
PAGE_BY_KEY = {p.key: p for p in PAGES}
