"""CLI subcommands of the indicator library: ``indicators``, ``compare`` and ``rank``."""

from __future__ import annotations

import argparse
import sys


from ..exceptions import ConfigError
from ._output import FORMAT_HELP, FORMATS, emit

__all__ = ["register"]

def _register_names(codes, lang: str, data_dir) -> list[str]:
    from ..geography import get_register

    reg = get_register(data_dir)
    return [reg.name(c, lang) for c in codes]


# -- handlers ----------------------------------------------------------------------------------
def _cmd_indicators(args: argparse.Namespace) -> int:
    from ..indicators import catalogue_frame, compute_indicators

    if args.list:
        cat = catalogue_frame()
        name = "name_en" if args.lang == "en" else "name_lt"
        cols = ["id", name, "unit", "polarity", "datasets"] if args.format == "table" else list(cat.columns)
        emit(cat[cols], args.format)
        return 0
    if not args.territory:
        raise ConfigError("indicators: give --territory NAME (and --year Y), or --list")
    frame = compute_indicators(args.indicator, [args.territory], args.year, data_dir=args.data_dir)
    if frame.empty:
        asked = ", ".join(args.indicator) if args.indicator else "any indicator"
        when = f" in {args.year}" if args.year is not None else ""
        print(f"error: no data of {asked} for {args.territory}{when}", file=sys.stderr)
        return 1
    frame.insert(2, "territory", _register_names(frame["territory_code"], args.lang, args.data_dir))
    frame = frame[["indicator", "territory_code", "territory", "year", "value", "unit"]]
    emit(frame, args.format, numeric=["value"], persons=["value"], persons_rows=_of_persons(frame["unit"]))
    return 0


def _of_persons(units) -> list[bool]:
    """Which rows of a table are persons, shown to whole persons as the reports show them (a working-age
    population's fractions come from the pension age's months, not from people)."""
    return [u == "persons" for u in units]


def _cmd_compare(args: argparse.Namespace) -> int:
    from ..indicators import comparison_table

    similar = args.peers is None or args.peers.strip().lower() in ("similar", "knn")
    if args.k is not None and not similar:  # it was ignored: the group's own members were compared
        raise ConfigError(f"--k sets how many most similar municipalities are the peers: it applies with "
                          f"--peers similar (default), not with --peers {args.peers} (similar:K gives K directly)")
    table = comparison_table(args.territory, args.year, peers=args.peers, year_from=args.year_from,
                             indicators=args.indicator, data_dir=args.data_dir, lang=args.lang,
                             **({} if args.k is None else {"k": args.k}))
    a = table.attrs
    if args.format == "table":
        period = f"{a['year_from']}-{a['year']}" if a["year_from"] is not None else str(a["year"])
        print(f"{a['territory']} ({a['territory_code']}), {period}; peers: {a['peer_group']['name']} "
              f"[{', '.join(_register_names(a['peer_group']['members'], args.lang, args.data_dir))}]")
        if a.get("neighbours"):
            nb = ", ".join(f"{r['territory']} {r['distance']:.2f}" for r in a["neighbours"])
            print(f"most similar (distance): {nb}")
        shown = table.drop(columns=["name"]) if args.lang == "lt" and len(table) else table
        figures = [c for c in shown.columns if c not in ("indicator", "name", "unit", "polarity", "rank", "n")]
        from pandas.api.types import is_numeric_dtype

        # the territory's, the country's, the county's and the peers' values of a count: whole persons
        counts = [c for c in figures if c not in ("percentile", "z_score") and is_numeric_dtype(shown[c])]
        emit(shown, "table", numeric=figures, persons=counts, persons_rows=_of_persons(shown["unit"]))
    else:
        emit(table, args.format)
    return 0


def _cmd_rank(args: argparse.Namespace) -> int:
    from ..indicators import rank_table

    if args.change is not None and args.change_from is None:  # it ranked the level and said nothing
        raise ConfigError(f"--change {args.change} says how to measure a change: give it with --change-from Y0")
    table = rank_table(args.indicator, args.year, year_from=args.change_from, data_dir=args.data_dir,
                       order=args.order, lang=args.lang, change=args.change or "auto")
    table = table[["rank", "territory_code", "territory", "value"]]
    if args.format == "table":
        a = table.attrs
        what = f"{a['change']} change {a['year_from']}-{a['year']}" if a["year_from"] is not None else str(a["year"])
        print(f"{a['indicator']} ({a['unit']}), {what}; rank 1 = "
              f"{'best' if a['order'] == 'polarity' else a['order']} ({a['polarity']})")
    persons = table.attrs.get("unit") == "persons" and table.attrs.get("change") != "relative"
    emit(table, args.format, numeric=["value"], persons=["value"] if persons else ())
    return 0


# -- registration ------------------------------------------------------------------------------
def register(subparsers) -> None:
    """Add ``indicators``, ``compare`` and ``rank`` to the ``cityindicators`` parser."""
    p = subparsers.add_parser(
        "indicators", help="list the indicator catalogue, or compute indicators for a territory",
        description="Without options but --list: the catalogue. With --territory: one row per indicator "
                    "(columns indicator, territory_code, territory, year, value, unit).")
    p.add_argument("--list", action="store_true", help="print the indicator catalogue")
    p.add_argument("--territory", "-t", metavar="NAME", help="territory or group (name, code, G:ID)")
    p.add_argument("--year", "-y", type=int, metavar="Y", help="year (default: all years)")
    p.add_argument("--indicator", "-i", nargs="+", action="extend", metavar="ID", help="indicator id(s) (default: all)")
    p.add_argument("--format", "-f", choices=FORMATS, default="table", help=FORMAT_HELP)
    p.add_argument("--lang", choices=("lt", "en"), default="lt", help="language of names (default lt)")
    p.set_defaults(handler=_cmd_indicators)

    c = subparsers.add_parser(
        "compare", help="compare a municipality with the country, its county, peers and all municipalities",
        description="Comparison table: value, country, county, peer-group value and median, rank (1 = best), "
                    "percentile and z-score; with --from, the same for the change between two years.")
    c.add_argument("--territory", "-t", required=True, metavar="NAME", help="municipality")
    c.add_argument("--year", "-y", required=True, type=int, metavar="Y")
    c.add_argument("--peers", "-p", metavar="GROUP", default=None,
                   help="similar (default), similar:K, county, type, size, a named group (VIZA), county:NAME, "
                        "type:city|district|municipality, size:small|medium|large|major")
    c.add_argument("--from", dest="year_from", type=int, metavar="Y0", help="compare the change from Y0 to Y")
    c.add_argument("--indicator", "-i", nargs="+", action="extend", metavar="ID", help="indicator id(s)")
    c.add_argument("--k", type=int, default=None,
                   help="number of most similar municipalities, with --peers similar (default 5)")
    c.add_argument("--format", "-f", choices=FORMATS, default="table", help=FORMAT_HELP)
    c.add_argument("--lang", choices=("lt", "en"), default="lt")
    c.set_defaults(handler=_cmd_compare)

    r = subparsers.add_parser(
        "rank", help="rank all municipalities by an indicator (or its change)",
        description="All municipalities ranked (columns rank, territory_code, territory, value); rank 1 = best "
                    "by the indicator's polarity, ties share the minimum rank.")
    r.add_argument("--indicator", "-i", required=True, metavar="ID")
    r.add_argument("--year", "-y", required=True, type=int, metavar="Y")
    r.add_argument("--change-from", type=int, metavar="Y0", help="rank the change from Y0 to Y")
    r.add_argument("--change", choices=("auto", "relative", "absolute"), default=None,
                   help="with --change-from: relative (%%) or absolute change; auto (default): relative for "
                        "counts and amounts, whose sizes differ, absolute for rates and shares")
    r.add_argument("--order", choices=("polarity", "descending", "ascending"), default="polarity",
                   help="polarity (1 = best, default) or by value")
    r.add_argument("--format", "-f", choices=FORMATS, default="table", help=FORMAT_HELP)
    r.add_argument("--lang", choices=("lt", "en"), default="lt")
    r.set_defaults(handler=_cmd_rank)
