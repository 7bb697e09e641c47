"""The ``cityindicators`` command line.

Each area registers its subcommands from its own module (``cli/<area>.py`` with a
``register(subparsers)`` function); a subcommand's handler takes the parsed arguments and
returns an exit code. Only the CLI prints and chooses exit codes; the library logs.

Start-up time matters for the quick commands (``resolve``, ``municipalities``,
``scenarios --list``, ``--help``): this package and the ``cli/<area>.py`` modules import no
pandas, numpy, pandera, matplotlib or papermill at module level; handlers import what they use.
``tests/test_cli_start.py`` checks it and ``benchmarks/bench_cli_start.py`` measures it.

The global options (``--data-dir``, ``-v``) are accepted before and after the subcommand:
``cityindicators datasets --data-dir X`` is ``cityindicators --data-dir X datasets``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Sequence

from .. import __version__
from .._redact import RedactingFilter, redact
from ..config import DATA_DIR_ENV
from ..exceptions import CityIndicatorsError

__all__ = ["main", "build_parser"]

#: Modules that contribute subcommands, in the order they appear in ``--help``.
COMMAND_MODULES = ("data", "snapshots", "osp", "indicators", "projection", "reports", "plans")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cityindicators",
        description="Socio-economic indicators, comparisons, population projections and reports "
        "for Lithuanian municipalities.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help=f"data directory (default: ${DATA_DIR_ENV} or ./data)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.register(sub)
    _accept_global_options_after_commands(parser)
    return parser


def _accept_global_options_after_commands(parser: argparse.ArgumentParser) -> None:
    """Add ``--data-dir`` and ``-v`` to every subcommand (and sub-subcommand) parser.

    Their default is "not given" (``SUPPRESS``), so an option before the command is kept unless
    it is given again after it. ``-v`` after the command counts into ``verbose_after`` (argparse
    parses a subcommand into a fresh namespace, so one counter cannot add both up).
    """
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for subparser in dict.fromkeys(action.choices.values()):  # aliases share a parser
            known = subparser._option_string_actions
            group = subparser.add_argument_group("global options (also accepted before the command)")
            if "--data-dir" not in known:
                group.add_argument("--data-dir", default=argparse.SUPPRESS, metavar="DIR",
                                   help=f"data directory (default: ${DATA_DIR_ENV} or ./data)")
            if "-v" not in known and "--verbose" not in known:
                group.add_argument("-v", "--verbose", dest="verbose_after", action="count", default=argparse.SUPPRESS,
                                   help="more log output (-vv for debug)")
            _accept_global_options_after_commands(subparser)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    verbosity = args.verbose + getattr(args, "verbose_after", 0)
    level = logging.WARNING - 10 * min(verbosity, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # credentials in URLs never reach the log
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        from ._output import refuse_special_inputs, refuse_unsafe_output

        refuse_special_inputs(args)  # before anything runs: /dev/zero as an input would be read for ever
        refuse_unsafe_output(args)  # and an output that would overwrite an input or the store
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except (CityIndicatorsError, OSError, UnicodeDecodeError, MemoryError) as exc:
        from ._errors import error_line

        print(redact(error_line(exc)), file=sys.stderr)
        return 1
    except Exception as exc:  # a fault of the package itself: still one line, the traceback only with -vv
        logging.getLogger(__name__).debug("traceback of the internal error", exc_info=True)
        first = (str(exc).splitlines() or [""])[0]
        print(redact(f"error: internal error ({type(exc).__name__}: {first}); please report it, with the output of "
                     "the same command run with -vv"), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
