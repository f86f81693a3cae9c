"""Overview: the headline outcomes, and where each of the six questions stands."""

from pmhc.ui import components as ui
from pmhc.ui import overview, partner

if ui.audience() == "partner":
    partner.page("overview")
else:
    overview.page()
