"""What each page shows, computed: key figures, charts with their numbers, and what a
missing column would unlock. Pure functions of a `Scope` (dataset, filters, settings):
pages stay thin, tests and benchmarks call these directly, and the app caches
them on (dataset id, filters)."""

from pmhc.present.views.base import KeyFigure, Scope, View
from pmhc.present.views.leadership import leadership
from pmhc.present.views.outcomes import outcomes
from pmhc.present.views.overview import overview
from pmhc.present.views.policies import policies
from pmhc.present.views.review import review
from pmhc.present.views.services import services
from pmhc.present.views.training import training

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
