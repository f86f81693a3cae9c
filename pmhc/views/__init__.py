"""What each page shows, computed: key figures, charts with their numbers, and what a
missing column would unlock. Pure functions of a `Scope` (dataset, filters, settings,
audience): pages stay thin, tests and benchmarks call these directly, and the app caches
them on (dataset id, filters)."""

from pmhc.views.base import KeyFigure, Scope, View
from pmhc.views.leadership import leadership
from pmhc.views.outcomes import outcomes
from pmhc.views.overview import overview
from pmhc.views.policies import policies
from pmhc.views.review import review
from pmhc.views.services import services
from pmhc.views.training import training

PAGES = {
    "overview": overview,
    "leadership": leadership,
    "policies": policies,
    "training": training,
    "services": services,
    "outcomes": outcomes,
    "review": review,
}

__all__ = ["PAGES", "KeyFigure", "Scope", "View"]
