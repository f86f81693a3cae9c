from pmhc.ui import components as ui
from pmhc.ui import partner

if ui.audience() == "partner":
    partner.page("leadership")
else:
    ui.question_page("leadership")
