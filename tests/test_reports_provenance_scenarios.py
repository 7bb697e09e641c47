"""A report's fingerprint follows the contents of the scenario files, not only their names."""

from cityindicators.reports.provenance import fingerprint, scenario_contents


def _user_baseline(data_dir, body: str) -> None:
    folder = data_dir / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "baseline.yaml").write_text(body, encoding="utf-8")


def test_an_edited_scenario_file_changes_a_projecting_reports_fingerprint(tmp_path):
    params = {"territory": "X13", "scenarios": ["baseline", "attraction"], "data_dir": str(tmp_path)}
    before = fingerprint("nb", params, {})
    assert fingerprint("nb", params, {}) == before  # stable while nothing changes
    # a user baseline that extends the shipped one: attraction, which extends baseline, follows it too
    _user_baseline(tmp_path, "name: baseline\nextends: baseline\nmigration:\n  outflow_scale: 0.5\n")
    edited = fingerprint("nb", params, {})
    assert edited != before
    assert scenario_contents(tmp_path)["attraction"]["migration"]["outflow_scale"] == 0.5
    # a report that does not project does not depend on the scenarios
    plain = {"territory": "X13", "data_dir": str(tmp_path)}
    first = fingerprint("nb", plain, {})
    _user_baseline(tmp_path, "name: baseline\nextends: baseline\nmigration:\n  outflow_scale: 0.7\n")
    assert fingerprint("nb", plain, {}) == first
    assert fingerprint("nb", params, {}) not in (before, edited)


def test_a_broken_scenario_file_is_part_of_the_fingerprint_not_an_error(tmp_path):
    params = {"territory": "X13", "scenarios": ["baseline"], "data_dir": str(tmp_path)}
    _user_baseline(tmp_path, "name: baseline\nextends: no-such-scenario\n")
    contents = scenario_contents(tmp_path)
    assert list(contents) == ["error"] and "extends" in contents["error"]
    fingerprint("nb", params, {})  # the report itself reports the error when it runs


def test_other_code_of_the_same_version_changes_the_fingerprint(monkeypatch):
    """An edited checkout (or an upgrade that kept the version number) makes different reports:
    they must not be skipped as unchanged (the fingerprint holds build_cache.code_version)."""
    from cityindicators import build_cache

    params = {"territory": "X13", "language": "lt"}
    monkeypatch.setattr(build_cache, "_CODE_VERSION", ["aaaa"])
    first = fingerprint("nb", params, {})
    assert fingerprint("nb", params, {}) == first
    monkeypatch.setattr(build_cache, "_CODE_VERSION", ["bbbb"])
    assert fingerprint("nb", params, {}) != first
