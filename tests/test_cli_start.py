"""The quick commands start without the heavy libraries; global options after the command.

Start-up *time* is measured by ``benchmarks/bench_cli_start.py``; here we check its cause, which
does not depend on how loaded the machine is: which modules a command imported.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import types

import pytest

from cityindicators.cli import main

HEAVY = ("pandas", "numpy", "pandera", "matplotlib", "papermill", "pyarrow", "scipy", "nbconvert", "requests")

_PROBE = """
import json, sys
from cityindicators.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = %r
print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)
"""


def _heavy_modules_imported(*args: str, data_dir) -> list[str]:
    """Run the command in a fresh interpreter; the heavy modules it had imported at the end."""
    proc = subprocess.run([sys.executable, "-c", _PROBE % (HEAVY,), "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=120)
    return json.loads(proc.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [
    ("--help",),
    ("resolve", "--help"),
    ("report", "--help"),
    ("resolve", "Visaginas", "LT-59"),
    ("municipalities",),
    ("municipalities", "--format", "csv"),
    ("snapshots", "list"),
    ("snapshots", "list", "--format", "json"),
    ("scenarios", "--list"),
    ("scenarios", "--list", "--format", "json"),
])
def test_quick_commands_import_no_heavy_library(args, tmp_path):
    assert _heavy_modules_imported(*args, data_dir=tmp_path) == []


def test_the_probe_sees_heavy_imports(demo_dir):
    # The check above can fail: a command that loads a table is seen importing pandas.
    assert "pandas" in _heavy_modules_imported("datasets", data_dir=demo_dir)


def test_import_cityindicators_is_light_and_names_still_work():
    code = ("import sys, cityindicators as ci; light = 'pandas' not in sys.modules; "
            "from cityindicators import store; "
            "print(light, ci.load is store.load, ci.get_register().resolve('Visaginas').code)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout.split()
    assert out == ["True", "True", "30"]


def test_lazy_names_of_the_projection_package():
    import cityindicators
    import cityindicators.projection as projection
    import cityindicators.projection.backtest  # noqa: F401 - sets the submodule on its package

    backtest_module = sys.modules["cityindicators.projection.backtest"]
    # the function named like its module wins over the submodule, as with eager imports
    from cityindicators.projection import backtest

    assert isinstance(backtest, types.FunctionType) and backtest is backtest_module.backtest
    assert projection.backtest is backtest_module.backtest
    assert cityindicators.project is projection.project
    assert {"project", "load_scenario", "simulate"} <= set(dir(projection))
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        cityindicators.no_such_name  # noqa: B018


def test_data_dir_after_the_command(demo_dir, tmp_path, capsys):
    assert main(["datasets", "--format", "json", "--data-dir", str(demo_dir)]) == 0
    assert "population" in json.loads(capsys.readouterr().out)
    # after the command wins over before it
    assert main(["--data-dir", str(tmp_path), "datasets", "--data-dir", str(demo_dir), "--format", "json"]) == 0
    assert "population" in json.loads(capsys.readouterr().out)
    assert main(["--data-dir", str(demo_dir), "datasets", "--format", "json"]) == 0  # before still works
    assert "population" in json.loads(capsys.readouterr().out)
    assert main(["datasets", "--format", "json", "--data-dir", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == {}


def test_data_dir_after_a_sub_subcommand(tmp_path, capsys):
    f = tmp_path / "births.csv"
    f.write_text("territory,year,sex,value\nVisaginas,2020,total,120\n", encoding="utf-8")
    assert main(["import", "tidy", str(f), "--dataset", "births", "--data-dir", str(tmp_path / "d")]) == 0
    assert list((tmp_path / "d" / "raw").rglob("*.meta.json"))


@pytest.mark.parametrize("argv, level", [
    (["resolve", "Visaginas"], logging.WARNING),
    (["-v", "resolve", "Visaginas"], logging.INFO),
    (["resolve", "Visaginas", "-v"], logging.INFO),
    (["-v", "resolve", "Visaginas", "-v"], logging.DEBUG),
    (["resolve", "-vv", "Visaginas"], logging.DEBUG),
])
def test_verbose_before_and_after_the_command(argv, level, monkeypatch, capsys):
    seen = {}
    monkeypatch.setattr(logging, "basicConfig", lambda **kw: seen.update(kw))
    assert main(argv) == 0
    assert seen["level"] == level


def test_help_of_a_command_lists_the_global_options(capsys):
    with pytest.raises(SystemExit):
        main(["datasets", "--help"])
    out = capsys.readouterr().out
    assert "--data-dir DIR" in out and "global options" in out


def _subparsers(parser):
    """Every (name, parser) below ``parser``, sub-subcommands included (``plan check``)."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name, sub
                for inner, subsub in _subparsers(sub):
                    yield f"{name} {inner}", subsub


def test_every_option_a_help_text_names_is_shown_in_that_help():
    """A help text that sends the reader to an option the help hides (or that does not exist) is a dead end."""
    import argparse
    import re

    from cityindicators.cli import build_parser

    dead = []
    for name, sub in _subparsers(build_parser()):
        shown = {s for a in sub._actions if a.help != argparse.SUPPRESS for s in a.option_strings}
        for action in sub._actions:
            if action.help and action.help != argparse.SUPPRESS:
                dead += [f"{name} {action.dest}: {opt}" for opt in re.findall(r"(?<![\w-])--[a-z][\w-]*", action.help)
                         if opt not in shown]
    assert not dead, dead
