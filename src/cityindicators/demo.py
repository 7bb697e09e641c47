"""Synthetic demonstration data for a fictional country ("Demoland").

So that the main job, the notebooks and the tests run on a fresh machine without network, the
package generates a small, clearly labelled **synthetic** dataset for fictional territories
(codes ``X00`` country, ``X01``/``X02`` counties, ``X11``-``X18`` municipalities; see the
register). None of its figures are real. Every snapshot sidecar and processed sidecar built
from it carries ``"synthetic": true``, and reports built on it say so.

The generator is a small deterministic cohort-component simulation (seeded binomial deaths and
births, smooth migration age profiles), so the data are internally consistent: the population
of 1 January t+1 equals that of t plus births minus deaths plus net migration, sexes add to
totals, single ages add to all ages, and the country and counties are the sums of their
municipalities. ``X13`` (Eglynas) is the model case: a one-industry town whose employer closes
in 2010, followed by a wave of emigration and rapid ageing.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import store
from .geography import get_register

__all__ = ["DEMO_TERRITORY", "DEMO_FIRST_YEAR", "DEMO_LAST_YEAR", "generate_demo_tables", "write_demo_snapshots", "build_demo"]

log = logging.getLogger(__name__)

#: The demo municipality the main job reports on.
DEMO_TERRITORY = "X13"
DEMO_FIRST_YEAR = 2001
#: Last 1 January population; vital events run to the year before.
DEMO_LAST_YEAR = 2025
OPEN_AGE = 85
SEED = 20260522
SYNTHETIC_NOTE = "SYNTHETIC demonstration data for fictional territories (Demoland); not real statistics."


@dataclass(frozen=True)
class _Muni:
    code: str
    size: int  # residents in 2001
    tfr: float
    mortality: float  # multiplier of the standard schedule
    migration: float  # net migration per 1,000 per year (before the age profile)
    young: float  # share of the population under 15 at the start (shape of the pyramid)
    shock: float = 0.0  # extra net migration per 1,000 from 2010 (plant closure)


_MUNIS = (
    _Muni("X11", 98_000, 1.45, 0.95, 2.0, 0.17),
    _Muni("X12", 41_000, 1.60, 1.05, -6.0, 0.18),
    _Muni("X13", 30_000, 1.25, 1.00, -4.0, 0.19, shock=-30.0),
    _Muni("X14", 22_000, 1.55, 1.15, -9.0, 0.16),
    _Muni("X15", 54_000, 1.70, 1.00, -3.0, 0.19),
    _Muni("X16", 12_500, 1.40, 1.20, -12.0, 0.14),
    _Muni("X17", 27_000, 1.65, 1.10, -7.0, 0.17),
    _Muni("X18", 63_000, 1.50, 0.90, 4.0, 0.16),
)


def _initial_pyramid(total: int, young: float, rng: np.random.Generator) -> np.ndarray:
    ages = np.arange(OPEN_AGE + 1)
    # a smooth, slightly ageing profile; "young" tilts it towards children
    base = np.exp(-((ages - 38) / 34.0) ** 2) + 0.35 * np.exp(-((ages - 12) / 9.0) ** 2) * (young / 0.17)
    base[OPEN_AGE] = base[OPEN_AGE - 5 : OPEN_AGE].sum() * 0.6
    share = base / base.sum()
    male_share = share * np.where(ages > 60, 0.8, 1.0)  # fewer old men: higher male mortality
    male = rng.multinomial(int(total * 0.47), male_share / male_share.sum())
    female = rng.multinomial(total - int(total * 0.47), share)
    return np.stack([male, female]).astype(np.int64)


def _mortality(level: float) -> np.ndarray:
    """Death probabilities [sex, age] from a Gompertz schedule with an infant term."""
    ages = np.arange(OPEN_AGE + 1)
    q = np.empty((2, OPEN_AGE + 1))
    q[0] = np.minimum(0.00012 * np.exp(0.088 * ages) * level, 0.5)
    q[1] = np.minimum(0.00005 * np.exp(0.092 * ages) * level, 0.5)
    q[:, 0] += 0.004
    q[:, OPEN_AGE] = 0.25
    return q


def _fertility(tfr: float) -> np.ndarray:
    ages = np.arange(OPEN_AGE + 1)
    f = np.where((ages >= 15) & (ages <= 49), np.exp(-((ages - 29.5) / 5.8) ** 2), 0.0)
    return f / f.sum() * tfr


def _migration_profile() -> np.ndarray:
    """Age profile of net migration (sums to 1): young adults and their children move most."""
    ages = np.arange(OPEN_AGE + 1)
    p = np.exp(-((ages - 24) / 6.5) ** 2) + 0.25 * np.exp(-((ages - 3) / 4) ** 2) + 0.05 * np.exp(-((ages - 60) / 8) ** 2)
    return p / p.sum()


def generate_demo_tables(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Generate the synthetic tables (tidy frames: population, births, deaths, migration, labour, life_expectancy)."""
    rng = np.random.default_rng(seed)
    years = np.arange(DEMO_FIRST_YEAR, DEMO_LAST_YEAR + 1)
    n_m, n_y, n_a = len(_MUNIS), len(years), OPEN_AGE + 1
    pop = np.zeros((n_m, n_y, 2, n_a), dtype=np.int64)
    births = np.zeros((n_m, n_y - 1, 2), dtype=np.int64)
    deaths = np.zeros((n_m, n_y - 1, 2, n_a), dtype=np.int64)
    emig = np.zeros((n_m, n_y - 1, 2), dtype=np.int64)
    immig = np.zeros((n_m, n_y - 1, 2), dtype=np.int64)
    profile = _migration_profile()
    for i, m in enumerate(_MUNIS):
        pop[i, 0] = _initial_pyramid(m.size, m.young, rng)
    for t in range(n_y - 1):
        year = years[t]
        for i, m in enumerate(_MUNIS):
            p = pop[i, t]
            improve = 0.985 ** (year - DEMO_FIRST_YEAR)  # mortality falls over time
            q = _mortality(m.mortality * improve)
            d = rng.binomial(p, q)
            women = p[1]
            b_total = int(rng.poisson((women * _fertility(m.tfr * (1 + 0.01 * np.sin(year / 3)))).sum()))
            b_male = int(rng.binomial(b_total, 0.514))
            b = np.array([b_male, b_total - b_male])
            rate = m.migration + (m.shock * np.exp(-(year - 2010) / 4.0) if year >= 2010 else 0.0)
            net_total = rate / 1000 * p.sum()
            expected = net_total * profile[None, :] * np.array([[0.5], [0.5]])
            net = np.round(expected + rng.normal(0, 0.6, size=p.shape)).astype(np.int64)
            net = np.maximum(net, -(p - d))  # nobody leaves who is not there
            survivors = p - d + net
            nxt = np.zeros_like(p)
            nxt[:, 1:] = survivors[:, :-1]
            nxt[:, OPEN_AGE] += survivors[:, OPEN_AGE]
            # infants born in the year who die before 1 January are counted in age-0 deaths
            infant_deaths = rng.binomial(b, 0.0025)
            nxt[:, 0] = b - infant_deaths
            d[:, 0] += infant_deaths
            pop[i, t + 1] = nxt
            births[i, t] = b
            deaths[i, t] = d
            net_sex = net.sum(axis=1)
            gross_in = np.round(np.abs(net_sex) * 0.6 + p.sum(axis=1) * 0.004).astype(np.int64)
            immig[i, t] = gross_in
            emig[i, t] = gross_in - net_sex
    codes = [m.code for m in _MUNIS]
    return _frames(codes, years, pop, births, deaths, emig, immig)


def _aggregate_codes(codes: list[str]) -> dict[str, list[int]]:
    reg = get_register()
    groups: dict[str, list[int]] = {reg.country(synthetic=True).code: list(range(len(codes)))}
    for i, c in enumerate(codes):
        groups.setdefault(reg.get(c).county_code, []).append(i)
    return groups


def _frames(codes, years, pop, births, deaths, emig, immig) -> dict[str, pd.DataFrame]:
    agg = _aggregate_codes(codes)
    all_codes = list(codes) + list(agg)

    def with_aggregates(arr: np.ndarray) -> np.ndarray:
        extra = [arr[idx].sum(axis=0) for idx in agg.values()]
        return np.concatenate([arr, np.stack(extra)], axis=0)

    pop, births, deaths, emig, immig = map(with_aggregates, (pop, births, deaths, emig, immig))
    ages = np.arange(OPEN_AGE + 1)

    def long(arr: np.ndarray, yrs, age_axis: bool) -> pd.DataFrame:
        """[territory, year, sex(2), (age)] -> rows for male, female, total and (all ages)."""
        full = np.concatenate([arr, arr.sum(axis=2, keepdims=True)], axis=2)  # sexes + total
        sexes = np.array(["male", "female", "total"])
        if age_axis:
            full = np.concatenate([full, full.sum(axis=3, keepdims=True)], axis=3)
            age_vals = np.append(ages, -1)
            idx = np.indices(full.shape).reshape(4, -1)
            age = age_vals[idx[3]]
            frame = pd.DataFrame({
                "territory": np.array(all_codes)[idx[0]], "year": np.asarray(yrs)[idx[1]],
                "sex": sexes[idx[2]], "age": np.where(age < 0, "total", np.where(age == OPEN_AGE, f"{OPEN_AGE}+", age.astype(str))),
                "value": full.reshape(-1),
            })
        else:
            idx = np.indices(full.shape).reshape(3, -1)
            frame = pd.DataFrame({"territory": np.array(all_codes)[idx[0]], "year": np.asarray(yrs)[idx[1]],
                                  "sex": sexes[idx[2]], "value": full.reshape(-1)})
        return frame

    event_years = years[:-1]
    population = long(pop, years, True)
    births_f = long(births, event_years, False)
    deaths_f = long(deaths, event_years, True)
    mig = pd.concat([
        long(emig, event_years, False).assign(flow="emigrants"),
        long(immig, event_years, False).assign(flow="immigrants"),
    ], ignore_index=True)
    mig["age"] = "total"
    # labour: registered unemployed ratio follows the demo town's crisis; employed persons
    total_pop = pop.sum(axis=(2, 3))
    rng = np.random.default_rng(SEED + 1)
    base = np.linspace(7.0, 11.0, len(all_codes))[:, None]
    crisis = np.zeros_like(total_pop, dtype=float)
    x13 = all_codes.index("X13")
    crisis[x13] = np.where(years >= 2010, 6.0 * np.exp(-(years - 2010) / 6.0), 0.0)
    ratio = np.round(base + crisis + rng.normal(0, 0.3, total_pop.shape), 1)
    wa = pop[:, :, :, 16:64].sum(axis=(2, 3))
    unemployed = np.round(wa * ratio / 100)
    ratio = np.round(unemployed / wa * 100, 1)  # consistent with the counts
    employed = np.round(wa * (0.62 + rng.normal(0, 0.01, wa.shape)))
    earn = np.round(480 * 1.045 ** (years - DEMO_FIRST_YEAR)[None, :] * np.linspace(0.85, 1.15, len(all_codes))[:, None], 0)
    labour_rows = []
    for name, arr, unit in (("registered_unemployed", unemployed, "persons"),
                            ("registered_unemployed_ratio", ratio, "%"),
                            ("employed", employed, "persons"),
                            ("average_monthly_earnings", earn, "EUR")):
        idx = np.indices(arr.shape).reshape(2, -1)
        labour_rows.append(pd.DataFrame({"territory": np.array(all_codes)[idx[0]], "year": years[idx[1]],
                                         "indicator": name, "sex": "total", "unit": unit, "value": arr.reshape(-1)}))
    labour = pd.concat(labour_rows, ignore_index=True)
    # life expectancy at birth, published (as in the real data) for the country and counties only
    n_m = len(codes)
    e0 = _life_expectancy(deaths[n_m:], pop[n_m:, :-1], pop[n_m:, 1:])
    idx = np.indices(e0.shape).reshape(3, -1)
    sexes = np.array(["male", "female", "total"])
    life = pd.DataFrame({"territory": np.array(all_codes[n_m:])[idx[0]], "year": event_years[idx[1]],
                         "sex": sexes[idx[2]], "value": np.round(e0.reshape(-1), 2)})
    return {"population": population, "births": births_f, "deaths": deaths_f, "migration": mig, "labour": labour,
            "life_expectancy": life}


def _life_expectancy(deaths: np.ndarray, p_start: np.ndarray, p_end: np.ndarray) -> np.ndarray:
    """Period life expectancy at birth ``[territory, year, sex(male, female, total)]``.

    Death rates m_x = D_x / mid-year population (mean of 1 January t and t+1, the cohort
    aged x at the start), q_x = m_x / (1 + m_x / 2), an open last age with L = l / m.
    """
    d = np.concatenate([deaths, deaths.sum(axis=2, keepdims=True)], axis=2).astype(float)
    exposure = (p_start + np.concatenate([p_end[..., 1:], p_end[..., -1:]], axis=-1)) / 2
    exposure = np.concatenate([exposure, exposure.sum(axis=2, keepdims=True)], axis=2)
    m = np.divide(d, exposure, out=np.zeros_like(d), where=exposure > 0)
    q = np.clip(m / (1 + m / 2), 0, 1)
    q[..., -1] = 1.0
    lx = np.cumprod(np.concatenate([np.ones(q.shape[:-1] + (1,)), 1 - q[..., :-1]], axis=-1), axis=-1)
    big_l = lx - (lx * q) / 2
    big_l[..., -1] = np.divide(lx[..., -1], m[..., -1], out=np.zeros_like(m[..., -1]), where=m[..., -1] > 0)
    return big_l.sum(axis=-1)


def write_demo_snapshots(data_dir: str | os.PathLike | None = None, seed: int = SEED) -> list[Path]:
    """Write the synthetic tables as raw snapshots (``data/raw/demo/<dataset>/<date>-<hash>.csv``;
    the same seed gives the same bytes, which are stored once)."""
    snaps = []
    for dataset, frame in generate_demo_tables(seed).items():
        buf = io.StringIO()
        frame.to_csv(buf, index=False)
        snaps.append(store.write_snapshot(
            "demo", dataset, buf.getvalue().encode("utf-8"), "csv",
            {"parser": "tidy", "target": dataset, "synthetic": True, "producer": "cityindicators demo generator",
             "seed": seed, "licence": "generated data, no restrictions", "note": SYNTHETIC_NOTE},
            data_dir=data_dir,
        ))
    return snaps


def build_demo(data_dir: str | os.PathLike | None = None, seed: int = SEED) -> store.BuildReport:
    """Generate the demonstration data into ``data_dir`` and build the processed tables."""
    write_demo_snapshots(data_dir, seed)
    return store.build(data_dir)
