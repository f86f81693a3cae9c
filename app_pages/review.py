"""Question 6: review. Before and after the programme start, a control chart, targets
against actuals, the action tracker and the meeting log (`pmhc.ui.review`)."""

from pmhc.ui import components as ui
from pmhc.ui import partner, review

if ui.audience() == "partner":
    partner.page("review")
else:
    review.page()
