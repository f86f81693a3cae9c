"""The protection ranges' linear programmes on systems small enough to solve by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pmhc.analysis import ranges


def system(x0, equations, targets, small=True) -> ranges.System:
    s = ranges.System(np.array(x0, float), np.zeros(len(x0)), np.full(len(x0), np.inf))
    for row, rhs in equations:
        s.equation(row, rhs)
    for i, row in enumerate(targets):
        s.target(row, 0.0, small, key=i)
    return s


def test_two_hidden_cells_of_a_shown_total_range_from_nothing_to_the_total():
    # a + b + c = 5 with c shown (c = 1): a and b each lie in 0..4, 4 wide, under 2 * 3.
    s = system([2, 2, 1], [({0: 1, 1: 1, 2: 1}, 5), ({2: 1}, 1)], [{0: 1}, {1: 1}])
    assert ranges.failures(s, protection=3, threshold=10) == {0: (0.0, 4.0), 1: (0.0, 4.0)}
    # a third hidden cell beside them is pinned by nothing: b - a ranges over -4..4,
    # 8 wide, a change and not a count.
    s = system([2, 2, 1], [({0: 1, 1: 1, 2: 1}, 5), ({2: 1}, 1)], [{1: 1, 0: -1}], small=False)
    assert ranges.failures(s, protection=3, threshold=10) == {}


def test_a_cell_no_equation_bounds_above_is_protected_and_one_pinned_is_not():
    # b = a and a + c = 10: b lies in 0..10, wide enough, and 0 is in it.
    s = system([3, 3, 7], [({0: 1, 1: -1}, 0), ({0: 1, 2: 1}, 10)], [{1: 1}])
    assert ranges.failures(s, protection=3, threshold=10) == {}
    # a - b = 0 only: b can be anything from 0 up (the programme is unbounded above).
    s = system([3, 3], [({0: 1, 1: -1}, 0)], [{1: 1}])
    assert ranges.failures(s, protection=3, threshold=10) == {}
    # b in no equation at all: a programme with no rows, unbounded above.
    s = system([3, 4], [({0: 1}, 3)], [{1: 1}])
    assert ranges.failures(s, protection=3, threshold=10) == {}
    # a + b = 6 and a - b = 0 pin both at 3: a range of one point, inside 1..10.
    s = system([3, 3], [({0: 1, 1: 1}, 6), ({0: 1, 1: -1}, 0)], [{0: 1}])
    assert ranges.failures(s, protection=3, threshold=10) == {0: (3.0, 3.0)}


def test_equations_with_no_solution_are_refused():
    # a + b = 4 and a + b + c = 2 with c >= 0: no table satisfies both.
    s = system([2, 2, 0], [({0: 1, 1: 1}, 4), ({0: 1, 1: 1, 2: 1}, 2)], [{0: 1}, {2: 1}])
    s.equation({0: 1, 1: 2}, 5)  # two unknowns left in each: no shortcut decides it
    with pytest.raises(ValueError, match="no solution"):
        ranges.failures(s, protection=3, threshold=10)
