"""Test/benchmark helper: read the lt-osp extract into canonical projection frames.

A stop-gap for the projection tests and benchmarks until ``cityindicators.sources.extract``
imports this layout into the store. Reads ``<shared>/lt-osp/*.csv`` (semicolon CSV;
``Age`` -1 = all ages, 85 = 85+; Total/Men/Women) and returns a ``ProjectionData``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from cityindicators.geography import get_register
from cityindicators.projection.data import ProjectionData


def _codes(frame: pd.DataFrame) -> pd.Series:
    mapping = get_register().map_names(frame["Territory"].unique(), source="lt-osp")
    return frame["Territory"].map(mapping)


def _long(frame: pd.DataFrame, sexcols: dict[str, str], extra: list[str]) -> pd.DataFrame:
    frame = frame.assign(territory_code=_codes(frame)).dropna(subset=["territory_code"])
    out = frame.melt(id_vars=["territory_code", "Year", *extra], value_vars=list(sexcols), var_name="sex")
    out["sex"] = out["sex"].map(sexcols)
    return out.rename(columns={"Year": "year"}).astype({"year": "int64", "value": "float64"})


@lru_cache(maxsize=2)
def read_lt_osp(shared: str) -> ProjectionData:
    d = Path(shared) / "lt-osp"
    pop = pd.read_csv(d / "population.csv", sep=";")
    pop = _long(pop, {"Total": "total", "Men": "male", "Women": "female"}, ["Age"])
    pop["age"] = pop.pop("Age").where(lambda a: a >= 0).astype("Int64")
    pop["open_age"] = pop["age"].eq(85).fillna(False).astype(bool)
    births = _long(pd.read_csv(d / "births.csv", sep=";"), {"Total": "total", "Boys": "male", "Girls": "female"}, [])
    births = births.dropna(subset=["value"])
    de = pd.read_csv(d / "deaths.csv", sep=";")
    de = de.assign(territory_code=_codes(de)).rename(columns={"Year": "year"})
    tot = de[["territory_code", "year", "Total"]].rename(columns={"Total": "value"}).assign(age=pd.NA)
    inf = de[["territory_code", "year", "Infant"]].rename(columns={"Infant": "value"}).assign(age=0)
    deaths = pd.concat([tot, inf], ignore_index=True).dropna(subset=["value"]).assign(sex="total")
    deaths["age"] = deaths["age"].astype("Int64")
    deaths = deaths.astype({"year": "int64", "value": "float64"})
    le = _long(pd.read_csv(d / "life_expectancy.csv", sep=";"), {"Total": "total", "Men": "male", "Women": "female"}, [])
    return ProjectionData.from_frames(population=pop, births=births, deaths=deaths, life_expectancy=le)
