"""``cityindicators report``: run the report notebooks for one municipality or all of them."""

from __future__ import annotations

import argparse
import sys

from ..exceptions import ConfigError

__all__ = ["register"]


def _param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def register(subparsers) -> None:
    """Add the ``report`` subcommand."""
    p = subparsers.add_parser(
        "report",
        help="run report notebooks (situation analysis, scenarios, plan monitoring) for a municipality or all",
        description="Execute the report notebooks with papermill and write, under "
        "<output-dir>/<template>/<territory>/, the executed notebook, an HTML report without code, its A4 "
        "PDF (with Chromium), an XLSX workbook and CSV files of its tables and chart data, the charts as PNG, "
        "SVG and 300-dpi PNG, and a run manifest. Reports whose inputs are unchanged are skipped "
        "unless --force. Exit code 1 when any report failed (the batch still runs the others). "
        "SIGTERM or SIGINT (Ctrl-C) stops the batch: its workers and kernels end, unfinished reports "
        "leave the previous ones in place, and it exits with 128 + the signal's number (143, 130) "
        "after printing what it finished.",
    )
    p.add_argument("--territory", default=None, metavar="NAME|all",
                   help="municipality name or code, or 'all' (every municipality in the data); "
                   "with -p plan=FILE the plan's territory by default")
    p.add_argument("--template", nargs="+", default=None, metavar="NAME",
                   help="template name(s) under notebooks/ or .ipynb path(s) (default: situation_analysis scenarios; "
                   "monitoring with -p plan=FILE)")
    p.add_argument("--lang", choices=("lt", "en"), default=None, help="report language (default: the template's, lt)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes on this machine (default 1)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the jobs on a Dask distributed scheduler, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--output-dir", default="reports", metavar="DIR", help="output folder (default ./reports)")
    p.add_argument("--force", action="store_true", help="run even when the inputs are unchanged")
    p.add_argument("--no-print-charts", action="store_true",
                   help="leave out the charts' SVG and 300-dpi PNG (the screen PNG, HTML, PDF and XLSX are "
                        "written): saving the charts took about half the CPU time in benchmarks/bench_chart_exports.py")
    p.add_argument("-p", "--param", action="append", type=_param, default=[], metavar="NAME=VALUE",
                   help="set a template parameter (repeatable), e.g. -p horizon=2040 -p years=2001,2015")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=run)


#: Template parameters that ``report`` sets from options of its own: name -> (option, what it gives).
_OWN_OPTIONS = {"territory": ("--territory", "territory"), "language": ("--lang", "language"),
                "data_dir": ("--data-dir", "data directory")}


def run(args: argparse.Namespace) -> int:
    """Run the reports and print the summary; 1 when any failed."""
    if args.jobs == 1 and not args.scheduler:
        # the reports run on this thread's kernel: started first, it starts and imports the report
        # modules while this process imports its own and checks the parameters (not after)
        from ..reports.kernels import start_kernel_ahead

        start_kernel_ahead()
    from ..reports.batch import run_batch
    from ..reports.template import TEMPLATES

    params = dict(args.param)
    for name, (option, what) in _OWN_OPTIONS.items():
        # -p territory=X01 beside --territory X13 was dropped, -p data_dir=... beside --data-dir won: one way each
        if name in params:
            raise ConfigError(f"report: -p {name}={params[name]}: give the {what} with {option}, not as a "
                              f"template parameter")
    territory, templates = args.territory, args.template
    if params.get("plan"):  # a plan names its territory and asks for the monitoring report
        from ..plans.files import read_plan_file

        territory = territory or read_plan_file(params["plan"]).values.get("territory")
        templates = templates or ["monitoring"]
    if not territory:
        raise ConfigError("report: --territory NAME|all is required (or -p plan=FILE for the monitoring report)")
    summary = run_batch(
        territories=territory,
        templates=templates or list(TEMPLATES),
        language=args.lang,
        parameters=params,
        jobs=args.jobs,
        scheduler=args.scheduler,
        output_dir=args.output_dir,
        data_dir=args.data_dir,
        force=args.force,
        progress=not args.no_progress,
        print_charts=not args.no_print_charts,
    )
    for r in summary.results:
        if r.status in ("ok", "skipped"):
            print(f"{r.status:8s} {r.template:20s} {r.territory_code:4s} {r.output_dir}")
    print(summary.text(), file=sys.stdout if summary.ok else sys.stderr)
    return summary.exit_code
