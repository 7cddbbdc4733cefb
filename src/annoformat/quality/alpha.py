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

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence


def _missing(value: object) -> bool:
    # NaN too: reliability data often comes as float arrays with NaN for "not coded"
    return value is None or (isinstance(value, float) and math.isnan(value))


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
    totals: Counter[Hashable] = Counter()
    observed = 0.0
    for row in units:
        counts = Counter(v for v in row if not _missing(v))
        m = sum(counts.values())
        if m < 2:  # not pairable: a value nobody else coded says nothing about agreement
            continue
        observed += (m * m - sum(k * k for k in counts.values())) / (m - 1)
        totals.update(counts)
    n = sum(totals.values())
    if n < 2:
        return None
    expected = (n * n - sum(k * k for k in totals.values())) / (n - 1)
    if expected == 0:
        return None
    return 1.0 - observed / expected


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
