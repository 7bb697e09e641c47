"""CLI commands of the raw store: ``snapshots list`` and ``snapshots remove``.

A snapshot that makes ``cityindicators build`` fail (a wrong tidy file, one that conflicts with
another) is named by the build's error by its id, ``raw/<source>/<dataset>/<file>``; these
commands list the ids and remove a snapshot without the user having to find the folder.
"""

from __future__ import annotations

import argparse

from ._output import FORMAT_HELP, FORMATS, emit_rows

ID_HELP = ("a snapshot's id as 'snapshots list' gives it and the build's errors name it: its path relative to the "
           "data directory, raw/<source>/<dataset>/<file> (the file's full path is accepted too)")


def _list(args) -> int:
    from ..snapshots import snapshot_records

    rows = snapshot_records(args.data_dir)
    if args.format == "table":  # for reading: thousands grouped, as the build's summary prints them
        rows = [{**r, **{k: "" if r[k] is None else f"{r[k]:,}" for k in ("rows", "size")}} for r in rows]
    emit_rows(rows, args.format)  # plain rows: the listing imports no pandas
    return 0


def _remove(args) -> int:
    from ..snapshots import remove_snapshots

    removed = remove_snapshots(args.ids, args.data_dir)
    for sid in removed:
        print(f"removed {sid} (and its sidecar)")
    print(f"removed {len(removed)} snapshot(s); the published tables still hold their figures: run "
          "'cityindicators build' to rebuild them without")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("snapshots", help="list or remove raw snapshots (e.g. one that makes 'build' fail)")
    ssub = p.add_subparsers(dest="snapshots_action", metavar="ACTION", required=True)
    q = ssub.add_parser("list", help="every raw snapshot: id, source, dataset, date, rows, size, origin")
    q.add_argument("--format", choices=FORMATS, default="table", help=FORMAT_HELP)
    q.set_defaults(handler=_list)
    q = ssub.add_parser("remove", help="remove raw snapshots by id (file and sidecar); then run 'build' again")
    q.add_argument("ids", nargs="+", metavar="ID", help=ID_HELP)
    q.set_defaults(handler=_remove)
