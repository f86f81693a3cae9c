from pmhc.ui import components as ui
from pmhc.ui import partner

if ui.audience() == "partner":
    partner.page("training")
else:
    ui.question_page("training")
