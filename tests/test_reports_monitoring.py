"""The monitoring report template: parameter checks, both languages, the plan's hash in the
manifest and the fingerprint, skip-unchanged, the CLI and a browser check."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from cityindicators.exceptions import ReportParameterError
from cityindicators.html_safe import markdown_literal
from cityindicators.reports import runner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plans" / "eglynas.yaml"
CHROMIUM = os.environ.get("CITYINDICATORS_CHROMIUM", "/usr/bin/chromium")


def test_monitoring_parameters_validate_and_name_the_plan(demo_dir, tmp_path):
    specs = runner.read_parameters(ROOT / "notebooks" / "monitoring.ipynb")
    assert {"territory", "plan", "projection_scenarios", "trajectories", "language", "data_dir"} <= set(specs)
    values = runner.validate_parameters("monitoring", {"territory": "Eglyno sav.", "plan": str(EXAMPLE),
                                                       "data_dir": str(demo_dir)})
    assert values["plan"] == str(EXAMPLE.resolve())
    # empty plan = the shipped demonstration plan, found inside the package
    values = runner.validate_parameters("monitoring", {"territory": "X13", "data_dir": str(demo_dir)})
    assert Path(values["plan"]).name == "eglynas.yaml" and Path(values["plan"]).is_file()
    with pytest.raises(ReportParameterError, match=r"plan for Eglyno sav\. \(X13\), not for territory X11"):
        runner.validate_parameters("monitoring", {"territory": "X11", "plan": str(EXAMPLE), "data_dir": str(demo_dir)})
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("target_year: 2030", "target_year: 2010", 1),
                   encoding="utf-8")
    with pytest.raises(ReportParameterError, match=r"parameter 'plan': .*bad\.yaml: line \d+, key 'criteria\[1\]\.target_year'"):
        runner.validate_parameters("monitoring", {"territory": "X13", "plan": str(bad), "data_dir": str(demo_dir)})
    with pytest.raises(ReportParameterError, match="unknown scenario"):
        runner.validate_parameters("monitoring", {"territory": "X13", "projection_scenarios": ["utopia"],
                                                  "data_dir": str(demo_dir)})


def test_sentences_quote_the_library_values(demo_dir_backtested):
    demo_dir = demo_dir_backtested
    from cityindicators.i18n import fmt_number
    from cityindicators.reports import monitoring as m

    ctx = m.setup_monitoring("X13", plan=str(EXAMPLE), trajectories=100, seed=3, language="lt", data_dir=str(demo_dir),
                             show=False)
    s = ctx.summary.set_index("criterion")
    e1 = " ".join(m.criterion_sentences(ctx, "E1"))
    assert fmt_number(s.loc["E1", "actual"], "lt", 0) in e1 and "Pasiekta".lower() in e1
    from cityindicators.grammar import count_phrase

    n = round(s.loc["E1", "inflow"])
    assert f"pritraukti {count_phrase(fmt_number(n, 'lt', 0), n, 'resident', 'lt', case='acc')}" in e1
    assert "jaunos šeimos" in e1
    # the probability and its 80 % interval come from the band calibrated to the method's past errors, and say so
    assert s.loc["E1", "band"] == "calibrated"
    assert "pagal tikimybinę projekciją, kalibruotą pagal praeities paklaidas" in e1 and "8 kartus iš 10" in e1
    assert "kalibruota pagal praeities projekcijų paklaidas" in m.method(ctx)
    e6 = " ".join(m.criterion_sentences(ctx, "E6"))
    assert "Tendencija (ne prognozė" in e6 and fmt_number(s.loc["E6", "outlook_value"], "lt", 0) in e6
    ctx_en = m.setup_monitoring("X13", plan=str(EXAMPLE), trajectories=0, language="en", data_dir=str(demo_dir),
                                show=False)
    n = ctx_en.summary["status"].value_counts()
    last = ctx_en.plan.last_data_year
    assert m.status_counts(ctx_en) == (f"Criteria by status, data to {last}: reached – {n['reached']}, on track – "
                                       f"{n['on_track']}, behind – {n['behind']}, off track – {n['off_track']}.")
    assert m.status_counts(ctx).startswith(f"Kriterijų būklė {last} m. duomenimis: pasiekta – {n['reached']}, "
                                           f"pagal planą – {n['on_track']}")
    e2 = " ".join(m.criterion_sentences(ctx_en, "E2"))
    assert "status: off track" in e2 and "The target is at least 65.0% in 2030" in e2
    # English writes a percentage closed up, as the other reports do, and quotes a scenario as they do
    english = " ".join(" ".join(m.criterion_sentences(ctx_en, c.id)) for c in ctx_en.plan.criteria)
    assert re.search(r"\d %", english + m.method(ctx_en)) is None and "80% interval" in english
    assert "Under the 'Baseline" in english and "“" not in english
    assert re.search(r"\d %", e1) and "80 % intervalas" in e1  # Lithuanian keeps the space
    table = m.summary_frame(ctx_en)
    assert all(re.search(r"\d %", str(v)) is None for v in table.to_numpy().ravel())


def test_summary_escapes_user_text_and_shows_words_with_colours(demo_dir, tmp_path):
    from cityindicators.reports import monitoring as m

    plan = tmp_path / "plan.yaml"
    plan.write_text(EXAMPLE.read_text(encoding="utf-8").replace("name_en: Residents",
                                                                "name_en: \"<script>alert(1)</script>\""),
                    encoding="utf-8")
    ctx = m.setup_monitoring("X13", plan=str(plan), trajectories=0, language="en", data_dir=str(demo_dir), show=False)
    page = m.summary_styler(ctx, m.summary_frame(ctx)).to_html()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "background-color: #D55E00" in page and "Off track" in page  # colour beside the word



@pytest.mark.parametrize("lang", ["lt", "en"])
def test_summary_aligns_its_words_left_and_its_figures_right(demo_dir, lang):
    from cityindicators.plans.texts import column_labels
    from cityindicators.reports import monitoring as m

    ctx = m.setup_monitoring("X13", plan=str(EXAMPLE), trajectories=0, language=lang, data_dir=str(demo_dir), show=False)
    frame = m.summary_frame(ctx)
    page = m.summary_styler(ctx, frame).to_html()
    # the page's rules: "#T_x_row0_col1, #T_x_row1_col1 { text-align: left; }"
    left = {int(col) for selectors, props in re.findall(r"([^{}]+)\{([^}]*)\}", page) if "text-align: left" in props
            for col in re.findall(r"_row\d+_col(\d+)", selectors)}
    shown = list(column_labels(frame.columns, lang).values())
    assert {shown[j] for j in left} == set(column_labels(["name", "target_value"], lang).values())


@pytest.mark.parametrize("lang", ["lt", "en"])
def test_the_sources_note_is_in_the_report_language(demo_dir, tmp_path, lang):
    from cityindicators.reports import monitoring as m

    ctx = m.setup_monitoring("X13", plan=str(EXAMPLE), trajectories=0, language=lang, data_dir=str(demo_dir),
                             show=False)
    body = m.sources(ctx)
    own, other = ("Demonstracinis planas", "Demonstration plan") if lang == "lt" else \
        ("Demonstration plan", "Demonstracinis planas")
    assert own in body and other not in body
    # the note is a sentence of its own after the plan's name (which ends in parentheses here)
    lead = {"lt": "Plano šaltinis: ", "en": "Source of the plan: "}[lang]
    assert body.startswith(("Planas: " if lang == "lt" else "Plan: ") + ctx.plan.name(lang) + ".")
    assert f"). {lead}{own}" in body and ") (" not in body and ".." not in body
    # the file by its name; its checksum only in the manifest (not a 16-digit hex run in the text)
    assert f"{markdown_literal(EXAMPLE.name)} (" in body and "SHA-256" not in body
    from cityindicators._io import sha256_file

    assert sha256_file(EXAMPLE)[:16] not in body
    # a plan that gives one `source` only shows it in both languages
    plan = tmp_path / "plan.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    plan.write_text("\n".join(ln for ln in text.splitlines() if not ln.startswith("source_"))
                    + "\nsource: Tarybos sprendimas Nr. 1\n", encoding="utf-8")
    ctx = m.setup_monitoring("X13", plan=str(plan), trajectories=0, language=lang, data_dir=str(demo_dir), show=False)
    assert "Tarybos sprendimas Nr. 1" in m.sources(ctx)


@pytest.mark.parametrize("lang", ["lt", "en"])
def test_a_backtick_in_the_plan_file_name_is_shown_as_written(demo_dir, tmp_path, lang):
    # the Sources section named the file in a code span, which a backtick in the name broke
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from cityindicators.html_safe import escape_html
    from cityindicators.reports import monitoring as m

    plan = tmp_path / "plan `2030` & *final*.yaml"
    shutil.copy(EXAMPLE, plan)
    ctx = m.setup_monitoring("X13", plan=str(plan), trajectories=0, language=lang, data_dir=str(demo_dir), show=False)
    html = markdown2html_mistune(escape_html(m.sources(ctx), quote=False))  # as show_markdown displays it
    lead = {"lt": "Plano failas: ", "en": "Plan file: "}[lang]
    assert f"{lead}plan `2030` &amp; *final*.yaml (" in html
    assert "<code>" not in html and "<em>" not in html


def test_the_shipped_plans_give_their_source_in_both_languages():
    import yaml

    for path in (EXAMPLE, EXAMPLE.with_name("visaginas.yaml")):
        plan = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert plan["source_lt"] and plan["source_en"] and "source" not in plan, path.name


@pytest.fixture(scope="module")
def reports(demo_dir_backtested, tmp_path_factory):
    demo_dir = demo_dir_backtested
    out = tmp_path_factory.mktemp("reports")
    plan = tmp_path_factory.mktemp("plans") / "plan.yaml"
    shutil.copy(EXAMPLE, plan)
    res = {lang: runner.run_report("monitoring", "X13", {"plan": str(plan), "trajectories": 100},
                                   language=lang, output_dir=out / lang, data_dir=demo_dir) for lang in ("lt", "en")}
    return res, plan, out


@pytest.mark.slow
def test_report_in_both_languages_with_plan_hash(reports, demo_dir):
    from cityindicators._io import sha256_file

    res, plan, out = reports
    for lang, words in (("lt", ("Suvestinė", "Pagal planą", "Nukrypta nuo plano", "Atsiliekama", "Pasiekta")),
                        ("en", ("Summary", "On track", "Off track", "Behind", "Reached"))):
        r = res[lang]
        assert r.status == "ok", r.error
        folder = Path(r.output_dir)
        html = (folder / "monitoring.html").read_text(encoding="utf-8")
        for w in words:
            assert w in html, (lang, w)
        assert "background-color: #D55E00" in html  # colour and word, side by side
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["input_files"]["plan"]["sha256"] == sha256_file(plan)
        assert len(list((folder / "charts").glob("*.svg"))) == 6  # one chart per criterion
        assert (folder / "monitoring.xlsx").exists()  # the summary and the data of every chart
        import openpyxl

        wb = openpyxl.load_workbook(folder / "monitoring.xlsx", read_only=True)
        names = wb.sheetnames[1:]  # after the index: named in the report's language, not by section keys
        heading = {"lt": "Suvestinė", "en": "Summary"}[lang]
        assert not [n for n in names if "summary" in n or "criteria" in n], names
        assert names[0] == f"01 {heading}"  # the plan's long name gives way to the section's heading
        # the criteria share their section's heading: each sheet is named by its criterion's id and title
        criteria = {"lt": "Kriterijai", "en": "Criteria"}[lang]
        ids = [ln.split(":")[1].strip() for ln in plan.read_text(encoding="utf-8").splitlines()
               if ln.strip().startswith("- id:")]
        assert [n.split()[1] for n in names[1:]] == [f"{i}." for i in ids] and not [n for n in names if criteria in n]
        # the summary's numbers and every chart's data headed in the report's language, not by column names
        from cityindicators.plans.texts import COLUMN_LABELS
        from cityindicators.reports.exports import CHART_DATA_HEADERS

        for n in names:
            rows = list(wb[n].iter_rows(min_row=6, values_only=True))  # after the heading block: a blank row, the header
            header = [h for h in next(r for r in rows if r and r[0] is not None) if h is not None]
            assert header and not (set(COLUMN_LABELS) | set(CHART_DATA_HEADERS)) & set(header), (n, header)
        units = {wb[n]["A1"].value: wb[n]["B2"].value for n in names}
        per_100 = {"lt": "asm. šimtui 15–64 m. gyv.", "en": "persons per 100 aged 15–64"}[lang]
        assert [u for title, u in units.items() if title.startswith("E3.")] == [per_100]
        wb.close()
        nb = nbformat.read(folder / "monitoring.ipynb", as_version=4)
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors
    # unchanged inputs: skipped; a changed plan file: run again
    again = runner.run_report("monitoring", "X13", {"plan": str(plan), "trajectories": 100}, language="en",
                              output_dir=out / "en", data_dir=demo_dir)
    assert again.status == "skipped"
    plan.write_text(plan.read_text(encoding="utf-8").replace("target_value: 1500", "target_value: 1600"),
                    encoding="utf-8")
    fp0 = runner._fingerprint("nb", {"plan": str(plan)}, {})
    plan.write_text(plan.read_text(encoding="utf-8").replace("target_value: 1600", "target_value: 1500"),
                    encoding="utf-8")
    assert runner._fingerprint("nb", {"plan": str(plan)}, {}) != fp0


@pytest.mark.slow
def test_cli_report_takes_the_territory_from_the_plan(demo_dir, tmp_path, capsys):
    from cityindicators.cli import main

    rc = main(["--data-dir", str(demo_dir), "report", "--template", "monitoring", "-p", f"plan={EXAMPLE}",
               "-p", "trajectories=0", "--lang", "en", "--output-dir", str(tmp_path), "--no-progress"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert (tmp_path / "monitoring" / "X13-eglynas" / "monitoring.html").exists()
    rc = main(["--data-dir", str(demo_dir), "report", "--output-dir", str(tmp_path), "--no-progress"])
    assert rc == 1 and "--territory" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
def test_monitoring_report_in_chromium(reports, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_reports_browser import CHROMIUM_ARGS

    res, _, _ = reports
    for lang, heading in (("lt", "plano vertinimo kriterijų stebėsena"), ("en", "plan monitoring")):
        html = Path(res[lang].output_dir) / "monitoring.html"
        errors: list[str] = []
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(html.resolve().as_uri(), wait_until="load")
                images = page.eval_on_selector_all("img", "els => els.map(e => e.complete && e.naturalWidth > 0)")
                h1 = page.inner_text("h1")
                cells = page.eval_on_selector_all("td", "els => els.map(e => e.innerText)")
                page_lang = page.get_attribute("html", "lang")
            finally:
                browser.close()
        assert len(images) == 6 and all(images)
        assert heading in h1 and page_lang == lang and not errors
        words = {"lt": "Pagal planą", "en": "On track"}[lang]
        assert any(words in c for c in cells), "status words in the table cells"


@pytest.mark.slow
@pytest.mark.realdata
def test_visaginas_monitoring_report_on_real_data(real_data_dir_backtested, tmp_path):
    from cityindicators.i18n import fmt_number
    from cityindicators.plans import load_plan

    d = real_data_dir_backtested
    plan_file = ROOT / "examples" / "plans" / "visaginas.yaml"
    res = runner.run_report("monitoring", "Visaginas", {"plan": str(plan_file), "trajectories": 200}, language="en",
                            output_dir=tmp_path / "reports", data_dir=d)
    assert res.status == "ok", res.error
    html = (Path(res.output_dir) / "monitoring.html").read_text(encoding="utf-8")
    plan = load_plan(plan_file, data_dir=d)
    latest = plan.latest().set_index("criterion")
    # the sentence quotes the library's latest value and the plan's public target
    assert f"Residents: {fmt_number(latest.loc['V1', 'actual'], 'en', 0)} persons in {latest.loc['V1', 'year']}" in html
    assert "at least 20,000 persons in 2030" in html
    assert "Probability of meeting the target by the stochastic projection" in html


def test_target_text_writes_the_year_as_the_language_does():
    from types import SimpleNamespace

    from cityindicators.indicators.catalogue import UNIT_LABELS
    from cityindicators.reports import monitoring as m

    # the summary's narrow column wraps, but not inside "20 000 asm." nor "(2030 m.)": no-break
    # spaces (U+00A0) there
    nb = "\u00a0"
    c = SimpleNamespace(direction="at_least", target_value=20000.0, unit="persons", target_year=2030)
    assert m._target_text(c, "lt") == f"ne mažiau kaip 20\u202f000{nb}asm. (2030{nb}m.)"
    assert m._target_text(c, "en") == f"at least 20,000{nb}persons (2030)"
    c = SimpleNamespace(direction="at_most", target_value=35.0, unit="per 100 aged 15-64", target_year=2030)
    assert m._target_text(c, "lt") == f"ne daugiau kaip 35,0{nb}asm. šimtui 15–64 m. gyv. (2030{nb}m.)"
    assert m._target_text(c, "en") == f"at most 35.0{nb}persons per 100 aged 15–64 (2030)"
    c = SimpleNamespace(direction="at_least", target_value=62.0, unit="%", target_year=2030)
    assert m._target_text(c, "lt") == f"ne mažiau kaip 62,0{nb}% (2030{nb}m.)"
    assert m._target_text(c, "en") == f"at least 62.0% (2030)"  # English closes up the per cent
    # the euro written the same way in every report: "Eur" in Lithuanian
    assert UNIT_LABELS["EUR"][0] == m.unit_label("EUR", "lt") == "Eur"


def test_a_value_just_short_of_its_target_does_not_read_as_the_target():
    # 49.993 % beside a target of at least 50 % is not "reached": shown as 49.99, not 50.0 (made-up figures)
    from cityindicators.reports import monitoring as m

    assert m.format_value(49.993, "%", "en", versus=50.0) == "49.99"
    assert m.format_value(49.993, "%", "lt", versus=50.0) == "49,99"
    assert m.format_value(62.0, "%", "en", versus=62.0) == "62.0"  # the target itself: one decimal
    assert m.format_value(64.44, "%", "en", versus=62.0) == "64.4"  # far from it: one decimal
    assert m.format_value(19999.6, "persons", "en", versus=20000.0) == "19,999.6"
    assert m.format_value(float("nan"), "%", "en", versus=62.0) == "–"


def test_criterion_chart_draws_each_scenario_in_its_colour_of_the_scenarios_report(demo_dir):
    import matplotlib.pyplot as plt

    from cityindicators.plotting import SHIPPED_SCENARIO_COLOURS
    from cityindicators.reports import monitoring as m

    ctx = m.setup_monitoring("X13", plan=str(EXAMPLE), trajectories=0, language="en", data_dir=str(demo_dir), show=False)
    fig = m.criterion_chart(ctx, "E1")
    labels = {(s.label_en or n): n for n, s in ctx.plan.cache["projection"].scenarios.items()}
    drawn = {labels[ln.get_label()]: ln.get_color() for ln in fig.axes[0].get_lines() if ln.get_label() in labels}
    assert list(drawn) == list(ctx.plan.scenarios)  # in the plan's order
    assert drawn == {s: SHIPPED_SCENARIO_COLOURS[s] for s in ctx.plan.scenarios}
    plt.close(fig)


def test_names_typed_into_the_plan_and_a_scenario_show_as_written_in_the_markdown(hostile_demo_dir, hostile_name,
                                                                                   tmp_path, monkeypatch):
    """Plan, criterion and source names and a user's scenario label with Markdown in them (issue 12) are shown
    as typed: no emphasis, heading, link, code span or script of theirs; a table cell keeps its "|"."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from cityindicators.html_safe import escape_html
    from cityindicators.reports import monitoring as m
    from cityindicators.reports.sections import display

    hostile = hostile_name
    data = hostile_demo_dir
    plan = tmp_path / "plan.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in (("name_en: Residents", f"name_en: 'Residents {hostile}'"),
                     ("name_en: Eglynas strategic development plan 2021–2030 (demonstration)", f"name_en: 'Plan {hostile}'"),
                     ("source_en: Demonstration plan shipped with cityindicators", f"source_en: 'Source {hostile}'"),
                     ("scenarios: [baseline, zero-migration, attraction]", "scenarios: [mine]")):
        assert old in text
        text = text.replace(old, new)
    plan.write_text(text, encoding="utf-8")
    shown = []
    monkeypatch.setattr(display, "_display", lambda obj, **kw: shown.append(obj))
    ctx = m.setup_monitoring("X13", plan=str(plan), trajectories=0, language="en", data_dir=str(data))
    m.criteria(ctx)
    m.sources(ctx)
    pages = [markdown2html_mistune(o.data) for o in shown if isinstance(getattr(o, "data", None), str)]
    quoted = escape_html(hostile, quote=False)
    for what in ("Plan ", "Residents ", "Source ", "Mine "):
        assert any(what + quoted in p for p in pages), what
    for p in pages:
        assert "<em>" not in p and 'href="y"' not in p and "<code>" not in p and "<script" not in p, p
    page = m.summary_styler(ctx, m.summary_frame(ctx)).to_html()
    assert "Residents " + quoted in page and "<script" not in page  # a table cell: the "|" stays, escaped HTML
