"""Scenario files that extend another: merge rules, chains, cycles, unknown parents, errors naming the
file that wrote the bad key, user files extending shipped ones, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cityindicators.cli import main
from cityindicators.exceptions import ConfigError
from cityindicators.projection import Scenario, dump_scenario, list_scenarios, load_scenario
from cityindicators.projection.scenarios import merge_scenario_keys

# The shipped files that extend another as they were written before (each repeated its parent's
# fertility, mortality and migration blocks): the resolved files must be these scenarios.
_BASELINE_FERTILITY = {"mode": "trend", "bounds": [1.0, 2.1], "damping": 0.9, "max_change": 0.3, "convergence_years": 40}
_BASELINE_MORTALITY = {"mode": "gain", "e0_gain_per_year": 0.15}
WRITTEN_OUT = {
    "zero-migration": {
        "name": "zero-migration", "label_en": "Zero migration", "label_lt": "Be migracijos",
        "description": "The baseline's fertility and mortality (its TFR path and life-expectancy gains), no "
                       "migration: natural change only.",
        "fertility": _BASELINE_FERTILITY, "mortality": _BASELINE_MORTALITY, "migration": {"mode": "zero"}},
    "low-emigration": {
        "name": "low-emigration", "label_en": "Low emigration (outflow halved)",
        "label_lt": "Maža emigracija (išvykimas perpus mažesnis)",
        "description": "The baseline (its TFR path, life-expectancy gains and net migration with its damped trend "
                       "and long-run rule), with the net outflow halved from the base year on: the negative net "
                       "migration rates by age and sex (the net losses) are halved and the net gains kept; gross "
                       "emigration is not in the lt-osp extract, and the shipped migration model uses net "
                       "migration only.",
        "fertility": _BASELINE_FERTILITY, "mortality": _BASELINE_MORTALITY,
        "migration": {"mode": "trend", "bounds": [-0.03, 0.03], "damping": 0.6, "outflow_scale": 0.5}},
    "attraction": {
        "name": "attraction", "label_en": "Attraction of young families", "label_lt": "Jaunų šeimų pritraukimas",
        "description": "The baseline (its TFR path, life-expectancy gains and net migration with its damped trend "
                       "and long-run rule) plus an added net inflow of 3 persons per 1,000 base-year residents a "
                       "year: young families, adults of 25-39 with children under 10.",
        "fertility": _BASELINE_FERTILITY, "mortality": _BASELINE_MORTALITY,
        "migration": {"mode": "trend", "bounds": [-0.03, 0.03], "damping": 0.6,
                      "added_inflow": {"per_1000": 3.0, "profile": "young_families"}}},
    "revival": {
        "name": "revival", "label_en": "Revival (trends, lower emigration, attraction)",
        "label_lt": "Atgimimas (tendencijos, mažesnė emigracija, pritraukimas)",
        "description": "Combined: fertility and mortality trends continued (bounded: the TFR trend adds at most 0.3 "
                       "children per woman; life-expectancy gains slowing towards 82 years for men and 87 for "
                       "women), the net outflow halved (the negative net migration rates by age and sex) and an added "
                       "net inflow of young families of 3 persons per "
                       "1,000 residents a year.",
        "fertility": {"mode": "trend", "bounds": [1.0, 2.1], "damping": 0.9},
        "mortality": {"mode": "trend", "bounds": [0.0, 0.4]},
        "migration": {"mode": "hold", "outflow_scale": 0.5,
                      "added_inflow": {"per_1000": 3.0, "profile": "young_families"}}},
}
#: The scenario each of them extends.
PARENT = {"zero-migration": "baseline", "low-emigration": "baseline", "attraction": "baseline", "revival": "trend"}


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(WRITTEN_OUT))
def test_shipped_variants_extend_their_parent_and_are_the_scenarios_they_were(name):
    sc = load_scenario(name)
    before = Scenario.from_dict(WRITTEN_OUT[name])
    assert sc == before and sc.to_dict() == before.to_dict()
    assert sc.summary() == before.summary()  # the report's assumption texts
    assert [parent for parent, _ in sc.parents] == [PARENT[name]]
    written = yaml.safe_load(Path(sc.source).read_text(encoding="utf-8"))
    assert written["extends"] == PARENT[name] and "fertility" not in written and "mortality" not in written
    assert list_scenarios()[name] == before


def test_variants_follow_a_changed_baseline(tmp_path):
    """The point of extends: a baseline with another setting is the variants' too (here a user's override of
    the baseline, which itself extends the shipped one: a file may extend a shipped one of its own name)."""
    _write(tmp_path / "scenarios", "baseline", "name: baseline\nextends: baseline\nlabel_en: Mine\n"
                                               "fertility:\n  damping: 0.5\nmigration:\n  damping: 0.7\n")
    sc = list_scenarios(tmp_path)
    assert sc["baseline"].label_en == "Mine" and sc["baseline"].fertility.damping == 0.5
    assert sc["baseline"].fertility.convergence_years == 40  # the rest is the shipped baseline's
    for name in ("low-emigration", "attraction"):
        assert sc[name].fertility.damping == 0.5 and sc[name].migration.damping == 0.7, name
        assert [parent for parent, _ in sc[name].parents] == ["baseline", "baseline"]
    assert sc["low-emigration"].migration.outflow_scale == 0.5
    assert sc["zero-migration"].migration.damping == 0.8  # its own null: the default
    assert load_scenario("attraction", tmp_path) == sc["attraction"]
    assert load_scenario("attraction").fertility.damping == 0.9  # without the data directory: the shipped one


def test_merge_sections_key_by_key_and_other_values_replace():
    parent = {"name": "p", "label_en": "P",
              "fertility": {"mode": "path", "path": {2030: 1.6, 2050: 1.8}, "bounds": [1.0, 2.1]},
              "migration": {"mode": "trend", "damping": 0.6, "bounds": [-0.03, 0.03],
                            "added_inflow": {"persons": 10.0, "profile": {"0-9": 0.4, "25-39": 0.6}}}}
    child = {"fertility": {"path": {2040: 1.5}, "bounds": [1.2, 1.9]},
             "migration": {"damping": None, "added_inflow": {"from_year": 2025, "profile": {"18-34": 1.0}}},
             "combination": {"total_weight": 0.2, "age_structure_weight": None}}
    merged = merge_scenario_keys(parent, child)
    assert merged == {
        "name": "p", "label_en": "P",
        # a path and a list are one value: replaced whole, not mixed year by year
        "fertility": {"mode": "path", "path": {2040: 1.5}, "bounds": [1.2, 1.9]},
        # sections merged key by key, two levels deep; null removes the inherited key
        "migration": {"mode": "trend", "bounds": [-0.03, 0.03],
                      "added_inflow": {"persons": 10.0, "profile": {"18-34": 1.0}, "from_year": 2025}},
        # a section the parent lacks: the child's, its nulls left out
        "combination": {"total_weight": 0.2}}
    assert parent["migration"]["damping"] == 0.6  # the parent is not changed
    assert "migration" not in merge_scenario_keys(parent, {"migration": None})  # a whole section removed
    # a section the parent's file left empty (null): the child's, its nulls left out
    assert merge_scenario_keys({"fertility": None}, {"fertility": {"mode": "hold", "damping": None}}) == \
        {"fertility": {"mode": "hold"}}


def test_file_extending_a_path_merges_and_keeps_its_own_name_and_labels(tmp_path):
    _write(tmp_path / "lib", "parent", "name: parent\nlabel_en: Parent\nlabel_lt: Tėvinis\ndescription: P.\n"
                                       "allow_implausible: true\nmortality:\n  mode: gain\n  e0_gain_per_year: 0.6\n"
                                       "migration:\n  mode: trend\n  damping: 0.5\n"
                                       "  added_inflow:\n    persons: 20\n    profile: working_age\n")
    child = _write(tmp_path / "mine", "child", "name: child\nextends: ../lib/parent.yaml\nlabel_en: Child\n"
                                               "migration:\n  bounds: [-0.01, 0.02]\n  added_inflow:\n"
                                               "    from_year: 2025\n")
    sc = load_scenario(child)
    assert (sc.name, sc.label_en, sc.label_lt, sc.description) == ("child", "Child", "", "")  # never inherited
    assert sc.allow_implausible and sc.mortality.e0_gain_per_year == 0.6  # inherited like any other key
    mi = sc.migration
    assert (mi.mode, mi.damping, mi.bounds) == ("trend", 0.5, (-0.01, 0.02))
    assert (mi.added_inflow.persons, mi.added_inflow.profile, mi.added_inflow.from_year) == (20.0, "working_age", 2025)
    assert sc.parents == (("parent", str(tmp_path / "mine" / "../lib/parent.yaml")),)
    assert sc.source == str(child)


def test_chain_of_two_by_name_in_the_data_directory(tmp_path):
    folder = tmp_path / "scenarios"
    _write(folder, "middle", "name: middle\nextends: attraction\nlabel_en: Middle\nmigration:\n  outflow_scale: 0.5\n")
    _write(folder, "top", "name: top\nextends: middle\nlabel_en: Top\nmigration:\n  added_inflow:\n    per_1000: 5\n")
    sc = load_scenario("top", tmp_path)
    base = load_scenario("baseline")
    assert [name for name, _ in sc.parents] == ["middle", "attraction", "baseline"]
    assert sc.fertility == base.fertility and sc.mortality == base.mortality
    assert (sc.migration.outflow_scale, sc.migration.added_inflow.per_1000) == (0.5, 5.0)
    assert sc.migration.added_inflow.profile == "young_families" and sc.migration.damping == base.migration.damping
    assert list_scenarios(tmp_path)["top"] == sc
    # an inflow in persons over attraction's per 1,000: both add up, and the assumption text says both
    _write(folder, "persons", "name: persons\nextends: attraction\nmigration:\n  added_inflow:\n    persons: 50\n")
    assert "plus 50 persons and 3 per 1,000 residents a year" in load_scenario("persons", tmp_path).summary()["migration"]
    _write(folder, "persons", "name: persons\nextends: attraction\nmigration:\n  added_inflow:\n    persons: 50\n"
                              "    per_1000: null\n")
    assert "plus 50 persons a year" in load_scenario("persons", tmp_path).summary()["migration"]


def test_cycle_is_an_error_naming_the_file_and_the_key(tmp_path):
    folder = tmp_path / "scenarios"
    a = _write(folder, "a", "name: a\nextends: b\n")
    b = _write(folder, "b", "name: b\nextends: a\n")
    with pytest.raises(ConfigError) as exc:
        load_scenario("a", tmp_path)
    msg = str(exc.value)
    assert msg.startswith(f"{b}: key 'extends': ") and "cycle" in msg and f"{a} -> {b} -> {a}" in msg
    assert "\n" not in msg
    self_path = _write(folder, "c", "name: c\nextends: ./c.yaml\n")
    with pytest.raises(ConfigError, match="'extends'.*cycle"):
        load_scenario(self_path)
    _write(folder, "d", "name: d\nextends: d\n")  # its own name, and no other scenario d
    with pytest.raises(ConfigError, match="'extends': 'd' is this file itself"):
        load_scenario("d", tmp_path)


def test_unknown_or_invalid_parent_is_an_error_naming_the_file_and_the_key(tmp_path):
    folder = tmp_path / "scenarios"
    child = _write(folder, "child", "name: child\nextends: basline\n")
    with pytest.raises(ConfigError) as exc:
        load_scenario("child", tmp_path)
    msg = str(exc.value)
    assert msg.startswith(f"{child}: key 'extends': unknown scenario 'basline'; allowed values: ")
    assert "baseline" in msg and "child" in msg
    for value, what in (("missing.yaml", "scenario file .*missing.yaml does not exist"),
                        ("[baseline, trend]", "expected the name of a scenario"), ("''", "expected the name of a scenario")):
        child.write_text(f"name: child\nextends: {value}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=f"^{child}: key 'extends': {what}"):
            load_scenario(child)
    # a parent asked by a name its file does not carry
    _write(folder, "other", "name: not-other\n")
    child.write_text("name: child\nextends: other\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"other.yaml: key 'name' is 'not-other' but the file is named 'other' "
                                          r"\(extended by .*child.yaml\)"):
        load_scenario(child, tmp_path)


def test_a_bad_key_names_the_file_that_wrote_it(tmp_path):
    folder = tmp_path / "scenarios"
    child = _write(folder, "child", "name: child\nextends: parent\nmigration:\n  outflow_scale: -1\n")
    parent = _write(folder, "parent", "name: parent\nextends: baseline\n")
    with pytest.raises(ConfigError, match=f"^{child}: key 'migration.outflow_scale': .*allowed range"):
        load_scenario(child, tmp_path)
    child.write_text("name: child\nextends: parent\nmigration:\n  outflow_scal: 0.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{child}: key 'migration.outflow_scal': unknown key"):
        load_scenario(child, tmp_path)
    # a combination only the merge makes (the baseline's TFR trend, this file's bounds): named by the file that made it
    child.write_text("name: child\nextends: parent\nfertility:\n  bounds: [2.0, 1.5]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{child}: key 'fertility.bounds': lower bound"):
        load_scenario(child, tmp_path)
    # the bad key in the parent: the parent's file, and the file that extends it
    child.write_text("name: child\nextends: parent\n", encoding="utf-8")
    parent.write_text("name: parent\nextends: baseline\nmortality:\n  mode: rising\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{parent}: key 'mortality.mode': .*hold, trend, gain "
                                          f"\\(extended by {child}\\)$"):
        load_scenario(child, tmp_path)


def test_mappings_resolve_extends_and_from_dict_says_where_it_is_resolved():
    sc = load_scenario({"name": "mine", "extends": "baseline", "migration": {"level": 0.5}})
    assert sc.migration.level == 0.5 and sc.fertility == load_scenario("baseline").fertility
    with pytest.raises(ConfigError, match="'extends': a parent scenario is resolved when the scenario is loaded"):
        Scenario.from_dict({"name": "mine", "extends": "baseline"})


def test_dump_writes_the_resolved_scenario_self_contained(tmp_path):
    path = dump_scenario(load_scenario("attraction"), tmp_path / "copy.yaml")
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert "extends" not in written and written["fertility"]["convergence_years"] == 40
    assert load_scenario(path) == load_scenario("attraction") and load_scenario(path).parents == ()


def test_cli_show_says_what_it_extends_and_prints_the_resolved_scenario(tmp_path, capsys):
    _write(tmp_path / "scenarios", "mine", "name: mine\nextends: low-emigration\nmigration:\n  level: 0.8\n")
    assert main(["--data-dir", str(tmp_path), "scenarios", "--show", "mine", "--base-year", "2018"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(f"# {tmp_path / 'scenarios' / 'mine.yaml'} extends low-emigration (")
    assert ", which extends baseline (" in first
    doc = yaml.safe_load(out)
    assert "extends" not in doc and doc["migration"]["level"] == 0.8 and doc["migration"]["outflow_scale"] == 0.5
    assert doc["fertility"]["convergence_years"] == 40
    assert main(["--data-dir", str(tmp_path), "scenarios", "--list", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split(",")[:3] == ["scenario", "label", "extends"]
    assert any(r.startswith("mine,,low-emigration,") for r in rows)
    assert main(["scenarios", "--show", "baseline"]) == 0
    assert not capsys.readouterr().out.startswith("#")  # a file of its own: no such line


@pytest.mark.parametrize("command", [("scenarios", "--show", "child"), ("scenarios", "--list")])
def test_cli_errors_of_extends_are_one_line_without_traceback(tmp_path, capsys, command):
    child = _write(tmp_path / "scenarios", "child", "name: child\nextends: nowhere\n")
    assert main(["--data-dir", str(tmp_path), *command]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"{child}: key 'extends': unknown scenario 'nowhere'" in err


def test_readme_example_is_what_it_says(tmp_path):
    """The README's example of a file that extends another loads as the scenario the README describes."""
    import re

    readme = Path(__file__).resolve().parents[1] / "README.md"
    if not readme.exists():
        pytest.skip("not run from a checkout (no README.md)")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", readme.read_text(encoding="utf-8"), re.S) if "extends:" in b]
    assert len(blocks) == 1
    doc = yaml.safe_load(blocks[0])
    _write(tmp_path / "scenarios", doc["name"], blocks[0])
    sc = load_scenario(doc["name"], tmp_path)
    attraction = load_scenario("attraction")
    assert sc.migration.outflow_scale == 0.5 and sc.migration.added_inflow == attraction.migration.added_inflow
    assert sc.fertility == attraction.fertility and sc.label_lt == doc["label_lt"]
