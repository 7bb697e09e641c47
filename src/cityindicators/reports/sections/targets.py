"""The target section: the annual net inflow every scenario needs to reach a population."""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from ... import plotting
from ...grammar import count_phrase
from ...i18n import fmt_int, t
from .. import findings as F
from .context import ReportContext
from .display import _heading, show_figure
from .scenarios import _assumption_mean, _observed, _scenario_labels, observed_breaks


def target(ctx: ReportContext, population: int = 0, year: int | None = None,
           profile: str = "young_families") -> list[F.Finding]:
    """Section: the constant annual net inflow of the migrant ``profile`` (default young
    families) that every scenario needs for ``population`` residents in ``year`` (0 = keep the
    base-year population), said plainly when a scenario meets the target already, with a chart of
    the scenarios, the scenarios with that inflow and the target line."""
    _heading(ctx, "h_target")
    res = ctx.projection
    year = int(year or res.to_year)
    tot = ctx.projected_totals  # both sexes
    goal = float(population) if population else float(tot.loc[tot["year"] == res.base_year, "value"].iloc[0])

    def totals(paths: dict[str, Any]) -> pd.DataFrame:
        # each trajectory's ``totals()`` (from its arrays), named by the report's scenario
        parts = [p.totals() for p in paths.values()]
        return pd.concat([f[f["territory_code"] == ctx.code].assign(scenario=sc) for sc, f in zip(paths, parts)],
                         ignore_index=True)[["year", "value", "scenario"]]

    found, results, with_inflow = inflows_by_scenario(ctx, "population", goal, year, profile, totals)
    observed = _observed(ctx)
    fig = plotting.scenario_lines(tot[["scenario", "year", "value"]], observed=observed,
                                  breaks=observed_breaks(ctx, observed)[1],
                                  scenario_labels=_scenario_labels(ctx), target=target_line(ctx, "population", goal, year),
                                  with_inflow=with_inflow, label="target", **ctx.plot_kw())
    show_figure(fig)
    ctx.show_markdown("\n".join(f"- {f.text}" for f in found))
    return found


def inflows_by_scenario(ctx: ReportContext, kind: str, goal: float, year: int, profile: str,
                        measure: Callable[[dict[str, Any]], pd.DataFrame]) -> tuple[list[F.Finding], dict[str, Any], pd.DataFrame | None]:
    """For every scenario of the projection, the constant annual inflow of ``profile`` that meets
    the target ``kind`` (a :data:`~cityindicators.projection.target.TARGET_KINDS` name) of
    ``goal`` in ``year``: one sentence each, the :class:`~cityindicators.projection.target.TargetResult`
    by scenario, and the paths with that inflow as ``year, value, scenario`` (``None`` when no
    scenario needs an inflow): ``measure`` of the trajectories found, ``{scenario: projection}``,
    all at once (one set of count arrays for them all)."""
    from ...projection.target import find_inflow, project_trajectories, unit_schedules

    res = ctx.projection
    labels = _scenario_labels(ctx)
    # the schedules of every scenario built together (the other target section's search runs on them
    # too), on one set of the municipality's rates, so that the trajectories are projected together below
    missing = [sc for sc in res.scenarios if (sc, profile, int(year)) not in ctx.inflow_schedules]
    if missing:
        own_rates = next(iter(ctx.inflow_schedules.values())).rates if ctx.inflow_schedules else \
            res.rates.subset([ctx.code])
        built = unit_schedules(own_rates, [res.scenarios[sc] for sc in missing], profile, year)
        ctx.inflow_schedules.update({(sc, profile, int(year)): b for sc, b in zip(missing, built)})
    found, results = [], {}
    for sc, scenario in res.scenarios.items():
        schedule = ctx.inflow_schedules[(sc, profile, int(year))]
        # the scenario as loaded for the projection, not its file read again
        tr = find_inflow(ctx.code, year=year, scenario=scenario, profile=profile, rates=schedule.rates,
                         data_dir=ctx.data_dir, schedule=schedule, **{kind: goal})
        results[sc] = tr
        own = _assumption_mean(ctx, sc, "added_inflow") if scenario.migration.added_inflow.active else None
        found.append(F.target_outcome(labels[sc], goal, year, tr.status, tr.inflow, tr.without, profile, ctx.lang,
                                      kind=kind, own_inflow=own))
    met = {sc: tr for sc, tr in results.items() if tr.status == "met"}
    project_trajectories(list(met.values()))  # drawn where an inflow meets the target: all at once
    paths = {sc: tr.projection for sc, tr in met.items() if tr.projection is not None}
    return found, results, (measure(paths)[["year", "value", "scenario"]] if paths else None)


def target_line(ctx: ReportContext, kind: str, goal: float, year: int) -> tuple[int, float, str]:
    """The target as :func:`~cityindicators.plotting.scenario_lines` draws it: year, value, legend label."""
    phrase = count_phrase(fmt_int(goal, ctx.lang), round(goal), F.TARGET_NOUNS[kind], ctx.lang)
    return year, goal, t("target_label", ctx.lang, year=year, target=phrase)

