from pmhc.ui import components as ui
from pmhc.ui import partner

if ui.audience() == "partner":
    partner.page("services")
else:
    ui.question_page("services")
