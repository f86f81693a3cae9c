from pmhc.ui import components as ui

ui.question_page("policies")
