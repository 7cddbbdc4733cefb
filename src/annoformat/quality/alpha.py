"""Krippendorff's alpha for nominal data, from reliability data (units x coders).

Reliability data is one row per unit (an item, a matched object) and one column per coder (an
annotator); a cell holds the value that coder gave that unit (a label name, any hashable) or
``None`` where the coder gave none. Only units that at least two coders coded are pairable;
the others take no part (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability").

With ``m_u`` values in unit ``u``, ``n_uc`` of them equal to ``c``, ``n_c`` the count of value
``c`` over pairable units and ``n`` all of them::

    observed  D_o = sum_u (m_u^2 - sum_c n_uc^2) / (m_u - 1)
    expected  D_e = (n^2 - sum_c n_c^2) / (n - 1)
    alpha     = 1 - D_o / D_e

which is the coincidence-matrix formula with the nominal metric (0 for equal values, 1
otherwise) summed in closed form. Alpha is None (not a number) when it is undefined: no
pairable unit, or a single value in all of them (``D_e = 0``).

Example:
    >>> round(nominal_alpha([["a", "a"], ["b", "b"], ["a", "b"], ["b", None]]), 4)
    0.4444
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Sequence


def _coded(row: Iterable[Hashable | None]) -> list[Hashable]:
    # NaN too (the one value unequal to itself): reliability data often comes as float arrays
    # with NaN for "not coded"
    return [v for v in row if v is not None and v == v]


def nominal_alpha(units: Iterable[Sequence[Hashable | None]]) -> float | None:
    """Krippendorff's alpha (nominal) of reliability data, one row per unit, one column per
    coder, ``None`` (or NaN) where a coder gave no value.

    Returns:
        Alpha in (-1, 1]: 1 is perfect agreement, 0 agreement at chance level; None when alpha
        is undefined (no unit coded twice, or one value everywhere).

    Example:
        >>> nominal_alpha([[1, 1, None], [2, 2, 2], [1, 1, 1]])
        1.0
    """
    totals: dict[Hashable, int] = {}
    observed = 0.0
    for row in units:
        values = _coded(row)
        m = len(values)
        if m < 2:  # not pairable: a value nobody else coded says nothing about agreement
            continue
        if m == 2:  # most units (two annotators): no Counter needed
            observed += 0.0 if values[0] == values[1] else 2.0
        else:
            counts = Counter(values)
            observed += (m * m - sum(k * k for k in counts.values())) / (m - 1)
        for v in values:
            totals[v] = totals.get(v, 0) + 1
    n = sum(totals.values())
    if n < 2:
        return None
    expected = (n * n - sum(k * k for k in totals.values())) / (n - 1)
    if expected == 0:
        return None
    return 1.0 - observed / expected


def presence_alphas(units: Iterable[Sequence[Collection[Hashable] | None]],
                    ) -> dict[Hashable, float | None]:
    """For each value ``x`` found in the cells, the nominal alpha of "``x`` is in the cell"
    (True / False, None where a coder gave no cell): what ``agree`` reports per label. Equal to
    ``nominal_alpha`` over those boolean rows, in one pass: with ``t`` of a unit's ``m`` cells
    holding ``x``, the unit adds ``2 t (m - t) / (m - 1)`` to the observed disagreement, and the
    expected one is ``2 T F / (n - 1)`` with ``T`` cells holding ``x`` and ``F`` not.

    Example:
        >>> presence_alphas([[("a",), ("a",)], [("a", "b"), ("a",)], [("b",), None]])
        {'a': None, 'b': 0.0}
    """
    n = 0
    observed: dict[Hashable, float] = {}
    holding: dict[Hashable, int] = {}
    seen: dict[Hashable, None] = {}  # every value, in order of appearance
    for row in units:
        cells = [c for c in row if c is not None]
        m = len(cells)
        for cell in cells:
            seen.update(dict.fromkeys(cell))
        if m < 2:
            continue
        n += m
        in_unit = Counter(x for cell in cells for x in set(cell))
        for x, t in in_unit.items():
            observed[x] = observed.get(x, 0.0) + 2 * t * (m - t) / (m - 1)
            holding[x] = holding.get(x, 0) + t
    out: dict[Hashable, float | None] = {}
    for x in seen:
        t_all = holding.get(x, 0)
        expected = 2 * t_all * (n - t_all) / (n - 1) if n >= 2 else 0.0
        out[x] = None if expected == 0 else 1.0 - observed.get(x, 0.0) / expected
    return out


def nominal_alpha_without_each(units: Sequence[Sequence[Hashable | None]]) -> list[float | None]:
    """For each coder (column), the alpha of the others: the coder whose removal raises alpha
    most agrees least with the rest (``agree``'s per-annotator view).

    Example:
        >>> [round(a, 3) if a is not None else None for a in nominal_alpha_without_each(
        ...     [[1, 1, 2], [2, 2, 1], [1, 1, 1], [2, 2, 2]])]
        [0.125, 0.125, 1.0]
    """
    coders = max((len(row) for row in units), default=0)
    return [nominal_alpha([[v for k, v in enumerate(row) if k != j] for row in units])
            for j in range(coders)]
