"""Scenario files: shipped set, round-trip load/dump, strict validation, user folder."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from cityindicators.exceptions import ConfigError
from cityindicators.projection import Scenario, dump_scenario, list_scenarios, load_scenario
from cityindicators.projection.scenarios import profile_weights

SHIPPED = {"baseline", "trend", "zero-migration", "low-emigration", "attraction", "revival"}


def test_shipped_scenarios_are_all_there_and_valid():
    sc = list_scenarios()
    assert SHIPPED <= set(sc)
    assert sc["zero-migration"].migration.mode == "zero"
    assert sc["low-emigration"].migration.outflow_scale == 0.5
    assert sc["attraction"].migration.added_inflow.active
    assert sc["attraction"].migration.added_inflow.profile == "young_families"
    revival = sc["revival"]
    assert revival.fertility.mode == "trend" and revival.migration.outflow_scale == 0.5
    assert revival.migration.added_inflow.active


def test_baseline_variants_are_the_baseline_with_their_one_change():
    """zero-migration, low-emigration and attraction say "the baseline, with ...": the baseline's
    fertility and mortality, and (but in zero-migration) its migration settings, but for the one
    change they name (they held the TFR and the window's rates, so the TFR in 2018 and the migration
    differed from the baseline's, and attraction could end below the baseline)."""
    from dataclasses import replace

    sc = list_scenarios()
    base = sc["baseline"]
    for name in ("zero-migration", "low-emigration", "attraction"):
        assert sc[name].fertility == base.fertility and sc[name].mortality == base.mortality, name
    assert replace(sc["low-emigration"].migration, outflow_scale=1.0) == base.migration
    assert replace(sc["attraction"].migration, added_inflow=base.migration.added_inflow) == base.migration
    assert sc["low-emigration"].migration.outflow_scale == 0.5 and sc["attraction"].migration.added_inflow.per_1000 == 3.0


def test_repository_config_scenarios_are_the_shipped_files():
    """The issue's ``config/scenarios/`` folder of the checkout is the package's scenario folder."""
    from pathlib import Path

    from cityindicators.config import resource_path

    folder = Path(__file__).resolve().parents[1] / "config" / "scenarios"
    if not folder.exists():
        pytest.skip("not run from a checkout (no config/scenarios)")
    assert {p.stem for p in folder.glob("*.yaml")} == SHIPPED
    assert folder.resolve() == resource_path("scenarios").resolve()
    for p in folder.glob("*.yaml"):
        assert load_scenario(p) == load_scenario(p.stem)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_round_trip_dict_and_file(name, tmp_path):
    sc = load_scenario(name)
    assert Scenario.from_dict(sc.to_dict()) == sc
    path = dump_scenario(sc, tmp_path / f"{name}.yaml")
    again = load_scenario(path)
    assert again == sc
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == sc.to_dict()


def test_inline_profile_and_path_round_trip(tmp_path):
    d = {"name": "custom", "fertility": {"mode": "path", "path": {2030: 1.7, 2040: 1.8}},
         "migration": {"added_inflow": {"persons": 50, "profile": {"0-9": 0.4, "25-39": 0.6}, "from_year": 2020}}}
    sc = Scenario.from_dict(d)
    assert sc.fertility.path == ((2030, 1.7), (2040, 1.8))
    again = load_scenario(dump_scenario(sc, tmp_path / "custom.yaml"))
    assert again == sc and again.migration.added_inflow.profile_spec() == {"0-9": 0.4, "25-39": 0.6}


@pytest.mark.parametrize(
    "doc, key, allowed",
    [
        ({"name": "x", "fertlity": {}}, "fertlity", "allowed keys"),
        ({"name": "x", "fertility": {"mode": "rising"}}, "fertility.mode", "hold, trend, path"),
        ({"name": "x", "mortality": {"mode": "up"}}, "mortality.mode", "hold, trend, gain"),
        ({"name": "x", "migration": {"mode": "none"}}, "migration.mode", "hold, trend, zero"),
        ({"name": "x", "migration": {"outflow_scale": -1}}, "migration.outflow_scale", "allowed range"),
        ({"name": "x", "migration": {"outflow_scale": "half"}}, "migration.outflow_scale", "expected a number"),
        ({"name": "x", "migration": {"added_inflow": {"profile": "students"}}}, "migration.added_inflow.profile",
         "young_families"),
        ({"name": "x", "migration": {"added_inflow": {"profile": {"25to39": 1}}}},
         "migration.added_inflow.profile.25to39", "25-39"),
        ({"name": "x", "migration": {"added_inflow": {"persns": 3}}}, "migration.added_inflow.persns", "persons"),
        ({"name": "x", "fertility": {"mode": "path"}}, "fertility.path", "required"),
        ({"name": "x", "fertility": {"mode": "trend", "bounds": [2.0, 1.0]}}, "fertility.bounds", "above upper"),
        ({"name": "Bad Name"}, "name", "slug"),
        ({"label_en": "no name"}, "name", "required"),
    ],
)
def test_invalid_scenarios_name_the_key_and_allowed_values(doc, key, allowed):
    with pytest.raises(ConfigError) as exc:
        Scenario.from_dict(doc, source="test.yaml")
    msg = str(exc.value)
    assert f"'{key}'" in msg and allowed in msg and "test.yaml" in msg


def test_a_number_in_scientific_notation_without_a_point_is_a_number(tmp_path):
    """PyYAML reads ``1e308`` as text: "expected a number, got '1e308'" said the value was not a number."""
    f = tmp_path / "sci.yaml"
    f.write_text("name: sci\nmigration:\n  outflow_scale: 1e308\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"'migration.outflow_scale'.*value 1e\+308 is outside the allowed range"):
        load_scenario(f)
    f.write_text("name: sci\nmigration:\n  outflow_scale: 5e-1\n", encoding="utf-8")
    assert load_scenario(f).migration.outflow_scale == 0.5


def test_invalid_file_errors(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_scenario(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_scenario(lst)
    with pytest.raises(ConfigError, match="does not exist"):
        load_scenario(tmp_path / "missing.yaml")
    # YAML keeps the last of two equal keys: the first migration section would be lost unsaid
    twice = tmp_path / "twice.yaml"
    twice.write_text("name: twice\nmigration:\n  outflow_scale: 0.5\nmigration:\n  inflow_scale: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"twice.yaml: .*line 4.*key 'migration' appears twice \(first on line 2\)"):
        load_scenario(twice)
    # a merge key's values may be overridden: that is no repetition
    merged = tmp_path / "merged.yaml"
    merged.write_text("name: merged\nfertility: &f\n  mode: hold\nmortality:\n  mode: gain\n"
                      "migration:\n  <<: {mode: hold, outflow_scale: 0.5}\n  outflow_scale: 0.8\n", encoding="utf-8")
    assert load_scenario(merged).migration.outflow_scale == 0.8
    with pytest.raises(ConfigError, match="allowed values: .*baseline"):
        load_scenario("no-such-scenario")


def test_year_paths_of_fertility_and_migration_are_read_and_checked_alike():
    sc = Scenario.from_dict({"name": "p", "fertility": {"mode": "path", "path": {2035: 1.6, "2030": 1.5}},
                             "migration": {"path": {2040: 0.5}}})
    assert sc.fertility.path == ((2030, 1.5), (2035, 1.6))  # keys read as years, sorted
    assert sc.migration.path == ((2040, 0.5),)
    for section, mode in (("fertility", "path"), ("migration", "hold")):
        with pytest.raises(ConfigError, match=f"'{section}.path'.*mapping year ->"):
            Scenario.from_dict({"name": "p", section: {"mode": mode, "path": [1.5]}})
        with pytest.raises(ConfigError, match=f"'{section}.path'.*year 'soon' is not an integer"):
            Scenario.from_dict({"name": "p", section: {"mode": mode, "path": {"soon": 1.5}}})
        with pytest.raises(ConfigError, match=f"'{section}.path.2030'"):
            Scenario.from_dict({"name": "p", section: {"mode": mode, "path": {2030: 11.0}}})


@pytest.mark.parametrize("value, wrong", [
    ("{2030: [1.5, 1.6, 1.7]}", "expected a number, got a list of 3 items"),
    ("{2030: 1.5, 3000: 2}", "year 3000 is outside the calendar years 1900-2200"),
    ("{2030: {low: 1.5, high: 1.7}}", "expected a number, got a mapping of 2 keys"),
    ("{2030: '" + "1.5 " * 30 + "'}", "expected a number, got a text of 120 characters"),
    ("{2030.5: 1.6}", "year 2030.5 is not an integer"),  # not read as 2030
])
def test_an_invalid_path_value_is_one_line_naming_the_file_and_the_key_without_the_files_text(tmp_path, value, wrong):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "bad.yaml").write_text(f"name: bad\nfertility:\n  mode: path\n  path: {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenario("bad", tmp_path)
    msg = str(info.value)
    assert msg.startswith(f"{folder / 'bad.yaml'}: key 'fertility.path") and msg.endswith(wrong), msg
    assert "\n" not in msg and "low" not in msg and "1.5 1.5" not in msg and "[1.5" not in msg


def test_a_mode_written_as_a_mapping_is_named_not_quoted():
    # "mode:" followed by an indented block: the whole block is the value
    with pytest.raises(ConfigError, match=r"^f: key 'fertility.mode': a mapping of 1 key is not allowed; allowed values: "
                                          r"hold, trend, path$"):
        Scenario.from_dict({"name": "p", "fertility": {"mode": {"path": {2030: 1.6, 2040: 1.7}}}}, source="f")


def test_user_scenarios_folder_adds_and_overrides(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "mine.yaml").write_text("name: mine\nmigration:\n  level: 0.5\n", encoding="utf-8")
    (folder / "baseline.yaml").write_text("name: baseline\nlabel_en: My baseline\n", encoding="utf-8")
    sc = list_scenarios(tmp_path)
    assert sc["mine"].migration.level == 0.5
    assert load_scenario("baseline", tmp_path).label_en == "My baseline"
    (folder / "wrong.yaml").write_text("name: other\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'name' is 'other'"):
        load_scenario("wrong", tmp_path)


def test_profiles_sum_to_one():
    for name in ("young_families", "young_adults", "working_age", "retirees"):
        w = profile_weights(name, 101)
        assert w.shape == (2, 101) and w.sum() == pytest.approx(1.0)
    fam = profile_weights("young_families", 101)
    assert fam[:, 0:10].sum() == pytest.approx(0.35) and fam[:, 25:40].sum() == pytest.approx(0.55)
    own = np.zeros((2, 2, 101))
    own[0, :, 20] = 5.0
    w = profile_weights("own", 101, own=own)
    assert w[0, :, 20].sum() == pytest.approx(1.0) and w[1].sum() == pytest.approx(1.0)


def test_summary_is_plain_text():
    s = load_scenario("revival").summary()
    assert set(s) == {"fertility", "mortality", "migration"}
    assert "outflow x0.5" in s["migration"] and "young_families" in s["migration"]


def test_baseline_variants_project_from_the_baseline(demo_dir):
    """On the demo data: every variant follows the baseline's TFR path, and an added inflow of young
    families or a halved outflow never gives fewer residents than the baseline."""
    from cityindicators.projection import project

    res = project("all", to_year=2040, scenario=["baseline", "zero-migration", "low-emigration", "attraction"],
                  data_dir=demo_dir)
    a = res.assumptions.set_index(["scenario", "territory_code", "year"])["tfr"]
    for name in ("zero-migration", "low-emigration", "attraction"):
        np.testing.assert_allclose(a[name].sort_index().to_numpy(), a["baseline"].sort_index().to_numpy())
    tot = res.totals().set_index(["scenario", "territory_code", "year"])["value"]
    base = tot["baseline"].sort_index()
    for name in ("low-emigration", "attraction"):
        assert (tot[name].sort_index() >= base - 1e-6).all(), name


@pytest.mark.parametrize("doc, key, meant", [
    ({"name": "x", "migraton": {"mode": "hold"}}, "migraton", "migration"),
    ({"name": "x", "extend": "baseline"}, "extend", "extends"),
    ({"name": "x", "migration": {"mode": "trend", "dampng": 0.6}}, "migration.dampng", "damping"),
    ({"name": "x", "fertility": {"mode": "trend", "max_chnage": 0.2}}, "fertility.max_chnage", "max_change"),
    ({"name": "x", "mortality": {"mode": "gain", "e0_gain": 0.1}}, "mortality.e0_gain", "e0_gain_per_year"),
    ({"name": "x", "migration": {"added_inflow": {"per1000": 3}}}, "migration.added_inflow.per1000", "per_1000"),
    ({"name": "x", "combination": {"total_wieght": 0.2}}, "combination.total_wieght", "total_weight"),
    ({"name": "x", "migration": {"xyz": 1}}, "migration.xyz", None),
])
def test_unknown_keys_name_the_key_and_the_closest_valid_one(doc, key, meant):
    with pytest.raises(ConfigError) as exc:
        Scenario.from_dict(doc, source="x.yaml")
    msg = str(exc.value)
    assert msg.startswith(f"x.yaml: key '{key}': unknown key") and "allowed keys: " in msg and "\n" not in msg
    if meant is None:
        assert "did you mean" not in msg
    else:
        assert f"unknown key (did you mean '{meant}'?); allowed keys: " in msg
