import pytest

from cityindicators import AmbiguousTerritoryError, ConfigError, UnknownTerritoryError, get_register
from cityindicators.geography import Register, load_groups, normalise_name, size_class


@pytest.fixture(scope="module")
def reg():
    return get_register()


def test_register_has_country_counties_and_60_municipalities(reg):
    assert len(reg.municipalities()) == 60
    assert len(reg.counties()) == 10
    assert reg.country().code == "00"
    per_county = {}
    for t in reg.municipalities():
        per_county[reg.get(t.county_code).name_lt] = per_county.get(reg.get(t.county_code).name_lt, 0) + 1
    assert per_county == {
        "Alytaus apskritis": 5, "Kauno apskritis": 8, "Klaipėdos apskritis": 7, "Marijampolės apskritis": 5,
        "Panevėžio apskritis": 6, "Šiaulių apskritis": 7, "Tauragės apskritis": 4, "Telšių apskritis": 4,
        "Utenos apskritis": 6, "Vilniaus apskritis": 8,
    }


def test_code_systems_are_kept_apart(reg):
    # ISO LT-59 is Visaginas, OSP code 59 is Lazdijai, NUTS-3 LT029 is Utena county
    assert reg.resolve("LT-59").code == "30"
    assert reg.resolve("59").name_lt == "Lazdijų r. sav."
    assert reg.resolve("LT029").code == "09"
    v = reg.get("30")
    assert (v.iso, v.nuts3, v.county_code) == ("LT-59", "LT029", "09")


@pytest.mark.parametrize(
    "name, code",
    [
        ("Visagino sav.", "30"), ("Visagino savivaldybė", "30"), ("Visaginas", "30"), ("Visaginas mun.", "30"),
        ("Visaginas Municipality", "30"), ("visagino sav", "30"), ("  VISAGINO SAV.  ", "30"), ("30", "30"),
        ("LT-59", "30"), ("lt-59", "30"), ("Siauliu m. sav.", "29"), ("Šiaulių m. sav.", "29"),
        ("Alytus t. mun.", "11"), ("Vilnius c. mun.", "13"), ("Akmenė d. mun.", "32"), ("Akmene d. mun.", "32"),
        ("Utena county", "09"), ("Republic of Lithuania", "00"), ("Lietuva", "00"), ("Kaunas district", "52"),
        ("Kauno rajono savivaldybė", "52"), ("Kauno r. sav.", "52"), ("Palanga t. mun.", "25"),
        ("Druskininkai", "15"), ("Kazlų Rūda mun.", "58"), ("9", "09"), ("X13", "X13"), ("Eglynas", "X13"),
    ],
)
def test_resolve_accepts_every_form(reg, name, code):
    assert reg.resolve(name).code == code


@pytest.mark.parametrize("name, expected", [("Vilnius", {"10", "13", "41"}), ("Alytus", {"01", "11", "33"})])
def test_ambiguous_names_list_candidates(reg, name, expected):
    with pytest.raises(AmbiguousTerritoryError) as err:
        reg.resolve(name)
    assert {reg.resolve(c).code for c in err.value.candidates} == expected
    for code in expected:
        assert reg.get(code).name_lt in str(err.value)


def test_unknown_name_suggests_closest(reg):
    with pytest.raises(UnknownTerritoryError) as err:
        reg.resolve("Visagnas")
    assert "Visagino sav." in err.value.suggestions
    assert "Did you mean" in str(err.value)


def test_legacy_code_51_is_dropped_with_warning(reg, caplog):
    with pytest.raises(UnknownTerritoryError, match="legacy"):
        reg.resolve("51")
    mapping = reg.map_names(["30", "51"], source="test")
    assert mapping == {"30": "30", "51": None}
    assert "legacy" in caplog.text


def test_map_names_reports_all_unknown(reg):
    with pytest.raises(UnknownTerritoryError, match="2 territory name"):
        reg.map_names(["Visaginas", "Nowhere", "Vilnius"], source="file.csv")


def test_normalise_name():
    assert normalise_name("  Šiaulių  m. sav. ") == "siauliu m sav"


def test_groups(reg):
    viza = reg.group("VIZA")
    assert set(viza.members) == {"30", "45", "43"}
    assert viza.code == "G:VIZA"
    assert set(reg.group("county:Utenos apskritis").members) == {"30", "34", "43", "45", "62", "82"}
    assert set(reg.group("county:09").members) == set(reg.group("county:Utena county").members)
    assert len(reg.group("type:city").members) == 7
    sizes = reg.group("size:small", population={"30": 19000.0, "13": 550000.0, "00": 100.0})
    assert sizes.members == ("30",)
    assert len(reg.group("municipalities").members) == 60
    with pytest.raises(UnknownTerritoryError, match="unknown group"):
        reg.group("NOPE")
    with pytest.raises(ConfigError, match="needs population"):
        reg.group("size:small")


def test_size_class_bounds():
    assert size_class(0) == "small"
    assert size_class(19_999) == "small"
    assert size_class(20_000) == "medium"
    assert size_class(150_000) == "major"


def test_user_groups_file(tmp_path, reg):
    f = tmp_path / "groups.yaml"
    f.write_text("groups:\n  ezerai:\n    name_en: Lakes\n    members: [Zarasai, Ignalina, Molėtų r. sav.]\n", encoding="utf-8")
    groups = load_groups(f, reg)
    assert groups["ezerai"].members == ("43", "45", "62")
    f.write_text("groups:\n  bad:\n    members: [Vilnius]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.*ambiguous"):
        load_groups(f, reg)
    f.write_text("groups:\n  bad:\n    member: [Visaginas]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="members"):
        load_groups(f, reg)


def test_groups_file_errors_name_the_line_and_the_key(tmp_path, reg):
    f = tmp_path / "groups.yaml"
    cases = [
        ("groups:\n  ok:\n    members: [Zarasai]\n  bad:\n    members: [Zarasai,\n      Atlantida]\n",
         "line 6, group 'bad', key 'members': unknown territory 'Atlantida'"),
        ("groups:\n  bad:\n    members: [Visaginas]\n    colour: red\n",
         "line 4, group 'bad', key 'colour': unknown key(s) ['colour']"),
        ("groups:\n  bad:\n    name_en: B\n    members: []\n", "line 4, group 'bad', key 'members': expected a non-empty list"),
        ("groups:\n  bad:\n    name_en: B\n", "line 2, group 'bad', key 'members': expected a non-empty list"),
        ("# made up\ngroups: [X]\n", "line 2, key 'groups': expected a top-level key 'groups'"),
    ]
    for text, message in cases:
        f.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as err:
            load_groups(f, reg)
        assert str(err.value).startswith(f"{f}: {message}"), str(err.value)


def test_data_dir_groups_are_merged(tmp_path):
    (tmp_path / "groups.yaml").write_text("groups:\n  mine:\n    members: ['30', '45']\n", encoding="utf-8")
    reg = get_register(tmp_path)
    assert reg.group("mine").members == ("30", "45")
    assert "VIZA" in reg.groups()


def test_duplicate_codes_rejected(reg):
    t = reg.get("30")
    with pytest.raises(ConfigError, match="duplicate"):
        Register([t, t])


def test_a_name_longer_than_any_territory_is_quoted_short_in_one_line():
    from cityindicators.exceptions import UnknownTerritoryError
    from cityindicators.geography import MAX_NAME_LENGTH, get_register

    with pytest.raises(UnknownTerritoryError) as exc:
        get_register().resolve("Visagino sav. " * 10_000)  # a pasted paragraph (stripped of its last space) was quoted whole
    msg = str(exc.value)
    assert len(msg) < 200 and "139,999 characters" in msg and "\n" not in msg
    assert get_register().resolve("Visagino sav." + " " * MAX_NAME_LENGTH).code == "30"  # spaces around are trimmed
