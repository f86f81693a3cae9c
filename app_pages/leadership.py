from pmhc import ui

ui.question_page("leadership")
