"""The ENSD grid axis (A1111's "Eta noise seed delta")."""

import pytest

from promptlab.errors import InvalidInputError
from promptlab.grid import AxisType, GridSpec, make_plan

BASE = {"prompt": "a cat", "sampler": "Euler a", "seed": 42}


def cells(axis):
    return make_plan(GridSpec.from_dict({"base": BASE, "x": axis})).cells


@pytest.mark.parametrize(("axis_type", "values", "expected"), [
    ("ensd", "0, 31337", [0, 31337]),
    ("ENSD", [31337], [31337]),
    ("Eta noise seed delta", "0-2", [0, 1, 2]),
], ids=["plain", "upper", "a1111-name"])
def test_ensd_axis_sets_the_field(axis_type, values, expected):
    plan = cells({"type": axis_type, "values": values})
    assert [c.params.ensd for c in plan] == expected
    assert make_plan(GridSpec.from_dict({"base": BASE, "x": {"type": axis_type, "values": values}})).spec.x.type \
        is AxisType.ENSD


@pytest.mark.parametrize("values", ["-1", "4294967296", "1.5"], ids=["negative", "too-big", "fraction"])
def test_bad_ensd_values_are_clear_errors(values):
    with pytest.raises(InvalidInputError, match="ensd"):
        cells({"type": "ensd", "values": values})
