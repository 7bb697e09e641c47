"""Size classes of territories by residents, as the empirical intervals pool their errors (a leaf:
the intervals and the calibration of the stochastic band both classify with it)."""

from __future__ import annotations

import numpy as np

__all__ = ["SIZE_CLASSES", "SIZE_CLASSES_LT", "SIZE_CLASSES_EN", "size_class", "size_class_label"]

#: Size classes by residents at the origin: key -> (lower, upper) with ``lower <= P < upper``. The
#: keys are stable identifiers (in frames, caches and tests: ASCII); show a reader
#: :func:`size_class_label`, whose ranges take an en dash.
SIZE_CLASSES: dict[str, tuple[float, float]] = {
    "under 20,000": (0.0, 20_000.0),
    "20,000-39,999": (20_000.0, 40_000.0),
    "40,000 and over": (40_000.0, np.inf),
}
#: Lithuanian labels of the size classes: thousands grouped by a narrow no-break space, as
#: :func:`~cityindicators.i18n.fmt_number` writes them (a line never breaks inside "20 000").
SIZE_CLASSES_LT: dict[str, str] = {
    "under 20,000": "iki 20\u202f000",
    "20,000-39,999": "20\u202f000–39\u202f999",
    "40,000 and over": "40\u202f000 ir daugiau",
}
#: English labels of the size classes as displayed (a range of numbers takes an en dash; the
#: sentences add "residents": "40,000 or more residents").
SIZE_CLASSES_EN: dict[str, str] = {
    "under 20,000": "under 20,000",
    "20,000-39,999": "20,000–39,999",
    "40,000 and over": "40,000 or more",
}


def size_class_label(key: str, lang: str = "en") -> str:
    """The label of size class ``key`` (of :data:`SIZE_CLASSES`) for a reader in ``lang`` (``lt`` or
    ``en``); a key it does not know comes back as it is."""
    return (SIZE_CLASSES_LT if lang == "lt" else SIZE_CLASSES_EN).get(key, key)


def size_class(population) -> np.ndarray:
    """Label of :data:`SIZE_CLASSES` for each population (a number, an array or a Series)."""
    p = np.atleast_1d(np.asarray(population, dtype=float))
    out = np.empty(p.shape, dtype=object)
    for label, (lo, hi) in SIZE_CLASSES.items():
        out[(p >= lo) & (p < hi)] = label
    return out
