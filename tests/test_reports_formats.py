"""Report formats and defaults: defaults from the territory's own data, the manifest's library
versions, the parameters cell parsed once, the XLSX/CSV tables, SVG and 300-dpi charts, PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cityindicators.demo import DEMO_FIRST_YEAR, DEMO_LAST_YEAR
from cityindicators.reports import runner


@pytest.fixture(scope="module")
def short_dir(demo_dir, tmp_path_factory) -> Path:
    """The demo store in which one municipality (X13) has three years fewer than the others,
    as when the real extract (to 2018) and the demo data (to 2025) share a data directory."""
    d = tmp_path_factory.mktemp("short") / "data"
    shutil.copytree(demo_dir, d)
    for name in ("population", "population_total"):  # the single ages and the published all-ages figures
        table = d / "processed" / f"{name}.parquet"
        pop = pd.read_parquet(table)
        pop = pop[~((pop["territory_code"] == "X13") & (pop["year"] > DEMO_LAST_YEAR - 3))]
        pop.to_parquet(table, index=False)
    return d


def test_key_period_defaults_to_the_territorys_own_years(short_dir):
    from cityindicators.reports import sections

    ctx = sections.setup("X13", language="en", years=[], data_dir=short_dir, show=False)
    assert ctx.years == (DEMO_FIRST_YEAR, DEMO_LAST_YEAR - 3)
    other = sections.setup("X12", language="en", years=[], data_dir=short_dir, show=False)
    assert other.years == (DEMO_FIRST_YEAR, DEMO_LAST_YEAR)
    with pytest.raises(runner.ReportParameterError, match=f"cover {DEMO_FIRST_YEAR}-{DEMO_LAST_YEAR - 3}"):
        sections.setup("X13", language="en", years=[DEMO_FIRST_YEAR, DEMO_LAST_YEAR], data_dir=short_dir, show=False)


def test_scenarios_base_year_defaults_to_the_territorys_last_year(short_dir):
    from cityindicators.reports import sections

    ctx = sections.setup_scenarios("X13", scenarios=["baseline"], horizon=DEMO_LAST_YEAR + 5, language="en",
                                   data_dir=short_dir, trajectories=0, show=False)
    assert ctx.projection.base_year == DEMO_LAST_YEAR - 3
    assert ctx.years == (DEMO_FIRST_YEAR, DEMO_LAST_YEAR - 3)


def test_parameters_cell_parsed_once_per_file_version(tmp_path, monkeypatch):
    src = runner.template_path("situation_analysis")
    path = tmp_path / "situation_analysis.ipynb"
    shutil.copy(src, path)
    calls = []
    from cityindicators.reports import template

    real = template.read_parameters
    monkeypatch.setattr(template, "read_parameters", lambda nb: calls.append(nb) or real(nb))
    for lang in ("lt", "en", "lt"):
        assert runner.validate_parameters(path, {"language": lang})["language"] == lang
    assert len(calls) == 1
    path.write_text(path.read_text(encoding="utf-8").replace("peer group", "peer group "), encoding="utf-8")
    runner.validate_parameters(path, {})
    assert len(calls) == 2  # a changed file is read again


def test_library_versions_are_the_installed_ones():
    import matplotlib
    import numpy
    import papermill

    v = runner.library_versions()
    assert v["pandas"] == pd.__version__ and v["numpy"] == numpy.__version__
    assert v["matplotlib"] == matplotlib.__version__ and v["papermill"] == papermill.__version__


# -- charts and tables written for the workbook (no kernel) --------------------------------------


@pytest.fixture
def export_folder(tmp_path, monkeypatch):
    from cityindicators.reports import exports

    monkeypatch.setenv(exports.EXPORT_ENV, str(tmp_path))
    exports.reset()
    exports.set_context("en", "Eglynas", True)
    yield tmp_path
    exports.reset()


def test_chart_and_table_exports(export_folder):
    from openpyxl import load_workbook
    from PIL import Image

    from cityindicators import plotting
    from cityindicators.reports import exports, sections

    frame = pd.DataFrame({"year": [2001, 2002, 2003], "value": [1200.0, 1150.0, 1100.0]})
    fig = plotting.population_trend(frame, lang="en", name="Eglynas", synthetic=True)
    width_in = fig.get_figwidth()
    sections.show_figure(fig)
    exports.set_section("h_comparison")
    table = pd.DataFrame({"Indicator": ["=HYPERLINK(\"http://x\")", "Share 65+"], "Value": [1.5, -2.25]})
    sections.show_table(table.style.set_caption("Comparison <br><small>note</small>"))
    files = exports.write_tables(export_folder, "demo")
    assert files[0] == "demo.xlsx" and "tables/index.csv" in files
    assert not (export_folder / exports.DATA_FOLDER).exists()
    svg = (export_folder / "charts" / "01_population_trend.svg").read_text(encoding="utf-8")
    assert "<svg" in svg
    hires = Image.open(export_folder / "charts" / "01_population_trend_300dpi.png")
    assert hires.info["dpi"][0] == pytest.approx(300, abs=1)
    assert hires.width <= width_in * 300 + 10  # trimmed to the content, never wider than the figure
    wb = load_workbook(export_folder / "demo.xlsx")
    # named by their titles without the territory (written on the sheet), numbered in order
    assert wb.sheetnames == ["Sheets", "01 Population at 1 January", "02 Comparison note"]
    ws = wb["01 Population at 1 January"]
    assert ws["A1"].value == plotting.chart_title(fig) and "Eglynas" in ws["A1"].value
    assert [ws["A2"].value, ws["B2"].value] == ["Unit", "persons"]
    assert ws["A3"].value == "Source" and "synthetic" in ws["B3"].value.lower()
    # the source beside its label, not "Source | Source: ..." (nor in the sheet index)
    assert not ws["B3"].value.startswith("Source")
    assert not [c.value for c in wb["Sheets"]["E"] if str(c.value).startswith("Source:")]
    rows = list(ws.iter_rows(min_row=7, values_only=True))
    # the chart's data under headers in the report's language, as a table sheet has them
    assert rows[0] == ("Year", "Value") and rows[1:] == [(2001, 1200), (2002, 1150), (2003, 1100)]
    ws = wb["02 Comparison note"]
    assert ws["A1"].value == "Comparison note"
    body = list(ws.iter_rows(min_row=6, values_only=True))
    assert body[0] == ("Indicator", "Value")
    # neutralised: a text cell showing the text as typed (no apostrophe), never a formula
    assert body[1] == ("=HYPERLINK(\"http://x\")", 1.5)
    cell = ws["A7"]
    assert cell.data_type == "s" and cell.quotePrefix and ws["B7"].data_type == "n"
    assert body[2] == ("Share 65+", -2.25) and not ws["A8"].quotePrefix
    csv = pd.read_csv(export_folder / "tables" / "02_comparison.csv")
    assert csv["Value"].tolist() == [1.5, -2.25] and csv["Indicator"][0].startswith("'=")  # the CSV keeps OWASP's apostrophe
    index = pd.read_csv(export_folder / "tables" / "index.csv")
    assert index["Sheet"].tolist() == ["01 Population at 1 January", "02 Comparison note"]
    assert index["File"].tolist() == ["tables/01_population_trend.csv", "tables/02_comparison.csv"]


def test_sheet_names_fit_excel_rules():
    from cityindicators.reports.exports import SHEET_NAME_MAX, TableRecord, _sheet_names

    def rec(title, territory="Visagino sav."):
        return TableRecord("x", "table", title, "", "", pd.DataFrame(), territory=territory)

    names = _sheet_names([rec("Gyventojų skaičius, Visagino sav."), rec("a/b: [c]*? 'd'"),
                          rec("Gyventojų skaičius pagal scenarijus ir tikslas, Visagino sav."), rec("")])
    assert names[0] == "01 Gyventojų skaičius"
    assert names[1] == "02 a b c 'd"  # forbidden characters gone, no trailing apostrophe
    assert names[2] == "03 Gyventojų skaičius pagal…" and len(names[2]) <= SHEET_NAME_MAX
    assert names[3] == "04 x"  # no title: the id
    long = TableRecord("x", "chart", "Senėjimo rodikliai, Visagino sav. ir palyginamosios savivaldybės", "", "",
                       pd.DataFrame(), territory="Visagino sav.", heading="Senėjimo rodikliai")
    assert _sheet_names([long]) == ["01 Senėjimo rodikliai"]  # a title too long: the section's heading
    assert len({n.casefold() for n in names}) == len(names)


@pytest.mark.parametrize("titles, expected", [
    (["Gyventojų skaičius pagal scenarijus, Visagino sav.", "Amžiaus grupės",
      "Gyventojų skaičius pagal scenarijus ir tikslas, Visagino sav."],
     ["01 Gyventojų skaičius pagal…", "02 Amžiaus grupės", "03 Gyventojų … ir tikslas"]),
    (["Residents by age group and scenario, in thousands", "Residents by age group and scenario, with the target"],
     ["01 Residents by age group and…", "02 Residents … with the target"]),
])
def test_titles_cut_alike_keep_what_tells_them_apart(titles, expected):
    # two long titles that begin alike were both "Gyventojų skaičius pagal…", told apart by their number only
    from cityindicators.reports.exports import SHEET_NAME_MAX, TableRecord, _sheet_names

    names = _sheet_names([TableRecord("x", "chart", title, "", "", pd.DataFrame(), territory="Visagino sav.")
                          for title in titles])
    assert names == expected and all(len(n) <= SHEET_NAME_MAX for n in names)


@pytest.mark.parametrize("lang, heading, summary, names, expected", [
    ("lt", "Kriterijai", "Suvestinė", ["Pirmasis kriterijus su ilgu pavadinimu", "Antrasis kriterijus su ilgu pavadinimu"],
     ["02 K1 Pirmasis kriterijus su…", "03 K2 Antrasis kriterijus su…"]),
    ("en", "Criteria", "Summary", ["The first criterion, long title", "The second criterion, long title"],
     ["02 K1 The first criterion…", "03 K2 The second criterion…"]),
])
def test_sheets_under_one_heading_are_named_by_their_own_titles(tmp_path, lang, heading, summary, names, expected):
    # the monitoring report's criteria share a section heading: their long titles, cut, say which
    # criterion a sheet holds, where the heading would name them all alike ("02 Kriterijai", "03 Kriterijai")
    import pickle

    import openpyxl

    from cityindicators.reports import exports
    from cityindicators.reports.exports import SHEET_NAME_MAX, TableRecord

    records = [TableRecord("summary", "table", "A plan whose name is much too long for a sheet, 2021–2030", "", "",
                           pd.DataFrame({"a": [1]}), lang=lang, heading=summary)]
    records += [TableRecord(f"c{i}", "chart", f"K{i}: {name}", "", "", pd.DataFrame({"year": [2020], "value": [1.5]}),
                            lang=lang, heading=heading) for i, name in enumerate(names, 1)]
    (tmp_path / exports.DATA_FOLDER).mkdir()
    for i, r in enumerate(records, 1):
        (tmp_path / exports.DATA_FOLDER / f"{i:03d}.pkl").write_bytes(pickle.dumps(r))
    exports.write_tables(tmp_path, "monitoring")
    wb = openpyxl.load_workbook(tmp_path / "monitoring.xlsx", read_only=True)
    sheets = wb.sheetnames[1:]  # after the index
    wb.close()
    # the summary's heading is its alone: it names the sheet; the criteria's cut titles name theirs
    # (the colon, which Excel refuses, gone), cut at a word to 31 characters
    assert sheets == [f"01 {summary}", *expected]
    assert all(len(s) <= SHEET_NAME_MAX for s in sheets) and not any(heading in s for s in sheets)


def test_nothing_written_outside_the_runner(tmp_path, monkeypatch):
    """In JupyterLab (no export folder) a chart is only displayed."""
    from cityindicators import plotting
    from cityindicators.reports import exports, sections

    monkeypatch.delenv(exports.EXPORT_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    fig = plotting.population_trend(pd.DataFrame({"year": [2001, 2002], "value": [1.0, 2.0]}), lang="en")
    sections.show_figure(fig)
    assert list(tmp_path.iterdir()) == []


def test_observed_series_kept_beside_the_projection():
    from cityindicators import plotting

    proj = pd.DataFrame({"scenario": ["baseline"] * 2, "year": [2025, 2026], "value": [100.0, 99.0]})
    obs = pd.DataFrame({"year": [2024, 2025], "value": [101.0, 100.0]})
    fig = plotting.scenario_lines(proj, lang="en", observed=obs)
    data = plotting.chart_data(fig)
    assert data["series"].tolist() == ["observed", "observed", "projected", "projected"]
    assert data["value"].tolist() == [101.0, 100.0, 100.0, 99.0]
    assert plotting.chart_unit(fig, "lt") == "asmenys"


def test_chart_data_hold_the_total_change_line_and_name_the_peers():
    """The components chart's sheet holds the total-change line drawn (its complete years only, births minus
    deaths plus net migration), and the peers chart's sheet names each territory as the chart labels it."""
    from cityindicators import plotting

    comp = pd.DataFrame({"year": [2001, 2001, 2001, 2002, 2002], "component": ["births", "deaths", "net_migration",
                                                                               "births", "deaths"],
                         "value": [10.0, 4.0, -3.0, 9.0, 5.0]})
    data = plotting.chart_data(plotting.components_of_change(comp, lang="en"))
    total = data[data["component"] == "total_change"]
    assert total["year"].tolist() == [2001] and total["value"].tolist() == [3.0]  # 10 - 4 - 3; 2002 has no migration
    assert len(data) == 6
    frame = pd.DataFrame({"indicator": "median_age", "territory_code": ["30", "48", "00"], "year": 2018,
                          "value": [52.0, 44.0, 43.9]})
    fig = plotting.indicator_panels(frame, "30", "en", labels={"__highlight__": "Visaginas", "__country__": "Lithuania"},
                                    country="00", names={"48": "Kalvarija"})
    named = plotting.chart_data(fig)
    assert named.columns.tolist()[:3] == ["indicator", "territory_code", "territory"]
    assert named["territory"].tolist() == ["Visaginas", "Kalvarija", "Lithuania"]
    assert frame.columns.tolist() == ["indicator", "territory_code", "year", "value"]  # the caller's frame untouched
    # the line's label is the chart's short form ("Zarasų", a genitive alone); the sheet, read without the
    # chart beside it, names the municipality in full
    fig = plotting.indicator_panels(frame, "30", "lt", labels={"__highlight__": "Visagino sav.", "__country__": "Lietuva"},
                                    country="00", names={"48": "Zarasų"}, data_names={"48": "Zarasų r. sav."})
    assert "Zarasų" in [x.get_text() for x in fig.axes[0].texts]
    assert plotting.chart_data(fig)["territory"].tolist() == ["Visagino sav.", "Zarasų r. sav.", "Lietuva"]


def test_target_chart_data_hold_the_dashed_lines_and_the_target():
    """The workbook's sheet of a target chart holds every line drawn: the scenarios with the inflow that
    meets the target (dashed) and the target (the diamond), not only the scenarios as projected."""
    from cityindicators import plotting

    proj = pd.DataFrame({"scenario": ["baseline"] * 2, "year": [2025, 2026], "value": [100.0, 99.0]})
    obs = pd.DataFrame({"year": [2024, 2025], "value": [101.0, 100.0]})
    inflow = pd.DataFrame({"year": [2025, 2026], "value": [100.0, 101.5], "scenario": ["baseline"] * 2})
    fig = plotting.scenario_lines(proj, lang="en", observed=obs, target=(2026, 101.0, "Target"), with_inflow=inflow,
                                  label="target")
    data = plotting.chart_data(fig)
    assert data["series"].tolist() == ["observed"] * 2 + ["projected"] * 2 + ["with_target_inflow"] * 2 + ["target"]
    assert data["value"].tolist() == [101.0, 100.0, 100.0, 99.0, 100.0, 101.5, 101.0]
    assert data["scenario"].tolist()[4:6] == ["baseline", "baseline"] and data.loc[6, "year"] == 2026
    # without observed data the projected lines are marked too, beside the target
    alone = plotting.chart_data(plotting.scenario_lines(proj, lang="en", target=(2026, 101.0, "Target")))
    assert alone["series"].tolist() == ["projected", "projected", "target"]
    plain = plotting.chart_data(plotting.scenario_lines(proj, lang="en"))
    assert "series" not in plain.columns and len(plain) == 2


# -- a whole report on the demo data (runs a kernel) ---------------------------------------------


@pytest.fixture(scope="module")
def situation_report(demo_dir, tmp_path_factory) -> Path:
    res = runner.run_report("situation_analysis", "X13", language="en", data_dir=demo_dir,
                            output_dir=tmp_path_factory.mktemp("reports"))
    assert res.status == "ok", res.error
    return Path(res.output_dir)


@pytest.mark.slow
def test_report_files_formats_and_manifest(situation_report):
    import json

    folder = situation_report
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["versions"] == runner.library_versions()
    for f in manifest["files"]:
        assert (folder / f).exists(), f
    screens = sorted(p for p in (folder / "charts").glob("*.png") if not p.stem.endswith("_300dpi"))
    assert len(screens) >= 6
    for png in screens:
        assert (folder / "charts" / f"{png.stem}.svg").exists()
        assert (folder / "charts" / f"{png.stem}_300dpi.png").exists()
        assert f"charts/{png.stem}.svg" in manifest["files"]
    assert "situation_analysis.xlsx" in manifest["files"] and "tables/index.csv" in manifest["files"]
    # where the time went: the runner's steps, every section's cell, the charts' part of the cells
    timings = manifest["timings"]
    assert {"kernel_s", "execute_s", "html_s", "tables_s", "pdf_s"} <= set(timings["steps"])
    assert list(timings["cells"])[:3] == ["setup", "key_findings", "population_trend"]
    assert 0 < timings["charts_in_cells_s"] <= sum(timings["cells"].values())


@pytest.mark.slow
def test_workbook_holds_the_librarys_figures(situation_report, demo_dir):
    from openpyxl import load_workbook

    from cityindicators.i18n import t
    from cityindicators.indicators import comparison_table, compute_indicators

    wb = load_workbook(situation_report / "situation_analysis.xlsx", read_only=True)
    names = wb.sheetnames
    assert names[0] == "Sheets"
    index = pd.read_csv(situation_report / "tables" / "index.csv")
    assert index["Sheet"].tolist() == names[1:]
    sheet_of = {Path(f).stem.split("_", 1)[1]: n for f, n in zip(index["File"], index["Sheet"])}
    assert {"population_trend", "pyramid", "components_of_change", "comparison", "sources"} <= set(sheet_of)
    assert sheet_of["population_trend"].startswith("01 ") and "_" not in sheet_of["population_trend"]
    for n in names[1:]:
        ws = wb[n]
        assert len(n) <= 31 and ws["A2"].value == "Unit" and ws["A3"].value == "Source" and ws["B3"].value, n
    pop = compute_indicators(["population"], territories="X13", data_dir=demo_dir).set_index("year")["value"]
    rows = list(wb[sheet_of["population_trend"]].iter_rows(min_row=7, values_only=True))
    assert rows[0] == ("Year", "Value")
    got = {int(y): v for y, v in rows[1:]}
    assert got == pytest.approx({int(y): float(v) for y, v in pop.dropna().items()})
    cmp_sheet = sheet_of["comparison"]
    rows = list(wb[cmp_sheet].iter_rows(min_row=6, values_only=True))
    header, body = rows[0], rows[1:]
    value_col = header.index(t("col_value", "en"))
    table = comparison_table("X13", DEMO_LAST_YEAR, peers="county", indicators=["population"], data_dir=demo_dir)
    assert body[0][value_col] == pytest.approx(float(table["value"].iloc[0]))
    year_col = header.index(t("col_year", "en"))  # a year is a number in the workbook, as every value
    assert body[0][year_col] == DEMO_LAST_YEAR and isinstance(body[0][year_col], int)  # population: the last year
    csv = pd.read_csv(situation_report / "tables" / index.set_index("Sheet").loc[cmp_sheet, "File"].split("/")[1])
    assert csv[t("col_value", "en")].iloc[0] == pytest.approx(body[0][value_col])


@pytest.mark.slow
def test_without_chromium_the_html_is_written_and_the_reason_given(demo_dir, tmp_path, monkeypatch, caplog):
    import json
    import logging
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_reports_runner import make_notebook

    from cityindicators.reports import pdf

    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    from cityindicators.reports import html_export

    monkeypatch.setattr(html_export, "_PDF_WARNED", set())
    nb = make_notebook(tmp_path / "tiny.ipynb")
    with caplog.at_level(logging.WARNING, logger="cityindicators.reports.html_export"):
        res = runner.run_report(nb, "X13", language="en", output_dir=tmp_path / "out", data_dir=demo_dir)
    assert res.status == "ok", res.error
    folder = Path(res.output_dir)
    assert (folder / "tiny.html").exists() and not (folder / "tiny.pdf").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["pdf"].startswith("no PDF: Chromium not found") and str(tmp_path / "no-chromium") in manifest["pdf"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0] and "HTML report is written" in warnings[0]


def _probe_notebook(path: Path, code: str) -> Path:
    """A two-cell template: the parameters (territory, data_dir), then ``code``."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_code_cell('territory: str = "X13"  # municipality\ndata_dir: str = ""  # data', metadata={"tags": ["parameters"]}),
        new_code_cell(code),
    ]
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_warm_kernel_reused_with_a_clean_namespace(demo_dir, tmp_path, monkeypatch):
    from cityindicators.reports import kernels

    # a name left by the previous report, or a setting the runner no longer has, fails the report
    path = _probe_notebook(tmp_path / "probe.ipynb",
                           "import os\nassert 'leftover' not in dir(), 'namespace not cleared'\nleftover = territory\n"
                           "assert os.environ.get('CITYINDICATORS_PROBE') == territory, os.environ.get('CITYINDICATORS_PROBE')\n"
                           "assert os.getcwd() == os.environ['CITYINDICATORS_REPORT_EXPORT']")
    seen = []
    for code in ("X12", "X13"):
        monkeypatch.setenv("CITYINDICATORS_PROBE", code)
        res = runner.run_report(path, code, output_dir=tmp_path / "out", data_dir=demo_dir)
        assert res.status == "ok", res.error
        seen.append(kernels.warm_kernel())
    assert seen[0] is seen[1] and seen[1].reports >= 2  # one kernel for both reports


@pytest.mark.slow
def test_the_command_runs_its_report_on_the_kernel_it_started_ahead(demo_dir, tmp_path, monkeypatch):
    from cityindicators.cli import main
    from cityindicators.reports import kernels

    # `report` starts its kernel before it imports the runner: that kernel, which imported the
    # report modules as it started, runs the report (no second kernel), with a clean namespace
    kernels.close_kernels()
    started: list[tuple[kernels.ReportKernel, str]] = []
    real_init = kernels.ReportKernel.__init__

    def init(self, kernel_name=None, wait=True, imports=""):
        real_init(self, kernel_name, wait, imports)
        started.append((self, imports))

    monkeypatch.setattr(kernels.ReportKernel, "__init__", init)
    path = _probe_notebook(tmp_path / "probe.ipynb",
                           "import sys\nassert 'cityindicators.reports.sections' in sys.modules\n"
                           "assert 'cityindicators' not in dir(), 'the import left its name'")
    code = main(["--data-dir", str(demo_dir), "report", "--territory", "X12", "--template", str(path),
                 "--output-dir", str(tmp_path / "out"), "--no-progress"])
    try:
        assert code == 0
        assert [imports for _, imports in started] == [kernels.AHEAD_IMPORTS]
        assert kernels.warm_kernel() is started[0][0] and started[0][0].reports == 1
    finally:
        kernels.close_kernels()


@pytest.mark.slow
def test_warm_kernel_is_cleaned_up_as_soon_as_a_report_has_run(demo_dir, tmp_path):
    from cityindicators.reports import kernels

    # the clean-up is sent once the cells have run (the kernel does it while the runner exports):
    # a request sent after the report runs after it and sees the namespace cleared already
    path = _probe_notebook(tmp_path / "probe.ipynb", "leftover = territory")
    assert runner.run_report(path, "X12", output_dir=tmp_path / "out", data_dir=demo_dir).status == "ok"
    k = kernels.warm_kernel()
    reply = kernels._run(k.kc.execute_interactive, "", store_history=False, output_hook=lambda msg: None,
                         user_expressions={"seen": "'leftover' in dir()"})
    assert reply["content"]["user_expressions"]["seen"]["data"]["text/plain"] == "False"
    # the next preparation finds the clean-up done and the kernel is the same
    assert runner.run_report(path, "X13", output_dir=tmp_path / "out", data_dir=demo_dir).status == "ok"
    assert kernels.warm_kernel() is k


@pytest.mark.slow
def test_warm_kernel_frees_each_reports_garbage_and_freezes_the_rest(demo_dir, tmp_path, monkeypatch):
    from cityindicators.reports import kernels

    # the kernel's preparation collects what the previous report left (a cycle in its namespace)
    # and freezes what is still alive; every FULL_COLLECTION_EVERY reports the frozen objects are
    # collected too, so that a cycle a cache has dropped since (here a module attribute) is freed
    monkeypatch.setattr(kernels, "FULL_COLLECTION_EVERY", 2)
    kernels.close_kernels()  # a new kernel: its preparations are counted from the first
    path = _probe_notebook(tmp_path / "probe.ipynb", """
import gc, sys, weakref
n = getattr(sys, '_probe_n', 0)
sys._probe_n = n + 1
class Cycle: pass
if n == 0:
    a = Cycle(); a.me = a; sys._probe_garbage = weakref.ref(a)
    b = Cycle(); b.me = b; sys._probe_kept = b; sys._probe_dropped = weakref.ref(b)
elif n == 1:
    assert sys._probe_garbage() is None, 'the previous report garbage was not collected'
    assert gc.get_freeze_count() > 10000, gc.get_freeze_count()
    del sys._probe_kept  # a frozen cycle, garbage from now on
else:
    assert sys._probe_dropped() is None, 'frozen garbage never collected'
""")
    for code in ("X12", "X13", "X12"):
        res = runner.run_report(path, code, output_dir=tmp_path / "out", data_dir=demo_dir, force=True)
        assert res.status == "ok", res.error
    kernels.close_kernels()


@pytest.mark.slow
def test_timed_out_report_keeps_the_notebook_as_far_as_it_ran(demo_dir, tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell

    # papermill writes the notebook once, at the end; a cell past its timeout ends the run before
    # that, and the runner writes what ran into the failed report's folder
    path = _probe_notebook(tmp_path / "probe.ipynb", "print('first cell ran')")
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_code_cell("import time\ntime.sleep(60)"))
    nbformat.write(nb, path)
    res = runner.run_report(path, "X12", output_dir=tmp_path / "out", data_dir=demo_dir, cell_timeout=3)
    assert res.status == "failed" and "Timeout" in res.error, res.error
    kept = nbformat.read(res.failed_notebook, as_version=4)
    first = [c for c in kept.cells if c.cell_type == "code" and "first cell ran" in c.source][0]
    assert first.outputs[0]["text"] == "first cell ran\n"
    assert not list((tmp_path / "out" / "probe").glob(".staging-*"))


@pytest.mark.slow
def test_relative_output_dir_with_a_warm_kernel(demo_dir, tmp_path, monkeypatch):
    # `make report` passes --output-dir reports: the warm kernel's working directory is then the
    # previous report's folder, so a relative path handed to it would land inside that folder
    _probe_notebook(tmp_path / "probe.ipynb", "open('probe.txt', 'w').write(territory)")
    monkeypatch.chdir(tmp_path)
    folders = []
    for code in ("X12", "X13"):
        res = runner.run_report(tmp_path / "probe.ipynb", code, output_dir="out", data_dir=demo_dir)
        assert res.status == "ok", res.error
        folders.append(Path(res.output_dir))
    for code, folder in zip(("X12", "X13"), folders):
        assert folder.is_absolute() and folder.parent == tmp_path / "out" / "probe"
        assert (folder / "probe.txt").read_text() == code
        assert not (folder / "out").exists()


def test_sheet_title_drops_the_note_on_rank_colours(tmp_path):
    """A comparison table's caption says what its colours mean; its sheet has no colours, so its
    title leaves the note out (other notes, such as the synthetic-data one, stay)."""
    from cityindicators.i18n import rank_colour_note, t
    from cityindicators.reports import exports

    for lang in ("lt", "en"):
        caption = f"X ir palyginamosios teritorijos<br><small>{t('synthetic_note', lang)}. {rank_colour_note(60, lang)}</small>"
        title = exports._without_colour_note(exports._plain(caption))
        assert title == f"X ir palyginamosios teritorijos {t('synthetic_note', lang)}."
        assert exports._without_colour_note("Plain title") == "Plain title"


def test_workbook_body_written_by_column_is_what_row_by_row_writing_gives(tmp_path):
    """The sheets' rows are written column by column (numpy numbers and booleans straight, text
    at once, the rest cell by cell): every cell's value, type and quotePrefix style as writing
    each row through _write_row gave, for every kind of column a table can hold."""
    import xlsxwriter
    from openpyxl import load_workbook

    from cityindicators.reports import exports

    frame = exports._plain_frame(pd.DataFrame({
        "float": [1.5, np.nan, -2.25, np.inf, 0.0],
        "int": np.array([1, -2, 3, 0, 10**12], dtype="int64"),
        "bool": [True, False, True, True, False],
        "text": ["a", "", "=1+1", "-3.5", "@x"],
        "object": [1, "b", None, 2.5, np.float64(3.0)],
        "nullable": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        "category": pd.Categorical(["x", "y", "x", None, "y"]),
        "missing": [None, np.nan, pd.NA, "", "z"],
    }))

    def workbook(path, by_column):
        wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                             "strings_to_numbers": False, "nan_inf_to_errors": True})
        styles = exports._Styles(wb)
        ws = wb.add_worksheet("t")
        if by_column:
            exports._write_body(ws, 1, frame, styles)
        else:
            for row, values in enumerate(frame.itertuples(index=False), 1):
                exports._write_row(ws, row, [exports._cell(v) for v in values], styles)
        wb.close()
        ws = load_workbook(path)["t"]
        return [[(c.value, c.data_type, bool(c.quotePrefix)) for c in row] for row in ws.iter_rows(min_row=1, max_row=6, max_col=8)]

    by_row, by_column = workbook(tmp_path / "rows.xlsx", False), workbook(tmp_path / "columns.xlsx", True)
    assert by_column == by_row
    assert by_column[3][3] == ("=1+1", "s", True) and by_column[4][3] == ("-3.5", "s", False)
    assert by_column[2][0] == (None, "n", False) and by_column[1][2] == (True, "b", False)


def test_a_report_kernel_starts_without_the_debugger():
    from cityindicators.reports import kernels

    # ipykernel_launcher's lines with debugpy unimportable: no debugger, whose import was half of
    # a bare kernel's start; the kernel runs code as before
    km = kernels.LocalKernelManager(kernel_name="python3")
    cmd = km.format_kernel_cmd()
    assert "ipykernel_launcher" not in cmd and cmd[cmd.index("-c") + 1] == kernels.LAUNCH_WITHOUT_DEBUGGER
    k = kernels.ReportKernel()
    try:
        code = ("import sys\n"
                "r = (sys.modules.get('debugpy', 'absent'), sys.modules['ipykernel.debugger']._is_debugpy_available, 6 * 7)")
        reply = kernels._run(k.kc.execute_interactive, code, store_history=False, output_hook=lambda msg: None,
                             user_expressions={"r": "r"})
        assert reply["content"]["status"] == "ok"
        assert reply["content"]["user_expressions"]["r"]["data"]["text/plain"] == "(None, False, 42)"
    finally:
        k.shutdown()


def test_importing_the_kernels_leaves_the_environment_and_the_spec_lookup_has_debugpy_quiet(monkeypatch):
    # importing kernels set PYDEVD_DISABLE_FILE_VALIDATION in the user's process for good; it is
    # needed only while the kernel spec is looked up (ipykernel 6.x imports debugpy there, which
    # wrote its "frozen modules" warning before the command's error line)
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYDEVD_DISABLE_FILE_VALIDATION"}
    probe = "import os, cityindicators.reports.kernels; print(os.environ.get('PYDEVD_DISABLE_FILE_VALIDATION'))"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "None"

    from cityindicators.reports import kernels

    for given, during in ((None, "1"), ("0", "0")):  # a value the user set is theirs: kept, not replaced
        if given is None:
            monkeypatch.delenv("PYDEVD_DISABLE_FILE_VALIDATION", raising=False)
        else:
            monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", given)
        km = kernels.LocalKernelManager(kernel_name="python3")
        seen = []
        real = km.kernel_spec_manager.get_kernel_spec
        monkeypatch.setattr(km.kernel_spec_manager, "get_kernel_spec",
                            lambda name: seen.append(os.environ.get("PYDEVD_DISABLE_FILE_VALIDATION")) or real(name))
        try:
            assert km.kernel_spec is not None
        finally:
            shutil.rmtree(km._ipc_dir, ignore_errors=True)
        assert seen == [during] and os.environ.get("PYDEVD_DISABLE_FILE_VALIDATION") == given


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["lt", "en"])
def test_chart_data_sheets_have_headers_in_the_reports_language(demo_dir, tmp_path, lang):
    """Every chart-data sheet of both templates (XLSX and its CSV) is headed in words of the report's
    language: no canonical column name (``value``, ``territory_code``, ``age_group`` ...) is left,
    and no cell holds a code where the chart shows a name (an indicator id, a sex, a series kind, a
    scenario's name, an age group's or a unit's code): a planner pastes the names of the legend."""
    from openpyxl import load_workbook

    from cityindicators.i18n import t
    from cityindicators.indicators.catalogue import CATALOGUE, UNIT_LABELS
    from cityindicators.reports.exports import CHART_DATA_HEADERS

    machine = set(CHART_DATA_HEADERS) | {"age_group", "open_age", "scenario_label", "quantile_label"}
    scenario_names = {p.stem for p in (Path(runner.__file__).parents[1] / "resources" / "scenarios").glob("*.yaml")}
    assert {"baseline", "trend", "zero-migration"} <= scenario_names
    codes = (set(CATALOGUE) | {"male", "female", "total"} | {"observed", "projected", "target", "with_target_inflow"}
             | {"births", "deaths", "net_migration", "total_change"} | scenario_names
             | {"0-14", "15-64", "65+", "0-6", "7-17", "18-29", "30-64", "65-79", "80+"}
             | {u for u, pair in UNIT_LABELS.items() if pair[0 if lang == "lt" else 1] != u})
    assert "share_65_plus" in codes and "per 100 aged 0-14" in codes and ("persons" in codes) == (lang == "lt")
    seen_names = set()
    kinds = {"lt": "diagramos duomenys", "en": "chart data"}
    for template in ("situation_analysis", "scenarios"):
        res = runner.run_report(template, "X13", {"trajectories": 50} if template == "scenarios" else {},
                                language=lang, data_dir=demo_dir, output_dir=tmp_path / lang, print_charts=False)
        assert res.status == "ok", res.error
        folder = Path(res.output_dir)
        index = pd.read_csv(folder / "tables" / "index.csv")
        charts = index[index.iloc[:, 2] == kinds[lang]]
        assert len(charts) >= 5
        wb = load_workbook(folder / f"{template}.xlsx", read_only=True)
        for sheet, csv_file in zip(charts.iloc[:, 0], charts.iloc[:, 5]):
            rows = list(wb[sheet].iter_rows(values_only=True))
            start = next(i for i, r in enumerate(rows) if i >= 5 and r and r[0] is not None)  # after the heading block
            header = [h for h in rows[start] if h is not None]
            assert not machine & set(header), (sheet, header)
            assert t("col_value", lang) in header or t("col_year", lang) in header, (sheet, header)
            assert list(pd.read_csv(folder / csv_file, nrows=0).columns) == header, sheet
            cells = {v for r in rows[start + 1:] for v in r if isinstance(v, str)}
            assert not codes & cells, (sheet, sorted(codes & cells))
            text = pd.read_csv(folder / csv_file).select_dtypes(exclude="number")
            assert not codes & set(text.stack().astype(str)), (sheet, csv_file)
            seen_names |= cells
        wb.close()
    # the names the charts show: the scenarios' labels, the sexes', the catalogue's, the series'
    expected = {"lt": {"Bazinis (dabartiniai rodikliai ir slopstančios jų tendencijos)", "Moterys", "Vyrai",
                       "65 m. ir vyresnių gyventojų dalis", "Faktiniai duomenys", "Projekcija", "Tikslas",
                       "Gimusieji", "0–14 m.", "asm. šimtui 0–14 m. gyv.", "X13"},
                "en": {"Baseline (recent rates and their damped trends)", "Females", "Males",
                       "Share of population aged 65 and over", "Observed", "Projection", "Target",
                       "Live births", "0–14", "persons per 100 aged 0–14", "X13"}}[lang]
    assert expected <= seen_names, sorted(expected - seen_names)
    year = t("col_year", lang)
    assert year == {"lt": "Metai", "en": "Year"}[lang]


@pytest.mark.parametrize("lang", ["lt", "en"])
def test_chart_data_values_name_the_codes_as_the_charts_do(lang):
    """The codes of a chart's frame become the names its legend and panels show (sexes, series,
    age groups, indicators and components by the catalogue, units, the scenarios' labels the chart
    was given); numbers, territory codes and values without a name stay as they are."""
    from cityindicators import plotting
    from cityindicators.reports.exports import chart_data_values

    frame = pd.DataFrame({
        "year": [2020, 2021, 2022, 2023],
        "value": [1.5, 2.0, 3.25, 4.0],
        "sex": ["male", "female", "total", "male"],
        "series": ["observed", "projected", "with_target_inflow", "target"],
        "scenario": [None, "baseline", "own-plan", "baseline"],
        "indicator": ["share_65_plus", "old_age_dependency_ratio", "not_in_catalogue", "median_age"],
        "unit": ["%", "per 100 aged 15-64", "furlongs", "years"],
        "territory_code": ["X13", "X00", "X13", "X12"],
        "group": ["0-14", "65+", "80+", "0-6"],
        "component": ["births", "deaths", "net_migration", "total_change"],
        "quantile": [0.1, 0.5, 0.9, np.nan],
    })
    labels = {"scenario": {"baseline": "Mano bazinis" if lang == "lt" else "My baseline", "own-plan": "Plan"}}
    out = chart_data_values(frame, lang, labels)
    want = {
        "lt": {"sex": ["Vyrai", "Moterys", "Iš viso", "Vyrai"],
               "series": ["Faktiniai duomenys", "Projekcija", "Su tikslui reikalinga migracija", "Tikslas"],
               "indicator": ["65 m. ir vyresnių gyventojų dalis", "Senatvės demografinės priklausomybės koeficientas",
                             "not_in_catalogue", "Amžiaus mediana"],
               "unit": ["%", "asm. šimtui 15–64 m. gyv.", "furlongs", "metai"],
               "group": ["0–14 m.", "65 m. ir vyresni", "80 m. ir vyresni (globa)", "0–6 m. (ikimokyklinis amžius)"],
               "component": ["Gimusieji", "Mirusieji", "Neto migracija (su statistiniu patikslinimu)", "Bendra kaita"]},
        "en": {"sex": ["Males", "Females", "Total", "Males"],
               "series": ["Observed", "Projection", "With the inflow the target needs", "Target"],
               "indicator": ["Share of population aged 65 and over", "Old-age dependency ratio", "not_in_catalogue",
                             "Median age"],
               "unit": ["%", "persons per 100 aged 15–64", "furlongs", "years"],
               "group": ["0–14", "65 and over", "80 and over (care)", "0–6 (pre-school)"],
               "component": ["Live births", "Deaths", "Net migration including statistical adjustment",
                             "Total change"]},
    }[lang]
    for col, names in want.items():
        assert out[col].tolist() == names, col
    baseline = labels["scenario"]["baseline"]
    assert pd.isna(out["scenario"].iloc[0]) and out["scenario"].tolist()[1:] == [baseline, "Plan", baseline]
    assert out["territory_code"].tolist() == frame["territory_code"].tolist()  # a code a reader needs
    pd.testing.assert_frame_equal(out[["year", "value", "quantile"]], frame[["year", "value", "quantile"]])
    assert list(out.columns) == list(frame.columns) and frame["sex"].iloc[0] == "male"  # the input is left alone
    # a frame without scenarios' labels keeps their names; a numeric group column is data, not a code
    plain = chart_data_values(pd.DataFrame({"scenario": ["baseline"], "group": [3]}), lang)
    assert plain.to_dict("list") == {"scenario": ["baseline"], "group": [3]}

    # the chart keeps the names it was given for the codes of its frame
    fig = plotting.scenario_lines(pd.DataFrame({"scenario": ["baseline"] * 2, "year": [2025, 2026],
                                                "value": [100.0, 101.0]}), lang=lang,
                                  scenario_labels={"baseline": "Bazinis"})
    try:
        assert plotting.chart_value_labels(fig) == {"scenario": {"baseline": "Bazinis"}}
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_peer_sheets_of_the_situation_report_name_the_municipalities_in_full(demo_dir):
    """The ageing chart labels its grey lines "Beržyno"; its workbook sheet says "Beržyno r. sav."."""
    from cityindicators import plotting
    from cityindicators.reports import sections

    ctx = sections.setup("X13", language="lt", data_dir=demo_dir, show=False)
    fig = sections.ageing(ctx)
    data = plotting.chart_data(fig).drop_duplicates("territory_code").set_index("territory_code")["territory"]
    assert all(data[c] == ctx.register.get(c).name("lt") for c in ctx.peer_codes)
    assert any(data[c].endswith(" r. sav.") for c in ctx.peer_codes)
    labels = {x.get_text() for ax in fig.axes for x in ax.texts}
    assert {sections.situation.short_names({c: data[c]})[c] for c in ctx.peer_codes} <= labels
