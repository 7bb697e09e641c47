"""What the sections of a report share (:class:`ReportContext`) and its set-up for a situation
analysis (:func:`setup`): the territory, language, period, peers, data and indicators."""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ... import __version__
from ...exceptions import CityIndicatorsError, ReportParameterError
from ...geography import Territory
from ...i18n import check_language, t
from ...schema import both_sexes_key
from .. import exports, shared
from .. import findings as F
from .display import ShowsMarkdown

#: Indicators of the ageing section, in the order of the panels.
AGEING_INDICATORS = ("share_65_plus", "old_age_dependency_ratio", "ageing_index", "median_age")
#: Labour-market indicators shown where the data have them.
LABOUR_INDICATORS = ("registered_unemployed_ratio", "employment_rate", "employed_share",
                     "industry_employment_share", "earnings_relative_to_country")
#: Indicators of the comparison table.
COMPARISON_INDICATORS = ("population", "population_growth_rate", "share_0_14", "share_65_plus",
                         "old_age_dependency_ratio", "ageing_index", "median_age", "working_age_share",
                         "crude_birth_rate", "crude_death_rate", "crude_net_migration_rate",
                         "net_migration_rate_15_29", "registered_unemployed_ratio")
#: Every indicator a situation analysis reads (computed once in :func:`setup`).
SITUATION_INDICATORS = tuple(dict.fromkeys(
    ("population", "births", "deaths", "natural_change", "net_migration", "net_migration_15_29",
     "working_age_population", "working_age_share", *AGEING_INDICATORS, *COMPARISON_INDICATORS, *LABOUR_INDICATORS)))
#: Indicators the scenario chapter computes from the projected population (once, for every
#: scenario: :attr:`ReportContext.projected_indicators`).
PROJECTED_INDICATORS = ("old_age_dependency_ratio", "total_dependency_ratio", "working_age_population")


def known_published_ids() -> list[str]:
    """Ids of the published indicators the catalogue knows (``pub_...``), in its order."""
    from ...indicators.catalogue import PUBLISHED_PREFIX, catalogue_frame

    return [i for i in catalogue_frame()["id"] if str(i).startswith(PUBLISHED_PREFIX)]


@dataclass
class ReportContext(ShowsMarkdown):
    """What the sections of a report share: the territory, language, period, peers and data.

    Everything a section reads is a field, set by :func:`setup` / :func:`setup_scenarios`, or a
    cached property computed on first use (:attr:`findings`, :attr:`published`,
    :meth:`comparison_table`), so no section depends on another having run before it, and
    nothing is computed twice in a report.
    """

    territory: Territory
    lang: str
    years: tuple[int, int]
    peers_spec: str
    data_dir: Path
    peer_codes: list[str]
    peer_name: str
    municipalities: list[str]
    data: dict[str, pd.DataFrame]
    indicators: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    params: dict[str, Any] = field(default_factory=dict)
    #: Count arrays of every territory (:func:`~cityindicators.indicators._counts.build_counts`), built once.
    counts: Any = field(default=None, repr=False)
    #: Years with population data of the report's territory.
    data_years: list[int] = field(default_factory=list)
    #: The data directory as a :class:`~cityindicators.workspace.Workspace` (tables, register, counts).
    workspace: Any = field(default=None, repr=False)
    #: Names users typed that the report's sentences may quote (a peer group's name, the labels of a
    #: user's scenarios), shown as written by :meth:`show_markdown`. Kept here, not in a
    #: module: two reports in one process (a warm kernel, two notebooks) each show their own.
    user_texts: tuple[str, ...] = ()
    #: Scenario chapter: the :class:`~cityindicators.projection.api.ProjectionResult` of every scenario.
    projection: Any = field(default=None, repr=False)
    #: Scenario chapter: stochastic quantiles of the first scenario, both sexes and all ages
    #: (``ProjectionResult.quantiles``; ``None``: no fan chart).
    quantiles: pd.DataFrame | None = field(default=None, repr=False)
    #: Scenario chapter: whether :attr:`quantiles` are calibrated to the empirical 80 % interval of
    #: the method's past errors (:mod:`~cityindicators.projection.calibration`); False: the model's own band.
    stochastic_calibrated: bool = False
    #: Scenario chapter: the out-of-sample back-test errors of the data build behind the calibration
    #: (:func:`~cityindicators.projection.build_intervals.backtest_errors_of_build`; ``None``: none
    #: computed, the data too short or no band asked for). The accuracy section takes its back-test from them.
    backtest_errors: pd.DataFrame | None = field(default=None, repr=False)
    #: Scenario chapter: empirical 80 % interval of the first scenario, all ages
    #: (``ProjectionResult.intervals``; ``None``: not asked for).
    intervals: pd.DataFrame | None = field(default=None, repr=False)
    #: Scenario chapter: the projected median age (years) and its empirical 80 % interval
    #: (``ProjectionResult.intervals_for("median_age")``; ``None``: not asked for).
    median_age_intervals: pd.DataFrame | None = field(default=None, repr=False)
    #: Scenario chapter: the schedules the target searches run on, by ``(scenario, profile, year)``
    #: (:func:`~cityindicators.projection.target.unit_schedule`), built once for the population and
    #: the working-age target alike.
    inflow_schedules: dict[tuple, Any] = field(default_factory=dict, repr=False)
    _comparisons: dict[tuple, pd.DataFrame] = field(default_factory=dict, repr=False)
    _own_rows: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _series: dict[tuple[str, str], pd.Series] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.workspace is None:  # a context made by hand, from a data directory
            from ...workspace import as_workspace

            self.workspace = as_workspace(self.data_dir)

    @property
    def register(self):
        """The territory register of the report's data directory."""
        return self.workspace.register

    @property
    def code(self) -> str:
        return self.territory.code

    @property
    def name(self) -> str:
        return self.territory.name(self.lang)

    @property
    def synthetic(self) -> bool:
        return self.territory.synthetic

    @property
    def n(self) -> int:
        """Number of municipalities ranked (60 real, or the demo set)."""
        return len(self.municipalities)

    def series(self, indicator: str, code: str | None = None) -> pd.Series:
        """``year -> value`` of one indicator for one territory (default the report's); each
        picked once (a copy is returned: the caller may change it)."""
        key = (indicator, code or self.code)
        if key not in self._series:
            f = self._rows_of(key[1])
            self._series[key] = f[f["indicator"] == indicator].set_index("year")["value"].sort_index()
        return self._series[key].copy()

    def _rows_of(self, code: str) -> pd.DataFrame:
        """The rows of :attr:`indicators` of one territory, picked once: the sections ask for
        some 40 series of the report's municipality, each a scan of every territory's rows
        otherwise."""
        if code not in self._own_rows:  # (``indicators`` is set once, by the set-up)
            f = self.indicators
            self._own_rows[code] = f[f["territory_code"] == code]
        return self._own_rows[code]

    def value(self, indicator: str, year: int, code: str | None = None) -> float:
        s = self.series(indicator, code)
        return float(s.get(year, np.nan))

    def plot_kw(self) -> dict[str, Any]:
        return {"lang": self.lang, "name": self.name, "synthetic": self.synthetic}

    @cached_property
    def findings(self) -> list[F.Finding]:
        """The key findings (:func:`situation_findings`); the working-age and migration sections
        quote some of them."""
        from .situation import situation_findings  # the sections build on the context, not the reverse

        return situation_findings(self)

    @cached_property
    def published(self) -> pd.DataFrame:
        """Values of the imported published indicators the catalogue knows, for every municipality."""
        from ...indicators.compute import compute_indicators

        return compute_indicators(known_published_ids(), territories=self.municipalities, data=self.counts,
                                  data_dir=self.data_dir).dropna(subset=["value"])

    @cached_property
    def projected_indicators(self) -> pd.DataFrame:
        """Scenario chapter: :data:`PROJECTED_INDICATORS` of the report's municipality from the
        projected population of every scenario (``scenario, year, indicator, value``), one set of
        count arrays for them all (the dependency and working-age sections read it)."""
        from .scenarios import projected_indicators  # the sections build on the context, not the reverse

        return projected_indicators(self.projection, self.code, PROJECTED_INDICATORS)

    @cached_property
    def projected_totals(self) -> pd.DataFrame:
        """Scenario chapter: the projected population of the report's municipality, both sexes and
        all ages (``ProjectionResult.totals()``: ``scenario, territory_code, year, sex, value``)."""
        tot = self.projection.totals()
        return tot[tot["territory_code"] == self.code]

    @cached_property
    def size_class(self) -> str:
        """Scenario chapter: the report's municipality's size class (a key of
        :data:`~cityindicators.projection.sizeclasses.SIZE_CLASSES`) by its population at the
        projection's base year, as the calibration and the empirical intervals class it: the one
        class both the uncertainty and the accuracy sections name."""
        from ...projection.sizeclasses import size_class

        res = self.projection
        return str(size_class(res.rates.population[list(res.rates.codes).index(self.code)].sum())[0])

    @cached_property
    def assumption_paths(self) -> dict[str, pd.DataFrame]:
        """Scenario chapter: the assumption paths of the report's municipality by scenario, each
        indexed by year (``ProjectionResult.assumptions``: ``tfr, e0_male, ...``), so a section
        looks a year up instead of filtering the frame of every scenario each time."""
        a = self.projection.assumptions
        a = a[a["territory_code"] == self.code]
        return {sc: part.set_index("year") for sc, part in a.groupby("scenario", sort=False)}

    def comparison_table(self, year: int | None = None, k: int = 5) -> pd.DataFrame:
        """The comparison table of :func:`comparison` (not shown), computed once per ``year``, ``k``."""
        key = (int(year or self.years[1]), int(k))
        if key not in self._comparisons:
            from .compare import _comparison_frame  # the sections build on the context, not the reverse

            self._comparisons[key] = _comparison_frame(self, *key)
        return self._comparisons[key]


def setup(
    territory: str,
    language: str = "lt",
    years: Sequence[int] | None = None,
    peers: str = "similar",
    data_dir: str | os.PathLike | None = None,
    template: str = "situation_analysis",
    indicators: Iterable[str] | None = SITUATION_INDICATORS,
    show: bool = True,
    **params: Any,
) -> ReportContext:
    """Load the data, compute the indicators once and show the report's title.

    Parameters
    ----------
    territory
        Municipality name or code.
    language
        ``lt`` or ``en``.
    years
        ``[first, last]`` year of the key period (default: the first and last year of the data).
    peers
        Peer group (see :func:`cityindicators.indicators.peer_group`): ``similar`` (default, the
        most similar municipalities), ``county`` (the municipality's county), ``type``,
        ``size``, ``all``, a named group (``VIZA``) or a group specification
        (``county:Utena``).
    data_dir
        Data directory (default ``$CITYINDICATORS_DATA_DIR`` or ``./data``).
    template
        ``situation_analysis`` or ``scenarios`` (chooses the title).
    indicators
        Indicators computed up front for every territory and year (``None``: none).
    params
        Further template parameters kept in :attr:`ReportContext.params`.

    Returns
    -------
    ReportContext

    Raises
    ------
    ReportParameterError
        Unknown territory or peer group, or years outside the data.
    """
    from ...indicators import compute_indicators, peer_group
    from ...workspace import as_workspace

    from ..parameters import check_notebook_parameters

    # the command line's checks, for a notebook run by hand too (JupyterLab: the data directory
    # is looked for from the notebook's folder upwards, and an error names where it looked)
    given: dict[str, Any] = {"territory": territory, "language": language, "peers": peers, "data_dir": data_dir or ""}
    if years is not None:
        given["years"] = list(years)
    checked = check_notebook_parameters(**given)
    lang = check_language(checked["language"])
    ws = as_workspace(checked["data_dir"])
    ddir = ws.root
    reg = ws.register
    # the check above gave the territory's code: no second resolution of the name
    terr = reg.get(checked["territory"])
    data = ws.tables()
    # the years of the both-sexes population (all ages, else single ages)
    totals = data.get(both_sexes_key("population_total"), data.get(both_sexes_key("population")))
    if totals is None:
        totals = pd.DataFrame(columns=["territory_code", "year"])
    # The defaults come from the territory's own years: a data directory may also hold other
    # territories (the synthetic demo set beside the real extract) covering other years.
    data_years = sorted(int(y) for y in totals.loc[totals["territory_code"] == terr.code, "year"].unique())
    if not data_years:
        raise ReportParameterError(f"territory {terr.code} ({terr.name_lt}) has no population data in {ddir}")
    if years is None or len(years) == 0:
        years = (data_years[0], data_years[-1])
    y0, y1 = int(years[0]), int(years[-1])
    if y0 < data_years[0] or y1 > data_years[-1]:
        raise ReportParameterError(
            f"years {y0}-{y1}: the data of {terr.name_lt} cover {data_years[0]}-{data_years[-1]}")
    present = set(totals["territory_code"])
    municipalities = [m.code for m in reg.municipalities(synthetic=terr.synthetic) if m.code in present]
    # once per data version and process: every computation below, and every report of a batch
    # worker's warm kernel, reuses the count arrays and the indicators of all territories
    counts = ws.counts()
    if peers in ("all", "municipalities"):
        peer_codes, peer_name = list(municipalities), t("peers", lang)
    else:
        try:
            group, _ = peer_group(terr.code, y1, peers, data=counts, data_dir=ddir)
        except CityIndicatorsError as exc:
            raise ReportParameterError(f"peers {peers!r}: {exc}") from exc
        peer_codes, peer_name = [c for c in group.members if c in present], group.name(lang)
    frame = pd.DataFrame(columns=["indicator", "territory_code", "year", "value", "unit"])
    if indicators is not None:
        ids = tuple(indicators)
        frame = shared.computed_once(("indicators", ids), ddir,
                                     lambda: compute_indicators(list(ids), data=counts, data_dir=ddir))
    ctx = ReportContext(terr, lang, (y0, y1), peers, ddir, peer_codes, peer_name, municipalities, data, frame,
                        dict(params), counts=counts, data_years=data_years, workspace=ws,
                        # a peer group's name may be a user's (groups.yaml): the sentences quoting it show it as written
                        user_texts=() if peers in ("all", "municipalities") else (peer_name,))
    exports.set_context(lang, terr.name(lang), terr.synthetic)
    if show:
        show_title(ctx, template, data_years[-1])
    return ctx


def show_title(ctx: ReportContext, template: str, last_year: int) -> None:
    """The report's title, the synthetic-data banner where it applies, and the subtitle (date,
    version, the years of the data up to ``last_year``)."""
    ctx.show_markdown(f"# {t(f'title_{template}', ctx.lang, name=ctx.name)}")
    if ctx.synthetic:
        ctx.show_markdown(t("synthetic_banner", ctx.lang))
    ctx.show_markdown(t("subtitle", ctx.lang, date=_dt.date.today().isoformat(), version=__version__,
                    years=f"{ctx.data_years[0]}–{last_year}"))

