"""The sources table: each source with its own date and what the date is (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityindicators.reports import sections
from cityindicators.sources.sdmx_parse import message_dates

SPECIMENS = Path(__file__).parent / "specimens" / "osp"


def test_message_dates_read_from_the_head_of_the_message(tmp_path):
    xml = tmp_path / "r.xml"
    xml.write_text('<?xml version="1.0"?><mes:GenericData xmlns:mes="m" xmlns:g="g"><mes:Header>'
                   "<mes:Prepared>2024-03-06T10:00:00+02:00</mes:Prepared></mes:Header><mes:DataSet><g:Attributes>"
                   '<g:Value id="DS_LAST_UPDATE" value="2024-03-05"/></g:Attributes></mes:DataSet></mes:GenericData>',
                   encoding="utf-8")
    assert message_dates(xml) == {"last_update": "2024-03-05", "prepared": "2024-03-06"}
    js = tmp_path / "r.json"
    js.write_text('{"header": {"id": "X", "prepared": "2024-03-07T08:00:00Z"}, "dataSets": []}', encoding="utf-8")
    assert message_dates(js) == {"prepared": "2024-03-07"}
    assert message_dates(tmp_path / "missing.xml") == {}
    assert message_dates(SPECIMENS / "deaths.xml") == {"last_update": "2000-01-01", "prepared": "2000-01-01"}


@pytest.mark.parametrize("lang, updated, prepared, retrieved, reference, latest, imported, stated, generated", [
    ("en", "2000-01-01 (last updated by the source)", "2000-01-01 (response prepared by the source)",
     "2026-02-03 (retrieved)", "2016 (reference year)", "2018 (latest year of the data)", "imported on 2026-02-03",
     "2018-03-15 (date stated by the source)", "2026-02-03 (generated)"),
    ("lt", "2000-01-01 (šaltinio atnaujinimo data)", "2000-01-01 (šaltinio atsakymo parengimo data)",
     "2026-02-03 (gauta iš šaltinio)", "2016 (ataskaitiniai metai)", "2018 (naujausių duomenų metai)",
     "importuota 2026-02-03", "2018-03-15 (šaltinio nurodyta data)", "2026-02-03 (sugeneruota)"),
])
def test_source_date_says_what_the_date_is(tmp_path, lang, updated, prepared, retrieved, reference, latest, imported,
                                           stated, generated):
    day = "2026-02-03T04:05:06+00:00"
    osp = {"source": "osp", "retrieved_at": day}
    assert sections.source_date(osp, SPECIMENS / "deaths.xml", [2010, 2017], lang) == updated
    assert sections.source_date(osp, SPECIMENS / "net_internal.json", [2010, 2017], lang) == prepared
    assert sections.source_date(osp, tmp_path / "gone.xml", [2010, 2017], lang) == retrieved
    # the published indicators: their reference year, not the day they were imported
    assert sections.source_date({"source": "indicators", "retrieved_at": day}, None, [2016, 2016], lang) == reference
    # an extract or a user's file: the date stated for it, else its data's latest year; the day it was
    # imported into the local store only when nothing else is known, and said to be that
    for source in ("osp-extract", "tidy"):
        assert sections.source_date({"source": source, "retrieved_at": day}, None, [2001, 2018], lang) == latest
        assert sections.source_date({"source": source, "retrieved_at": day}, None, [], lang) == imported
        assert sections.source_date({"source": source, "retrieved_at": day, "source_date": "2018-03-15"}, None,
                                    [2001, 2018], lang) == stated
    assert sections.source_date({"source": "demo", "retrieved_at": day}, None, [2001, 2018], lang) == generated
    assert sections.source_date({"source": "tidy"}, None, [], lang) == ""


def test_stated_source_date_is_recorded_at_import_and_shown(tmp_path, capsys, monkeypatch):
    from cityindicators._io import read_sidecar
    from cityindicators.cli import main
    from cityindicators.i18n import t
    from cityindicators.store import processed_provenance

    d = tmp_path / "d"
    f = tmp_path / "births.csv"
    f.write_text("territory,year,sex,value\nVisaginas,2016,total,120\nVisaginas,2017,total,110\n", encoding="utf-8")
    # a day that is not one is a one-line error naming the option, and nothing is stored
    import datetime as dt

    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()  # a mistyped year: 2099-01-01 was kept
    for bad in ("2018-02-30", "15.03.2018", "20180315", tomorrow):
        assert main(["--data-dir", str(d), "import", "tidy", str(f), "--dataset", "births", "--source-date", bad]) == 1
        err = capsys.readouterr().err
        assert "--source-date" in err and bad in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "after today" in err
    assert not (d / "raw").exists()
    assert main(["--data-dir", str(d), "import", "tidy", str(f), "--dataset", "births",
                 "--source-date", "2018-03-15"]) == 0
    assert main(["--data-dir", str(d), "build"]) == 0
    (snap,) = (d / "raw").rglob("*.csv")
    assert read_sidecar(snap)["source_date"] == "2018-03-15"
    # the same bytes again with another date: the stored snapshot is not rewritten, and the user is told
    capsys.readouterr()
    assert main(["--data-dir", str(d), "import", "tidy", str(f), "--dataset", "births",
                 "--source-date", "2019-01-01"]) == 0
    assert "--source-date 2019-01-01 is not recorded" in capsys.readouterr().out
    pop = tmp_path / "population.csv"
    pop.write_text("territory,year,sex,age,value\nVisaginas,2017,total,total,19000\nVisaginas,2018,total,total,18500\n",
                   encoding="utf-8")
    assert main(["--data-dir", str(d), "import", "tidy", str(pop), "--dataset", "population"]) == 0
    assert main(["--data-dir", str(d), "build"]) == 0
    monkeypatch.setattr(sections.display, "_display", lambda obj, **kw: None)
    ctx = sections.setup("30", "en", data_dir=d, show=False)
    dates = sections.sources(ctx).set_index("Dataset")["Date"]
    assert dates["Live births"] == "2018-03-15 (date stated by the source)"
    # no date stated: the data's latest year, not the day of the import
    assert dates[t("ds_population_total", "en")] == "2018 (latest year of the data)"
    assert "births" in processed_provenance(d)


def test_sources_section_on_demo_names_the_date_and_no_path(demo_dir, monkeypatch):
    monkeypatch.setattr(sections.display, "_display", lambda obj, **kw: None)
    ctx = sections.setup("X13", "en", data_dir=demo_dir, show=False)
    table = sections.sources(ctx)
    assert list(table.columns) == ["Dataset", "Source", "Date", "Years"]
    assert table["Date"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \(generated\)").all()
    text = table.to_string()
    assert str(demo_dir) not in text and "raw/" not in text and ".meta.json" not in text
    # every dataset is named in words and has its years, also the tables the indicators do not read
    from cityindicators.i18n import TEXTS
    from cityindicators.store import processed_provenance

    stored = set(processed_provenance(demo_dir))
    assert {f"ds_{d}" for d in stored} <= set(TEXTS), "a stored dataset without a name in words"
    assert "deaths_total" not in text and "population_total" not in text
    assert (table["Years"].str.fullmatch(r"\d{4}(–\d{4})?")).all(), table


@pytest.mark.parametrize("lang, infant, by_age", [("lt", "Mirę kūdikiai (iki 1 m. amžiaus)", "Mirusieji pagal amžių"),
                                                  ("en", "Infant deaths (under 1 year)", "Deaths by age")])
def test_a_deaths_table_of_age_0_only_is_named_infant_deaths(lang, infant, by_age):
    """Statistics Lithuania's extract gives infant deaths and the total only: its table of deaths
    by age holds age 0 alone, and the sources table must not call it deaths by age."""
    import pandas as pd

    from cityindicators.reports.sections.data_sources import dataset_label

    only_0 = pd.DataFrame({"age": [0, 0], "value": [3.0, 4.0]})
    ages = pd.DataFrame({"age": [0, 1, 85], "value": [3.0, 1.0, 9.0]})
    assert dataset_label("deaths", only_0, lang) == infant
    assert dataset_label("deaths", ages, lang) == by_age
    assert dataset_label("deaths", None, lang) == by_age
    assert dataset_label("births", only_0, lang) != infant
    assert dataset_label("no_such_dataset", None, lang) == "no_such_dataset"
