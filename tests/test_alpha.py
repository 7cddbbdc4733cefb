"""Krippendorff's alpha (nominal): textbook values, and equal to the `krippendorff` package."""

from __future__ import annotations

import math
import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annoformat.quality.alpha import nominal_alpha, nominal_alpha_without_each, presence_alphas

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
# observers, twelve units, values 1-5, with gaps; nominal alpha 0.743
_PAPER = [  # one row per observer (A, B, C, D), one column per unit
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
# the `krippendorff` package's README example: three coders, fifteen units; nominal 0.691
_README = [
    [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
    [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
    [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
]


def _units(coders: list[list[int | None]]) -> list[tuple[int | None, ...]]:
    return list(zip(*coders, strict=True))


def _package(coders: list[list[int | None]]) -> float:
    data = np.array([[np.nan if v is None else v for v in row] for row in coders], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def test_textbook_examples() -> None:
    assert round(nominal_alpha(_units(_PAPER)) or 0, 3) == 0.743
    assert nominal_alpha(_units(_PAPER)) == pytest.approx(_package(_PAPER), abs=1e-12)
    assert round(nominal_alpha(_units(_README)) or 0, 3) == 0.691
    assert nominal_alpha(_units(_README)) == pytest.approx(_package(_README), abs=1e-12)


def test_exact_value_by_hand() -> None:
    # units (a,a) (b,b) (a,b) (b,-): D_o = 2, n = 6 (3 a, 3 b), D_e = (36 - 18) / 5 = 3.6
    assert nominal_alpha([["a", "a"], ["b", "b"], ["a", "b"], ["b", None]]) == pytest.approx(
        1 - 2 / 3.6, abs=1e-15)


def test_undefined_alpha_is_none() -> None:
    assert nominal_alpha([]) is None
    assert nominal_alpha([[1, None], [None, 2]]) is None  # nothing coded twice
    assert nominal_alpha([[1, 1], [1, 1]]) is None  # a single value: no expected disagreement
    assert nominal_alpha([[float("nan"), 1], [2, 2], [1, 1]]) == 1.0  # NaN is "not coded"


_coders = st.integers(2, 5).flatmap(lambda k: st.lists(
    st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=k, max_size=k),
    min_size=1, max_size=25))


@settings(max_examples=300, deadline=None)
@given(_coders)
def test_equals_the_krippendorff_package(units: list[list[int | None]]) -> None:
    mine = nominal_alpha(units)
    coders = [list(col) for col in zip(*units, strict=True)]
    try:
        theirs = _package(coders)
    except ValueError:  # the package refuses what has no alpha (no pairable unit, one value)
        assert mine is None
        return
    if mine is None:
        # a value only in unpairable units enters the package's domain but not its
        # coincidences: 0/0 there, NaN
        assert math.isnan(theirs)
    else:
        assert mine == pytest.approx(theirs, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(_coders.filter(lambda units: len(units[0]) >= 3))
def test_leaving_each_coder_out_equals_the_package_without_that_row(
        units: list[list[int | None]]) -> None:
    coders = [list(col) for col in zip(*units, strict=True)]
    for j, mine in enumerate(nominal_alpha_without_each(units)):
        try:
            theirs = _package(coders[:j] + coders[j + 1:])
        except ValueError:
            assert mine is None
            continue
        assert math.isnan(theirs) if mine is None else mine == pytest.approx(theirs, abs=1e-9)


_label_sets = st.integers(2, 4).flatmap(lambda k: st.lists(
    st.lists(st.one_of(st.none(), st.frozensets(st.sampled_from("abc"), max_size=2).map(
        lambda s: tuple(sorted(s)))), min_size=k, max_size=k),
    min_size=1, max_size=20))


@settings(max_examples=300, deadline=None)
@given(_label_sets)
def test_presence_alphas_equal_nominal_alpha_over_the_boolean_rows(
        units: list[list[tuple[str, ...] | None]]) -> None:
    """agree's per-label alpha in one pass, against the definition: alpha of "label in cell"."""
    mine = presence_alphas(units)
    labels = {x for row in units for cell in row if cell for x in cell}
    assert set(mine) == labels
    for label in labels:
        rows = [[None if cell is None else label in cell for cell in row] for row in units]
        expected = nominal_alpha(rows)
        got = mine[label]
        assert (got is None) == (expected is None), (label, got, expected)
        if got is not None:
            assert got == pytest.approx(expected, abs=1e-12)
