"""Commands for the Statistics Lithuania SDMX API: ``fetch`` and ``osp search``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

__all__ = ["register", "cmd_fetch", "cmd_search"]


def _year(text: str) -> int:
    try:
        y = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year") from None
    if not 1900 <= y <= 2100:
        raise argparse.ArgumentTypeError(f"year {y} is out of range 1900-2100")
    return y


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``fetch`` and ``osp {search}`` to the command line."""
    p = subparsers.add_parser(
        "fetch",
        help="download Statistics Lithuania datasets into raw snapshots",
        description="Download catalogue datasets from the Statistics Lithuania SDMX API into "
        "raw/osp/<dataset>/<YYYY-MM-DD>.<ext> with a provenance sidecar. A snapshot of the same "
        "day is reused unless --force. "
        "How long it may take: each dataset at most --deadline seconds (default 300, i.e. 5 minutes, "
        "retries and waits included), so N datasets at most N x 5 minutes; one attempt at most "
        "--attempt-deadline seconds (default 180) however slowly the server sends; a server that "
        "accepts connections but never answers fails after about 1.5 minutes (3 attempts of "
        "--timeout 30 s). Responses over --max-size (default 256 MB) are refused. The environment "
        "variables CITYINDICATORS_OSP_TIMEOUT, CITYINDICATORS_OSP_ATTEMPT_DEADLINE, "
        "CITYINDICATORS_OSP_DEADLINE and CITYINDICATORS_OSP_MAX_MB set the same limits.",
    )
    p.add_argument("datasets", nargs="*", metavar="DATASET", help="catalogue names (default: all resolved entries)")
    p.add_argument("--from", dest="start", type=_year, default=None, metavar="Y",
                   help="first year (default: the entry's start year)")
    p.add_argument("--to", dest="end", type=_year, default=None, metavar="Y", help="last year (default: this year)")
    p.add_argument("--offline", action="store_true", help="use the newest snapshots; no network")
    p.add_argument("--force", action="store_true", help="fetch again even if a snapshot of today exists")
    p.add_argument("--base-url", action="append", default=None, metavar="URL",
                   help="API base URL (repeatable, tried in order; default the current OSP path, then the documented one)")
    p.add_argument("--format", choices=("xml", "json"), default="xml", help="response format (default xml)")
    p.add_argument("--insecure", action="store_true", help="do not verify the TLS certificate (explicit override)")
    p.add_argument("--timeout", type=_seconds, default=None, metavar="S",
                   help="longest silence of the server, seconds (default 30)")
    p.add_argument("--attempt-deadline", type=_seconds, default=None, metavar="S",
                   help="longest time of one attempt, seconds (default 180)")
    p.add_argument("--deadline", type=_seconds, default=None, metavar="S",
                   help="longest time of one dataset with its retries, seconds (default 300)")
    p.add_argument("--max-size", type=_seconds, default=None, metavar="MB",
                   help="largest response accepted, megabytes (default 256)")
    p.add_argument("--list", action="store_true", help="list the catalogue and exit")
    p.set_defaults(handler=cmd_fetch)

    o = subparsers.add_parser("osp", help="Statistics Lithuania API tools")
    osub = o.add_subparsers(dest="osp_command", metavar="SUBCOMMAND")
    s = osub.add_parser("search", help="search the list of dataflows by id or name")
    s.add_argument("text", nargs="+", metavar="TEXT", help="words that must all appear (case and accents ignored)")
    s.add_argument("--catalogue", default=None, metavar="FILE",
                   help="saved dataflow list (JSON [{id, name_lt, name_en}] or a dataflow/ XML response) instead of the live list")
    s.add_argument("--lang", choices=("lt", "en"), default="lt", help="language of the names shown")
    s.add_argument("--limit", type=int, default=20, metavar="N", help="at most N results (0 = all)")
    s.add_argument("--base-url", action="append", default=None, metavar="URL", help="API base URL for the live list")
    s.add_argument("--insecure", action="store_true", help="do not verify the TLS certificate")
    s.set_defaults(handler=cmd_search)
    o.set_defaults(handler=lambda args: (o.print_help(), 2)[1])


def _client(args: argparse.Namespace, fmt: str = "xml"):
    from ..sources.osp import OspClient, limits_from_env

    limits = limits_from_env()
    given = {
        "read_timeout": getattr(args, "timeout", None),
        "attempt_deadline": getattr(args, "attempt_deadline", None),
        "deadline": getattr(args, "deadline", None),
        "max_bytes": int(args.max_size * 2**20) if getattr(args, "max_size", None) else None,
    }
    limits = replace(limits, **{k: v for k, v in given.items() if v is not None})
    return OspClient(base_urls=args.base_url, fmt=fmt, verify=not args.insecure, limits=limits)


def cmd_fetch(args: argparse.Namespace) -> int:
    from ..snapshots import RawSnapshots
    from ..sources import osp

    if args.list:
        for name, e in osp.load_catalogue(args.data_dir).items():
            state = "confirmed" if e.confirmed else ("unresolved" if not e.resolved else "unconfirmed")
            print(f"{name}\t{e.flow_id or '-'}\t{e.table}\t{state}\t{e.title}")
        return 0
    if args.start and args.end and args.start > args.end:
        print(f"error: --from {args.start} is after --to {args.end}", file=sys.stderr)
        return 2
    client = None if args.offline else _client(args, args.format)
    results = osp.fetch(
        args.datasets or None, start=args.start, end=args.end, data_dir=args.data_dir, offline=args.offline,
        force=args.force, client=client, progress=sys.stderr.isatty(), writer=RawSnapshots(args.data_dir),
    )
    for r in results:
        rows = f"\t{r.rows} rows" if r.rows is not None else ""
        print(f"{r.dataset}\t{r.action}\t{r.path}{rows}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from ..sources import osp

    flows = osp.load_dataflow_list(args.catalogue) if args.catalogue else None
    hits = osp.search_dataflows(
        " ".join(args.text), flows, client=None if flows is not None else _client(args), lang=args.lang,
        limit=args.limit or None,
    )
    for h in hits:
        print(f"{h['id']}\t{h['name']}")
    if not hits:
        print(f"no dataflow matches {' '.join(args.text)!r}", file=sys.stderr)
        return 1
    return 0
