"""What ``migration.outflow_scale`` scales (issue 12): with net migration only, the negative part of the
net schedule by age and sex; the projection says where its outflow came from, and the texts say so."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cityindicators.projection import ProjectionData, load_scenario, project
from cityindicators.projection.estimation import estimate_rates
from cityindicators.projection.scenarios import outflow_scaling
from cityindicators.projection.schedule import build_schedule
from cityindicators.projection.settings import EstimationSettings

#: One estimate of net rates, as rates (no Hamilton-Perry blend, no family model, no in-migrant pool), so
#: that the schedule's outflow is exactly the negative part of the net rates.
PLAIN = EstimationSettings(migration_model="rate", pooled_migration_weight=0.0, child_migration="own",
                           inflow_pool=False)


@pytest.fixture(scope="module")
def net_only(demo_dir):
    """The demo's inputs without the table of gross flows: net migration from the balancing equation only."""
    data = ProjectionData.from_store(data_dir=demo_dir)
    return replace(data, migration=data.migration.iloc[0:0], migration_total=data.migration_total.iloc[0:0],
                   both_sexes={k: v for k, v in data.both_sexes.items() if not k.startswith("migration")})


def test_with_net_migration_only_the_outflow_scale_halves_the_negative_net_rates_and_keeps_the_gains(net_only):
    rates = estimate_rates(net_only, ["X13"], 2020, PLAIN)
    net = rates.mig_in_rate - rates.mig_out_rate
    # hand-worked: in = max(net, 0), out = max(-net, 0), so in - 0.5 out is net where net >= 0, net / 2 where < 0
    np.testing.assert_array_equal(rates.mig_out_rate, np.maximum(-net, 0))
    assert (net < 0).any() and (net > 0).any()
    low = build_schedule(rates, load_scenario("low-emigration"), 2030)
    base = build_schedule(rates, load_scenario("baseline"), 2030)
    np.testing.assert_allclose(low.mig_rate, np.where(net < 0, 0.5 * net, net), rtol=0, atol=1e-15)
    np.testing.assert_allclose(base.mig_rate, net, rtol=0, atol=1e-15)
    assert rates.details["X13"]["gross_outflow"] == "absent"


def test_the_result_says_where_its_outflow_came_from(net_only, demo_dir):
    res = project("X13", to_year=2030, scenario="low-emigration", data=net_only, data_dir=demo_dir)
    assert res.gross_outflow == {"X13": "absent"} and res.migration_from_net_only
    full = ProjectionData.from_store(data_dir=demo_dir)
    assert len(full.migration_total)  # the demo has gross flows: the shipped 'mixed' model leaves them aside
    res = project("X13", to_year=2030, scenario="low-emigration", data=full, data_dir=demo_dir)
    assert res.gross_outflow == {"X13": "unused"} and res.migration_from_net_only
    res = project("X13", to_year=2030, scenario="low-emigration", data=full, data_dir=demo_dir, settings=PLAIN)
    assert res.gross_outflow == {"X13": "used"} and not res.migration_from_net_only


def test_outflow_scaling_says_what_was_halved_in_both_languages():
    assert outflow_scaling(0.5, "absent", "en") == (
        "the net outflow is halved: the negative net migration rates (net losses by age and sex) are halved; "
        "gross flows (emigrants, departures) are not in the data")
    assert outflow_scaling(0.5, "absent", "lt").startswith(
        "neto išvykimas sumažinamas perpus: perpus sumažinami neigiami neto migracijos rodikliai")
    assert outflow_scaling(0.7, "used", "lt") == "išvykimas padauginamas iš 0,7: padauginami iš 0,7 duomenų " \
                                                 "emigrantų ir išvykusiųjų srautai"
    assert outflow_scaling(0.7, "used", "en").endswith("are multiplied by 0.7")
    with pytest.raises(ValueError, match="outflow kind"):
        outflow_scaling(0.5, "gross")


def test_scenarios_list_and_the_description_say_what_low_emigration_halves(capsys):
    from cityindicators.cli import main

    sc = load_scenario("low-emigration")
    assert "negative net migration rates by age and sex (the net losses) are halved" in " ".join(sc.description.split())
    assert sc.summary()["migration"].endswith("; outflow x0.5 \u2013 " + outflow_scaling(0.5, "net"))
    assert main(["scenarios", "--list", "--format", "json"]) == 0
    import json

    rows = {r["scenario"]: r for r in json.loads(capsys.readouterr().out)}
    assert "the negative net migration rates (net losses by age and sex) are halved" in rows["low-emigration"]["migration"]
    assert "negative net migration rates" not in rows["baseline"]["migration"]


@pytest.mark.parametrize("lang", ["lt", "en"])
def test_scenario_report_says_what_the_outflow_scale_halved(net_only, demo_dir, lang, monkeypatch):
    from cityindicators.reports import sections
    from cityindicators.reports.sections import display

    shown = []
    monkeypatch.setattr(display, "_display", lambda obj, **kw: shown.append(obj))
    c = sections.setup_scenarios("X13", scenarios=["baseline", "low-emigration"], horizon=2035, language=lang,
                                 data_dir=demo_dir, trajectories=0, show=False)
    sections.assumptions(c)
    bullets = [b for b in shown[-1].data.split("\n") if b.startswith("- ")]
    kind = c.projection.gross_outflow["X13"]
    said = sections.outflow_findings(c, "low-emigration")[0].text
    assert said == ("Šiame scenarijuje " if lang == "lt" else "In this scenario ") + outflow_scaling(0.5, kind, lang) + "."
    assert bullets[1].endswith(" " + said) and not bullets[0].endswith(said)  # the baseline scales nothing
    assert sections.outflow_findings(c, "baseline") == []
