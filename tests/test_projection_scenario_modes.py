"""Scenario keys that only some modes use: a key the scenario's mode does not use is refused naming the
file, the key and the modes that use it; keys inherited through ``extends`` that the file's mode does not
use are left behind; every shipped scenario loads and writes out only the keys its modes use."""

from __future__ import annotations

import pytest
import yaml

from cityindicators.config import resource_path
from cityindicators.exceptions import ConfigError
from cityindicators.projection import Scenario, dump_scenario, list_scenarios, load_scenario
from cityindicators.projection.scenarios import MODE_KEYS, SECTION_KEYS, Migration

# (section, the section as written, the key it should not have, the modes that use that key)
WRONG_KEYS = [
    # migration: every key that not every mode uses, under a mode that does not use it
    ("migration", {"mode": "hold", "damping": 0.6}, "damping", "trend"),
    ("migration", {"damping": 0.6}, "damping", "trend"),  # the default mode, hold
    ("migration", {"mode": "zero", "damping": 0.6}, "damping", "trend"),
    ("migration", {"mode": "hold", "bounds": [-0.02, 0.02]}, "bounds", "trend"),
    ("migration", {"mode": "zero", "bounds": [-0.02, 0.02]}, "bounds", "trend"),
    ("migration", {"mode": "zero", "level": 0.5}, "level", "hold or trend"),
    ("migration", {"mode": "zero", "outflow_scale": 0.5}, "outflow_scale", "hold or trend"),
    ("migration", {"mode": "zero", "inflow_scale": 1.5}, "inflow_scale", "hold or trend"),
    ("migration", {"mode": "zero", "path": {2030: 0.5}}, "path", "hold or trend"),
    ("migration", {"mode": "zero", "window": 10}, "window", "hold or trend or with an added_inflow of profile 'own'"),
    ("migration", {"mode": "zero", "convergence_target": "zero"}, "convergence_target", "hold or trend"),
    ("migration", {"mode": "zero", "convergence_start_year": 2030}, "convergence_start_year", "hold or trend"),
    ("migration", {"mode": "zero", "convergence_year": 2060}, "convergence_year", "hold or trend"),
    # fertility
    ("fertility", {"mode": "trend", "path": {2030: 1.6}}, "path", "path"),
    ("fertility", {"mode": "hold", "bounds": [1.0, 2.0]}, "bounds", "trend"),
    ("fertility", {"mode": "path", "path": {2030: 1.6}, "damping": 0.8}, "damping", "trend"),
    ("fertility", {"max_change": 0.2}, "max_change", "trend"),
    ("fertility", {"mode": "hold", "convergence_years": 30}, "convergence_years", "trend"),
    ("fertility", {"mode": "path", "path": {2030: 1.6}, "bounds_entry_years": 5}, "bounds_entry_years", "trend"),
    # mortality
    ("mortality", {"mode": "trend", "e0_gain_per_year": 0.2}, "e0_gain_per_year", "gain"),
    ("mortality", {"mode": "gain", "e0_gain_per_year": 0.2, "bounds": [0.0, 0.3]}, "bounds", "trend"),
    ("mortality", {"mode": "hold", "e0_ceiling": [80.0, 86.0]}, "e0_ceiling", "trend or gain"),
]


@pytest.mark.parametrize("section, written, key, modes", WRONG_KEYS)
def test_a_key_the_mode_does_not_use_names_the_file_the_key_and_its_modes(section, written, key, modes):
    with pytest.raises(ConfigError) as exc:
        Scenario.from_dict({"name": "x", section: written}, source="scenarios/x.yaml")
    mode = written.get("mode", "hold")
    default = "" if "mode" in written else ", the default"
    assert str(exc.value) == (f"scenarios/x.yaml: key '{section}.{key}': applies only with mode: {modes} "
                              f"(this scenario has {section}.mode: {mode}{default}); set the mode or leave the key out")


def test_every_key_that_not_every_mode_uses_is_tested():
    tested = {(section, key) for section, _, key, _ in WRONG_KEYS}
    assert tested == {(section, key) for section, keys in MODE_KEYS.items() for key in keys}


@pytest.mark.parametrize("section, written, key, modes", WRONG_KEYS)
def test_the_same_key_under_a_mode_that_uses_it_loads(section, written, key, modes):
    mode = modes.split(" or ")[0]
    fixed = {**written, "mode": mode}
    if section == "fertility" and mode == "trend":
        fixed.pop("path", None)
    if (section, mode) == ("mortality", "trend"):
        fixed.pop("e0_gain_per_year", None)
    if section == "fertility" and mode == "path":
        fixed.setdefault("path", {2030: 1.6})
    Scenario.from_dict({"name": "x", section: fixed})


def test_keys_every_migration_mode_uses_are_accepted_without_migration():
    """``added_inflow`` and ``excluded_years`` (left out of the estimation of mortality by age too) act under
    ``mode: zero``; so does the window with an added inflow of the territory's own profile, which it shapes."""
    sc = Scenario.from_dict({"name": "x", "migration": {
        "mode": "zero", "excluded_years": [2010], "window": 8, "added_inflow": {"persons": 20, "profile": "own"}}})
    assert sc.migration.window == 8 and sc.migration.excluded_years == (2010,)
    with pytest.raises(ConfigError, match="'migration.window': applies only with mode: hold or trend"):
        Scenario.from_dict({"name": "x", "migration": {
            "mode": "zero", "window": 8, "added_inflow": {"persons": 20, "profile": "young_adults"}}})


def test_a_null_key_the_mode_does_not_use_is_the_default_and_accepted():
    sc = Scenario.from_dict({"name": "x", "migration": {"mode": "zero", "damping": None, "window": None},
                             "fertility": {"mode": "hold", "convergence_years": None}})
    assert sc.migration.damping == Migration.damping and sc.migration.window is None


def _write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_keys_inherited_for_another_mode_are_left_behind_and_the_file_own_are_refused(tmp_path):
    """A file that changes the mode over its parent's does not inherit the keys only the parent's mode used
    (``revival`` holds the migration of ``trend``, whose damping would change nothing); the same key written in
    the file itself is refused, naming that file."""
    folder = tmp_path / "scenarios"
    _write(folder, "parent", "name: parent\nmigration:\n  mode: trend\n  damping: 0.5\n  bounds: [-0.02, 0.02]\n"
                             "  level: 0.9\nmortality:\n  mode: gain\n  e0_gain_per_year: 0.1\n")
    child = _write(folder, "child", "name: child\nextends: parent\nmigration:\n  mode: hold\n"
                                    "mortality:\n  mode: trend\n")
    sc = load_scenario("child", tmp_path)
    assert sc.migration == Migration(mode="hold", level=0.9)  # the level applies to hold too: inherited
    assert sc.mortality.mode == "trend" and sc.mortality.e0_gain_per_year == 0.0
    # what a file extending the child inherits is the child's scenario, so a trend again starts from the defaults
    _write(folder, "grandchild", "name: grandchild\nextends: child\nmigration:\n  mode: trend\n")
    assert load_scenario("grandchild", tmp_path).migration == Migration(mode="trend", level=0.9)
    child.write_text("name: child\nextends: parent\nmigration:\n  mode: hold\n  damping: 0.7\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{child}: key 'migration.damping': applies only with mode: trend "
                                          r"\(this scenario has migration.mode: hold\)"):
        load_scenario("child", tmp_path)
    # the mode inherited, the key the file's own
    child.write_text("name: child\nextends: parent\nmortality:\n  bounds: [0.0, 0.3]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{child}: key 'mortality.bounds': applies only with mode: trend "
                                          r"\(this scenario has mortality.mode: gain\)"):
        load_scenario("child", tmp_path)


def test_shipped_scenarios_load_and_write_out_only_the_keys_their_modes_use(tmp_path):
    scenarios = list_scenarios()
    assert {p.stem for p in resource_path("scenarios").glob("*.yaml")} <= set(scenarios)
    for name, sc in scenarios.items():
        written = sc.to_dict()
        for section, keys in MODE_KEYS.items():
            mode = written[section]["mode"]
            unused = [k for k in written[section] if k in keys and mode not in keys[k]]
            assert not unused, (name, section, unused)
        assert load_scenario(dump_scenario(sc, tmp_path / f"{name}.yaml")) == sc
        assert yaml.safe_load((tmp_path / f"{name}.yaml").read_text(encoding="utf-8")) == written
    # revival holds the migration of trend, zero-migration has none: the trend's keys are not theirs
    assert "damping" not in scenarios["revival"].to_dict()["migration"]
    assert set(scenarios["zero-migration"].to_dict()["migration"]) == {"mode", "added_inflow"}


def _uses(section: str, mode: str) -> set[str]:
    """The keys of ``section`` that ``mode`` uses, besides ``mode``, by MODE_KEYS."""
    from cityindicators.projection.scenarios import _key_applies

    return {k for k in SECTION_KEYS[section] if k != "mode" and _key_applies(section, k, mode, {})}


def test_the_file_format_says_which_modes_use_each_key():
    """The module docstring's file format names, in each key's comment, the modes that use it."""
    import re

    from cityindicators.projection import scenarios

    doc = scenarios.__doc__
    block = doc[doc.index("File format"):doc.index("    combination:")]
    said: dict[str, dict[str, tuple[str, ...] | None]] = {}
    section = None
    for line in block.splitlines():
        if m := re.match(r"^    (\w+):", line):
            section = m.group(1)
        elif (m := re.match(r"^      (\w+): .*?# (.*)$", line)) and section in MODE_KEYS and m.group(1) != "mode":
            note = m.group(2)
            if note.startswith("every mode"):
                said.setdefault(section, {})[m.group(1)] = None
            else:
                modes = re.match(r"modes? ([a-z]+(?:, [a-z]+)*)", note)
                assert modes, line
                said.setdefault(section, {})[m.group(1)] = tuple(modes.group(1).split(", "))
    for section, keys in said.items():
        assert {k: v for k, v in keys.items() if v is not None} == MODE_KEYS[section], section
        assert set(keys) == set(SECTION_KEYS[section]) - {"mode"}, section


def test_the_readme_table_of_keys_by_mode_is_the_validators():
    import re
    from pathlib import Path

    readme = Path(__file__).resolve().parents[1] / "README.md"
    if not readme.exists():
        pytest.skip("not run from a checkout (no README.md)")
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \| (.*) \|$", readme.read_text(encoding="utf-8"), re.M)
    table = {(section, mode): cell for section, mode, cell in rows if section in MODE_KEYS}
    modes = {"fertility": ("hold", "trend", "path"), "mortality": ("hold", "trend", "gain"),
             "migration": ("hold", "trend", "zero")}
    assert set(table) == {(s, m) for s, ms in modes.items() for m in ms}
    for (section, mode), cell in table.items():
        named = set(re.findall(r"`(\w+)`", cell)) & (set(SECTION_KEYS[section]) - {"mode"})
        if "those of `hold`" in cell:
            named |= _uses(section, "hold")
        expected = _uses(section, mode) | ({"window"} if (section, mode) == ("migration", "zero") else set())
        assert named == expected, (section, mode)
        assert (cell == "none") == (not expected)
