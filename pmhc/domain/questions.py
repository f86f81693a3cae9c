"""The six questions of the framework *Police-Mental Health Collaborations* (CSG Justice
Center with the Bureau of Justice Assistance, 2019), word for word, and their short names.
Every page title, checklist and report takes them from here."""

from __future__ import annotations

QUESTIONS: dict[int, str] = {
    1: "Is our leadership committed?",
    2: (
        "Do we have clear policies and procedures to respond to people who have mental "
        "health needs?"
    ),
    3: "Do we provide staff with quality mental health and stabilization training?",
    4: (
        "Does the community have a full array of mental health services and supports for "
        "people who have mental health needs?"
    ),
    5: "Do we collect and analyze data to measure the PMHC against the four key outcomes?",
    6: "Do we have a formal and ongoing process for reviewing and improving performance?",
}
SHORT_NAMES: dict[int, str] = {
    1: "Leadership",
    2: "Policies",
    3: "Training",
    4: "Services",
    5: "Data",
    6: "Review",
}
