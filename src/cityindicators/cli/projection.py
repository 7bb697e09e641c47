"""CLI commands of the projection area: project, target, backtest, scenarios.

Each handler parses options, calls one library function and prints or writes the result
(atomically with ``--output``); errors are raised as ``CityIndicatorsError`` and reported by
``cli.main``.
"""

from __future__ import annotations

import argparse
import sys

from ..exceptions import ConfigError, ProjectionError
from ..geography import get_register
from ._output import FORMAT_HELP, FORMATS, emit, emit_rows


#: The years the tables and the projections cover (schema.YEAR_RANGE; schema imports pandas, which the quick
#: ``scenarios`` command does not).
FIRST_YEAR, LAST_YEAR = 1950, 2100

#: The most decimals ``project --round-digits`` keeps (a projection's persons are no finer than that).
MAX_ROUND_DIGITS = 10

#: ``project`` and ``target`` options of the estimation settings that shape the schedule: flag -> (EstimationSettings
#: field, type, help).
SETTING_FLAGS = {
    "--migration-convergence": ("migration_convergence", str,
                                "long-run rule of net migration: zero (default), own_mean (the territory's own "
                                "long-run level) or none (the window's schedule held throughout)"),
    "--migration-convergence-start": ("migration_convergence_start", int,
                                      "years the window's net migration is held before it converges (default 12, "
                                      "the longest back-tested horizon)"),
    "--migration-convergence-years": ("migration_convergence_years", int,
                                      "years from the start of the convergence to the long-run level (default 28)"),
    "--total-combination-weight": ("total_combination_weight", float,
                                   "weight 0-1 of the total's exponential trend combined with the cohort-component "
                                   "total (default 0)"),
    "--age-structure-weight": ("age_structure_weight", float,
                               "weight 0-1 of the median age's exponential trend in the age structure (default 0.5)"),
    "--age-structure-years": ("age_structure_years", int,
                              "years over which the age-structure weight rises to its value (default 10)"),
}


def _add_setting_flags(p: argparse.ArgumentParser) -> None:
    """The options of :data:`SETTING_FLAGS` on ``p`` (``project`` and ``target`` share them)."""
    for flag, (field, kind, text) in SETTING_FLAGS.items():
        p.add_argument(flag, dest=field, type=kind, default=None, metavar="RULE" if kind is str else "X", help=text)


def _settings(args):
    """The :class:`EstimationSettings` of the :data:`SETTING_FLAGS` options given (None: the defaults); an
    invalid value is a :class:`ConfigError` naming its option."""
    given = {flag: getattr(args, field) for flag, (field, _, _) in SETTING_FLAGS.items()
             if getattr(args, field) is not None}
    if not given:
        return None
    from ..projection import EstimationSettings

    for flag, value in given.items():
        try:
            EstimationSettings(**{SETTING_FLAGS[flag][0]: value})
        except ProjectionError as exc:
            raise ConfigError(f"{flag} {value}: {exc}") from None
    return EstimationSettings(**{SETTING_FLAGS[flag][0]: value for flag, value in given.items()})


def _territories(values: list[str]) -> str | list[str]:
    if len(values) == 1 and values[0].strip().lower() == "all":
        return "all"
    return values


def _project(args) -> int:
    from ..projection import project

    reg = get_register(args.data_dir)
    errors = data = None
    option = "--interval empirical" if args.interval == "empirical" else "--calibrate"
    if args.interval == "empirical" or args.calibrate:
        from ..exceptions import CityIndicatorsError
        from ..projection import ProjectionData
        from ..projection.build_intervals import backtest_errors_of_build

        data = ProjectionData.from_store(None, data_dir=args.data_dir)
        print(f"{option}: the method's back-test on this data (run once per data build, minutes on "
              "the whole extract; then kept with the build)...", file=sys.stderr)
        try:  # the build's errors, shared with the reports and the plans on the same build
            errors = backtest_errors_of_build(data, args.data_dir, required=True)
        except CityIndicatorsError as exc:
            raise ProjectionError(f"{option}: the back-test cannot be computed on this data ({exc})") from None
    try:
        res = project(_territories(args.territory), base_year=args.base_year, to_year=args.to,
                      scenario=args.scenario, data=data, data_dir=args.data_dir, settings=_settings(args),
                      stochastic=args.stochastic, seed=args.seed, national=args.national_control,
                      national_method=args.national_method or "proportional",
                      interval_errors=errors if args.calibrate else None, calibrate_stochastic=args.calibrate)
    except ProjectionError as exc:
        if not args.calibrate:
            raise
        raise ProjectionError(f"--calibrate: {exc}") from None
    if args.stochastic:
        print(f"stochastic band: {res.stochastic_band}", file=sys.stderr)
    for line in _shortfall_warnings(res, reg):
        print(line, file=sys.stderr)
    persons_rows = None  # the table prints persons as whole persons (CSV and JSON keep the fractions)
    if errors is not None and not args.calibrate:
        from ..projection.api import MEDIAN_AGE

        try:
            frame = _empirical_intervals_table(res, errors, data, reg, args.data_dir)
        except ProjectionError as exc:
            raise ProjectionError(f"--interval empirical: {exc} (too little history before the base year "
                                  f"{res.base_year} for a back-test)") from None
        persons, persons_rows = ["value", "lower", "upper"], frame["age_group"] != MEDIAN_AGE  # a median age is years
    elif args.stochastic:
        from ..cube import SEXES_AND_TOTAL
        from ..projection.api import QUANTILE_AGE_GROUPS

        frame = res.quantiles_wide(sex=SEXES_AND_TOTAL, age_group=QUANTILE_AGE_GROUPS)  # every level, labelled
        frame.insert(2, "territory", frame["territory_code"].map(lambda c: reg.name(c)))
        persons = [c for c in frame.columns if c.startswith("q")]
    else:
        frame = res.population.rename(columns={"value": "population"})
        names = {c: reg.name(c) for c in frame["territory_code"].unique()}
        frame.insert(2, "territory", frame["territory_code"].map(names))
        persons = ["population"]
        if args.round:
            frame["population"] = frame["population"].round(args.round_digits)
            persons = []  # the decimals asked for
    emit(frame, args.format, args.output, persons=persons, persons_rows=persons_rows)
    return 0


def _shortfall_warnings(res, reg) -> list[str]:
    """One warning line per scenario and territory whose net outflow asked for was more than its age
    groups had (:attr:`ProjectionResult.migration_shortfall`), at least one person in all: the
    projection kept those groups at zero, so its migration is smaller than the scenario says."""
    short = res.migration_shortfall
    lines = []
    for (scenario, code), rows in short.groupby(["scenario", "territory_code"], sort=False):
        persons = float(rows["persons"].sum())
        if persons < 1.0:
            continue
        first, last = int(rows["year"].min()), int(rows["year"].max())
        years = str(first) if first == last else f"{first}-{last}"
        lines.append(f"warning: scenario {scenario!r}, {reg.name(code)}: the net outflow asked for in {years} is more "
                     f"than the residents of some age groups; {persons:,.0f} persons of it did not leave (no group "
                     "falls below zero), so the projection's migration is smaller than the scenario's")
    return lines


def _empirical_intervals_table(res, errors, data, reg, data_dir):
    """Totals, broad age groups and the median age with the empirical 80 % interval, one row per
    scenario, territory, year and group, from the interval models of the build ``data_dir`` for the
    projection's base year (fitted once per build, as for the reports)."""
    from ..projection.api import empirical_intervals
    from ..projection.build_intervals import INTERVAL_LEVEL, interval_model_of_build, median_age_model_of_build

    model = interval_model_of_build(errors, data, data_dir, res.base_year, INTERVAL_LEVEL)
    median = median_age_model_of_build(errors, data, data_dir, res.base_year, INTERVAL_LEVEL)
    # every level, labelled by age_group (as intervals_for(None))
    frame = empirical_intervals(res, errors, data, INTERVAL_LEVEL, model=model, median_age_model=median)
    frame.insert(2, "territory", frame["territory_code"].map(lambda c: reg.name(c)))
    if frame.empty:
        raise ProjectionError("no back-test errors observable by the base year")
    return frame


def _target(args) -> int:
    from ..projection import PROFILES, find_inflow
    from ..projection.scenarios import OWN_PROFILE

    if args.profile not in (*PROFILES, OWN_PROFILE):  # the scenario's reader named its own key, 'baseline: key profile'
        raise ConfigError(f"--profile {args.profile!r}: unknown profile; allowed: {', '.join([*PROFILES, OWN_PROFILE])}")
    bounds = (args.min_inflow, args.max_inflow)  # None: the library's default
    res = find_inflow(args.territory, base_year=args.base_year, year=args.year, population=args.population,
                      working_age=args.working_age, max_old_age_dependency=args.max_old_age_dependency,
                      profile=args.profile, scenario=args.scenario, bounds=bounds, data_dir=args.data_dir,
                      settings=_settings(args))
    print(res.message)
    traj = res.projection.broad_groups(all_ages=True)  # both sexes
    traj = traj.pivot_table(index="year", columns="age_group", values="value").reset_index()
    traj.columns.name = None
    traj = traj[["year", "total", "0-14", "15-64", "65+"]].round(0)
    # persons: whole persons in the table ("22,788", as plan check writes them), not "22788.0"
    emit(traj, args.format, args.output, persons=["total", "0-14", "15-64", "65+"])
    return 0 if res.status != "unreachable" else 3


def _backtest(args) -> int:
    from ..projection import ProjectionData, backtest

    data = ProjectionData.from_store(data_dir=args.data_dir)
    if args.base_year is None or args.horizon is None:
        if (args.base_year is None) != (args.horizon is None):
            raise ProjectionError("backtest: give both --base-year and --horizon, or neither (the whole protocol)")
        return _backtest_protocol(data, args)
    territories = _territories(args.territory) if args.territory else "all"
    res = backtest(data, args.base_year, args.horizon, territories=territories, register=get_register(args.data_dir))
    table = res.table.copy()
    table[["mape", "bias", "p90"]] = table[["mape", "bias", "p90"]].round(2)
    emit(table, args.format, args.output)
    wins = res.wins()
    print(_backtest_verdict(wins, res.base_year, res.horizon), file=sys.stderr)
    return 0


def _backtest_verdict(wins, base_year: int, horizon: int) -> str:
    """The line under a single back-test's table: the measures where the default method beats every
    baseline and where it does not, and that the shipped settings are not out of sample here."""
    label = {"median_age": "the median age"}
    ahead = [label.get(g, g) for g in wins.index if wins.loc[g, "beats_all"]]
    behind = [label.get(g, g) for g in wins.index if not wins.loc[g, "beats_all"]]
    said = []
    if ahead:
        said.append(f"beats every baseline on {_listed(ahead)}")
    if behind:
        said.append(f"does NOT beat every baseline on {_listed(behind)}")
    # The shipped settings were chosen by the protocol on back-tests like this one (on the lt-osp extract,
    # this very one among them), so a single back-test cannot show how they do on years they have not seen.
    return (f"default method {' but '.join(said)} (base {base_year}, horizon {horizon}; the shipped settings, "
            f"chosen on back-tests like this one, so not out of sample: `backtest` without --base-year and "
            f"--horizon runs the out-of-sample protocol)")


def _listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _backtest_protocol(data, args) -> int:
    """Every origin and horizon with the nested choice of settings: MAPE, bias, P90 by horizon; with
    ``--territory``, of those municipalities' errors only (the choice is still made on all of them)."""
    from ..projection.backtest import SELECTED, error_summary, nested_backtest, pooled_mape

    if args.territory:
        from ..projection.api import resolve_territories
        from ..projection.build_intervals import backtest_errors_of_build

        reg = get_register(args.data_dir)
        codes = resolve_territories(_territories(args.territory), data, reg)
        # the build's out-of-sample errors (kept with it, shared with the reports and --interval empirical)
        errors = backtest_errors_of_build(data, args.data_dir, required=True)
        tested = set(errors["territory_code"].astype(str))
        outside = [c for c in codes if c not in tested]
        if outside:
            names = ", ".join(f"{reg.get(c).name_lt} ({c})" for c in outside)
            raise ProjectionError(f"backtest --territory: {names}: not among the municipalities the protocol "
                                  "back-tests (a county or the country is not; give its municipalities or a group)")
        errors = errors[errors["territory_code"].astype(str).isin(codes)]
        whose, shipped = _territory_label(codes, reg), None
    else:
        nb = nested_backtest(data)
        errors, whose, shipped = nb.errors, None, nb.chosen.name
    summary = error_summary(errors)
    emit(summary.round(2), args.format, args.output)
    pooled = pooled_mape(summary)
    best = pooled.drop(columns=[SELECTED]).min(axis=1)
    ahead = [g for g in pooled.index if pooled.loc[g, SELECTED] < best[g]]
    said = f"shipped setting {shipped}" if shipped else whose
    print(f"out of sample (nested choice; {said}): ahead of every baseline pooled over "
          f"horizons 1-10 on {', '.join(ahead) or 'no measure'}", file=sys.stderr)
    return 0


def _territory_label(codes: list[str], reg) -> str:
    """``Visagino sav.`` for one municipality, ``3 municipalities`` for more."""
    return reg.get(codes[0]).name_lt if len(codes) == 1 else f"{len(codes)} municipalities"


def _scenarios(args) -> int:
    from ..projection import list_scenarios, load_scenario

    if args.base_year is not None and not args.show:  # the list has no calendar years: it was ignored
        raise ConfigError("scenarios --base-year sets the calendar years of --show NAME: give it with --show")
    if args.base_year is not None and not FIRST_YEAR <= args.base_year <= LAST_YEAR:
        # --show printed a convergence "from 1712" for --base-year 1700
        raise ConfigError(f"scenarios --base-year {args.base_year}: expected a year {FIRST_YEAR}-{LAST_YEAR}")
    if args.show:
        sc = load_scenario(args.show, args.data_dir)
        sys.stdout.write(_extends_comment(sc))
        sys.stdout.write(sc.to_yaml())
        sys.stdout.write(_effective_keys_comment(sc, args.base_year, args.data_dir))
        return 0
    rows = []
    for name, sc in list_scenarios(args.data_dir).items():
        rows.append({"scenario": name, "label": sc.label_en, "extends": sc.parents[0][0] if sc.parents else "",
                     **sc.summary(reading=args.format == "table"), "file": str(sc.source)})
    emit_rows(rows, args.format)  # plain rows: scenarios --list does not import pandas
    return 0


def _extends_comment(sc) -> str:
    """A YAML comment line saying which scenarios the file of ``sc`` extends (nothing for a file of its own):
    what ``--show`` prints below it is the resolved scenario, not the file as written."""
    if not sc.parents:
        return ""
    chain = ", which extends ".join(f"{name} ({file})" for name, file in sc.parents)
    return (f"# {sc.source} extends {chain}\n"
            "# below: the resolved scenario, every key its modes use (the parent's, with the file's own merged in)\n")


def _latest_population_year(data_dir) -> int | None:
    """The last year of the stored population table, None when the data directory has none."""
    from ..exceptions import CityIndicatorsError
    from ..store import stored_table

    try:
        return int(stored_table("population", data_dir)["year"].max())
    except (CityIndicatorsError, KeyError, ValueError):
        return None


def _effective_keys_comment(sc, base_year: int | None, data_dir) -> str:
    """YAML comment lines with the long-run migration and combination keys as the projection applies
    them: the scenario's own, else the shipped estimation settings' (the file leaves them out when unset,
    so ``--show`` alone would not say what the scenario assumes). Calendar years from ``base_year``,
    else the latest year of the stored population, else relative to the base year."""
    from ..projection import EstimationSettings
    from ..projection.scenarios import COMBINATION_KEYS
    from ..projection.schedule import convergence_span

    st = EstimationSettings()
    mi = sc.migration
    Y = base_year if base_year is not None else _latest_population_year(data_dir)
    own = dict(sc.combination)

    def origin(mine: bool) -> str:
        return "  # the scenario's" if mine else "  # the shipped default"

    target = mi.convergence_target or st.migration_convergence
    lines = [f"migration.convergence_target: {target}{origin(mi.convergence_target is not None)}"]
    if target != "none":
        if Y is not None:
            start, years = convergence_span(Y, st, mi, sc.source or sc.name)
            lines += [f"migration.convergence_start_year: {Y + start}{origin(mi.convergence_start_year is not None)}",
                      f"migration.convergence_year: {Y + start + years}{origin(mi.convergence_year is not None)}"]
        else:
            lines += [f"migration.convergence_start_year: base year + {st.migration_convergence_start}"
                      f"{origin(False)}" if mi.convergence_start_year is None else
                      f"migration.convergence_start_year: {mi.convergence_start_year}{origin(True)}",
                      f"migration.convergence_year: "
                      + (f"{mi.convergence_year}{origin(True)}" if mi.convergence_year is not None else
                         f"the start + {st.migration_convergence_years}{origin(False)}")]
    for key, field_name in COMBINATION_KEYS.items():
        lines.append(f"combination.{key}: {own.get(field_name, getattr(st, field_name)):g}"
                     f"{origin(field_name in own)}")
    head = (f"# effective values (base year {Y}):" if Y is not None else
            "# effective values (no population stored: years relative to the base year):")
    if mi.mode == "zero":
        head += " the scenario has no migration, so the migration keys change nothing"
    return "\n".join([head] + [f"#   {line}" for line in lines]) + "\n"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``project``, ``target``, ``backtest`` and ``scenarios``."""
    p = sub.add_parser("project", help="cohort-component population projection")
    p.add_argument("--territory", action="append", required=True, metavar="NAME",
                   help="territory name or code, repeatable, or 'all' (every municipality)")
    p.add_argument("--base-year", type=int, default=None, metavar="Y", help="base year (default: latest in the data)")
    p.add_argument("--to", type=int, required=True, metavar="Y2", help="last projection year")
    p.add_argument("--scenario", action="append", default=None, metavar="NAME",
                   help="scenario name or YAML path, repeatable (default: baseline)")
    p.add_argument("--stochastic", type=int, default=None, metavar="N",
                   help="N stochastic trajectories; output quantiles q10, q50, q90 of the total and the broad age "
                        "groups, of each sex and of both (rows labelled by sex and age_group: quantiles do not add)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed (stochastic mode)")
    p.add_argument("--calibrate", action="store_true",
                   help="with --stochastic: scale each territory's band, year by year, so that its q10-q90 band of "
                        "the total is as wide as the empirical 80 %% interval of the method's past errors (see "
                        "--interval); uncalibrated, the band holds only random variation like the past's and is "
                        "several times narrower than the errors were (docs/INTERVALS.md). Runs the back-test once "
                        "per data build.")
    p.add_argument("--national-control", default=None, metavar="engine|FILE",
                   help="scale the municipalities by sex and age so that they add up to a national projection: "
                        "'engine' (the engine's own projection of the country) or a tidy CSV year,sex,age,value "
                        "(e.g. Statistics Lithuania's or Eurostat's); default: uncontrolled")
    p.add_argument("--national-method", choices=("proportional", "raking"), default=None,
                   help="with --national-control: 'proportional' (default) keeps each municipality's share of every sex and "
                        "age; 'raking' also keeps its own projected share of the national total (iterative "
                        "proportional fitting to both)")
    p.add_argument("--interval", choices=("none", "empirical"), default="none",
                   help="'empirical': output the totals, the 0-14, 15-64, 65+ groups and the median age "
                        "(age_group median_age, in years) with an 80 %% "
                        "prediction interval (columns lower, upper) built from this method's own errors "
                        "on the data's back-test, by horizon and size class, meant to contain the later "
                        "published value 8 times in 10 (how often it did out of sample, by horizon and "
                        "measure, is in docs/INTERVALS.md: less often for the median age and at the longest "
                        "horizons, which rest on the fewest origins). It says "
                        "how wrong projections like this one have been, not what a new shock could do. "
                        "The back-test runs once per data build (minutes on the whole extract).")
    _add_setting_flags(p)
    p.add_argument("--format", choices=FORMATS, default="csv",
                   help="csv (default) and json keep full precision (projected persons are fractional); "
                        "table, for reading, prints persons rounded to whole persons (a median age to 2 decimals)")
    p.add_argument("--output", default=None, metavar="FILE", help="write to FILE (atomically) instead of stdout")
    p.add_argument("--round", action="store_true", help="round populations to --round-digits decimals")
    p.add_argument("--round-digits", type=int, default=None, metavar="N",
                   help=f"decimals kept by --round, 0-{MAX_ROUND_DIGITS} (default 1; 0 for whole persons)")
    p.set_defaults(handler=_project_default)

    p = sub.add_parser("target", help="constant annual net inflow that meets a population target")
    p.add_argument("--territory", required=True, metavar="NAME")
    p.add_argument("--base-year", type=int, default=None, metavar="Y")
    p.add_argument("--year", type=int, required=True, metavar="T", help="target year")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--population", type=float, metavar="N", help="population of at least N in year T")
    g.add_argument("--working-age", type=float, metavar="N", help="working-age population (16 to pension age) of at least N")
    g.add_argument("--max-old-age-dependency", type=float, metavar="R",
                   help="old-age dependency ratio (65+ per 100 aged 15-64) of at most R")
    p.add_argument("--profile", default="young_families",
                   help="age profile of the added migrants: young_families, young_adults, working_age, retirees, own")
    p.add_argument("--scenario", default="baseline", metavar="NAME")
    p.add_argument("--min-inflow", type=float, default=None, metavar="X",
                   help="lower search bound (persons a year; default 0)")
    p.add_argument("--max-inflow", type=float, default=None, metavar="X",
                   help="upper search bound (persons a year; default 10%% of the base population)")
    _add_setting_flags(p)
    p.add_argument("--format", choices=FORMATS, default="table", help=FORMAT_HELP)
    p.add_argument("--output", default=None, metavar="FILE")
    p.set_defaults(handler=_target)

    p = sub.add_parser("backtest", help="compare projections from past base years with what happened",
                       description="With --base-year and --horizon: one back-test. Without them: every origin and "
                                   "horizon the data allow, with the nested choice of settings (docs/BACKTEST.md).")
    p.add_argument("--base-year", type=int, default=None, metavar="Y")
    p.add_argument("--horizon", type=int, default=None, metavar="H")
    p.add_argument("--territory", action="append", default=None, metavar="NAME",
                   help="municipality name or code, or a group (its members), repeatable: the errors of these "
                        "only, beside the baselines' (without --base-year and --horizon the protocol's, out of "
                        "sample, its choice of settings still made on every municipality); default: all")
    p.add_argument("--format", choices=FORMATS, default="table", help=FORMAT_HELP)
    p.add_argument("--output", default=None, metavar="FILE")
    p.set_defaults(handler=_backtest)

    p = sub.add_parser("scenarios", help="list the projection scenarios (shipped and in <data-dir>/scenarios)")
    p.add_argument("--list", action="store_true", help="list them (the default)")
    p.add_argument("--show", default=None, metavar="NAME",
                   help="print one scenario as YAML, resolved (a file with 'extends' as its parent with the "
                        "file's keys merged in, every key its modes use), then (as comments) the long-run migration and "
                        "combination values the projection applies: the scenario's own, else the shipped defaults")
    p.add_argument("--base-year", type=int, default=None, metavar="Y",
                   help="with --show: the base year of the effective calendar years (default: latest in the data)")
    p.add_argument("--format", choices=FORMATS, default="table", help=FORMAT_HELP)
    p.set_defaults(handler=_scenarios)


def _project_default(args) -> int:
    if not args.scenario:
        args.scenario = ["baseline"]
    if args.stochastic is not None and args.stochastic < 1:
        raise ConfigError("--stochastic must be a positive number of trajectories")
    if args.stochastic and args.interval != "none":
        raise ConfigError("--interval empirical and --stochastic are two different bands: give one of them "
                          "(--stochastic N --calibrate: the stochastic band as wide as the empirical interval)")
    if args.calibrate and not args.stochastic:
        raise ConfigError("--calibrate scales the stochastic band: give it with --stochastic N")
    if args.national_method is not None and args.national_control is None:  # it projected uncontrolled, unsaid
        raise ConfigError(f"--national-method {args.national_method} says how to meet a national projection: "
                          "give it with --national-control engine|FILE")
    if args.seed is not None and not args.stochastic:
        raise ConfigError("--seed sets the random draws of --stochastic N: give it with --stochastic")
    if args.round_digits is not None and not args.round:
        raise ConfigError("--round-digits sets the decimals of --round: give it with --round")
    if args.round_digits is None:
        args.round_digits = 1
    if not 0 <= args.round_digits <= MAX_ROUND_DIGITS:
        # a negative number rounded to tens of persons and printed 0.0 for small groups; 400 decimals
        # overflowed and wrote every population empty
        raise ConfigError(f"--round-digits must be a number of decimals from 0 to {MAX_ROUND_DIGITS}, "
                          f"got {args.round_digits}")
    return _project(args)
