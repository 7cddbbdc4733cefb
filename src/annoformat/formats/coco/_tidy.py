"""Many ``tidy_sum`` / ``tidy_product`` values at once: the COCO writer's box corners and areas.

The scalar functions in ``_common`` cost ~2 us each in Python (a call, ``log10``, ``floor``,
``round``); a COCO-2017 document needs three per box (two corners of its segmentation ring and
its area), 2.6M calls. Here the sums, the error bounds and the decimal places are computed as
numpy arrays and only the final ``round`` runs per value. The results are the scalar
functions' exactly: the same IEEE operations in the same order, and where a place count sits
within reach of ``log10``'s last-bit error of a whole number (numpy's ``log10`` may differ from
``math.log10`` there), it is recomputed with ``math.log10``. Below ``BATCH`` values numpy is not
imported: the scalar functions run.

Example:
    >>> tidy_sums([10.1, 0.0], [106.1, 0.0])
    [116.2, 0.0]
"""

from __future__ import annotations

from typing import Any

from annoformat.formats.coco._common import tidy, tidy_product, tidy_sum

#: the unit roundoff bound the scalar functions use (``_common``)
_ULP = 2.0 ** -52
#: below this many values the scalar path is cheaper than importing numpy (~60 ms)
BATCH = 20_000


def tidy_sums(a: list[float], b: list[float]) -> list[float]:
    """``[tidy_sum(x, y) for x, y in zip(a, b)]``, for float inputs."""
    if len(a) < BATCH:
        return list(map(tidy_sum, a, b))
    import numpy as np

    x = np.array(a, dtype=np.float64)
    y = np.array(b, dtype=np.float64)
    return _tidy_many(x + y, _ULP * (np.abs(x) + np.abs(y)))


def tidy_products(a: list[float], b: list[float]) -> list[float]:
    """``[tidy_product(x, y) for x, y in zip(a, b)]``, for float inputs."""
    if len(a) < BATCH:
        return list(map(tidy_product, a, b))
    import numpy as np

    value = np.array(a, dtype=np.float64) * np.array(b, dtype=np.float64)
    return _tidy_many(value, 2 * _ULP * np.abs(value))


def _tidy_many(value: Any, err: Any) -> list[float]:
    """``tidy`` of each value with its error bound (numpy arrays of one length)."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        places = -np.log10(2 * err)
        ok = (err > 0) & np.isfinite(value) & np.isfinite(places)
        # a place count within 1e-9 of a whole number: floor of numpy's log10 could differ
        # from math's by its last bit; those few take the scalar path
        doubt = ok & (np.abs(places - np.rint(places)) < 1e-9)
        plain = ok & ~doubt
        digits = np.where(plain, np.floor(places), 0).astype(np.int64)
    values: list[float] = value.tolist()
    if plain.all():
        return list(map(round, values, digits.tolist()))
    out = [round(v, d) if p else v
           for v, d, p in zip(values, digits.tolist(), plain.tolist(), strict=True)]
    for i in np.flatnonzero(doubt).tolist():
        out[i] = tidy(values[i], float(err[i]))
    return out
