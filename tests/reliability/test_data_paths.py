"""Paths from user input, files where folders belong (and back), unreadable configuration files."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import assert_clean_error, assert_unchanged, run_main, store_state, write_extract

INDICATORS = "municipality,indicator,unit,year,value\nVisagino sav.,unemployment,%,2016,9.5\n"


@pytest.mark.parametrize("name", ["...csv", "..csv", ". .csv"[:0] + "....csv"])
def test_indicator_file_stem_cannot_leave_the_raw_folder(name, built_store, tmp_path):
    f = tmp_path / name
    f.write_text(INDICATORS, encoding="utf-8")
    before = store_state(built_store)
    res = run_main(["import", "indicators", f], built_store)
    assert_clean_error(res, r"dataset name '\.+' cannot be used as a file or folder name: it is made only of dots", code=1)
    assert_unchanged(before, built_store)
    assert not list((built_store / "raw").glob("*.csv")) and not list(built_store.glob("*.csv"))


def test_indicator_file_with_hostile_html_name_is_stored_inside_its_folder(built_store, tmp_path):
    f = tmp_path / "<img src=x onerror=alert(1)>.csv"
    f.write_text(INDICATORS, encoding="utf-8")
    res = run_main(["import", "indicators", f], built_store)
    assert res.returncode == 0, res.output
    [snap] = (built_store / "raw" / "indicators").glob("*/*.csv")
    assert snap.parent.parent == built_store / "raw" / "indicators"


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["import", "tidy", "{folder}", "--dataset", "births"], r"{folder}: not a file \(a folder\)"),
        (["import", "indicators", "{folder}"], r"{folder}: not a file \(a folder\)"),
        (["import", "tidy", "/dev/zero", "--dataset", "births"], r"/dev/zero: not a regular file \(a device, a pipe or a socket\)"),
        (["import", "tidy", "{missing}", "--dataset", "births"], r"{missing}: no such file"),
        (["import", "osp-extract", "{file}"], r"{file}: not a folder"),
        (["import", "osp-extract", "{missing}"], r"{missing}: not a folder"),
        (["import", "osp-extract", "{folder}"], r"{folder}: no extract tables found"),
        (["osp", "search", "births", "--catalogue", "{folder}"],
         r"cannot read the dataflow catalogue {folder}: it is a folder, where a file was expected"),
        (["osp", "search", "births", "--catalogue", "{empty}"], r"{empty}: the dataflow catalogue is empty"),
    ],
    ids=["tidy-of-a-folder", "indicators-of-a-folder", "tidy-of-a-device", "tidy-missing-file", "extract-of-a-file", "extract-missing",
         "extract-empty-folder", "catalogue-of-a-folder", "catalogue-empty"],
)
def test_wrong_kind_of_path(args, pattern, built_store, tmp_path):
    folder = tmp_path / "afolder"
    folder.mkdir()
    file = tmp_path / "afile.csv"
    file.write_text("x\n", encoding="utf-8")
    (tmp_path / "empty.json").write_bytes(b"")
    subst = {"folder": str(folder), "missing": str(tmp_path / "nothing.csv"), "file": str(file),
             "empty": str(tmp_path / "empty.json")}
    before = store_state(built_store)
    res = run_main([a.format(**subst) for a in args], built_store)
    assert_clean_error(res, pattern.format(**subst), code=1)
    assert_unchanged(before, built_store)


def test_a_file_where_the_snapshot_folder_should_be(built_store, tmp_path):
    (built_store / "raw" / "tidy").write_text("in the way\n", encoding="utf-8")
    f = tmp_path / "b.csv"
    f.write_text("territory,year,sex,value\nZarasų r. sav.,2016,total,3\n", encoding="utf-8")
    before = store_state(built_store)
    res = run_main(["import", "tidy", f, "--dataset", "births"], built_store)
    assert_clean_error(res, r"data/raw/tidy: cannot write: it is a file, where a folder was expected", code=1)
    assert_unchanged(before, built_store)


def test_data_dir_is_a_file(tmp_path):
    f = tmp_path / "notadir"
    f.write_text("x", encoding="utf-8")
    extract = write_extract(tmp_path / "x")
    res = run_main(["import", "osp-extract", extract], f)
    assert_clean_error(res, rf"{f}: cannot write to the data directory \(import\): it is a file, where a folder was expected", code=1)
    res = run_main(["build"], f)
    assert_clean_error(res, r"no raw snapshots", code=1)
    assert f.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize("command", [["build"], ["import", "osp-extract", "{extract}"]], ids=["build", "import"])
def test_a_folder_where_the_lock_file_should_be(command, built_store, tmp_path):
    (built_store / ".lock").unlink(missing_ok=True)
    (built_store / ".lock").mkdir()
    extract = write_extract(tmp_path / "x", births="Territory;Year;Total;Boys;Girls\nZarasai d. mun.;2016;1;;\n")
    before = store_state(built_store)
    res = run_main([a.format(extract=extract) for a in command], built_store)
    assert_clean_error(res, rf"{built_store}/.lock: cannot write to the data directory \(\w+\): it is a folder, where a file", code=1)
    assert_unchanged(before, built_store)


def _laughs(last: str) -> bytes:
    """A "billion laughs" YAML file: nine levels of nine aliases each (9**9 values), then ``last``; line 6
    (``a5``, 9**6 values) is the first past the limit."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return ("\n".join(lines) + "\n" + last).encode("utf-8")


LAUGHS = r"line 6: the {} cannot be read: its anchors and aliases expand to more than 100,000 values; write the values out"
SELF_ALIAS = r"line 2: the {} cannot be read: an alias refers to a value that contains it"

GROUPS = "groups:\n  ezerai:\n    name_lt: Ežerų kraštas\n    name_en: Lake district\n    members: [Zarasų r. sav., Ignalinos r. sav.]\n"


@pytest.mark.parametrize(
    "content, pattern",
    [
        (GROUPS.encode("cp1257"), r"groups.yaml: the groups file is not UTF-8 text \(invalid byte 0x.. on line 3\); save it as UTF-8"),
        (GROUPS.encode("utf-16"), r"groups.yaml: the groups file is not UTF-8 text"),
        (b"groups:\n  a: [unclosed\n", r"groups.yaml: the groups file is not valid YAML \(line \d+, column \d+\)"),
        (b"groups: !!python/object/apply:os.system ['echo pwned']\n", r"groups.yaml: the groups file is not valid YAML"),
        (b"- just\n- a list\n", r"groups.yaml: line 1, key 'groups': expected a top-level key 'groups'"),
        (b"groups:\n  x:\n    members: []\n", r"groups.yaml: line 3, group 'x', key 'members': expected a non-empty list"),
        # resolving every member of 9**9 ran for minutes and took gigabytes
        (_laughs("groups:\n  g: {members: *a9}\n"), "groups.yaml: " + LAUGHS.format("groups file")),
        (b"groups:\n  g: &g\n    members: [Zarasai, *g]\n", "groups.yaml: " + SELF_ALIAS.format("groups file")),
    ],
    ids=["cp1257", "utf16", "bad-yaml", "python-tag", "not-a-mapping", "empty-members", "billion-laughs", "self-alias"],
)
def test_bad_groups_file(content, pattern, built_store):
    (built_store / "groups.yaml").write_bytes(content)
    before = store_state(built_store)
    res = run_main(["resolve", "Visaginas"], built_store)
    if res.returncode == 0 and "pwned" not in res.output:  # resolve reports per name; the CLI may go on
        pytest.fail(f"a bad groups file was accepted:\n{res.output}")
    assert "Traceback" not in res.output and "pwned" not in res.output
    import re

    assert re.search(pattern, res.stderr), res.stderr
    assert_unchanged(before, built_store)


def test_groups_file_is_a_folder(built_store):
    (built_store / "groups.yaml").mkdir()
    res = run_main(["resolve", "Visaginas"], built_store)
    assert "Traceback" not in res.output and res.returncode != 0
    assert "groups.yaml: cannot read the groups file: it is a folder" in res.stderr


@pytest.mark.parametrize(
    "content, pattern",
    [
        ("name: mine\nlabel_lt: Mano scenarijus – ąčę\n".encode("cp1257"), r"mine.yaml: the scenario file is not UTF-8 text"),
        (b"name: [unclosed\n", r"mine.yaml: the scenario file is not valid YAML \(line 2, column 1\)"),
        (b"name: !!python/name:os.system\n", r"mine.yaml: the scenario file is not valid YAML"),
        (_laughs("name: mine\n"), "mine.yaml: " + LAUGHS.format("scenario file")),
    ],
    ids=["cp1257", "bad-yaml", "python-tag", "billion-laughs"],
)
def test_bad_scenario_file(content, pattern, built_store, tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_bytes(content)
    before = store_state(built_store)
    res = run_main(["scenarios", "--show", f], built_store)
    assert_clean_error(res, pattern, code=1)
    assert_unchanged(before, built_store)


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["plan", "check", "{plan}", "--format", "csv", "--output", "{plan}"], r"output {plan}: it is the input file {plan}"),
        (["plan", "workbook", "{plan_xlsx}", "--from", "{plan_xlsx}"], r"output {plan_xlsx}: it is the input file"),
        (["plan", "check", "{plan}", "--output", "{snapshot}"], r"output {snapshot}: inside the data directory's raw/ folder"),
        (["project", "--territory", "Zarasai", "--base-year", "2015", "--to", "2020", "--output", "{data}/processed/births.parquet"],
         r"output {data}/processed/births.parquet: inside the data directory's processed/ folder"),
        (["report", "--territory", "Zarasai", "--output-dir", "{data}/processed"], r"--output-dir {data}/processed: inside .*processed/"),
        (["report", "--territory", "Zarasai", "--output-dir", "{data}/generations/reports"], r"inside the data directory's generations/"),
        (["report", "--territory", "Zarasai", "--output-dir", "{data}/raw/x/y"], r"inside the data directory's raw/"),
        (["plan", "check", "{plan}", "--output", "{data}/groups.yaml"], r"output {data}/groups.yaml: it is the input file"),
        (["plan", "check", "{plan}", "--output", "{data}/scenarios/mine.yaml"], r"it is the input file .*scenarios/mine.yaml"),
    ],
    ids=["plan-check-onto-its-plan", "workbook-onto-its-source", "plan-check-onto-a-snapshot", "project-into-processed",
         "report-into-processed", "report-into-generations", "report-into-raw", "onto-the-groups-file",
         "onto-a-scenario-file"],
)
def test_an_output_that_would_overwrite_an_input_or_the_store_is_refused(args, pattern, built_store, tmp_path):
    # plan check p.yaml --output p.yaml replaced the plan by its results; a report in processed/ was
    # removed with its generation by the next build; a CSV over a snapshot broke its hash
    plan = tmp_path / "p.yaml"
    plan.write_text("name_lt: Planas\nterritory: Zarasų r. sav.\ncriteria: []\n", encoding="utf-8")
    plan_xlsx = tmp_path / "p.xlsx"
    plan_xlsx.write_bytes(b"PK not a workbook")
    [snapshot] = (built_store / "raw" / "osp-extract" / "births").glob("*.csv")
    (built_store / "groups.yaml").write_text("groups:\n  g:\n    members: [Zarasai]\n", encoding="utf-8")
    (built_store / "scenarios").mkdir()
    (built_store / "scenarios" / "mine.yaml").write_text("name: mine\nextends: baseline\n", encoding="utf-8")
    subst = {"plan": str(plan), "plan_xlsx": str(plan_xlsx), "snapshot": str(snapshot), "data": str(built_store)}
    before = store_state(built_store)
    inputs = {p: p.read_bytes() for p in (plan, plan_xlsx)}
    res = run_main([a.format(**subst) for a in args], built_store)
    assert_clean_error(res, pattern.format(**subst), code=1)
    assert_unchanged(before, built_store)
    assert {p: p.read_bytes() for p in inputs} == inputs
    assert not [p for p in (built_store / "generations").rglob("*") if "report" in p.name or p.suffix == ".html"]


def test_an_output_beside_the_store_is_written(built_store, tmp_path):
    plan = tmp_path / "p.yaml"
    plan.write_text("name_lt: Planas\nterritory: Zarasų r. sav.\ncriteria: []\n", encoding="utf-8")
    res = run_main(["plan", "workbook", built_store / "plan.xlsx", "--from", plan], built_store)
    assert res.returncode == 0, res.output
    assert (built_store / "plan.xlsx").stat().st_size > 0


def test_running_out_of_memory_is_one_line(built_store, monkeypatch):
    # --stochastic 100000000000 made numpy ask for terabytes: a MemoryError traceback reached the user
    from cityindicators.cli import projection

    def huge(args):
        raise MemoryError("Unable to allocate 3.64 TiB for an array with shape (100000000000, 5) and data type float64")

    monkeypatch.setattr(projection, "_project", huge)
    res = run_main(["project", "--territory", "Zarasai", "--base-year", "2015", "--to", "2020",
                    "--stochastic", "100000000000"], built_store)
    assert_clean_error(res, r"^error: not enough memory for this command \(Unable to allocate 3.64 TiB .*\); ask for "
                            r"less \(fewer territories, years or --stochastic trajectories\)\n$", code=1)


def test_an_internal_error_is_one_line_and_its_traceback_only_with_vv(built_store, monkeypatch, caplog):
    # a fault of the package (here injected) printed a Python traceback to the user
    from cityindicators.cli import projection

    def broken(args):
        raise ValueError("operands could not be broadcast together\nsecond line")

    monkeypatch.setattr(projection, "_project", broken)
    args = ["project", "--territory", "Zarasai", "--base-year", "2015", "--to", "2020"]
    res = run_main(args, built_store)
    assert_clean_error(res, r"^error: internal error \(ValueError: operands could not be broadcast together\); please "
                            r"report it, with the output of the same command run with -vv\n$", code=1)
    import logging

    caplog.set_level(logging.DEBUG, logger="cityindicators.cli")
    run_main(args + ["-vv"], built_store)
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [ValueError]


@pytest.mark.parametrize("content, pattern", [
    (_laughs("name_lt: Planas\ncriteria: *a9\n"), "p.yaml: " + LAUGHS.format("plan file")),
    (b"name_lt: Planas\ncriteria: &c [{id: A, values: *c}]\n", "p.yaml: " + SELF_ALIAS.format("plan file")),
], ids=["billion-laughs", "self-alias"])
def test_a_plan_file_whose_aliases_explode_is_refused(content, pattern, built_store, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_bytes(content)
    res = run_main(["plan", "check", f], built_store)
    assert_clean_error(res, pattern, code=1)


def test_aliases_of_an_ordinary_size_are_read(built_store):
    # a merge key and a shared list: the anchors an ordinary file uses
    from cityindicators._io import read_yaml

    (built_store / "g.yaml").write_text("base: &b {name_en: X, members: &m [Zarasai, Ignalina]}\n"
                                        "g: {<<: *b, name_lt: Y}\nh: {members: *m}\n", encoding="utf-8")
    doc = read_yaml(built_store / "g.yaml")
    assert doc["g"] == {"name_en": "X", "members": ["Zarasai", "Ignalina"], "name_lt": "Y"}
    assert doc["h"]["members"] == ["Zarasai", "Ignalina"]


@pytest.mark.parametrize("kind", ["device", "pipe"])
def test_a_configuration_file_that_is_no_regular_file_is_refused(kind, built_store, tmp_path):
    # a scenario or groups file linked to /dev/zero was read until the memory was full; a pipe waited forever
    import os

    if kind == "device":
        target = Path("/dev/zero")
    else:
        target = tmp_path / "pipe"
        os.mkfifo(target)
    (built_store / "groups.yaml").symlink_to(target)
    res = run_main(["resolve", "Zarasai"], built_store)
    assert_clean_error(res, r"cannot read the groups file: not a regular file \(a device, a pipe or a socket\)$", code=1)
    (built_store / "groups.yaml").unlink()
    (built_store / "scenarios").mkdir(exist_ok=True)
    (built_store / "scenarios" / "z.yaml").symlink_to(target)
    res = run_main(["scenarios", "--list"], built_store)
    assert_clean_error(res, r"scenarios/z.yaml: cannot read the scenario file: not a regular file", code=1)


def test_an_oversized_scenario_file_is_refused(built_store, tmp_path):
    from cityindicators import _io

    f = tmp_path / "big.yaml"
    f.write_text("name: big\n" + "# filler\n" * 20, encoding="utf-8")
    with pytest.raises(_io.ConfigError, match=r"big.yaml: the scenario file is 190 bytes, more than the 100 such a file may have"):
        _io.read_text_strict(f, "scenario file", max_bytes=100)
    assert _io.read_text_strict(f, "scenario file", max_bytes=190).startswith("name: big")


def test_a_symbolic_link_named_like_a_snapshot_is_refused_by_the_build(built_store, tmp_path):
    # it was read from wherever it pointed; with other content it was said to have "changed after it was stored"
    [snap] = (built_store / "raw" / "osp-extract" / "births").glob("*.csv")
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes(snap.read_bytes())  # the same bytes: the sidecar's hash matches
    fake = snap.with_name("2999-01-01-aaaaaaaaaa.csv")
    fake.symlink_to(outside)
    fake.with_name(fake.name + ".meta.json").write_bytes(snap.with_name(snap.name + ".meta.json").read_bytes())
    before = store_state(built_store)
    res = run_main(["build"], built_store)
    assert_clean_error(res, rf"{fake}: a symbolic link \(to {outside}\), not a snapshot the store wrote; remove it", code=1)
    assert_unchanged(before, built_store)


@pytest.mark.parametrize("kind", ["device", "pipe"])
def test_every_reader_refuses_a_device_or_a_pipe_with_the_same_one_line(kind, tmp_path):
    # one check (_io.refuse_special_file) for the configuration reader, the plan reader, the
    # import of user files and the CLI; the plan reader said "plan file not found" of a device
    import os

    from cityindicators import _io
    from cityindicators.exceptions import DatasetNotFoundError
    from cityindicators.plans.files import PlanError, read_plan_file
    from cityindicators.sources.files import import_tidy

    special = tmp_path / "in.yaml"
    if kind == "device":
        special.symlink_to("/dev/zero")
    else:
        os.mkfifo(special)
    said = rf"^{special}: not a regular file \(a device, a pipe or a socket\)$"
    with pytest.raises(PlanError, match=said):
        read_plan_file(special)
    with pytest.raises(DatasetNotFoundError, match=said):
        import_tidy(special, "births", data_dir=tmp_path / "data")
    with pytest.raises(_io.StorageError, match=rf"^{special}: cannot read the plan: not a regular file"):
        _io.read_text_strict(special, "plan")
    with pytest.raises(_io.ConfigError, match=rf"\(a device, a pipe or a socket\); give a file$"):
        _io.refuse_special_file(special, _io.ConfigError, hint="give a file")


def test_a_regular_file_a_folder_and_a_missing_path_are_left_to_the_caller(tmp_path):
    from cityindicators import _io

    (tmp_path / "f.csv").write_text("x\n", encoding="utf-8")
    for path in (tmp_path / "f.csv", tmp_path, tmp_path / "missing.csv", "a\0name"):
        _io.refuse_special_file(path)


@pytest.mark.parametrize("args", [
    ["project", "--territory", "Zarasai", "--base-year", "2015", "--to", "2020", "--national-control", "{special}"],
    ["osp", "search", "births", "--catalogue", "{special}"],
    ["plan", "check", "{special}"],
], ids=["national-control", "osp-catalogue", "plan"])
@pytest.mark.parametrize("kind", ["device", "pipe"])
def test_an_input_that_is_a_device_or_a_pipe_is_refused_before_it_is_read(args, kind, built_store, tmp_path):
    # --national-control /dev/zero was read until the memory was full; a pipe waited for a writer
    import os

    special = tmp_path / "in.csv"
    if kind == "device":
        special.symlink_to("/dev/zero")
    else:
        os.mkfifo(special)
    res = run_main([a.format(special=special) for a in args], built_store)
    assert_clean_error(res, rf"^error: {special}: not a regular file \(a device, a pipe or a socket\); give a file\n$", code=1)
