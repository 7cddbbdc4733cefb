"""The matching engine: Hungarian assignment against brute force, and each similarity measure
against an independent computation (closed forms, shapely-free geometry by hand)."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annoformat.model import (
    BBox,
    Ellipse,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBBox,
    Span,
    Tag,
)
from annoformat.quality.match import Settings, assign, match_annotations, solve
from annoformat.quality.similarity import (
    Canvas,
    box_iou,
    convex_iou,
    line_radius,
    reversed_direction,
    similarity,
    span_similarity,
)


def brute_force(sim: np.ndarray, threshold: float) -> float:
    """The greatest total similarity of any one-to-one set of pairs at or above threshold."""
    n, m = sim.shape
    best = 0.0
    cols = list(range(m))
    for k in range(min(n, m) + 1):
        for rows in itertools.combinations(range(n), k):
            for chosen in itertools.permutations(cols, k):
                pairs = list(zip(rows, chosen, strict=True))
                if all(sim[r, c] >= threshold for r, c in pairs):
                    best = max(best, sum(sim[r, c] for r, c in pairs))
    return best


matrices = st.integers(0, 4).flatmap(lambda n: st.integers(0, 4).flatmap(
    lambda m: st.lists(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.55, 0.7, 0.8, 0.95, 1.0]),
                       min_size=n * m, max_size=n * m).map(
        lambda v: np.array(v, dtype=np.float64).reshape(n, m))))


@settings(max_examples=300, deadline=None)
@given(matrices, st.sampled_from([0.3, 0.5, 0.75]))
def test_assignment_total_equals_brute_force(sim: np.ndarray, threshold: float) -> None:
    found = assign(sim, threshold)
    assert all(s >= threshold for _, _, s in found)
    assert len({r for r, _, _ in found}) == len(found) == len({c for _, c, _ in found})
    assert sum(s for _, _, s in found) == pytest.approx(brute_force(sim, threshold))


wide_matrices = st.integers(0, 7).flatmap(lambda n: st.integers(0, 7).flatmap(
    lambda m: st.lists(st.sampled_from([0.0, 0.2, 0.5, 0.55, 0.6, 0.75, 0.9, 1.0]),
                       min_size=n * m, max_size=n * m).map(
        lambda v: np.array(v, dtype=np.float64).reshape(n, m))))


@settings(max_examples=400, deadline=None)
@given(wide_matrices, st.sampled_from([0.5, 0.7]))
def test_the_shortcut_gives_the_solvers_pairs(sim: np.ndarray, threshold: float) -> None:
    # few distinct values: ties between assignments are frequent and must go to the solver
    assert assign(sim, threshold) == solve(sim, sim >= threshold)


@settings(max_examples=200, deadline=None)
@given(wide_matrices.map(lambda m: m * 0.999 + np.arange(m.size).reshape(m.shape) * 1e-4))
def test_the_shortcut_gives_the_solvers_pairs_without_ties(sim: np.ndarray) -> None:
    assert assign(sim, 0.5) == solve(sim, sim >= 0.5)


def test_a_tie_is_left_to_the_solver_and_a_clear_winner_is_not() -> None:
    tie = np.array([[1.0, 1.0], [1.0, 1.0]])
    clear = np.array([[0.9, 0.6], [0.6, 0.8]])
    assert assign(tie, 0.5) == solve(tie, tie >= 0.5)
    assert assign(clear, 0.5) == [(0, 0, 0.9), (1, 1, 0.8)]


def test_a_unique_optimum_does_not_import_scipy() -> None:
    code = ("import sys, numpy as np; from annoformat.quality.match import assign; "
            "print(assign(np.array([[0.9, 0.6, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 0.7]]), 0.5), "
            "'scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[(0, 0, 0.9), (1, 1, 0.8), (2, 2, 0.7)] False"


def test_pairs_below_the_threshold_are_excluded_before_the_assignment() -> None:
    # unconstrained, the best total is 0.45 + 0.45 = 0.9 over 0.6 + 0.0; with 0.45 excluded,
    # only the 0.6 pair is left
    sim = np.array([[0.6, 0.45], [0.45, 0.0]])
    assert assign(sim, 0.5) == [(0, 0, 0.6)]
    assert sorted(assign(sim, 0.4)) == [(0, 1, 0.45), (1, 0, 0.45)]


def test_a_box_is_never_matched_to_a_polygon_but_masks_and_polygons_are_one_kind() -> None:
    ref = [BBox(label="a", x=0, y=0, w=10, h=10),
           Polygon(label="a", rings=[[0, 0, 10, 0, 10, 10, 0, 10]])]
    # the same 10x10 square as a column-major RLE: 10 columns of 10 set pixels and 10 clear
    square = Mask(label="a", counts=[0] + [10, 10] * 9 + [10, 210], height=20, width=20)
    m = match_annotations(ref, [square], Settings(), width=20, height=20)
    assert [(p.ref, p.cand, p.kind, p.similarity) for p in m.pairs] == [(1, 0, "region", 1.0)]
    assert m.unmatched_ref == [0] and m.unmatched_cand == []


def test_box_iou_closed_form() -> None:
    a = np.array([[0, 0, 10, 10], [0, 0, 4, 4]], dtype=float)
    b = np.array([[5, 5, 10, 10], [20, 20, 1, 1]], dtype=float)
    assert box_iou(a, b).tolist() == [[25 / 175, 0.0], [0.0, 0.0]]


def test_rotated_boxes_exactly() -> None:
    square = RotatedBBox(x=-1, y=-1, w=2, h=2, rotation=0)
    turned = RotatedBBox(x=-1, y=-1, w=2, h=2, rotation=45)
    # a square and itself turned 45 degrees about the centre share a regular octagon whose
    # inradius is 1: area 8 * tan(22.5 deg)
    octagon = 8 * math.tan(math.radians(22.5))
    assert convex_iou(square.corners, turned.corners) == pytest.approx(octagon / (8 - octagon))
    half = RotatedBBox(x=0, y=-1, w=2, h=2, rotation=180)  # shifted by 1, turned half a turn
    m = similarity([square], [half, turned], "rotated_bbox", Canvas(10, 10))
    assert m[0].tolist() == pytest.approx([2 / 6, octagon / (8 - octagon)])


def test_ellipses_as_polygons_are_close_to_the_analytic_iou() -> None:
    # concentric circles of radii 20 and 10: IoU = 100 / 400
    big, small = Ellipse(cx=50, cy=50, rx=20, ry=20), Ellipse(cx=50, cy=50, rx=10, ry=10)
    m = similarity([big], [small, big], "ellipse", Canvas(100, 100))
    assert m[0, 0] == pytest.approx(0.25, abs=0.02)
    assert m[0, 1] == 1.0


def test_polylines_buffer_iou_and_direction() -> None:
    canvas = Canvas(100, 100)
    assert line_radius(canvas, 0.01) == 1.0
    line = Polyline(points=[10, 50, 90, 50])
    near = Polyline(points=[10, 51, 90, 51])
    far = Polyline(points=[10, 60, 90, 60])
    back = Polyline(points=[90, 50, 10, 50])
    m = similarity([line], [near, far, back], "polyline", canvas, line_thickness=0.01)
    # bands 2 px wide, 1 px apart: a third of the union is shared
    assert m[0].tolist() == pytest.approx([1 / 3, 0.0, 1.0], abs=0.02)
    m = similarity([line], [near, far], "polyline", canvas, line_thickness=0.05)
    assert m[0, 0] > 0.75 and m[0, 1] == 0.0  # 10 px wide: one pixel apart matters less
    assert reversed_direction(line, back, 1.0) and not reversed_direction(line, near, 1.0)


def test_spans_exact_and_overlap() -> None:
    a, b = Span(start=0, end=10), Span(start=5, end=10)
    assert span_similarity(a, b) == 0.0 and span_similarity(a, a) == 1.0
    assert span_similarity(a, b, "overlap") == 0.5
    assert span_similarity(a, Span(start=10, end=12), "overlap") == 0.0


def test_tags_match_by_label_only() -> None:
    m = match_annotations([Tag(label="x"), Tag(label="y")], [Tag(label="y"), Tag(label="z")])
    assert [(p.ref, p.cand) for p in m.pairs] == [(1, 0)]
    assert m.unmatched_ref == [0] and m.unmatched_cand == [1]


def test_points_of_different_counts_never_match() -> None:
    m = match_annotations([Points(points=[1, 1, 5, 5])], [Points(points=[1, 1])],
                          width=10, height=10)
    assert m.pairs == []


def test_crowd_is_left_out_only_when_asked() -> None:
    ref = [BBox(label="p", x=0, y=0, w=10, h=10, crowd=True)]
    assert len(match_annotations(ref, ref).pairs) == 1
    m = match_annotations(ref, ref, Settings(ignore_crowd=True))
    assert (m.pairs, m.unmatched_ref, m.unmatched_cand) == ([], [], [])


_corner = st.sampled_from([0, 2, 4, 10, 12, 20])
_size = st.sampled_from([6, 10, 12, 16])
_squares = st.lists(st.tuples(_corner, _corner, _size, _size), max_size=6)


def _polygon(x: int, y: int, w: int, h: int) -> Polygon:
    return Polygon(label="a", rings=[[x, y, x + w, y, x + w, y + h, x, y + h]])


@settings(max_examples=150, deadline=None)
@given(_squares, _squares, st.sampled_from([0.3, 0.5]))
def test_matching_equals_the_full_matrix_and_the_solver(ref_boxes: list[tuple[int, ...]],
                                                         cand_boxes: list[tuple[int, ...]],
                                                         threshold: float) -> None:
    # few corners and sizes: duplicates, identical items and tied assignments are common; the
    # shortcuts (identical lists, the IoU bound, no-competition and enumerated assignments)
    # must give exactly the pairs of the whole IoU matrix put through scipy
    ref = [_polygon(*b) for b in ref_boxes]
    cand = [_polygon(*b) for b in cand_boxes]
    canvas = Canvas(40, 40)
    m = match_annotations(ref, cand, Settings(iou=threshold), width=40, height=40)
    full = similarity(ref, cand, "region", canvas)
    expected = solve(full, full >= threshold) if ref and cand else []
    assert [(p.ref, p.cand, p.similarity) for p in m.pairs] == expected
    assert m.unmatched_ref == [i for i in range(len(ref)) if i not in {r for r, _, _ in expected}]
