"""Charts that would show nothing say so in a sentence: no calls under the filters. (The
partner release hides small numbers itself: tests/test_release.py.)"""

from __future__ import annotations

import pandas as pd

from pmhc.present.charts import Figure


def test_a_figure_without_rows_is_empty():
    fig = Figure("k", lambda: None, pd.DataFrame({"calls": []}), "Title", "Calls by district.")
    assert fig.empty == "No calls match these filters."
