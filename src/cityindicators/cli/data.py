"""CLI commands of the data foundation: municipalities, resolve, import, build, demo, datasets."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..geography import get_register
from ._output import FORMAT_HELP, FORMATS, emit, emit_rows


def _municipalities(args) -> int:
    reg = get_register(args.data_dir)
    rows = [
        {
            "code": t.code, "iso": t.iso, "name_lt": t.name_lt, "name_lt_long": t.name_lt_long,
            "name_en": t.name_en, "type": t.type, "county": reg.get(t.county_code).name_lt,
            "county_code": t.county_code, "nuts3": t.nuts3,
        }
        for t in reg.municipalities(synthetic=args.demo)
    ]
    emit_rows(rows, args.format)  # plain rows: this quick command does not import pandas
    return 0


def _resolve(args) -> int:
    reg = get_register(args.data_dir)
    status = 0
    for name in args.names:
        try:
            t = reg.resolve(name)
        except Exception as exc:  # noqa: BLE001 - report each name, go on with the others
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"{t.code}\t{t.name_lt}")
    return status


def _run_import(args, importer, *inputs) -> int:
    from ..snapshots import RawSnapshots

    # the source is handed the raw store it writes to; it does not import the store itself
    res = importer(*inputs, data_dir=args.data_dir, allow_empty=args.allow_empty, writer=RawSnapshots(args.data_dir),
                   source_date=args.source_date)
    print(res.summary())
    return 0


def _import_extract(args) -> int:
    from ..sources.extract import import_osp_extract

    return _run_import(args, import_osp_extract, args.dir)


def _import_tidy(args) -> int:
    from ..sources.files import import_tidy

    return _run_import(args, import_tidy, args.file, args.dataset)


def _import_indicators(args) -> int:
    from functools import partial

    from ..indicators.published import check_published_table
    from ..sources.files import import_indicators

    # units and ranges checked against the catalogue, which the sources may not import
    return _run_import(args, partial(import_indicators, check=check_published_table), args.file)


def _build(args) -> int:
    from ..store import build

    report = build(args.data_dir)
    print(report.summary())
    return 0


def _demo(args) -> int:
    from ..demo import build_demo

    report = build_demo(args.data_dir)
    print("synthetic demonstration data (fictional territories X00-X18, not real statistics)")
    print(report.summary())
    return 0


def _datasets(args) -> int:
    import pandas as pd

    from ..store import processed_provenance

    prov = processed_provenance(args.data_dir)
    if not prov:  # an empty listing is no error, but a mistyped --data-dir should not look like one
        from ..config import resolve_data_dir  # (no --data-dir: $CITYINDICATORS_DATA_DIR or ./data, not None)

        print(f"note: no dataset is built in {resolve_data_dir(args.data_dir) / 'processed'}; run 'cityindicators demo', "
              "or 'cityindicators import ...' or 'fetch', then 'cityindicators build'", file=sys.stderr)
    frame = pd.DataFrame(
        [{"dataset": k, "rows": v.get("rows"), "built_at": v.get("built_at"), "synthetic": v.get("synthetic"),
          "inputs": len(v.get("inputs", []))} for k, v in prov.items()]
    )
    if args.format == "json":
        print(json.dumps(prov, ensure_ascii=False, indent=1))
    else:
        emit(frame, args.format)
    return 0


ALLOW_EMPTY_HELP = "accept a table without data rows (otherwise an error: a header-only file is usually a failed export)"
SOURCE_DATE_HELP = ("the file's own date, YYYY-MM-DD (the day its publisher released it): the reports' sources table "
                    "gives it; without it, the data's latest year (the import day only when no year is known)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("municipalities", help="list the municipalities of the register")
    p.add_argument("--format", choices=FORMATS, default="table", help=FORMAT_HELP)
    p.add_argument("--demo", action="store_true", help="list the synthetic demo municipalities instead")
    p.set_defaults(handler=_municipalities)

    p = sub.add_parser("resolve", help="resolve territory names or codes (CODE<TAB>name per line)")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.set_defaults(handler=_resolve)

    p = sub.add_parser("import", help="import files into raw snapshots")
    isub = p.add_subparsers(dest="import_kind", metavar="KIND", required=True)
    q = isub.add_parser("osp-extract", help="tables in the lt-osp extract layout (semicolon CSV)")
    q.add_argument("dir", metavar="DIR")
    q.add_argument("--allow-empty", action="store_true", help=ALLOW_EMPTY_HELP)
    q.add_argument("--source-date", metavar="YYYY-MM-DD", help=SOURCE_DATE_HELP)
    q.set_defaults(handler=_import_extract)
    q = isub.add_parser("tidy", help="a tidy CSV/XLSX (territory, year, [sex], [age], value)")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--dataset", required=True, help="target dataset, e.g. population, births, deaths, migration")
    q.add_argument("--allow-empty", action="store_true", help=ALLOW_EMPTY_HELP)
    q.add_argument("--source-date", metavar="YYYY-MM-DD", help=SOURCE_DATE_HELP)
    q.set_defaults(handler=_import_tidy)
    q = isub.add_parser("indicators", help="a long indicator table (municipality, indicator, unit, year, value ...)")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--allow-empty", action="store_true", help=ALLOW_EMPTY_HELP)
    q.add_argument("--source-date", metavar="YYYY-MM-DD", help=SOURCE_DATE_HELP)
    q.set_defaults(handler=_import_indicators)

    p = sub.add_parser("build", help="turn raw snapshots into canonical tables under processed/")
    p.set_defaults(handler=_build)

    p = sub.add_parser("demo", help="generate the synthetic demonstration data and build it")
    p.set_defaults(handler=_demo)

    p = sub.add_parser("datasets", help="list processed datasets with their provenance")
    p.add_argument("--format", choices=FORMATS, default="table", help=FORMAT_HELP)
    p.set_defaults(handler=_datasets)
