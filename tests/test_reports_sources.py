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


@pytest.mark.parametrize("lang, updated, prepared, retrieved, reference, imported, generated", [
    ("en", "2000-01-01 (last updated by the source)", "2000-01-01 (response prepared by the source)",
     "2026-02-03 (retrieved)", "2016 (reference year)", "2026-02-03 (imported)", "2026-02-03 (generated)"),
    ("lt", "2000-01-01 (šaltinio atnaujinimo data)", "2000-01-01 (šaltinio atsakymo parengimo data)",
     "2026-02-03 (gauta iš šaltinio)", "2016 (ataskaitiniai metai)", "2026-02-03 (importuota)",
     "2026-02-03 (sugeneruota)"),
])
def test_source_date_says_what_the_date_is(tmp_path, lang, updated, prepared, retrieved, reference, imported,
                                           generated):
    day = "2026-02-03T04:05:06+00:00"
    osp = {"source": "osp", "retrieved_at": day}
    assert sections.source_date(osp, SPECIMENS / "deaths.xml", [2010, 2017], lang) == updated
    assert sections.source_date(osp, SPECIMENS / "net_internal.json", [2010, 2017], lang) == prepared
    assert sections.source_date(osp, tmp_path / "gone.xml", [2010, 2017], lang) == retrieved
    # the published indicators: their reference year, not the day they were imported
    assert sections.source_date({"source": "indicators", "retrieved_at": day}, None, [2016, 2016], lang) == reference
    assert sections.source_date({"source": "osp-extract", "retrieved_at": day}, None, [2001, 2018], lang) == imported
    assert sections.source_date({"source": "demo", "retrieved_at": day}, None, [2001, 2018], lang) == generated
    assert sections.source_date({"source": "tidy"}, None, [], lang) == ""


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
